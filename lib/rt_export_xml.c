/*
 * The XML half of the export reader (rt_export_read.h): xmlTextReader
 * over the input layer, with the markup scan in front of it and a state
 * machine over the SettlementExport schema behind it.
 */
#include <stdlib.h>
#include <string.h>

#include "rt_codec.h"
#include "rt_export_read_int.h"
#include "rt_xml.h"

#define TEXT_MAX 512	/* the longest simple value (SipUri, ShortText) and more */

/*
 * Refuses "<!" anywhere (DOCTYPE, ENTITY, comments, CDATA) and "<?" but
 * at the very start (the XML declaration): none of them is in an export,
 * and libxml2 must not see a DTD at all. A '<' in text or attribute values
 * is always escaped, so a raw one is markup.
 */
static int
xml_scan(struct rt_export_reader *r, const uint8_t *data, size_t n, uint64_t base)
{
	size_t i = 0;

	if (n == 0)
		return 0;
	if (r->lt_pending) {
		r->lt_pending = 0;
		if (data[0] == '!' || (data[0] == '?' && r->lt_offset != 0))
			return -1;
	}
	for (;;) {
		const uint8_t *lt = memchr(data + i, '<', n - i);

		if (lt == NULL)
			return 0;
		i = (size_t)(lt - data) + 1;
		if (i == n) {
			r->lt_pending = 1;
			r->lt_offset = base + i - 1;
			return 0;
		}
		if (data[i] == '!' || (data[i] == '?' && base + i - 1 != 0))
			return -1;
	}
}

/* libxml2's input callback: the bytes peeked at open, then the source. */
static int
xml_read(void *ctx, char *buffer, int len)
{
	struct rt_export_reader *r = ctx;
	uint64_t base;
	size_t n;

	if (len <= 0 || r->scan_refused)
		return -1;
	if (r->pos < r->len) {
		n = r->len - r->pos;
		if (n > (size_t)len)
			n = (size_t)len;
		memcpy(buffer, r->buf + r->pos, n);
		base = r->pos;	/* the peeked bytes start the stream */
		r->pos += n;
	} else {
		ssize_t got = rt_export_src_read(r, (uint8_t *)buffer, (size_t)len);

		if (got < 0)
			return -1;
		n = (size_t)got;
		base = r->consumed - n;
	}
	if (xml_scan(r, (const uint8_t *)buffer, n, base) != 0) {
		r->scan_refused = 1;
		return -1;
	}
	return (int)n;
}

static int
xml_close(void *ctx)
{
	(void)ctx;
	return 0;
}

static void
xml_error(void *arg, const char *msg, xmlParserSeverities severity,
    xmlTextReaderLocatorPtr locator)
{
	struct rt_export_reader *r = arg;
	char clean[160];
	size_t n = 0;

	if (severity != XML_PARSER_SEVERITY_ERROR &&
	    severity != XML_PARSER_SEVERITY_VALIDITY_ERROR)
		return;
	if (r->scan_refused) {
		(void)rt_export_fail(r, RT_ERR_XML_DTD,
		    "DTD, entity, comment, CDATA or processing instruction");
		return;
	}
	for (const char *p = msg; *p != '\0' && n < sizeof(clean) - 1; p++)
		clean[n++] = (*p == '\n' || *p == '\r') ? ' ' : *p;
	while (n > 0 && clean[n - 1] == ' ')
		n--;
	clean[n] = '\0';
	r->xml_line = xmlTextReaderLocatorLineNumber(locator);
	(void)rt_export_fail(r, RT_ERR_XML_PARSE, "%s", clean);
}

