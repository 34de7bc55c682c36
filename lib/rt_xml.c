#include "rt_xml.h"

#include <errno.h>
#include <inttypes.h>
#include <libxml/parser.h>
#include <libxml/xmlerror.h>
#include <libxml/xmlschemas.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rt_codec.h"
#include "rt_embed.h"
#include "rt_log.h"

#define SCHEMA_FILE "roamtrust.xsd"

static pthread_once_t xml_once = PTHREAD_ONCE_INIT;
static int xml_init_result = RT_ERR_INTERNAL;
static xmlSchemaPtr xml_schema;
static pthread_key_t xml_tls_key;

/* Per-thread contexts: created on first use, freed when the thread ends. */
struct xml_tls {
	xmlParserCtxtPtr parser;
	xmlSchemaValidCtxtPtr valid;
};

static void
xml_tls_free(void *p)
{
	struct xml_tls *tls = p;

	if (tls == NULL)
		return;
	if (tls->parser != NULL)
		xmlFreeParserCtxt(tls->parser);
	if (tls->valid != NULL)
		xmlSchemaFreeValidCtxt(tls->valid);
	free(tls);
}

/* Swallows libxml2's generic error output; errors are read structurally. */
static void
xml_silent(void *ctx, const char *msg, ...)
{
	(void)ctx;
	(void)msg;
}

static void
xml_init_once(void)
{
	const struct rt_embedded_file *f;
	xmlSchemaParserCtxtPtr pctxt = NULL;

	xmlInitParser();
	xmlSetGenericErrorFunc(NULL, xml_silent);
	/* Never fetch anything, even if asked by a schema. */
	xmlSetExternalEntityLoader(xmlNoNetExternalEntityLoader);
	if (pthread_key_create(&xml_tls_key, xml_tls_free) != 0)
		return;
	for (f = rt_schema_files; f->name != NULL; f++)
		if (strcmp(f->name, SCHEMA_FILE) == 0)
			break;
	if (f->name == NULL) {
		log_err("event=schema_missing name=%s", SCHEMA_FILE);
		return;
	}
	if ((pctxt = xmlSchemaNewMemParserCtxt((const char *)f->data,
	    (int)f->len)) == NULL)
		return;
	xml_schema = xmlSchemaParse(pctxt);
	xmlSchemaFreeParserCtxt(pctxt);
	if (xml_schema == NULL) {
		log_err("event=schema_compile_failed name=%s", SCHEMA_FILE);
		return;
	}
	xml_init_result = 0;
}

int
rt_xml_init(void)
{
	if (pthread_once(&xml_once, xml_init_once) != 0)
		return RT_ERR_INTERNAL;
	return xml_init_result;
}

static struct xml_tls *
xml_tls_get(void)
{
	struct xml_tls *tls = pthread_getspecific(xml_tls_key);

	if (tls != NULL)
		return tls;
	if ((tls = calloc(1, sizeof(*tls))) == NULL)
		return NULL;
	tls->parser = xmlNewParserCtxt();
	tls->valid = xmlSchemaNewValidCtxt(xml_schema);
	if (tls->parser == NULL || tls->valid == NULL ||
	    pthread_setspecific(xml_tls_key, tls) != 0) {
		xml_tls_free(tls);
		return NULL;
	}
	return tls;
}

/*
 * Refuses markup declarations before libxml2 sees them: roamtrust
 * documents never have a DOCTYPE, so none is allowed anywhere, nor a
 * processing instruction other than the XML declaration.
 */
static int
xml_prescan(const uint8_t *data, size_t len)
{
	for (size_t i = 0; i + 1 < len; i++) {
		const uint8_t *lt = memchr(data + i, '<', len - i - 1);

		if (lt == NULL)
			break;
		i = (size_t)(lt - data);
		if (data[i + 1] == '!') {
			if (len - i >= 4 && memcmp(data + i, "<!--", 4) == 0)
				continue;
			if (len - i >= 9 && memcmp(data + i, "<![CDATA[", 9) == 0)
				continue;
			return RT_ERR_XML_DTD;
		}
		if (data[i + 1] == '?' && i != 0)
			return RT_ERR_XML_DTD;
	}
	return 0;
}

