/*
 * The XML half of the export reader (rt_export_read.h): libxml2's SAX2
 * push parser driving a state machine over the SettlementExport schema,
 * whose rules for values are rt_export_xml_rules.c (shared with the fast
 * path, rt_export_xml_fast.c).
 *
 * libxml2 sees only bytes the markup scan passed (no "<!", no "<?" but
 * the XML declaration), with no network, no entity loading or
 * substitution and its own size limits (no XML_PARSE_HUGE); the handlers
 * refuse a DTD, an entity, a comment, CDATA or a processing instruction
 * all the same should one get past the scan. Records are built one at a
 * time into a small queue: a chunk fed to libxml2 holds at most
 * FEED / RECORD_BYTES_MIN of them, so memory does not grow with the file.
 */
#include <stdlib.h>
#include <string.h>

#include <libxml/SAX2.h>
#include <libxml/parserInternals.h>

#include "rt_codec.h"
#include "rt_export_read_int.h"
#include "rt_xml.h"

#define TEXT_MAX RT_EXPORT_XML_TEXT_MAX
#define FEED (16 * 1024)	/* bytes given to libxml2 at once */
/* Fewer bytes than any record the schema state accepts: 10 required
 * children, three UUIDs, two times. */
#define RECORD_BYTES_MIN 256
#define QUEUE_MAX (FEED / RECORD_BYTES_MIN + 16)
#define RECORD_CHARS_MAX RT_EXPORT_XML_RECORD_CHARS_MAX

enum { PH_ROOT, PH_HEADER, PH_BODY, PH_AFTER };
enum { V_NONE, V_HEADER, V_RECORD };

struct rt_export_sax {
	xmlParserCtxtPtr ctxt;
	int phase;
	int resume;		/* the root tag is the one a handoff fed again */
	int terminated;		/* libxml2 had the end of the input */
	int at_end;		/* it is being given the end */
	int depth;		/* elements open */
	int header;		/* header children read */
	int value;		/* V_*: collecting a simple element's text */
	int field;		/* the header child or record field it is */
	int in_record, in_total;
	int next, seen, nodes;
	size_t chars;		/* text and blanks of this record */
	uint64_t fed_lines;	/* line ends given to libxml2 */
	char text[TEXT_MAX];
	size_t textlen;
	/* records built, oldest first */
	struct rt_export_item queue[QUEUE_MAX];
	size_t head, count;
};

uint64_t
rt_export_xml_line(const struct rt_export_reader *r)
{
	int line;

	if (r->sax == NULL || r->sax->ctxt == NULL)
		return r->fast_line;
	/* where the markup or the end is, not where libxml2 is (it may not
	 * have taken in the blanks before either yet) */
	if (r->scan_refused || r->sax->at_end)
		return r->line_base + r->sax->fed_lines;
	line = xmlSAX2GetLineNumber(r->sax->ctxt);
	return r->line_base + (uint64_t)(line > 0 ? line - 1 : 0);
}

static int
sax_live(struct rt_export_reader *r)
{
	return r->failed == 0;
}

static int
is_ours(const xmlChar *uri, const xmlChar *local, const char *name)
{
	return uri != NULL && strcmp((const char *)uri, RT_XML_NS) == 0 &&
	    strcmp((const char *)local, name) == 0;
}

