#include "rt_doc.h"

#include <stdio.h>
#include <string.h>

#include "rt_doc_field.h"
#include "rt_log.h"

int
rt_doc_parse_verified(const char *root_name, const uint8_t *xml, size_t len,
    size_t max, xmlDocPtr *docp)
{
	char err[256];
	xmlDocPtr doc = NULL;
	int r;

	*docp = NULL;
	if ((r = rt_xml_parse(xml, len, max, &doc)) != 0) {
		log_info("event=document_refused type=%s reason=%s", root_name,
		    rt_errname(r));
		return r;
	}
	if ((r = rt_xml_validate(doc, root_name, err, sizeof(err))) != 0) {
		char esc[300];

		log_info("event=document_refused type=%s reason=%s detail=%s",
		    root_name, rt_errname(r), rt_log_value(err, esc, sizeof(esc)));
		xmlFreeDoc(doc);
		return r;
	}
	*docp = doc;
	return 0;
}

/* The signature half of rt_doc_open. */
static int
doc_verify(const struct rt_doc_ctx *ctx, const char *root_name,
    const uint8_t *xml, size_t len, const uint8_t *sig, size_t siglen,
    struct rt_cms_signers *signers)
{
	size_t max = ctx->max_size ? ctx->max_size : RT_XML_MAX;
	int r;

	/* Cheap refusals first: no signature check for an oversize blob. */
	if (len > max)
		return RT_ERR_TOO_BIG;
	if ((r = rt_cms_verify(ctx->trust, xml, len, sig, siglen, ctx->now,
	    signers)) != 0) {
		log_info("event=document_refused type=%s reason=%s", root_name,
		    rt_errname(r));
		return r;
	}
	return 0;
}

int
rt_doc_open(const struct rt_doc_ctx *ctx, const char *root_name,
    const uint8_t *xml, size_t len, const uint8_t *sig, size_t siglen,
    struct rt_cms_signers *signers, xmlDocPtr *docp)
{
	int r;

	*docp = NULL;
	if ((r = doc_verify(ctx, root_name, xml, len, sig, siglen, signers)) != 0)
		return r;
	return rt_doc_parse_verified(root_name, xml, len,
	    ctx->max_size ? ctx->max_size : RT_XML_MAX, docp);
}

int
rt_doc_check_window(const struct rt_doc_ctx *ctx, time_t not_before,
    time_t not_on_or_after)
{
	if (ctx->now + ctx->skew < not_before)
		return RT_ERR_NOT_YET_VALID;
	if (ctx->now - ctx->skew >= not_on_or_after)
		return RT_ERR_EXPIRED;
	return 0;
}

int
rt_identity_valid(const char *s)
{
	if (*s == '\0')
		return 0;
	for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++)
		if (*p <= ' ' || *p == 0x7f || *p == '"' || *p == '<' || *p == '>')
			return 0;
	return 1;
}

int
rt_sip_uri_valid(const char *s)
{
	if (strncmp(s, "sip:", 4) != 0 && strncmp(s, "sips:", 5) != 0 &&
	    strncmp(s, "tel:", 4) != 0)
		return 0;
	return rt_identity_valid(strchr(s, ':') + 1);
}

int
rt_services_contain(const char (*services)[RT_SERVICE_MAX], int n,
    const char *name)
{
	for (int i = 0; i < n; i++)
		if (strcmp(services[i], name) == 0)
			return 1;
	return 0;
}

/* ---- RoamingAgreement ---- */

#define AGR(f) offsetof(struct rt_agreement, f)
static const struct rt_field agreement_fields[] = {
	{"Home", RT_FIELD_TEXT, AGR(home), RT_REALM_MAX, 0, 0, 0},
	{"Visited", RT_FIELD_TEXT, AGR(visited), RT_REALM_MAX, 0, 0, 0},
	{"Currency", RT_FIELD_TEXT, AGR(currency), 4, 0, 0, 0},
	{"Service", RT_FIELD_CUSTOM, 0, 0, 0, 0, 0},
	{"MaxAssertionSeconds", RT_FIELD_U32, AGR(max_assertion), 0, 0, 0, 0},
	{"NotBefore", RT_FIELD_TIME, AGR(not_before), 0, 0, 0, 0},
	{"NotOnOrAfter", RT_FIELD_TIME, AGR(not_on_or_after), 0, 0, 0, 0},
	RT_FIELD_END
};