/* Depth and node count of the tree, iteratively (no recursion on input). */
static int
xml_check_shape(xmlDocPtr doc)
{
	xmlNodePtr node = xmlDocGetRootElement(doc);
	size_t depth = 1, nodes = 0;

	while (node != NULL) {
		if (++nodes > RT_XML_MAX_NODES)
			return RT_ERR_TOO_BIG;
		if (node->type == XML_ENTITY_REF_NODE || node->type == XML_DTD_NODE ||
		    node->type == XML_ENTITY_DECL)
			return RT_ERR_XML_DTD;
		/*
		 * Our documents carry no comments or processing instructions;
		 * refusing them keeps every simple element one text node, the
		 * same text the schema validated.
		 */
		if (node->type == XML_COMMENT_NODE || node->type == XML_PI_NODE)
			return RT_ERR_XML_PARSE;
		if (node->children != NULL && node->type == XML_ELEMENT_NODE) {
			if (++depth > RT_XML_MAX_DEPTH)
				return RT_ERR_TOO_DEEP;
			node = node->children;
			continue;
		}
		while (node != NULL && node->next == NULL) {
			node = node->parent;
			if (node == NULL || node->type == XML_DOCUMENT_NODE)
				return 0;
			depth--;
		}
		if (node != NULL)
			node = node->next;
	}
	return 0;
}