/* The next node that matters: its type, 0 at the end, or RT_ERR_*. */
static int
xml_step(struct rt_export_reader *r)
{
	for (;;) {
		int ret = xmlTextReaderRead(r->xr), t;

		if (r->scan_refused)
			return rt_export_fail(r, RT_ERR_XML_DTD,
			    "DTD, entity, comment, CDATA or processing instruction");
		if (ret < 0 || r->failed)
			return rt_export_fail(r, RT_ERR_XML_PARSE, "not well-formed XML");
		if (ret == 0)
			return 0;
		t = xmlTextReaderNodeType(r->xr);
		switch (t) {
		case XML_READER_TYPE_WHITESPACE:
		case XML_READER_TYPE_SIGNIFICANT_WHITESPACE:
			continue;
		case XML_READER_TYPE_ELEMENT:
		case XML_READER_TYPE_END_ELEMENT:
		case XML_READER_TYPE_TEXT:
			return t;
		default:
			return rt_export_fail(r, RT_ERR_XML_DTD, "unexpected XML node (type %d)", t);
		}
	}
}

/* Whether the current node is an element of ours named name at depth. */
static int
xml_is(struct rt_export_reader *r, const char *name, int depth)
{
	const xmlChar *ns = xmlTextReaderConstNamespaceUri(r->xr);
	const xmlChar *local = xmlTextReaderConstLocalName(r->xr);

	return xmlTextReaderDepth(r->xr) == depth && ns != NULL && local != NULL &&
	    strcmp((const char *)ns, RT_XML_NS) == 0 &&
	    strcmp((const char *)local, name) == 0;
}

static const char *
xml_name(struct rt_export_reader *r)
{
	const xmlChar *local = xmlTextReaderConstLocalName(r->xr);

	return local != NULL ? (const char *)local : "?";
}

/* The text of the simple element at the current node into out[cap]. */
static int
xml_text(struct rt_export_reader *r, char *out, size_t cap, int *nodes)
{
	size_t len = 0;
	int t;

	out[0] = '\0';
	if (xmlTextReaderHasAttributes(r->xr) == 1)
		return rt_export_fail(r, RT_ERR_SCHEMA, "attributes on <%s>", xml_name(r));
	if (xmlTextReaderIsEmptyElement(r->xr) == 1)
		return 0;
	for (;;) {
		if (++*nodes > RT_EXPORT_RECORD_NODES)
			return rt_export_fail(r, RT_ERR_TOO_BIG, "too many nodes in a record");
		if ((t = xml_step(r)) < 0)
			return t;
		if (t == XML_READER_TYPE_END_ELEMENT)
			return 0;
		if (t != XML_READER_TYPE_TEXT)
			return rt_export_fail(r, RT_ERR_SCHEMA, "element inside a simple value");
		{
			const xmlChar *v = xmlTextReaderConstValue(r->xr);
			size_t n = v != NULL ? strlen((const char *)v) : 0;

			if (n >= cap - len)
				return rt_export_fail(r, RT_ERR_TOO_BIG, "value too long");
			memcpy(out + len, v, n);
			len += n;
			out[len] = '\0';
		}
	}
}