int
rt_agreement_encode(const struct rt_agreement *a, struct rt_buf *xml)
{
	size_t next;
	int r;

	if ((r = rt_doc_begin(xml, "RoamingAgreement", a->id, 1, 0)) != 0 ||
	    (r = rt_fields_write(xml, 2, agreement_fields, a, 0, &next)) != 0)
		return r;
	for (int i = 0; i < a->nservices; i++) {
		const struct rt_agreement_service *s = &a->services[i];

		if ((r = rt_buf_append_str(xml, "  <Service name=\"")) != 0 ||
		    (r = rt_buf_append_xml(xml, s->name)) != 0 ||
		    (r = rt_buf_append_str(xml, "\" unit=\"")) != 0 ||
		    (r = rt_buf_append_xml(xml, s->unit)) != 0 ||
		    (r = rt_buf_printf(xml, "\" rate=\"%u\"/>\n", s->rate)) != 0)
			return r;
	}
	if ((r = rt_fields_write(xml, 2, agreement_fields, a, next + 1, NULL)) != 0)
		return r;
	return rt_buf_append_str(xml, "</RoamingAgreement>\n");
}

int
rt_agreement_from_xml(xmlDocPtr doc, struct rt_agreement *a)
{
	xmlNodePtr root = xmlDocGetRootElement(doc);
	const char *id = rt_xml_attr(root, "id");
	int r;

	memset(a, 0, sizeof(*a));
	if (id == NULL || strlen(id) >= sizeof(a->id))
		return RT_ERR_SCHEMA;
	memcpy(a->id, id, strlen(id) + 1);
	if ((r = rt_fields_read(root, agreement_fields, a)) != 0)
		return r;
	for (xmlNodePtr s = rt_xml_child(root, "Service"); s != NULL;
	    s = rt_xml_next(s)) {
		struct rt_agreement_service *svc;
		const char *name = rt_xml_attr(s, "name");
		const char *unit = rt_xml_attr(s, "unit");
		const char *rate = rt_xml_attr(s, "rate");
		uint64_t v;

		if (a->nservices >= RT_SERVICES_MAX || name == NULL || unit == NULL ||
		    rate == NULL || strlen(name) >= RT_SERVICE_MAX ||
		    strlen(unit) >= RT_UNIT_MAX || rt_xml_parse_u64(rate, &v) != 0 ||
		    v > UINT32_MAX)
			return RT_ERR_SCHEMA;
		svc = &a->services[a->nservices++];
		memcpy(svc->name, name, strlen(name) + 1);
		memcpy(svc->unit, unit, strlen(unit) + 1);
		svc->rate = (uint32_t)v;
	}
	return 0;
}

const struct rt_agreement_service *
rt_agreement_service(const struct rt_agreement *a, const char *name)
{
	for (int i = 0; i < a->nservices; i++)
		if (strcmp(a->services[i].name, name) == 0)
			return &a->services[i];
	return NULL;
}

int
rt_agreement_decode(const struct rt_doc_ctx *ctx, const uint8_t *xml,
    size_t len, const uint8_t *sig, size_t siglen, struct rt_agreement *a)
{
	struct rt_cms_signers signers;
	xmlDocPtr doc = NULL;
	int r;

	memset(a, 0, sizeof(*a));
	if ((r = rt_doc_open(ctx, "RoamingAgreement", xml, len, sig, siglen,
	    &signers, &doc)) != 0)
		return r;
	if ((r = rt_agreement_from_xml(doc, a)) != 0)
		goto out;
	if (strcmp(a->home, a->visited) == 0) {
		r = RT_ERR_REALM;
		goto out;
	}
	for (int i = 0; i < signers.count; i++) {
		if (strcmp(signers.realm[i], a->home) != 0 &&
		    strcmp(signers.realm[i], a->visited) != 0) {
			log_info("event=agreement_refused id=%s reason=realm signer=%s",
			    a->id, signers.realm[i]);
			r = RT_ERR_REALM;
			goto out;
		}
	}
	if (!rt_cms_signed_by(&signers, a->home) ||
	    !rt_cms_signed_by(&signers, a->visited)) {
		log_info("event=agreement_refused id=%s reason=signers missing=%s",
		    a->id, rt_cms_signed_by(&signers, a->home) ? a->visited : a->home);
		r = RT_ERR_SIGNERS;
		goto out;
	}
	if (ctx->self_realm != NULL && strcmp(ctx->self_realm, a->home) != 0 &&
	    strcmp(ctx->self_realm, a->visited) != 0) {
		r = RT_ERR_AUDIENCE;
		goto out;
	}
	r = rt_doc_check_window(ctx, a->not_before, a->not_on_or_after);
 out:
	if (r != 0)
		memset(a, 0, sizeof(*a));
	xmlFreeDoc(doc);
	return r;
}

/* ---- RealmDescriptor ---- */

