/*
 * The fast path of the XML export reader: exactly the form rt_export
 * writes, read without libxml2 (which spends most of its time on what an
 * export never has). See rt_export_read_int.h for how it hands over.
 *
 * The form, and nothing else:
 * - at the start, `<?xml version="1.0" encoding="UTF-8"?>` or nothing;
 *   then `<SettlementExport xmlns="urn:roamtrust:1" id="...">`;
 * - elements of the schema by their exact names, without prefixes, in
 *   the schema's order; between them only spaces, tabs and LFs;
 * - `<Name>text</Name>` for simple values; UsageRecord and Total
 *   attributes as name="value" after one space each, Total as `.../>`;
 * - text and values of printable ASCII, with &lt; &gt; &amp; &quot;
 *   &apos; and no "]]>" in text.
 * Anything else (a CR, a tab or a byte past 0x7e in a value, a character
 * reference, another quote, a comment, ...) and anything the value
 * checks refuse hands the unit over to libxml2. Each unit (with the
 * blanks before it) is read only when it lies whole in the input buffer
 * (WINDOW bytes, or up to the end of the input), so a unit is never read
 * twice and never half.
 */
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "rt_export_read_int.h"
#include "rt_xml.h"

/* The longest unit read here: no longer than libxml2's side allows a
 * record, so no size cap is met here first (a longer unit goes there). */
#define WINDOW (32 * 1024)
#if WINDOW > RT_EXPORT_XML_RECORD_CHARS_MAX
#error "the fast path would read records libxml2's side refuses"
#endif
#define TEXT_MAX RT_EXPORT_XML_TEXT_MAX
#define TEXT_BUF (TEXT_MAX + 16)	/* and the slack of 16-byte stores */
#define NAME_MAX_LEN 32

struct cursor {
	const uint8_t *p, *e;
	uint64_t lines;
};

/* Bytes that end or break a plain run of a value: controls, '"', '&',
 * '<', ']', DEL and everything past it. */
static const uint8_t special[256] = {
	[0x00 ... 0x1f] = 1, ['"'] = 1, ['&'] = 1, ['<'] = 1, [']'] = 1,
	[0x7f ... 0xff] = 1,
};

/* Whether p holds the n bytes of s: word loads, not a call, as the
 * names compared here are short (overlapping loads cover the rest). */
static inline __attribute__((always_inline)) int
same(const uint8_t *p, const char *s, size_t n)
{
	uint64_t a, b, x, y;
	uint32_t a4, b4, x4, y4;

	if (n >= 8) {
		for (; n > 16; n -= 8, p += 8, s += 8) {
			memcpy(&a, p, 8);
			memcpy(&b, s, 8);
			if (a != b)
				return 0;
		}
		memcpy(&a, p, 8);
		memcpy(&b, s, 8);
		memcpy(&x, p + n - 8, 8);
		memcpy(&y, s + n - 8, 8);
		return ((a ^ b) | (x ^ y)) == 0;
	}
	if (n >= 4) {
		memcpy(&a4, p, 4);
		memcpy(&b4, s, 4);
		memcpy(&x4, p + n - 4, 4);
		memcpy(&y4, s + n - 4, 4);
		return ((a4 ^ b4) | (x4 ^ y4)) == 0;
	}
	for (size_t i = 0; i < n; i++)
		if (p[i] != (uint8_t)s[i])
			return 0;
	return 1;
}

/*
 * A value up to its end byte ('<' for text, '"' for an attribute) into
 * out[TEXT_BUF], the five predefined entities decoded: plain bytes are
 * checked and copied 16 at a time (SSE2), which may write past the
 * value, never past TEXT_BUF. Its length (below TEXT_MAX) with c->p at
 * the end byte, or -1: not the canonical form, or too long.
 */
