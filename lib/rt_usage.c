/*
 * UsageRecord, UsageBatch and the SettlementExport writer of rt_doc.h.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "rt_doc.h"
#include "rt_doc_field.h"
#include "rt_log.h"
#include "rt_msg.h"

#define USG(f) offsetof(struct rt_usage_record, f)
static const struct rt_field usage_fields[] = {
	{"AgreementRef", RT_FIELD_TEXT, USG(agreement_ref), RT_ID_MAX, 0, 0, 0},
	{"AssertionRef", RT_FIELD_TEXT, USG(assertion_ref), RT_ID_MAX, 0, 0, 0},
	{"Subscriber", RT_FIELD_TEXT, USG(subscriber), RT_URI_MAX, 0, 0, 0},
	{"HomeRealm", RT_FIELD_TEXT, USG(home), RT_REALM_MAX, 0, 0, 0},
	{"VisitedRealm", RT_FIELD_TEXT, USG(visited), RT_REALM_MAX, 0, 0, 0},
	{"Service", RT_FIELD_TEXT, USG(service), RT_SERVICE_MAX, 0, 0, 0},
	{"CallId", RT_FIELD_TEXT, USG(call_id), RT_TEXT_MAX, 1, 0, 0},
	{"Start", RT_FIELD_TIME, USG(start), 0, 0, 0, 0},
	{"End", RT_FIELD_TIME, USG(end), 0, 0, 0, 0},
	{"Quantity", RT_FIELD_U64, USG(quantity), 0, 0, 0, 0},
	{"Unit", RT_FIELD_TEXT, USG(unit), RT_UNIT_MAX, 0, 0, 0},
	{"Flag", RT_FIELD_LIST, USG(flags), RT_SERVICE_MAX, 0, RT_FLAGS_MAX,
	    USG(nflags)},
	RT_FIELD_END
};

/* attrs: more attributes for the start tag (" name=\"value\"..."), or "" */
static int
usage_record_write(const struct rt_usage_record *u, int indent, int standalone,
    const char *attrs, struct rt_buf *xml)
{
	int r;

	char start[RT_ID_MAX + 32 + 128];

	if (standalone) {
		if ((r = rt_doc_begin(xml, "UsageRecord", u->id, 1, indent)) != 0)
			return r;
	} else {
		/* the id is a UUID (schema), nothing to escape */
		if ((size_t)snprintf(start, sizeof(start), "<UsageRecord id=\"%s\"%s>",
		    u->id, attrs) >= sizeof(start))
			return RT_ERR_TOO_BIG;
		if ((r = rt_doc_line(xml, indent, start)) != 0)
			return r;
	}
	if ((r = rt_fields_write(xml, indent >= 0 ? indent + 2 : RT_COMPACT,
	    usage_fields, u, 0, NULL)) != 0)
		return r;
	return rt_doc_line(xml, indent, "</UsageRecord>");
}

int
rt_usage_record_encode(const struct rt_usage_record *u, struct rt_buf *xml)
{
	return usage_record_write(u, RT_COMPACT, 1, "", xml);
}

int
rt_usage_record_encode_element(const struct rt_usage_record *u, int indent,
    struct rt_buf *xml)
{
	return usage_record_write(u, indent, 0, "", xml);
}

int
rt_usage_record_from_node(xmlNodePtr node, struct rt_usage_record *u)
{
	const char *id = rt_xml_attr(node, "id");
	int r;

	memset(u, 0, sizeof(*u));
	if (id == NULL || strlen(id) >= sizeof(u->id))
		return RT_ERR_SCHEMA;
	memcpy(u->id, id, strlen(id) + 1);
	if ((r = rt_fields_read(node, usage_fields, u)) != 0)
		return r;
	return rt_sip_uri_valid(u->subscriber) ? 0 : RT_ERR_SCHEMA;
}

/* What the schema cannot say: the period makes sense. */
static int
usage_record_check(const struct rt_usage_record *u)
{
	if (u->end < u->start || strcmp(u->home, u->visited) == 0)
		return RT_ERR_BAD_INPUT;
	return 0;
}