#define DSC(f) offsetof(struct rt_realm_descriptor, f)
static const struct rt_field descriptor_fields[] = {
	{"Realm", RT_FIELD_TEXT, DSC(realm), RT_REALM_MAX, 0, 0, 0},
	{"Serial", RT_FIELD_U64, DSC(serial), 0, 0, 0, 0},
	{"Endpoint", RT_FIELD_LIST, DSC(endpoints), RT_URI_MAX, 0,
	    RT_ENDPOINTS_MAX, DSC(nendpoints)},
	{"Service", RT_FIELD_LIST, DSC(services), RT_SERVICE_MAX, 0,
	    RT_SERVICES_MAX, DSC(nservices)},
	{"IssuedAt", RT_FIELD_TIME, DSC(issued_at), 0, 0, 0, 0},
	{"NotOnOrAfter", RT_FIELD_TIME, DSC(not_on_or_after), 0, 0, 0, 0},
	RT_FIELD_END
};

int
rt_descriptor_encode_element(const struct rt_realm_descriptor *d,
    struct rt_buf *xml)
{
	int r;

	if ((r = rt_doc_begin(xml, "RealmDescriptor", NULL, 0, RT_COMPACT)) != 0 ||
	    (r = rt_fields_write(xml, RT_COMPACT, descriptor_fields, d, 0, NULL)) != 0)
		return r;
	return rt_buf_append_str(xml, "</RealmDescriptor>");
}

int
rt_descriptor_encode(const struct rt_realm_descriptor *d, struct rt_buf *xml)
{
	int r;

	if ((r = rt_buf_append_str(xml, RT_XML_DECL)) != 0)
		return r;
	return rt_descriptor_encode_element(d, xml);
}

int
rt_descriptor_from_node(xmlNodePtr node, struct rt_realm_descriptor *d)
{
	memset(d, 0, sizeof(*d));
	return rt_fields_read(node, descriptor_fields, d);
}

int
rt_descriptor_decode(const struct rt_doc_ctx *ctx, const uint8_t *xml,
    size_t len, const uint8_t *sig, size_t siglen, struct rt_realm_descriptor *d)
{
	struct rt_cms_signers signers;
	xmlDocPtr doc = NULL;
	int r;

	memset(d, 0, sizeof(*d));
	if ((r = rt_doc_open(ctx, "RealmDescriptor", xml, len, sig, siglen,
	    &signers, &doc)) != 0)
		return r;
	if ((r = rt_descriptor_from_node(xmlDocGetRootElement(doc), d)) != 0)
		goto out;
	if (signers.count != 1 || strcmp(signers.realm[0], d->realm) != 0) {
		r = RT_ERR_REALM;
		goto out;
	}
	r = rt_doc_check_window(ctx, d->issued_at, d->not_on_or_after);
 out:
	if (r != 0)
		memset(d, 0, sizeof(*d));
	xmlFreeDoc(doc);
	return r;
}

/* ---- SubscriberAssertion ---- */

#define ASN(f) offsetof(struct rt_assertion, f)
static const struct rt_field assertion_fields[] = {
	{"Issuer", RT_FIELD_TEXT, ASN(issuer), RT_REALM_MAX, 0, 0, 0},
	{"Audience", RT_FIELD_TEXT, ASN(audience), RT_REALM_MAX, 0, 0, 0},
	{"Subject", RT_FIELD_CUSTOM, 0, 0, 0, 0, 0},
	{"Service", RT_FIELD_LIST, ASN(services), RT_SERVICE_MAX, 0,
	    RT_SERVICES_MAX, ASN(nservices)},
	{"AuthnMethod", RT_FIELD_TEXT, ASN(authn_method), RT_UNIT_MAX, 0, 0, 0},
	{"AuthnInstant", RT_FIELD_TIME, ASN(authn_instant), 0, 0, 0, 0},
	{"IssuedAt", RT_FIELD_TIME, ASN(issued_at), 0, 0, 0, 0},
	{"NotOnOrAfter", RT_FIELD_TIME, ASN(not_on_or_after), 0, 0, 0, 0},
	{"AgreementRef", RT_FIELD_TEXT, ASN(agreement_ref), RT_ID_MAX, 0, 0, 0},
	RT_FIELD_END
};

static const struct rt_field subject_fields[] = {
	{"PublicIdentity", RT_FIELD_TEXT, ASN(public_id), RT_URI_MAX, 0, 0, 0},
	{"PrivateIdentity", RT_FIELD_TEXT, ASN(private_id), RT_URI_MAX, 0, 0, 0},
	RT_FIELD_END
};

int
rt_assertion_encode_element(const struct rt_assertion *a, struct rt_buf *xml)
{
	size_t next;
	int r;

	/* compact: assertions travel in frames and are parsed per request */
	if ((r = rt_doc_begin(xml, "SubscriberAssertion", a->id, 0, RT_COMPACT)) != 0 ||
	    (r = rt_fields_write(xml, RT_COMPACT, assertion_fields, a, 0, &next)) != 0 ||
	    (r = rt_buf_append_str(xml, "<Subject>")) != 0 ||
	    (r = rt_fields_write(xml, RT_COMPACT, subject_fields, a, 0, NULL)) != 0 ||
	    (r = rt_buf_append_str(xml, "</Subject>")) != 0 ||
	    (r = rt_fields_write(xml, RT_COMPACT, assertion_fields, a, next + 1,
	    NULL)) != 0)
		return r;
	return rt_buf_append_str(xml, "</SubscriberAssertion>");
}