int
rt_xml_parse(const uint8_t *data, size_t len, size_t max, xmlDocPtr *docp)
{
	struct xml_tls *tls;
	xmlDocPtr doc = NULL;
	int r;

	*docp = NULL;
	if (max == 0)
		max = RT_XML_MAX;
	if (len > max || len > INT32_MAX)
		return RT_ERR_TOO_BIG;
	if ((r = rt_xml_init()) != 0)
		return r;
	if ((r = xml_prescan(data, len)) != 0)
		return r;
	if ((tls = xml_tls_get()) == NULL)
		return RT_ERR_NOMEM;
	/*
	 * No XML_PARSE_NOENT (no entity substitution), no DTDLOAD/DTDATTR,
	 * no XINCLUDE, no HUGE (libxml2 keeps its own limits too).
	 */
	doc = xmlCtxtReadMemory(tls->parser, (const char *)data, (int)len, NULL,
	    NULL, XML_PARSE_NONET | XML_PARSE_NOCDATA | XML_PARSE_COMPACT |
	    XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	if (doc == NULL) {
		const xmlError *e = xmlCtxtGetLastError(tls->parser);

		if (e != NULL && e->code == XML_ERR_INTERNAL_ERROR &&
		    e->message != NULL && strstr(e->message, "depth") != NULL)
			r = RT_ERR_TOO_DEEP;
		else
			r = RT_ERR_XML_PARSE;
		log_debug("event=xml_parse_failed line=%d error=\"%.80s\"",
		    e != NULL ? e->line : 0,
		    e != NULL && e->message != NULL ? e->message : "");
		xmlCtxtReset(tls->parser);
		return r;
	}
	xmlCtxtReset(tls->parser);
	if (doc->intSubset != NULL || doc->extSubset != NULL) {
		r = RT_ERR_XML_DTD;
		goto out;
	}
	/* UTF-8 only (the default); a declared other encoding is refused */
	if (doc->encoding != NULL &&
	    xmlStrcasecmp(doc->encoding, (const xmlChar *)"UTF-8") != 0) {
		r = RT_ERR_XML_PARSE;
		goto out;
	}
	if ((r = xml_check_shape(doc)) != 0)
		goto out;
	*docp = doc;
	doc = NULL;
 out:
	xmlFreeDoc(doc);
	return r;
}

struct valid_error {
	char *buf;
	size_t cap;
	int seen;
};

static void
valid_error_cb(void *user, xmlErrorPtr error)
{
	struct valid_error *ve = user;
	size_t n;

	if (ve->seen++ || ve->buf == NULL || ve->cap == 0 || error == NULL)
		return;
	snprintf(ve->buf, ve->cap, "line %d: %s", error->line,
	    error->message != NULL ? error->message : "invalid");
	n = strlen(ve->buf);
	while (n > 0 && (ve->buf[n - 1] == '\n' || ve->buf[n - 1] == ' '))
		ve->buf[--n] = '\0';
}

int
rt_xml_validate(xmlDocPtr doc, const char *root_name, char *err, size_t errcap)
{
	struct valid_error ve = {err, errcap, 0};
	xmlNodePtr root = xmlDocGetRootElement(doc);
	struct xml_tls *tls;
	int rc;

	if (err != NULL && errcap > 0)
		err[0] = '\0';
	if (root == NULL || root->ns == NULL ||
	    strcmp((const char *)root->ns->href, RT_XML_NS) != 0) {
		if (err != NULL)
			snprintf(err, errcap, "root element not in namespace %s",
			    RT_XML_NS);
		return RT_ERR_SCHEMA;
	}
	if (root_name != NULL && strcmp((const char *)root->name, root_name) != 0) {
		if (err != NULL)
			snprintf(err, errcap, "expected %s, got %.64s", root_name,
			    (const char *)root->name);
		return RT_ERR_TYPE;
	}
	if ((tls = xml_tls_get()) == NULL)
		return RT_ERR_NOMEM;
	xmlSchemaSetValidStructuredErrors(tls->valid, valid_error_cb, &ve);
	rc = xmlSchemaValidateDoc(tls->valid, doc);
	xmlSchemaSetValidStructuredErrors(tls->valid, NULL, NULL);
	if (rc == 0)
		return 0;
	if (rc < 0)
		return RT_ERR_INTERNAL;
	return RT_ERR_SCHEMA;
}

const char *
rt_xml_root_name(xmlDocPtr doc)
{
	xmlNodePtr root = xmlDocGetRootElement(doc);

	return root != NULL ? (const char *)root->name : "";
}

static int
is_ours(xmlNodePtr node, const char *name)
{
	return node->type == XML_ELEMENT_NODE && node->ns != NULL &&
	    strcmp((const char *)node->name, name) == 0 &&
	    strcmp((const char *)node->ns->href, RT_XML_NS) == 0;
}

xmlNodePtr
rt_xml_child(xmlNodePtr parent, const char *name)
{
	if (parent == NULL)
		return NULL;
	for (xmlNodePtr n = parent->children; n != NULL; n = n->next)
		if (is_ours(n, name))
			return n;
	return NULL;
}

xmlNodePtr
rt_xml_next(xmlNodePtr node)
{
	for (xmlNodePtr n = node->next; n != NULL; n = n->next)
		if (is_ours(n, (const char *)node->name))
			return n;
	return NULL;
}

const char *
rt_xml_text(xmlNodePtr node)
{
	xmlNodePtr c;

	if (node == NULL || (c = node->children) == NULL)
		return "";
	/* a validated simple element has one text (or CDATA) child */
	if (c->next == NULL &&
	    (c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE))
		return c->content != NULL ? (const char *)c->content : "";
	return "";
}

const char *
rt_xml_attr(xmlNodePtr node, const char *name)
{
	xmlAttrPtr a = xmlHasProp(node, (const xmlChar *)name);

	if (a == NULL || a->children == NULL || a->children->content == NULL)
		return NULL;
	return (const char *)a->children->content;
}

int
rt_xml_child_copy(xmlNodePtr parent, const char *name, char *out, size_t cap)
{
	xmlNodePtr n = rt_xml_child(parent, name);
	const char *s;
	size_t len;

	if (cap > 0)
		out[0] = '\0';
	if (n == NULL)
		return RT_ERR_NOT_FOUND;
	s = rt_xml_text(n);
	if ((len = strlen(s)) >= cap)
		return RT_ERR_TOO_BIG;
	memcpy(out, s, len + 1);
	return 0;
}

int
rt_xml_child_time(xmlNodePtr parent, const char *name, time_t *tp)
{
	xmlNodePtr n = rt_xml_child(parent, name);

	if (n == NULL)
		return RT_ERR_NOT_FOUND;
	return rt_time_parse(rt_xml_text(n), tp);
}

/* Decimal digits to the end of s (at least one), as strtoull would take
 * them after a digit, without its locale and errno machinery: the
 * magnitude, or -1 past UINT64_MAX or on any other byte. */
static int
decimal(const char *s, uint64_t *vp)
{
	uint64_t v = 0;

	if (*s < '0' || *s > '9')
		return -1;
	for (; *s != '\0'; s++) {
		unsigned d = (unsigned)(*s - '0');

		if (d > 9 || v > (UINT64_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*vp = v;
	return 0;
}

int
rt_xml_parse_u64(const char *s, uint64_t *vp)
{
	return decimal(s, vp) == 0 ? 0 : RT_ERR_BAD_INPUT;
}

int
rt_xml_parse_i64(const char *s, int64_t *vp)
{
	uint64_t m;
	int neg = *s == '-';

	if (decimal(s + neg, &m) != 0 || m > (uint64_t)INT64_MAX + (uint64_t)neg)
		return RT_ERR_BAD_INPUT;
	*vp = neg ? (int64_t)(0 - m) : (int64_t)m;
	return 0;
}

int
rt_xml_child_u64(xmlNodePtr parent, const char *name, uint64_t *vp)
{
	xmlNodePtr n = rt_xml_child(parent, name);

	if (n == NULL)
		return RT_ERR_NOT_FOUND;
	return rt_xml_parse_u64(rt_xml_text(n), vp);
}

/*
 * The element writers append the pieces directly: they run for every field
 * of every message (a roaming authentication encodes four), and a printf
 * per element cost more than the rest of the encoding. This one: <name>
 * or </name> (len: strlen(name)).
 */
static int
put_tag(struct rt_buf *buf, int closing, const char *name, size_t len)
{
	uint8_t *o;
	int r;

	if ((r = rt_buf_reserve(buf, len + 3)) != 0)
		return r;
	o = buf->data + buf->len;
	*o++ = '<';
	if (closing)
		*o++ = '/';
	memcpy(o, name, len);
	o += len;
	*o++ = '>';
	*o = '\0';
	buf->len = (size_t)(o - buf->data);
	return 0;
}

/* <name>raw</name>, raw needing no escaping (digits, times). */
static int
put_raw(struct rt_buf *buf, const char *name, const char *raw, size_t rawlen)
{
	size_t len = strlen(name);
	int r;

	if ((r = put_tag(buf, 0, name, len)) != 0 ||
	    (r = rt_buf_append(buf, raw, rawlen)) != 0)
		return r;
	return put_tag(buf, 1, name, len);
}

int
rt_xml_put_text(struct rt_buf *buf, const char *name, const char *text)
{
	size_t len = strlen(name);
	int r;

	if ((r = put_tag(buf, 0, name, len)) != 0 ||
	    (r = rt_buf_append_xml(buf, text)) != 0)
		return r;
	return put_tag(buf, 1, name, len);
}

int
rt_xml_put_time(struct rt_buf *buf, const char *name, time_t t)
{
	char ts[RT_TIME_STR_LEN + 1];

	rt_time_format(t, ts);
	return put_raw(buf, name, ts, strlen(ts));
}

int
rt_xml_put_u64(struct rt_buf *buf, const char *name, uint64_t v)
{
	char digits[24];
	size_t n = sizeof(digits);

	do {
		digits[--n] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	return put_raw(buf, name, digits + n, sizeof(digits) - n);
}