static int
xml_header(struct rt_export_reader *r)
{
	static const char *const names[] = {"Issuer", "Partner", "Currency",
	    "PeriodStart", "PeriodEnd", "CreatedAt"};
	struct rt_export_header *h = &r->header;
	char text[TEXT_MAX];
	int t, nodes = 0, ret, seen_id = 0;

	if ((t = xml_step(r)) < 0)
		return t;
	if (t != XML_READER_TYPE_ELEMENT || !xml_is(r, "SettlementExport", 0))
		return rt_export_fail(r, RT_ERR_TYPE, "not a SettlementExport");
	while (xmlTextReaderMoveToNextAttribute(r->xr) == 1) {
		const char *name = (const char *)xmlTextReaderConstName(r->xr);
		const char *v = (const char *)xmlTextReaderConstValue(r->xr);

		if (xmlTextReaderIsNamespaceDecl(r->xr) == 1)
			continue;
		if (strcmp(name, "id") != 0 || v == NULL || strlen(v) >= sizeof(h->id))
			return rt_export_fail(r, RT_ERR_SCHEMA, "bad attribute on SettlementExport");
		memcpy(h->id, v, strlen(v) + 1);
		seen_id = 1;
	}
	(void)xmlTextReaderMoveToElement(r->xr);
	if (!seen_id || xmlTextReaderIsEmptyElement(r->xr) == 1)
		return rt_export_fail(r, RT_ERR_SCHEMA, "SettlementExport without id or content");
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if ((t = xml_step(r)) < 0)
			return t;
		if (t != XML_READER_TYPE_ELEMENT || !xml_is(r, names[i], 1))
			return rt_export_fail(r, RT_ERR_SCHEMA, "expected <%s>", names[i]);
		if ((ret = xml_text(r, text, sizeof(text), &nodes)) != 0)
			return ret;
		switch (i) {
		case 0:
		case 1:
		case 2:
			if (strlen(text) >= (i == 2 ? sizeof(h->currency) : RT_REALM_MAX))
				return rt_export_fail(r, RT_ERR_SCHEMA, "<%s> too long", names[i]);
			strcpy(i == 0 ? h->issuer : i == 1 ? h->partner : h->currency, text);
			break;
		default:
			if (rt_time_parse(text, i == 3 ? &h->period_start :
			    i == 4 ? &h->period_end : &h->created_at) != 0)
				return rt_export_fail(r, RT_ERR_SCHEMA, "bad <%s>", names[i]);
		}
		nodes = 0;
	}
	return rt_export_header_check(r);
}

int
rt_export_xml_open(struct rt_export_reader *r)
{
	r->xr = xmlReaderForIO(xml_read, xml_close, r, NULL, "UTF-8",
	    XML_PARSE_NONET | XML_PARSE_NOBLANKS | XML_PARSE_COMPACT);
	if (r->xr == NULL)
		return rt_export_fail(r, RT_ERR_NOMEM, "cannot start the XML reader");
	xmlTextReaderSetErrorHandler(r->xr, xml_error, r);
	return xml_header(r);
}

void
rt_export_xml_close(struct rt_export_reader *r)
{
	if (r->xr != NULL)
		xmlFreeTextReader(r->xr);
	r->xr = NULL;
}

enum {
	F_AGREEMENT, F_ASSERTION, F_SUBSCRIBER, F_HOME, F_VISITED, F_SERVICE,
	F_CALL_ID, F_START, F_END, F_QUANTITY, F_UNIT, F_FLAG, F_COUNT
};

static const struct {
	const char *name;
	int optional;
} record_fields[F_COUNT] = {
	{"AgreementRef", 0}, {"AssertionRef", 0}, {"Subscriber", 0},
	{"HomeRealm", 0}, {"VisitedRealm", 0}, {"Service", 0}, {"CallId", 1},
	{"Start", 0}, {"End", 0}, {"Quantity", 0}, {"Unit", 0}, {"Flag", 1},
};

static int
record_value(struct rt_export_reader *r, struct rt_export_item *item, int k,
    const char *text)
{
	struct rt_usage_record *u = &item->u;
	struct {
		char *out;
		size_t cap;
	} dst[F_COUNT] = {
		{u->agreement_ref, sizeof(u->agreement_ref)},
		{u->assertion_ref, sizeof(u->assertion_ref)},
		{u->subscriber, sizeof(u->subscriber)},
		{u->home, sizeof(u->home)}, {u->visited, sizeof(u->visited)},
		{u->service, sizeof(u->service)}, {u->call_id, sizeof(u->call_id)},
		{NULL, 0}, {NULL, 0}, {NULL, 0}, {u->unit, sizeof(u->unit)},
		{u->flags[u->nflags < RT_FLAGS_MAX ? u->nflags : 0], RT_SERVICE_MAX},
	};
	size_t n = strlen(text);

	if (k == F_START || k == F_END) {
		if (rt_export_time_parse(text, k == F_START ? &u->start : &u->end) != 0)
			return rt_export_fail(r, RT_ERR_SCHEMA, "bad <%s>", record_fields[k].name);
		return 0;
	}
	if (k == F_QUANTITY) {
		if (rt_xml_parse_u64(text, &u->quantity) != 0)
			return rt_export_fail(r, RT_ERR_SCHEMA, "bad <Quantity>");
		return 0;
	}
	if (k == F_FLAG && u->nflags >= RT_FLAGS_MAX)
		return rt_export_fail(r, RT_ERR_SCHEMA, "more than %d flags", RT_FLAGS_MAX);
	if (n >= dst[k].cap)
		return rt_export_fail(r, RT_ERR_TOO_BIG, "<%s> too long", record_fields[k].name);
	memcpy(dst[k].out, text, n + 1);
	if (k == F_FLAG)
		u->nflags++;
	return 0;
}