int
rt_assertion_encode(const struct rt_assertion *a, struct rt_buf *xml)
{
	int r;

	if ((r = rt_buf_append_str(xml, RT_XML_DECL)) != 0)
		return r;
	return rt_assertion_encode_element(a, xml);
}

/* What the schema cannot say of the subject's identities. */
static int
assertion_subject_check(const struct rt_assertion *a)
{
	if (!rt_sip_uri_valid(a->public_id) || !rt_identity_valid(a->private_id))
		return RT_ERR_SCHEMA;
	return 0;
}

int
rt_assertion_from_node(xmlNodePtr node, struct rt_assertion *a)
{
	const char *id = rt_xml_attr(node, "id");
	int r;

	memset(a, 0, sizeof(*a));
	if (id == NULL || strlen(id) >= sizeof(a->id))
		return RT_ERR_SCHEMA;
	memcpy(a->id, id, strlen(id) + 1);
	if ((r = rt_fields_read(node, assertion_fields, a)) != 0 ||
	    (r = rt_fields_read(rt_xml_child(node, "Subject"), subject_fields, a)) != 0)
		return r;
	return assertion_subject_check(a);
}

int
rt_assertion_read_fast(const uint8_t *xml, size_t len, struct rt_assertion *a)
{
	struct rt_scan s = {(const char *)xml, (const char *)xml + len};

	if (!rt_scan_lit(&s, RT_XML_DECL) || rt_assertion_scan(&s, a) != 0 ||
	    s.p != s.end) {
		memset(a, 0, sizeof(*a));
		return -1;
	}
	return 0;
}

int
rt_assertion_scan(struct rt_scan *s, struct rt_assertion *a)
{
	const char *q;
	size_t next;

	memset(a, 0, sizeof(*a));
	if (!rt_scan_lit(s, "<SubscriberAssertion xmlns=\"" RT_XML_NS "\" id=\""))
		return -1;
	for (q = s->p; q < s->end && *q != '"'; q++)
		;
	if (q >= s->end || !rt_scan_text_ok("id", s->p, (size_t)(q - s->p)))
		return -1;
	memcpy(a->id, s->p, (size_t)(q - s->p));
	s->p = q;
	if (!rt_scan_lit(s, "\">") ||
	    rt_fields_scan(s, assertion_fields, a, 0, &next) != 0 ||
	    !rt_scan_lit(s, "<Subject>") ||
	    rt_fields_scan(s, subject_fields, a, 0, NULL) != 0 ||
	    !rt_scan_lit(s, "</Subject>") ||
	    rt_fields_scan(s, assertion_fields, a, next + 1, NULL) != 0 ||
	    !rt_scan_lit(s, "</SubscriberAssertion>") ||
	    assertion_subject_check(a) != 0)
		return -1;
	return 0;
}

int
rt_assertion_check(const struct rt_doc_ctx *ctx,
    const struct rt_cms_signers *signers, const struct rt_assertion *a)
{
	if (signers->count != 1 || strcmp(signers->realm[0], a->issuer) != 0)
		return RT_ERR_REALM;
	if (ctx->self_realm != NULL && strcmp(ctx->self_realm, a->audience) != 0)
		return RT_ERR_AUDIENCE;
	return rt_doc_check_window(ctx, a->issued_at, a->not_on_or_after);
}

int
rt_assertion_decode(const struct rt_doc_ctx *ctx, const uint8_t *xml,
    size_t len, const uint8_t *sig, size_t siglen, struct rt_assertion *a)
{
	struct rt_cms_signers signers;
	xmlDocPtr doc = NULL;
	int r;

	memset(a, 0, sizeof(*a));
	if ((r = doc_verify(ctx, "SubscriberAssertion", xml, len, sig, siglen,
	    &signers)) != 0)
		return r;
	/* the canonical form without a tree (rt_doc_field.h), else libxml2 */
	if (rt_assertion_read_fast(xml, len, a) != 0) {
		if ((r = rt_doc_parse_verified("SubscriberAssertion", xml, len,
		    ctx->max_size ? ctx->max_size : RT_XML_MAX, &doc)) != 0)
			return r;
		r = rt_assertion_from_node(xmlDocGetRootElement(doc), a);
	}
	if (r == 0 && (r = rt_assertion_check(ctx, &signers, a)) != 0)
		log_info("event=assertion_refused id=%s reason=%s", a->id,
		    rt_errname(r));
	if (r != 0)
		memset(a, 0, sizeof(*a));
	xmlFreeDoc(doc);
	return r;
}