static int
is_blank(const xmlChar *s, int n)
{
	for (int i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\n' && s[i] != '\r')
			return 0;
	return 1;
}

/* Attribute i's value (libxml2 gives begin and end) into out[TEXT_MAX]. */
static int
sax_attr(struct rt_export_reader *r, const xmlChar **attrs, int i, char *out)
{
	const xmlChar *v = attrs[5 * i + 3], *end = attrs[5 * i + 4];
	size_t n = (size_t)(end - v);

	if (attrs[5 * i + 1] != NULL)
		return rt_export_fail(r, RT_ERR_SCHEMA, "bad attribute '%.32s:%.32s'",
		    (const char *)attrs[5 * i + 1], (const char *)attrs[5 * i]);
	if (n >= TEXT_MAX)
		return rt_export_fail(r, RT_ERR_TOO_BIG, "attribute '%.32s' too long",
		    (const char *)attrs[5 * i]);
	memcpy(out, v, n);
	out[n] = '\0';
	return 0;
}

static void
value_begin(struct rt_export_reader *r, int kind, int field, int nattrs,
    const char *name)
{
	struct rt_export_sax *s = r->sax;

	if (nattrs > 0) {
		(void)rt_export_fail(r, RT_ERR_SCHEMA, "attributes on <%s>", name);
		return;
	}
	s->value = kind;
	s->field = field;
	s->textlen = 0;
	s->text[0] = '\0';
	s->depth++;
}

static void
root_start(struct rt_export_reader *r, const xmlChar *local, const xmlChar *uri,
    int nattrs, const xmlChar **attrs)
{
	struct rt_export_sax *s = r->sax;
	char v[TEXT_MAX];
	int seen_id = 0;

	s->depth = 1;
	if (s->resume) {
		/* our own copy of the tag the fast path read */
		s->phase = PH_BODY;
		return;
	}
	if (!is_ours(uri, local, "SettlementExport")) {
		(void)rt_export_fail(r, RT_ERR_TYPE, "not a SettlementExport");
		return;
	}
	for (int i = 0; i < nattrs; i++) {
		if (sax_attr(r, attrs, i, v) != 0)
			return;
		if (strcmp((const char *)attrs[5 * i], "id") != 0 ||
		    strlen(v) >= sizeof(r->header.id)) {
			(void)rt_export_fail(r, RT_ERR_SCHEMA,
			    "bad attribute on SettlementExport");
			return;
		}
		memcpy(r->header.id, v, strlen(v) + 1);
		seen_id = 1;
	}
	if (!seen_id) {
		(void)rt_export_fail(r, RT_ERR_SCHEMA, "SettlementExport without id");
		return;
	}
	s->phase = PH_HEADER;
}

static void
record_start(struct rt_export_reader *r, int nattrs, const xmlChar **attrs)
{
	struct rt_export_sax *s = r->sax;
	struct rt_export_item *item;
	char v[TEXT_MAX];

	if (s->count >= QUEUE_MAX) {
		/* FEED / RECORD_BYTES_MIN says this cannot be */
		(void)rt_export_fail(r, RT_ERR_INTERNAL, "record queue full");
		return;
	}
	item = &s->queue[(s->head + s->count) % QUEUE_MAX];
	rt_export_item_reset(item);
	item->where = r->nrecords + 1;
	s->seen = 0;
	for (int i = 0; i < nattrs; i++)
		if (sax_attr(r, attrs, i, v) != 0 ||
		    rt_export_xml_record_attr(r, item, (const char *)attrs[5 * i], v,
		    &s->seen) != 0)
			return;
	if (!(s->seen & 1)) {
		(void)rt_export_fail(r, RT_ERR_SCHEMA, "UsageRecord without id");
		return;
	}
	s->in_record = 1;
	s->next = 0;
	s->nodes = 0;
	s->chars = 0;
	s->depth = 2;
}

static void
field_start(struct rt_export_reader *r, const xmlChar *local, const xmlChar *uri,
    int nattrs)
{
	struct rt_export_sax *s = r->sax;
	int k;

	if (++s->nodes > RT_EXPORT_RECORD_NODES) {
		(void)rt_export_fail(r, RT_ERR_TOO_BIG, "too many nodes in a record");
		return;
	}
	/* the schema's order: skip optional fields, never a required one */
	for (k = s->next; k < RT_XF_COUNT; k++) {
		if (is_ours(uri, local, rt_export_xml_fields[k].name))
			break;
		if (!rt_export_xml_fields[k].optional) {
			(void)rt_export_fail(r, RT_ERR_SCHEMA, "expected <%s>, not <%.32s>",
			    rt_export_xml_fields[k].name, (const char *)local);
			return;
		}
	}
	if (k == RT_XF_COUNT) {
		(void)rt_export_fail(r, RT_ERR_SCHEMA, "unexpected <%.32s>",
		    (const char *)local);
		return;
	}
	value_begin(r, V_RECORD, k, nattrs, rt_export_xml_fields[k].name);
}

static void
sax_start(void *ctx, const xmlChar *local, const xmlChar *prefix,
    const xmlChar *uri, int nns, const xmlChar **ns, int nattrs, int ndefaulted,
    const xmlChar **attrs)
{
	struct rt_export_reader *r = ctx;
	struct rt_export_sax *s = r->sax;
	char v[TEXT_MAX];
	int seen = 0;

	(void)prefix;
	(void)nns;
	(void)ns;
	(void)ndefaulted;
	if (!sax_live(r))
		return;
	if (s->value != V_NONE) {
		(void)rt_export_fail(r, RT_ERR_SCHEMA, "element <%.32s> inside a simple value",
		    (const char *)local);
		return;
	}
	if (s->phase == PH_ROOT) {
		root_start(r, local, uri, nattrs, attrs);
		return;
	}
	if (s->phase == PH_AFTER) {
		(void)rt_export_fail(r, RT_ERR_XML_PARSE, "content after the document");
		return;
	}
	if (s->phase == PH_HEADER) {
		const char *want = rt_export_xml_header_names[s->header];

		if (!is_ours(uri, local, want)) {
			(void)rt_export_fail(r, RT_ERR_SCHEMA, "expected <%s>", want);
			return;
		}
		value_begin(r, V_HEADER, s->header, nattrs, want);
		return;
	}
	if (s->in_record) {
		field_start(r, local, uri, nattrs);
		return;
	}
	if (s->in_total) {
		(void)rt_export_fail(r, RT_ERR_SCHEMA,
		    "Total must be empty with all its attributes");
		return;
	}
	if (!r->in_totals && is_ours(uri, local, "UsageRecord")) {
		record_start(r, nattrs, attrs);
		return;
	}
	if (is_ours(uri, local, "Total")) {
		for (int i = 0; i < nattrs; i++)
			if (sax_attr(r, attrs, i, v) != 0 ||
			    rt_export_xml_total_attr(r, (const char *)attrs[5 * i], v,
			    &seen) != 0)
				return;
		if (rt_export_xml_total_end(r, seen) != 0)
			return;
		/* counted at once: it must end before anything else starts */
		s->in_total = 1;
		s->depth = 2;
		return;
	}
	(void)rt_export_fail(r, RT_ERR_SCHEMA, "unexpected <%.32s>", (const char *)local);
}

static void
value_end(struct rt_export_reader *r)
{
	struct rt_export_sax *s = r->sax;
	struct rt_export_item *item = &s->queue[(s->head + s->count) % QUEUE_MAX];

	s->value = V_NONE;
	s->depth--;
	if (s->depth == 1) {	/* a header child */
		if (rt_export_xml_header_value(r, s->field, s->text) != 0)
			return;
		if (++s->header == RT_EXPORT_XML_HEADER_FIELDS) {
			if (rt_export_header_check(r) != 0)
				return;
			s->phase = PH_BODY;
		}
		return;
	}
	if (rt_export_xml_record_value(r, item, s->field, s->text, s->textlen) != 0)
		return;
	s->next = s->field == RT_XF_FLAG ? RT_XF_FLAG : s->field + 1;
}

static void
sax_end(void *ctx, const xmlChar *local, const xmlChar *prefix, const xmlChar *uri)
{
	struct rt_export_reader *r = ctx;
	struct rt_export_sax *s = r->sax;

	(void)local;
	(void)prefix;
	(void)uri;
	if (!sax_live(r))
		return;
	if (s->value != V_NONE) {
		value_end(r);
		return;
	}
	if (s->in_record) {
		struct rt_export_item *item = &s->queue[(s->head + s->count) % QUEUE_MAX];

		if (rt_export_xml_record_end(r, item, s->seen, s->next) != 0)
			return;
		s->in_record = 0;
		s->depth = 1;
		r->nrecords++;
		s->count++;
		return;
	}
	if (s->in_total) {
		s->in_total = 0;
		s->depth = 1;
		return;
	}
	/* the root */
	if (s->phase == PH_HEADER) {
		(void)rt_export_fail(r, RT_ERR_SCHEMA, "expected <%s>",
		    rt_export_xml_header_names[s->header]);
		return;
	}
	s->depth = 0;
	s->phase = PH_AFTER;
}

static void
sax_text(void *ctx, const xmlChar *ch, int len)
{
	struct rt_export_reader *r = ctx;
	struct rt_export_sax *s = r->sax;

	if (!sax_live(r) || len <= 0)
		return;
	if (s->in_record && (s->chars += (size_t)len) > RECORD_CHARS_MAX) {
		(void)rt_export_fail(r, RT_ERR_TOO_BIG, "record longer than %d characters",
		    RECORD_CHARS_MAX);
		return;
	}
	if (s->in_total) {
		(void)rt_export_fail(r, RT_ERR_SCHEMA,
		    "Total must be empty with all its attributes");
		return;
	}
	if (s->value != V_NONE) {
		if ((size_t)len >= sizeof(s->text) - s->textlen) {
			(void)rt_export_fail(r, RT_ERR_TOO_BIG, "value too long");
			return;
		}
		memcpy(s->text + s->textlen, ch, (size_t)len);
		s->textlen += (size_t)len;
		s->text[s->textlen] = '\0';
		return;
	}
	if (is_blank(ch, len))
		return;
	(void)rt_export_fail(r, RT_ERR_SCHEMA, "text in <%s>", s->in_record ?
	    "UsageRecord" : "SettlementExport");
}

/* ---- what an export never has: refused, and the parser stopped ---- */

static void
sax_refuse(struct rt_export_reader *r, const char *what)
{
	(void)rt_export_fail(r, RT_ERR_XML_DTD, "%s (exports have none)", what);
	if (r->sax != NULL && r->sax->ctxt != NULL)
		xmlStopParser(r->sax->ctxt);
}

static void
sax_subset(void *ctx, const xmlChar *name, const xmlChar *eid, const xmlChar *sid)
{
	(void)name;
	(void)eid;
	(void)sid;
	sax_refuse(ctx, "DTD");
}

static xmlEntityPtr
sax_entity(void *ctx, const xmlChar *name)
{
	struct rt_export_reader *r = ctx;

	(void)rt_export_fail(r, RT_ERR_XML_DTD, "entity reference &%.32s; (exports have none)",
	    (const char *)name);
	return NULL;
}

static void
sax_entity_decl(void *ctx, const xmlChar *name, int type, const xmlChar *pid,
    const xmlChar *sid, xmlChar *content)
{
	(void)name;
	(void)type;
	(void)pid;
	(void)sid;
	(void)content;
	sax_refuse(ctx, "entity declaration");
}

static void
sax_notation(void *ctx, const xmlChar *name, const xmlChar *pid, const xmlChar *sid)
{
	(void)name;
	(void)pid;
	(void)sid;
	sax_refuse(ctx, "notation declaration");
}

static void
sax_attr_decl(void *ctx, const xmlChar *elem, const xmlChar *name, int type,
    int def, const xmlChar *dflt, xmlEnumerationPtr tree)
{
	(void)elem;
	(void)name;
	(void)type;
	(void)def;
	(void)dflt;
	xmlFreeEnumeration(tree);	/* ours to free, says SAX2.c */
	sax_refuse(ctx, "attribute declaration");
}

static void
sax_elem_decl(void *ctx, const xmlChar *name, int type, xmlElementContentPtr c)
{
	(void)name;
	(void)type;
	(void)c;
	sax_refuse(ctx, "element declaration");
}

static void
sax_unparsed(void *ctx, const xmlChar *name, const xmlChar *pid, const xmlChar *sid,
    const xmlChar *notation)
{
	(void)name;
	(void)pid;
	(void)sid;
	(void)notation;
	sax_refuse(ctx, "entity declaration");
}

static xmlParserInputPtr
sax_resolve(void *ctx, const xmlChar *pid, const xmlChar *sid)
{
	(void)pid;
	(void)sid;
	sax_refuse(ctx, "external entity");
	return NULL;
}

static void
sax_reference(void *ctx, const xmlChar *name)
{
	(void)name;
	sax_refuse(ctx, "entity reference");
}

static void
sax_pi(void *ctx, const xmlChar *target, const xmlChar *data)
{
	(void)target;
	(void)data;
	sax_refuse(ctx, "processing instruction");
}

static void
sax_comment(void *ctx, const xmlChar *value)
{
	(void)value;
	sax_refuse(ctx, "comment");
}

static void
sax_cdata(void *ctx, const xmlChar *value, int len)
{
	(void)value;
	(void)len;
	sax_refuse(ctx, "CDATA section");
}

static void
sax_error(void *ctx, xmlErrorPtr e)
{
	struct rt_export_reader *r = ctx;
	char clean[160];
	size_t n = 0;

	if (e == NULL || e->level < XML_ERR_ERROR)
		return;
	for (const char *p = e->message != NULL ? e->message : "not well-formed XML";
	    *p != '\0' && n < sizeof(clean) - 1; p++)
		clean[n++] = (*p == '\n' || *p == '\r') ? ' ' : *p;
	while (n > 0 && clean[n - 1] == ' ')
		n--;
	clean[n] = '\0';
	(void)rt_export_fail(r, RT_ERR_XML_PARSE, "%s", clean);
}

static void
sax_silent(void *ctx, const char *msg, ...)
{
	(void)ctx;
	(void)msg;
}

static const xmlSAXHandler sax_handler = {
	.internalSubset = sax_subset,
	.externalSubset = sax_subset,
	.getEntity = sax_entity,
	.getParameterEntity = sax_entity,
	.entityDecl = sax_entity_decl,
	.notationDecl = sax_notation,
	.attributeDecl = sax_attr_decl,
	.elementDecl = sax_elem_decl,
	.unparsedEntityDecl = sax_unparsed,
	.resolveEntity = sax_resolve,
	.reference = sax_reference,
	.characters = sax_text,
	.ignorableWhitespace = sax_text,
	.processingInstruction = sax_pi,
	.comment = sax_comment,
	.cdataBlock = sax_cdata,
	.warning = sax_silent,
	.error = sax_silent,
	.fatalError = sax_silent,
	.initialized = XML_SAX2_MAGIC,
	.startElementNs = sax_start,
	.endElementNs = sax_end,
	.serror = sax_error,
};

/*
 * Finds "<!" (DOCTYPE, ENTITY, comments, CDATA) and "<?" but at the very
 * start (the XML declaration): none of them is in an export, and libxml2
 * must not see a DTD at all. A '<' in text or attribute values is always
 * escaped, so a raw one is markup. offset is where data starts in the
 * input. Returns how many bytes of data libxml2 may have: n, or where
 * the refused '<' is (0 when it ended the previous piece).
 */
static size_t
xml_scan(struct rt_export_reader *r, const uint8_t *data, size_t n, uint64_t offset,
    int *refused)
{
	size_t i = 0;

	*refused = 0;
	if (n == 0)
		return 0;
	if (r->lt_pending) {
		r->lt_pending = 0;
		if (data[0] == '!' || (data[0] == '?' && offset != 1)) {
			*refused = 1;
			return 0;
		}
	}
	for (;;) {
		const uint8_t *lt = memchr(data + i, '<', n - i);

		if (lt == NULL)
			return n;
		i = (size_t)(lt - data) + 1;
		if (i == n) {
			r->lt_pending = 1;
			return n;
		}
		if (data[i] == '!' || (data[i] == '?' && offset + i - 1 != 0)) {
			*refused = 1;
			return i - 1;
		}
	}
}

/*
 * Feeds libxml2 the next piece of input, or the end: 0 or RT_ERR_*.
 * Before refused markup it still gets the bytes up to it, so records
 * before it come out as they do from the fast path.
 */
static int
sax_pump(struct rt_export_reader *r)
{
	struct rt_export_sax *s = r->sax;
	const uint8_t *data;
	uint64_t offset;
	size_t n, ok;
	int ret = 0, refused = 0;

	if (r->pos < r->len) {
		/* what the input layer holds already: the handoff's unit on */
		data = r->buf + r->pos;
		n = r->len - r->pos > FEED ? FEED : r->len - r->pos;
		offset = r->consumed - (r->len - r->pos);
		r->pos += n;
	} else {
		ssize_t got = rt_export_src_read(r, r->buf, FEED);

		if (got < 0)
			return rt_export_fail(r, RT_ERR_IO, "read error");
		data = r->buf;
		n = (size_t)got;
		offset = r->consumed - n;
		r->pos = r->len = n;
	}
	if (n == 0) {
		s->at_end = 1;
		ret = xmlParseChunk(s->ctxt, NULL, 0, 1);
		s->terminated = 1;
	} else if ((ok = xml_scan(r, data, n, offset, &refused)) > 0) {
		ret = xmlParseChunk(s->ctxt, (const char *)data, (int)ok, 0);
		for (const uint8_t *p = data; (p = memchr(p, '\n',
		    ok - (size_t)(p - data))) != NULL; p++)
			s->fed_lines++;
	}
	/* after the bytes before it, which may hold an earlier error */
	r->scan_refused = refused;
	if (r->scan_refused)
		return rt_export_fail(r, RT_ERR_XML_DTD,
		    "DTD, entity, comment, CDATA or processing instruction");
	if (r->failed)
		return r->failed;
	if (ret != 0 || (s->terminated && !s->ctxt->wellFormed))
		return rt_export_fail(r, RT_ERR_XML_PARSE, "not well-formed XML");
	if (s->terminated && s->phase != PH_AFTER)
		return rt_export_fail(r, RT_ERR_XML_PARSE, "truncated document");
	return 0;
}

/*
 * Starts libxml2 on the input from r->pos: the whole document, or after
 * a handoff (resume) the root tag again and the rest of the body.
 */
static int
sax_begin(struct rt_export_reader *r, int resume)
{
	struct rt_export_sax *s;
	char root[128];
	int n;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return rt_export_fail(r, RT_ERR_NOMEM, "out of memory");
	r->sax = s;
	s->ctxt = xmlCreatePushParserCtxt((xmlSAXHandlerPtr)(uintptr_t)&sax_handler,
	    r, NULL, 0, NULL);
	if (s->ctxt == NULL)
		return rt_export_fail(r, RT_ERR_NOMEM, "cannot start the XML parser");
	/*
	 * No XML_PARSE_NOENT (no substitution), DTDLOAD, DTDATTR, XINCLUDE or
	 * HUGE; the encoding is UTF-8 whatever the declaration says, and is
	 * not guessed from the first bytes either.
	 */
	(void)xmlCtxtUseOptions(s->ctxt, XML_PARSE_NONET | XML_PARSE_IGNORE_ENC |
	    XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	if (xmlSwitchEncoding(s->ctxt, XML_CHAR_ENCODING_UTF8) != 0)
		return rt_export_fail(r, RT_ERR_INTERNAL, "cannot set UTF-8");
	s->resume = resume;
	if (resume) {
		n = snprintf(root, sizeof(root), "<SettlementExport xmlns=\"" RT_XML_NS
		    "\" id=\"%s\">", r->header.id);
		if (n < 0 || (size_t)n >= sizeof(root) ||
		    xmlParseChunk(s->ctxt, root, n, 0) != 0 || r->failed)
			return rt_export_fail(r, RT_ERR_INTERNAL, "cannot resume the XML parser");
	}
	return 0;
}

int
rt_export_xml_open(struct rt_export_reader *r)
{
	int ret;

	if (rt_xml_init() != 0)
		return rt_export_fail(r, RT_ERR_INTERNAL, "libxml2 not initialised");
	r->line_base = 1;
	r->fast_line = 1;
	if (!(r->flags & RT_EXPORT_READ_LIBXML2)) {
		if ((ret = rt_export_fast_open(r)) != RT_EXPORT_FAST_HANDOFF)
			return ret;
		/* libxml2 reads it all, from the first byte */
		memset(&r->header, 0, sizeof(r->header));
		r->pos = 0;
	}
	if ((ret = sax_begin(r, 0)) != 0)
		return ret;
	/* open once the header is read; what follows it, errors too, is
	 * for next(), as from the fast path */
	while (r->sax->phase < PH_BODY && !r->failed && !r->sax->terminated)
		(void)sax_pump(r);
	if (r->sax->phase >= PH_BODY)
		return 0;
	return r->failed ? r->failed :
	    rt_export_fail(r, RT_ERR_XML_PARSE, "truncated document");
}

int
rt_export_xml_next(struct rt_export_reader *r, struct rt_export_item *item)
{
	struct rt_export_sax *s;
	int ret;

	if (r->sax == NULL && !r->failed) {
		if ((ret = rt_export_fast_next(r, item)) != RT_EXPORT_FAST_HANDOFF)
			return ret;
		r->line_base = r->fast_line;
		if ((ret = sax_begin(r, 1)) != 0)
			return ret;
	}
	if ((s = r->sax) == NULL)
		return r->failed;
	for (;;) {
		if (s->count > 0) {
			/* records read before an error still come out first */
			memcpy(item, &s->queue[s->head], sizeof(*item));
			s->head = (s->head + 1) % QUEUE_MAX;
			s->count--;
			return 1;
		}
		if (r->failed)
			return r->failed;
		if (s->terminated) {
			r->done = 1;
			return 0;
		}
		if ((ret = sax_pump(r)) != 0 && s->count == 0)
			return ret;
	}
}

void
rt_export_xml_close(struct rt_export_reader *r)
{
	if (r->sax != NULL) {
		if (r->sax->ctxt != NULL)
			xmlFreeParserCtxt(r->sax->ctxt);
		free(r->sax);
	}
	r->sax = NULL;
}