static int
record_attrs(struct rt_export_reader *r, struct rt_export_item *item)
{
	int seen_id = 0;

	while (xmlTextReaderMoveToNextAttribute(r->xr) == 1) {
		const char *name = (const char *)xmlTextReaderConstName(r->xr);
		const char *v = (const char *)xmlTextReaderConstValue(r->xr);

		if (xmlTextReaderIsNamespaceDecl(r->xr) == 1)
			continue;
		if (v == NULL)
			v = "";
		if (strcmp(name, "id") == 0 && strlen(v) < sizeof(item->u.id)) {
			memcpy(item->u.id, v, strlen(v) + 1);
			seen_id = 1;
		} else if (strcmp(name, "amountMinor") == 0) {
			if (rt_xml_parse_i64(v, &item->amount_minor) != 0)
				return rt_export_fail(r, RT_ERR_SCHEMA, "bad amountMinor");
			item->has_amount = 1;
		} else if (strcmp(name, "unpriced") == 0 && strlen(v) < sizeof(item->unpriced)) {
			memcpy(item->unpriced, v, strlen(v) + 1);
		} else
			return rt_export_fail(r, RT_ERR_SCHEMA, "bad attribute '%.32s' on UsageRecord", name);
	}
	(void)xmlTextReaderMoveToElement(r->xr);
	if (!seen_id)
		return rt_export_fail(r, RT_ERR_SCHEMA, "UsageRecord without id");
	return 0;
}

static int
xml_record(struct rt_export_reader *r, struct rt_export_item *item)
{
	char text[TEXT_MAX];
	const char *why;
	int pos = 0, nodes = 0, t, ret;

	rt_export_item_reset(item);
	item->where = ++r->nrecords;
	if ((ret = record_attrs(r, item)) != 0)
		return ret;
	if (xmlTextReaderIsEmptyElement(r->xr) == 1)
		return rt_export_fail(r, RT_ERR_SCHEMA, "empty UsageRecord");
	for (;;) {
		int k;

		if (++nodes > RT_EXPORT_RECORD_NODES)
			return rt_export_fail(r, RT_ERR_TOO_BIG, "too many nodes in a record");
		if ((t = xml_step(r)) < 0)
			return t;
		if (t == XML_READER_TYPE_END_ELEMENT)
			break;
		if (t != XML_READER_TYPE_ELEMENT)
			return rt_export_fail(r, RT_ERR_SCHEMA, "text in UsageRecord");
		/* the schema's order: skip optional fields, never a required one */
		for (k = pos; k < F_COUNT; k++) {
			if (xml_is(r, record_fields[k].name, 2))
				break;
			if (!record_fields[k].optional)
				return rt_export_fail(r, RT_ERR_SCHEMA, "expected <%s>, not <%s>",
				    record_fields[k].name, xml_name(r));
		}
		if (k == F_COUNT)
			return rt_export_fail(r, RT_ERR_SCHEMA, "unexpected <%s>", xml_name(r));
		if ((ret = xml_text(r, text, sizeof(text), &nodes)) != 0 ||
		    (ret = record_value(r, item, k, text)) != 0)
			return ret;
		pos = k == F_FLAG ? F_FLAG : k + 1;
	}
	for (int k = pos; k < F_COUNT; k++)
		if (!record_fields[k].optional)
			return rt_export_fail(r, RT_ERR_SCHEMA, "missing <%s>", record_fields[k].name);
	if (rt_export_item_check_cached(item, &why, &r->cache) != 0)
		return rt_export_fail(r, RT_ERR_SCHEMA, "%s", why);
	return 1;
}