static int
value(struct cursor *c, uint8_t end, char *out)
{
	static const struct {
		const char *ref;
		size_t len;
		char ch;
	} refs[] = {
		{"&lt;", 4, '<'}, {"&gt;", 4, '>'}, {"&amp;", 5, '&'},
		{"&quot;", 6, '"'}, {"&apos;", 6, '\''},
	};
	const uint8_t *p = c->p, *e = c->e;
	size_t len = 0, i;
#ifdef __SSE2__
	const __m128i space = _mm_set1_epi8(0x20), del = _mm_set1_epi8(0x7f);
	const __m128i quot = _mm_set1_epi8('"'), amp = _mm_set1_epi8('&');
	const __m128i lt = _mm_set1_epi8('<'), rsqb = _mm_set1_epi8(']');
#endif

	for (;;) {
#ifdef __SSE2__
		while (e - p >= 16 && len < TEXT_MAX) {
			__m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
			/* signed: below 0x20, or 0x80 and up */
			__m128i hit = _mm_or_si128(_mm_or_si128(_mm_cmplt_epi8(v, space),
			    _mm_cmpeq_epi8(v, del)), _mm_or_si128(_mm_or_si128(
			    _mm_cmpeq_epi8(v, quot), _mm_cmpeq_epi8(v, amp)),
			    _mm_or_si128(_mm_cmpeq_epi8(v, lt), _mm_cmpeq_epi8(v, rsqb))));
			unsigned mask = (unsigned)_mm_movemask_epi8(hit);

			_mm_storeu_si128((__m128i *)(void *)(out + len), v);
			if (mask != 0) {
				len += (unsigned)__builtin_ctz(mask);
				p += __builtin_ctz(mask);
				break;
			}
			len += 16;
			p += 16;
		}
#endif
		while (p < e && !special[*p] && len < TEXT_MAX)
			out[len++] = (char)*p++;
		if (len >= TEXT_MAX || p == e)
			return -1;
		if (*p == end) {
			out[len] = '\0';
			c->p = p;
			return (int)len;
		}
		if (len + 1 >= TEXT_MAX)
			return -1;
		switch (*p) {
		case '&':
			for (i = 0; i < sizeof(refs) / sizeof(refs[0]); i++)
				if ((size_t)(e - p) >= refs[i].len &&
				    same(p, refs[i].ref, refs[i].len))
					break;
			if (i == sizeof(refs) / sizeof(refs[0]))
				return -1;
			out[len++] = refs[i].ch;
			p += refs[i].len;
			break;
		case ']':
			/* "]]>" may not be in text; in a value it may */
			if (end == '<' && (e - p < 3 || (p[1] == ']' && p[2] == '>')))
				return -1;
			out[len++] = ']';
			p++;
			break;
		case '"':
			out[len++] = '"';
			p++;
			break;
		default:	/* a control, '<' in a value, a byte past 0x7e */
			return -1;
		}
	}
}

static inline __attribute__((always_inline)) int
lit(struct cursor *c, const char *s, size_t n)
{
	if ((size_t)(c->e - c->p) < n || !same(c->p, s, n))
		return 0;
	c->p += n;
	return 1;
}

/* Blanks between elements (a CR is not taken: libxml2 would count its
 * line ends otherwise): 16 bytes at a time, the LFs counted. */
static void
blanks(struct cursor *c)
{
	const uint8_t *p = c->p;

#ifdef __SSE2__
	const __m128i sp = _mm_set1_epi8(' '), lf = _mm_set1_epi8('\n');
	const __m128i tab = _mm_set1_epi8('\t');

	while (c->e - p >= 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
		unsigned nl = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, lf));
		unsigned blank = nl | (unsigned)_mm_movemask_epi8(_mm_or_si128(
		    _mm_cmpeq_epi8(v, sp), _mm_cmpeq_epi8(v, tab)));

		if (blank != 0xffff) {
			unsigned n = (unsigned)__builtin_ctz(~blank);

			for (nl &= (1u << n) - 1; nl != 0; nl &= nl - 1)
				c->lines++;
			c->p = p + n;
			return;
		}
		for (; nl != 0; nl &= nl - 1)
			c->lines++;
		p += 16;
	}
