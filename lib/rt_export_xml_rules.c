/*
 * The schema's rules for the values of an XML SettlementExport (the
 * header's children, UsageRecord attributes and children, Total
 * attributes), shared by both ways of reading XML: libxml2's SAX2 parser
 * (rt_export_xml.c) and the fast path (rt_export_xml_fast.c), so what a
 * record must be is written once. Each rule reports through
 * rt_export_fail, which records nothing while the fast path reads.
 */
#include <string.h>

#include "rt_codec.h"
#include "rt_export_read_int.h"
#include "rt_xml.h"

const struct rt_export_xml_field rt_export_xml_fields[RT_XF_COUNT] = {
	{"AgreementRef", 12, 0}, {"AssertionRef", 12, 0}, {"Subscriber", 10, 0},
	{"HomeRealm", 9, 0}, {"VisitedRealm", 12, 0}, {"Service", 7, 0},
	{"CallId", 6, 1}, {"Start", 5, 0}, {"End", 3, 0}, {"Quantity", 8, 0},
	{"Unit", 4, 0}, {"Flag", 4, 1},
};

const char *const rt_export_xml_header_names[RT_EXPORT_XML_HEADER_FIELDS] = {
	"Issuer", "Partner", "Currency", "PeriodStart", "PeriodEnd", "CreatedAt"
};

/* ---- the schema's rules for values ---- */

int
rt_export_xml_header_value(struct rt_export_reader *r, int i, const char *text)
{
	struct rt_export_header *h = &r->header;
	const char *name = rt_export_xml_header_names[i];
	size_t n = strlen(text);

	switch (i) {
	case 0:
	case 1:
	case 2:
		if (n >= (i == 2 ? sizeof(h->currency) : RT_REALM_MAX))
			return rt_export_fail(r, RT_ERR_SCHEMA, "<%s> too long", name);
		memcpy(i == 0 ? h->issuer : i == 1 ? h->partner : h->currency, text,
		    n + 1);
		return 0;
	default:
		if (rt_time_parse(text, i == 3 ? &h->period_start :
		    i == 4 ? &h->period_end : &h->created_at) != 0)
			return rt_export_fail(r, RT_ERR_SCHEMA, "bad <%s>", name);
		return 0;
	}
}

int
rt_export_xml_record_attr(struct rt_export_reader *r, struct rt_export_item *item,
    const char *name, const char *v, int *seen)
{
	size_t n = strlen(v);

	if (strcmp(name, "id") == 0 && !(*seen & 1) && n < sizeof(item->u.id)) {
		memcpy(item->u.id, v, n + 1);
		*seen |= 1;
	} else if (strcmp(name, "amountMinor") == 0 && !(*seen & 2)) {
		if (rt_xml_parse_i64(v, &item->amount_minor) != 0)
			return rt_export_fail(r, RT_ERR_SCHEMA, "bad amountMinor");
		item->has_amount = 1;
		*seen |= 2;
	} else if (strcmp(name, "unpriced") == 0 && !(*seen & 4) &&
	    n < sizeof(item->unpriced)) {
		memcpy(item->unpriced, v, n + 1);
		*seen |= 4;
	} else
		return rt_export_fail(r, RT_ERR_SCHEMA,
		    "bad attribute '%.32s' on UsageRecord", name);
	return 0;
}

/* memcpy for the short values of a record, in word moves: a call (or
 * rep movs) per field was a tenth of reading a canonical record. */
static void
copy_short(char *dst, const char *src, size_t n)
{
	if (n >= 16) {
		for (size_t i = 0; i + 16 <= n; i += 16)
			memcpy(dst + i, src + i, 16);
		memcpy(dst + n - 16, src + n - 16, 16);
	} else if (n >= 8) {
		memcpy(dst, src, 8);
		memcpy(dst + n - 8, src + n - 8, 8);
	} else if (n >= 4) {
		memcpy(dst, src, 4);
		memcpy(dst + n - 4, src + n - 4, 4);
	} else {
		for (size_t i = 0; i < n; i++)
			dst[i] = src[i];
	}
}