int
rt_usage_record_decode(const struct rt_doc_ctx *ctx, const uint8_t *xml,
    size_t len, const uint8_t *sig, size_t siglen, struct rt_usage_record *u)
{
	struct rt_cms_signers signers;
	xmlDocPtr doc = NULL;
	int r;

	memset(u, 0, sizeof(*u));
	if ((r = rt_doc_open(ctx, "UsageRecord", xml, len, sig, siglen,
	    &signers, &doc)) != 0)
		return r;
	if ((r = rt_usage_record_from_node(xmlDocGetRootElement(doc), u)) != 0)
		goto out;
	if (signers.count != 1 || strcmp(signers.realm[0], u->visited) != 0) {
		r = RT_ERR_REALM;
		goto out;
	}
	if (ctx->self_realm != NULL && strcmp(ctx->self_realm, u->home) != 0 &&
	    strcmp(ctx->self_realm, u->visited) != 0) {
		r = RT_ERR_AUDIENCE;
		goto out;
	}
	r = usage_record_check(u);
 out:
	if (r != 0)
		memset(u, 0, sizeof(*u));
	xmlFreeDoc(doc);
	return r;
}

#define BAT(f) offsetof(struct rt_usage_batch, f)
static const struct rt_field batch_fields[] = {
	{"From", RT_FIELD_TEXT, BAT(from), RT_REALM_MAX, 0, 0, 0},
	{"To", RT_FIELD_TEXT, BAT(to), RT_REALM_MAX, 0, 0, 0},
	{"Sequence", RT_FIELD_U64, BAT(sequence), 0, 0, 0, 0},
	{"PrevHash", RT_FIELD_TEXT, BAT(prev_hash), 2 * RT_SHA256_LEN + 1, 0, 0, 0},
	{"CreatedAt", RT_FIELD_TIME, BAT(created_at), 0, 0, 0, 0},
	RT_FIELD_END
};

int
rt_usage_batch_encode(const struct rt_usage_batch *b, struct rt_buf *xml)
{
	int r;

	if (b->nrecords == 0 || b->nrecords > RT_BATCH_MAX)
		return RT_ERR_BAD_INPUT;
	/* compact: batches travel between brokers */
	if ((r = rt_doc_begin(xml, "UsageBatch", b->id, 1, RT_COMPACT)) != 0 ||
	    (r = rt_fields_write(xml, RT_COMPACT, batch_fields, b, 0, NULL)) != 0)
		return r;
	for (size_t i = 0; i < b->nrecords; i++)
		if ((r = rt_usage_record_encode_element(&b->records[i], RT_COMPACT,
		    xml)) != 0)
			return r;
	return rt_buf_append_str(xml, "</UsageBatch>");
}

void
rt_usage_batch_fini(struct rt_usage_batch *b)
{
	if (b == NULL)
		return;
	free(b->records);
	b->records = NULL;
	b->nrecords = 0;
}

/* The UsageRecord children of parent (1..RT_BATCH_MAX) into b->records. */
static int
usage_records_read(xmlNodePtr parent, struct rt_usage_batch *b)
{
	size_t count = 0;
	xmlNodePtr n;

	for (n = rt_xml_child(parent, "UsageRecord"); n != NULL; n = rt_xml_next(n))
		if (++count > RT_BATCH_MAX)
			return RT_ERR_TOO_BIG;
	if (count == 0)
		return RT_ERR_SCHEMA;
	if ((b->records = calloc(count, sizeof(*b->records))) == NULL)
		return RT_ERR_NOMEM;
	for (n = rt_xml_child(parent, "UsageRecord"); n != NULL; n = rt_xml_next(n)) {
		int r = rt_usage_record_from_node(n, &b->records[b->nrecords]);

		if (r != 0) {
			rt_usage_batch_fini(b);
			return r;
		}
		b->nrecords++;
	}
	return 0;
}

int
rt_usage_batch_from_xml(xmlDocPtr doc, struct rt_usage_batch *b)
{
	xmlNodePtr root = xmlDocGetRootElement(doc);
	const char *id = rt_xml_attr(root, "id");
	int r;

	memset(b, 0, sizeof(*b));
	if (id == NULL || strlen(id) >= sizeof(b->id))
		return RT_ERR_SCHEMA;
	memcpy(b->id, id, strlen(id) + 1);
	if ((r = rt_fields_read(root, batch_fields, b)) != 0)
		return r;
	return usage_records_read(root, b);
}