#endif
	while (p < c->e && (*p == ' ' || *p == '\n' || *p == '\t')) {
		c->lines += *p == '\n';
		p++;
	}
	c->p = p;
}

/* The open and close tags of the UsageRecord children, in the order of
 * rt_export_xml_fields (a canonical file read without a handoff, in
 * test_export_xml, says the two agree). */
#define TAG(name) {"<" name ">", "</" name ">", sizeof(name) + 1, sizeof(name) + 2}
static const struct {
	const char *open, *close;
	size_t olen, clen;
} tags[RT_XF_COUNT] = {
	TAG("AgreementRef"), TAG("AssertionRef"), TAG("Subscriber"), TAG("HomeRealm"),
	TAG("VisitedRealm"), TAG("Service"), TAG("CallId"), TAG("Start"), TAG("End"),
	TAG("Quantity"), TAG("Unit"), TAG("Flag"),
};

/* Whether c is at `<name>`. */
static int
at_tag(const struct cursor *c, const char *name, size_t n)
{
	return (size_t)(c->e - c->p) >= n + 2 && c->p[0] == '<' &&
	    c->p[n + 1] == '>' && same(c->p + 1, name, n);
}

/* `<name>text</name>`: the length of text, or -1. */
static int
simple(struct cursor *c, const char *name, size_t n, char *text)
{
	int len;

	if (!at_tag(c, name, n))
		return -1;
	c->p += n + 2;
	if ((len = value(c, '<', text)) < 0 || (size_t)(c->e - c->p) < n + 3 ||
	    c->p[1] != '/' || c->p[n + 2] != '>' || !same(c->p + 2, name, n))
		return -1;
	c->p += n + 3;
	return len;
}

/* ` name="value"` or the first one without its space: 0, or -1. */
static int
attribute(struct cursor *c, char *name, char *v)
{
	size_t n = 0;

	while (c->p < c->e && n < NAME_MAX_LEN &&
	    ((*c->p >= 'a' && *c->p <= 'z') || (*c->p >= 'A' && *c->p <= 'Z')))
		name[n++] = (char)*c->p++;
	name[n] = '\0';
	if (n == 0 || !lit(c, "=\"", 2) || value(c, '"', v) < 0)
		return -1;
	c->p++;		/* the closing quote */
	return 0;
}

/* Makes WINDOW bytes from r->pos on be in r->buf, or all that is left. */
static int
window(struct rt_export_reader *r)
{
	int ret;

	while (!r->eof && r->len - r->pos < WINDOW)
		if ((ret = rt_export_buf_fill(r)) <= 0)
			return ret < 0 ? ret : 0;
	return 0;
}

static int
fast_header(struct rt_export_reader *r, struct cursor *c, char *text)
{
	static const char decl[] = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>";
	static const char root[] = "<SettlementExport xmlns=\"" RT_XML_NS "\" id=\"";
	struct rt_export_header *h = &r->header;

	(void)lit(c, decl, sizeof(decl) - 1);
	blanks(c);
	if (!lit(c, root, sizeof(root) - 1) || value(c, '"', text) < 0 ||
	    !lit(c, "\">", 2) || strlen(text) >= sizeof(h->id))
		return -1;
	memcpy(h->id, text, strlen(text) + 1);
	for (int i = 0; i < RT_EXPORT_XML_HEADER_FIELDS; i++) {
		const char *name = rt_export_xml_header_names[i];

		blanks(c);
		if (simple(c, name, strlen(name), text) < 0 ||
		    rt_export_xml_header_value(r, i, text) != 0)
			return -1;
	}
	return rt_export_header_check(r) == 0 ? 0 : -1;
}

int
rt_export_fast_open(struct rt_export_reader *r)
{
	char text[TEXT_BUF];
	struct cursor c;
	int ret;

	if ((ret = window(r)) < 0)
		return ret;
	c.p = r->buf + r->pos;
	c.e = r->buf + (r->len - r->pos > WINDOW ? r->pos + WINDOW : r->len);
	c.lines = 0;
	r->fast = 1;
	ret = fast_header(r, &c, text);
	r->fast = 0;
	if (ret != 0)
		return RT_EXPORT_FAST_HANDOFF;
	r->pos = (size_t)(c.p - r->buf);
	r->fast_line += c.lines;
	return 0;
}