int
rt_export_xml_record_value(struct rt_export_reader *r, struct rt_export_item *item,
    int k, const char *text, size_t n)
{
	struct rt_usage_record *u = &item->u;
	const char *name = rt_export_xml_fields[k].name;
	char *out;
	size_t cap;

	switch (k) {
	case RT_XF_START:
	case RT_XF_END:
		if (rt_export_time_parse(text, k == RT_XF_START ? &u->start : &u->end) != 0)
			return rt_export_fail(r, RT_ERR_SCHEMA, "bad <%s>", name);
		return 0;
	case RT_XF_QUANTITY:
		if (rt_xml_parse_u64(text, &u->quantity) != 0)
			return rt_export_fail(r, RT_ERR_SCHEMA, "bad <Quantity>");
		return 0;
	case RT_XF_AGREEMENT: out = u->agreement_ref; cap = sizeof(u->agreement_ref); break;
	case RT_XF_ASSERTION: out = u->assertion_ref; cap = sizeof(u->assertion_ref); break;
	case RT_XF_SUBSCRIBER: out = u->subscriber; cap = sizeof(u->subscriber); break;
	case RT_XF_HOME: out = u->home; cap = sizeof(u->home); break;
	case RT_XF_VISITED: out = u->visited; cap = sizeof(u->visited); break;
	case RT_XF_SERVICE: out = u->service; cap = sizeof(u->service); break;
	case RT_XF_CALL_ID: out = u->call_id; cap = sizeof(u->call_id); break;
	case RT_XF_UNIT: out = u->unit; cap = sizeof(u->unit); break;
	default:
		if (u->nflags >= RT_FLAGS_MAX)
			return rt_export_fail(r, RT_ERR_SCHEMA, "more than %d flags",
			    RT_FLAGS_MAX);
		out = u->flags[u->nflags];
		cap = sizeof(u->flags[0]);
		break;
	}
	if (n >= cap)
		return rt_export_fail(r, RT_ERR_TOO_BIG, "<%s> too long", name);
	copy_short(out, text, n + 1);
	if (k == RT_XF_FLAG)
		u->nflags++;
	return 0;
}

int
rt_export_xml_record_end(struct rt_export_reader *r, struct rt_export_item *item,
    int seen, int next)
{
	const char *why;

	if (!(seen & 1))
		return rt_export_fail(r, RT_ERR_SCHEMA, "UsageRecord without id");
	for (int k = next; k < RT_XF_COUNT; k++)
		if (!rt_export_xml_fields[k].optional)
			return rt_export_fail(r, RT_ERR_SCHEMA, "missing <%s>",
			    rt_export_xml_fields[k].name);
	if (rt_export_item_check_cached(item, &why, &r->cache) != 0)
		return rt_export_fail(r, RT_ERR_SCHEMA, "%s", why);
	return 0;
}

static const char *const total_names[] = {"service", "home", "visited", "unit",
    "records", "quantity", "amountMinor", "unpricedRecords"};

int
rt_export_xml_total_attr(struct rt_export_reader *r, const char *name,
    const char *v, int *seen)
{
	struct rt_export_total *t = &r->totals[r->ntotals];
	int k;

	if (r->ntotals >= RT_EXPORT_TOTALS_MAX)
		return rt_export_fail(r, RT_ERR_TOO_BIG, "more than %d totals",
		    RT_EXPORT_TOTALS_MAX);
	if (*seen == 0)
		memset(t, 0, sizeof(*t));
	for (k = 0; k < 8; k++)
		if (strcmp(total_names[k], name) == 0)
			break;
	if (k == 8 || (*seen & (1 << k)))
		return rt_export_fail(r, RT_ERR_SCHEMA, "bad attribute on Total");
	*seen |= 1 << k;
	if ((k == 0 && (strlen(v) >= sizeof(t->service) || !rt_export_token_ok(v))) ||
	    (k == 1 && (strlen(v) >= sizeof(t->home) || !rt_realm_valid(v))) ||
	    (k == 2 && (strlen(v) >= sizeof(t->visited) || !rt_realm_valid(v))) ||
	    (k == 3 && !rt_export_unit_ok(v)) ||
	    (k == 4 && rt_xml_parse_u64(v, &t->records) != 0) ||
	    (k == 5 && rt_xml_parse_u64(v, &t->quantity) != 0) ||
	    (k == 6 && (rt_xml_parse_i64(v, &t->amount_minor) != 0 ||
	    t->amount_minor < -RT_AMOUNT_MAX || t->amount_minor > RT_AMOUNT_MAX)) ||
	    (k == 7 && rt_xml_parse_u64(v, &t->unpriced_records) != 0))
		return rt_export_fail(r, RT_ERR_SCHEMA, "bad %s on Total", total_names[k]);
	if (k <= 3)
		strcpy(k == 0 ? t->service : k == 1 ? t->home : k == 2 ? t->visited :
		    t->unit, v);
	return 0;
}

int
rt_export_xml_total_end(struct rt_export_reader *r, int seen)
{
	if (r->ntotals >= RT_EXPORT_TOTALS_MAX)
		return rt_export_fail(r, RT_ERR_TOO_BIG, "more than %d totals",
		    RT_EXPORT_TOTALS_MAX);
	if ((seen & 0x7f) != 0x7f)
		return rt_export_fail(r, RT_ERR_SCHEMA,
		    "Total must be empty with all its attributes");
	r->ntotals++;
	r->in_totals = 1;
	return 0;
}