int
rt_usage_batch_decode(const struct rt_doc_ctx *ctx, const uint8_t *xml,
    size_t len, const uint8_t *sig, size_t siglen, struct rt_usage_batch *b)
{
	struct rt_cms_signers signers;
	xmlDocPtr doc = NULL;
	int r;

	memset(b, 0, sizeof(*b));
	if ((r = rt_doc_open(ctx, "UsageBatch", xml, len, sig, siglen, &signers,
	    &doc)) != 0)
		return r;
	if ((r = rt_usage_batch_from_xml(doc, b)) != 0)
		goto out;
	if (signers.count != 1 || strcmp(signers.realm[0], b->from) != 0) {
		r = RT_ERR_REALM;
		goto out;
	}
	if (ctx->self_realm != NULL && strcmp(ctx->self_realm, b->to) != 0) {
		r = RT_ERR_AUDIENCE;
		goto out;
	}
	for (size_t i = 0; i < b->nrecords && r == 0; i++) {
		const struct rt_usage_record *u = &b->records[i];

		if (strcmp(u->visited, b->from) != 0 || strcmp(u->home, b->to) != 0)
			r = RT_ERR_REALM;
		else
			r = usage_record_check(u);
		if (r != 0)
			log_info("event=batch_refused id=%s record=%s reason=%s",
			    b->id, u->id, rt_errname(r));
	}
 out:
	if (r != 0)
		rt_usage_batch_fini(b);
	xmlFreeDoc(doc);
	return r;
}

/* ---- UsageSubmit, UsageSubmitAck: agent to its broker ---- */

int
rt_usage_submit_encode(const struct rt_usage_record *records, size_t n,
    struct rt_buf *xml)
{
	int r;

	if (n == 0 || n > RT_BATCH_MAX)
		return RT_ERR_BAD_INPUT;
	if ((r = rt_doc_begin(xml, "UsageSubmit", NULL, 1, RT_COMPACT)) != 0)
		return r;
	for (size_t i = 0; i < n; i++)
		if ((r = rt_usage_record_encode_element(&records[i], RT_COMPACT,
		    xml)) != 0)
			return r;
	return rt_buf_append_str(xml, "</UsageSubmit>");
}

int
rt_usage_submit_from_xml(xmlDocPtr doc, struct rt_usage_batch *b)
{
	int r;

	memset(b, 0, sizeof(*b));
	if ((r = usage_records_read(xmlDocGetRootElement(doc), b)) != 0)
		return r;
	for (size_t i = 0; i < b->nrecords; i++) {
		if ((r = usage_record_check(&b->records[i])) != 0) {
			rt_usage_batch_fini(b);
			return r;
		}
	}
	return 0;
}

int
rt_usage_submit_ack_encode(const struct rt_usage_submit_ack *ack, struct rt_buf *xml)
{
	int r;

	if (ack->nrejected > RT_BATCH_MAX)
		return RT_ERR_BAD_INPUT;
	if ((r = rt_doc_begin(xml, "UsageSubmitAck", NULL, 1, RT_COMPACT)) != 0 ||
	    (r = rt_buf_printf(xml, "<Stored>%" PRIu32 "</Stored>", ack->stored)) != 0)
		return r;
	for (size_t i = 0; i < ack->nrejected; i++) {
		const struct rt_usage_reject *j = &ack->rejected[i];

		if (!rt_uuid_valid(j->ref))
			return RT_ERR_BAD_INPUT;
		/* tokens and UUIDs need no escaping; the schema checks the rest */
		if ((r = rt_buf_printf(xml, "<Rejected ref=\"%s\" reason=\"%s\"/>",
		    j->ref, j->reason)) != 0)
			return r;
	}
	return rt_buf_append_str(xml, "</UsageSubmitAck>");
}

int
rt_usage_submit_ack_from_xml(xmlDocPtr doc, struct rt_usage_submit_ack *ack)
{
	xmlNodePtr root = xmlDocGetRootElement(doc);
	const char *stored = rt_xml_text(rt_xml_child(root, "Stored"));
	char *end;
	unsigned long v;

	memset(ack, 0, sizeof(*ack));
	v = strtoul(stored, &end, 10);
	if (*stored == '\0' || *end != '\0' || v > UINT32_MAX)
		return RT_ERR_SCHEMA;
	ack->stored = (uint32_t)v;
	for (xmlNodePtr n = rt_xml_child(root, "Rejected"); n != NULL;
	    n = rt_xml_next(n)) {
		struct rt_usage_reject *j = &ack->rejected[ack->nrejected];
		const char *ref = rt_xml_attr(n, "ref"), *reason = rt_xml_attr(n, "reason");

		if (ack->nrejected >= RT_BATCH_MAX)
			return RT_ERR_TOO_BIG;
		if (ref == NULL || reason == NULL || strlen(ref) >= sizeof(j->ref) ||
		    strlen(reason) >= sizeof(j->reason))
			return RT_ERR_SCHEMA;
		memcpy(j->ref, ref, strlen(ref) + 1);
		memcpy(j->reason, reason, strlen(reason) + 1);
		ack->nrejected++;
	}
	return 0;
}