static int
xml_total(struct rt_export_reader *r)
{
	struct rt_export_total *t;
	int seen = 0;

	if (r->ntotals >= RT_EXPORT_TOTALS_MAX)
		return rt_export_fail(r, RT_ERR_TOO_BIG, "more than %d totals", RT_EXPORT_TOTALS_MAX);
	t = &r->totals[r->ntotals];
	memset(t, 0, sizeof(*t));
	while (xmlTextReaderMoveToNextAttribute(r->xr) == 1) {
		const char *name = (const char *)xmlTextReaderConstName(r->xr);
		const char *v = (const char *)xmlTextReaderConstValue(r->xr);
		static const char *const names[] = {"service", "home", "visited", "unit",
		    "records", "quantity", "amountMinor", "unpricedRecords"};
		int k;

		if (xmlTextReaderIsNamespaceDecl(r->xr) == 1)
			continue;
		for (k = 0; k < 8; k++)
			if (strcmp(names[k], name) == 0)
				break;
		if (k == 8 || v == NULL || (seen & (1 << k)))
			return rt_export_fail(r, RT_ERR_SCHEMA, "bad attribute on Total");
		seen |= 1 << k;
		if ((k == 0 && (strlen(v) >= sizeof(t->service) || !rt_export_token_ok(v))) ||
		    (k == 1 && (strlen(v) >= sizeof(t->home) || !rt_realm_valid(v))) ||
		    (k == 2 && (strlen(v) >= sizeof(t->visited) || !rt_realm_valid(v))) ||
		    (k == 3 && !rt_export_unit_ok(v)) ||
		    (k == 4 && rt_xml_parse_u64(v, &t->records) != 0) ||
		    (k == 5 && rt_xml_parse_u64(v, &t->quantity) != 0) ||
		    (k == 6 && (rt_xml_parse_i64(v, &t->amount_minor) != 0 ||
		    t->amount_minor < -RT_AMOUNT_MAX || t->amount_minor > RT_AMOUNT_MAX)) ||
		    (k == 7 && rt_xml_parse_u64(v, &t->unpriced_records) != 0))
			return rt_export_fail(r, RT_ERR_SCHEMA, "bad %s on Total", names[k]);
		if (k <= 3)
			strcpy(k == 0 ? t->service : k == 1 ? t->home : k == 2 ? t->visited :
			    t->unit, v);
	}
	(void)xmlTextReaderMoveToElement(r->xr);
	if ((seen & 0x7f) != 0x7f || xmlTextReaderIsEmptyElement(r->xr) != 1)
		return rt_export_fail(r, RT_ERR_SCHEMA, "Total must be empty with all its attributes");
	r->ntotals++;
	return 0;
}

int
rt_export_xml_next(struct rt_export_reader *r, struct rt_export_item *item)
{
	int t, ret;

	for (;;) {
		if ((t = xml_step(r)) < 0)
			return t;
		if (t == XML_READER_TYPE_ELEMENT && !r->in_totals &&
		    xml_is(r, "UsageRecord", 1))
			return xml_record(r, item);
		if (t == XML_READER_TYPE_ELEMENT && xml_is(r, "Total", 1)) {
			r->in_totals = 1;
			if ((ret = xml_total(r)) != 0)
				return ret;
			continue;
		}
		if (t == XML_READER_TYPE_END_ELEMENT && xmlTextReaderDepth(r->xr) == 0) {
			if ((t = xml_step(r)) < 0)
				return t;
			if (t != 0)
				return rt_export_fail(r, RT_ERR_XML_PARSE, "content after the document");
			r->done = 1;
			return 0;
		}
		if (t == 0)
			return rt_export_fail(r, RT_ERR_XML_PARSE, "truncated document");
		return rt_export_fail(r, RT_ERR_SCHEMA, "unexpected <%s>", xml_name(r));
	}
}