static int
fast_record(struct rt_export_reader *r, struct cursor *c, struct rt_export_item *item)
{
	char name[NAME_MAX_LEN + 1], text[TEXT_BUF];
	int seen = 0, next = 0, k;

	rt_export_item_reset(item);
	item->where = r->nrecords + 1;
	for (;;) {
		if (attribute(c, name, text) != 0 ||
		    rt_export_xml_record_attr(r, item, name, text, &seen) != 0)
			return -1;
		if (lit(c, ">", 1))
			break;
		if (!lit(c, " ", 1))
			return -1;
	}
	for (;;) {
		int len;

		blanks(c);
		if (lit(c, "</UsageRecord>", 14))
			break;
		/* the schema's order: skip optional fields, never a required one */
		for (k = next; k < RT_XF_COUNT; k++) {
			if ((size_t)(c->e - c->p) >= tags[k].olen &&
			    same(c->p, tags[k].open, tags[k].olen))
				break;
			if (!rt_export_xml_fields[k].optional)
				return -1;
		}
		if (k == RT_XF_COUNT)
			return -1;
		c->p += tags[k].olen;
		if ((len = value(c, '<', text)) < 0 || !lit(c, tags[k].close, tags[k].clen) ||
		    rt_export_xml_record_value(r, item, k, text, (size_t)len) != 0)
			return -1;
		next = k == RT_XF_FLAG ? RT_XF_FLAG : k + 1;
	}
	return rt_export_xml_record_end(r, item, seen, next);
}

static int
fast_total(struct rt_export_reader *r, struct cursor *c)
{
	char name[NAME_MAX_LEN + 1], text[TEXT_BUF];
	int seen = 0;

	for (;;) {
		if (attribute(c, name, text) != 0 ||
		    rt_export_xml_total_attr(r, name, text, &seen) != 0)
			return -1;
		if (lit(c, "/>", 2))
			break;
		if (!lit(c, " ", 1))
			return -1;
	}
	return rt_export_xml_total_end(r, seen);
}

/* The next unit: 1 a record, 2 a total, 3 the end, or -1. */
static int
fast_unit(struct rt_export_reader *r, struct cursor *c, struct rt_export_item *item)
{
	if (!r->in_totals && lit(c, "<UsageRecord ", 13))
		return fast_record(r, c, item) == 0 ? 1 : -1;
	if (lit(c, "<Total ", 7))
		return fast_total(r, c) == 0 ? 2 : -1;
	if (lit(c, "</SettlementExport>", 19)) {
		blanks(c);
		return c->p == r->buf + r->len && r->eof ? 3 : -1;
	}
	return -1;
}

/*
 * The blanks before a unit are part of it: a handoff gives libxml2 all
 * that the fast path did not read whole, exactly (libxml2 treats the
 * end of the input differently after one byte than after two).
 */
int
rt_export_fast_next(struct rt_export_reader *r, struct rt_export_item *item)
{
	struct cursor c;
	int ret;

	for (;;) {
		if ((ret = window(r)) < 0)
			return ret;
		c.p = r->buf + r->pos;
		c.e = r->buf + (r->len - r->pos > WINDOW ? r->pos + WINDOW : r->len);
		c.lines = 0;
		blanks(&c);
		r->fast = 1;
		ret = c.p < c.e ? fast_unit(r, &c, item) : -1;
		r->fast = 0;
		if (ret < 0)
			return RT_EXPORT_FAST_HANDOFF;
		r->pos = (size_t)(c.p - r->buf);
		r->fast_line += c.lines;
		if (ret == 1) {
			r->nrecords++;
			return 1;
		}
		if (ret == 3) {
			r->done = 1;
			return 0;
		}
	}
}