/* ---- SettlementExport ---- */

#define EXP(f) offsetof(struct rt_export_header, f)
static const struct rt_field export_fields[] = {
	{"Issuer", RT_FIELD_TEXT, EXP(issuer), RT_REALM_MAX, 0, 0, 0},
	{"Partner", RT_FIELD_TEXT, EXP(partner), RT_REALM_MAX, 0, 0, 0},
	{"Currency", RT_FIELD_TEXT, EXP(currency), 4, 0, 0, 0},
	{"PeriodStart", RT_FIELD_TIME, EXP(period_start), 0, 0, 0, 0},
	{"PeriodEnd", RT_FIELD_TIME, EXP(period_end), 0, 0, 0, 0},
	{"CreatedAt", RT_FIELD_TIME, EXP(created_at), 0, 0, 0, 0},
	RT_FIELD_END
};

int
rt_export_encode_begin(const struct rt_export_header *h, struct rt_buf *xml)
{
	int r;

	if ((r = rt_doc_begin(xml, "SettlementExport", h->id, 1, 0)) != 0)
		return r;
	return rt_fields_write(xml, 2, export_fields, h, 0, NULL);
}

int
rt_export_encode_record(const struct rt_usage_record *u, struct rt_buf *xml)
{
	return rt_usage_record_encode_element(u, 2, xml);
}

int
rt_export_encode_priced_record(const struct rt_usage_record *u,
    int64_t amount_minor, const char *unpriced, struct rt_buf *xml)
{
	char attrs[128];
	int n;

	/* unpriced is a token (schema): nothing to escape, but check it */
	if (unpriced != NULL && *unpriced != '\0') {
		for (const char *p = unpriced; *p != '\0'; p++)
			if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
			    *p == '-'))
				return RT_ERR_BAD_INPUT;
		n = snprintf(attrs, sizeof(attrs), " amountMinor=\"%" PRId64
		    "\" unpriced=\"%s\"", amount_minor, unpriced);
	} else
		n = snprintf(attrs, sizeof(attrs), " amountMinor=\"%" PRId64 "\"",
		    amount_minor);
	if (n < 0 || (size_t)n >= sizeof(attrs))
		return RT_ERR_BAD_INPUT;
	return usage_record_write(u, 2, 0, attrs, xml);
}

int
rt_export_encode_end(const struct rt_export_total *totals, size_t ntotals,
    struct rt_buf *xml)
{
	int r;

	if (ntotals > RT_EXPORT_TOTALS_MAX)
		return RT_ERR_TOO_BIG;
	for (size_t i = 0; i < ntotals; i++) {
		const struct rt_export_total *t = &totals[i];

		if ((r = rt_buf_append_str(xml, "  <Total service=\"")) != 0 ||
		    (r = rt_buf_append_xml(xml, t->service)) != 0 ||
		    (r = rt_buf_append_str(xml, "\" home=\"")) != 0 ||
		    (r = rt_buf_append_xml(xml, t->home)) != 0 ||
		    (r = rt_buf_append_str(xml, "\" visited=\"")) != 0 ||
		    (r = rt_buf_append_xml(xml, t->visited)) != 0 ||
		    (r = rt_buf_append_str(xml, "\" unit=\"")) != 0 ||
		    (r = rt_buf_append_xml(xml, t->unit)) != 0 ||
		    (r = rt_buf_printf(xml,
		    "\" records=\"%" PRIu64 "\" quantity=\"%" PRIu64
		    "\" amountMinor=\"%" PRId64 "\"",
		    t->records, t->quantity, t->amount_minor)) != 0 ||
		    (t->unpriced_records > 0 && (r = rt_buf_printf(xml,
		    " unpricedRecords=\"%" PRIu64 "\"", t->unpriced_records)) != 0) ||
		    (r = rt_buf_append_str(xml, "/>\n")) != 0)
			return r;
	}
	return rt_buf_append_str(xml, "</SettlementExport>\n");
}

int
rt_export_header_from_xml(xmlDocPtr doc, struct rt_export_header *h)
{
	xmlNodePtr root = xmlDocGetRootElement(doc);
	const char *id = rt_xml_attr(root, "id");

	memset(h, 0, sizeof(*h));
	if (id == NULL || strlen(id) >= sizeof(h->id))
		return RT_ERR_SCHEMA;
	memcpy(h->id, id, strlen(id) + 1);
	return rt_fields_read(root, export_fields, h);
}
