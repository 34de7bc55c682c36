/*
 * export_xml: the XML export reader both ways, its fast path over the
 * canonical form (handing over to libxml2 where it must) and libxml2's
 * SAX2 parser alone (RT_EXPORT_READ_LIBXML2). A canonical file is read
 * without libxml2 and gives what libxml2 gives; files in other valid
 * forms (prefixes, quotes, CRLF, character references) are read all the
 * same, also when the handoff comes in the middle of a big file; every
 * refusal (DTD, entity, nesting, sizes, namespace, unknown elements,
 * truncation) is the same error both ways, on the same line.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "export_messages.h"
#include "helper_export.h"
#include "rt_export_read_int.h"
#include "rt_log.h"
#include "rt_xml.h"

#define NOV1 1793491200	/* 2026-11-01T00:00:00Z */
#define AGREEMENT "0190f5a2-7b3c-7def-8123-456789abcdef"
#define BIG 3000	/* records: a few input buffers' worth */

/* What one way of reading gave. */
struct outcome {
	int ret;		/* 0 at the end, or RT_ERR_* (of open or next) */
	int opened;
	long n;
	int handed_over;	/* libxml2 read some of it */
	char err[RT_EXPORT_ERR_MAX];
	struct rt_export_item *items;	/* the first max */
	long max;
	size_t ntotals;
};

static int
setup(void **state)
{
	(void)state;
	rt_log_init("test_export_xml", RT_LOG_STDERR, RT_LOG_ERR);
	return rt_xml_init() == 0 ? 0 : -1;
}

static void
read_way(const char *text, size_t len, int flags, struct outcome *o)
{
	struct rt_export_reader *rd = NULL;
	struct rt_export_item item;
	int r;

	o->n = 0;
	o->err[0] = '\0';
	o->ntotals = 0;
	o->handed_over = 0;
	o->opened = 0;
	if ((r = rt_export_reader_open_flags((const uint8_t *)text, len, flags, &rd,
	    o->err)) != 0) {
		o->ret = r;
		return;
	}
	o->opened = 1;
	while ((r = rt_export_reader_next(rd, &item)) == 1) {
		if (o->n < o->max)
			o->items[o->n] = item;
		o->n++;
	}
	o->ret = r;
	if (r < 0)
		snprintf(o->err, sizeof(o->err), "%s", rt_export_reader_error(rd));
	(void)rt_export_reader_totals(rd, &o->ntotals);
	o->handed_over = rd->sax != NULL;
	/* once failed, always failed */
	if (r < 0)
		assert_int_equal(rt_export_reader_next(rd, &item), r);
	rt_export_reader_free(rd);
}

static void
same_items(const struct rt_export_item *a, const struct rt_export_item *b)
{
	assert_string_equal(a->u.id, b->u.id);
	assert_string_equal(a->u.agreement_ref, b->u.agreement_ref);
	assert_string_equal(a->u.assertion_ref, b->u.assertion_ref);
	assert_string_equal(a->u.subscriber, b->u.subscriber);
	assert_string_equal(a->u.home, b->u.home);
	assert_string_equal(a->u.visited, b->u.visited);
	assert_string_equal(a->u.service, b->u.service);
	assert_string_equal(a->u.call_id, b->u.call_id);
	assert_true(a->u.start == b->u.start && a->u.end == b->u.end);
	assert_true(a->u.quantity == b->u.quantity);
	assert_string_equal(a->u.unit, b->u.unit);
	assert_int_equal(a->u.nflags, b->u.nflags);
	for (int i = 0; i < a->u.nflags; i++)
		assert_string_equal(a->u.flags[i], b->u.flags[i]);
	assert_true(a->amount_minor == b->amount_minor);
	assert_int_equal(a->has_amount, b->has_amount);
	assert_string_equal(a->unpriced, b->unpriced);
	assert_true(a->where == b->where);
}

/*
 * Reads text both ways; they must agree on everything, messages too.
 * Returns the number of records, or the error; *fastp (may be NULL) gets
 * the outcome of the default way (items up to max kept, caller frees).
 */
static long
read_both(const char *text, size_t len, long max, struct outcome *fastp)
{
	struct outcome fast, slow;

	memset(&fast, 0, sizeof(fast));
	memset(&slow, 0, sizeof(slow));
	fast.max = slow.max = max;
	assert_non_null(fast.items = calloc((size_t)max + 1, sizeof(*fast.items)));
	assert_non_null(slow.items = calloc((size_t)max + 1, sizeof(*slow.items)));
	read_way(text, len, 0, &fast);
	read_way(text, len, RT_EXPORT_READ_LIBXML2, &slow);
	if (fast.ret != slow.ret || fast.n != slow.n ||
	    !export_messages_agree(fast.err, slow.err))
		fail_msg("the fast path gave %d after %ld (%s), libxml2 %d after %ld (%s)",
		    fast.ret, fast.n, fast.err, slow.ret, slow.n, slow.err);
	assert_int_equal(fast.opened, slow.opened);
	assert_int_equal(fast.ntotals, slow.ntotals);
	for (long i = 0; i < fast.n && i < max; i++)
		same_items(&fast.items[i], &slow.items[i]);
	if (fast.ret < 0)
		assert_true(fast.err[0] != '\0');
	free(slow.items);
	if (fastp != NULL)
		*fastp = fast;
	else
		free(fast.items);
	return fast.ret < 0 ? fast.ret : fast.n;
}

static long
read_str(const char *text)
{
	return read_both(text, strlen(text), 8, NULL);
}

/* A canonical export of n records, as broker export writes them. */
static char *
canonical(int n, size_t *lenp)
{
	struct rt_export_totals *tt = calloc(1, sizeof(*tt));
	struct rt_export_header h;
	struct rt_usage_record u;
	struct rt_buf xml;
	char *text;

	assert_non_null(tt);
	memset(&h, 0, sizeof(h));
	snprintf(h.id, sizeof(h.id), "019a6b1e-4000-7a00-8000-0000000000e1");
	snprintf(h.issuer, sizeof(h.issuer), "visited.example");
	snprintf(h.partner, sizeof(h.partner), "home.example");
	snprintf(h.currency, sizeof(h.currency), "EUR");
	h.period_start = NOV1;
	h.period_end = NOV1 + 30 * 86400;
	h.created_at = h.period_end + 3600;
	rt_buf_init(&xml, 64 * 1024 * 1024);
	assert_int_equal(rt_export_encode_begin(&h, &xml), 0);
	for (int i = 0; i < n; i++) {
		int unpriced = i % 7 == 5;

		if (i % 4 == 3)
			th_record(&u, 10 + i, AGREEMENT, "message", 1 + i % 3, "message",
			    NOV1 + i * 60);
		else
			th_record(&u, 10 + i, AGREEMENT, unpriced ? "video" : "voice",
			    (uint64_t)(i * 13 % 400), "second", NOV1 + i * 60);
		if (i % 11 == 0)
			snprintf(u.flags[u.nflags++], RT_SERVICE_MAX, "outside-validity");
		if (i % 13 == 1)
			snprintf(u.call_id, sizeof(u.call_id), "a,\"b\" <c>&d'%d]]", i);
		if (i % 17 == 2)
			u.call_id[0] = '\0';
		assert_int_equal(rt_export_encode_priced_record(&u, unpriced ? 0 : i % 50,
		    unpriced ? "unknown-service" : NULL, &xml), 0);
		assert_int_equal(rt_export_totals_add(tt, &u, unpriced ? 0 : i % 50,
		    unpriced), 0);
	}
	assert_int_equal(rt_export_encode_end(tt->t, tt->n, &xml), 0);
	assert_non_null(text = malloc(xml.len + 1));
	memcpy(text, xml.data, xml.len);
	text[xml.len] = '\0';
	*lenp = xml.len;
	rt_buf_fini(&xml);
	free(tt);
	return text;
}

/* Where record i of canonical() starts: its id, unique in the file. */
static const char *
rec(int i)
{
	static char mark[8][40];
	static int next;
	char *m = mark[next++ % 8];

	snprintf(m, sizeof(mark[0]), "-8000-%012x\"", (unsigned)(10 + i));
	return m;
}

/* text with the first occurrence of from (after start) replaced by to. */
static char *
replace(const char *text, const char *start, const char *from, const char *to)
{
	const char *s = start != NULL ? strstr(text, start) : text;
	const char *at;
	size_t n = strlen(text) + strlen(to) + 1;
	char *out = malloc(n);

	assert_non_null(s);
	assert_non_null(at = strstr(s, from));
	assert_non_null(out);
	snprintf(out, n, "%.*s%s%s", (int)(at - text), text, to, at + strlen(from));
	return out;
}

/* Every occurrence of from replaced by to. */
static char *
replace_all(const char *text, const char *from, const char *to)
{
	size_t nf = strlen(from), nt = strlen(to), n = 1;
	const char *p;
	char *out, *o;

	for (p = text; (p = strstr(p, from)) != NULL; p += nf)
		n += nt;
	assert_non_null(out = malloc(strlen(text) + n));
	for (o = out, p = text; *p != '\0';) {
		if (strncmp(p, from, nf) == 0) {
			memcpy(o, to, nt);
			o += nt;
			p += nf;
		} else
			*o++ = *p++;
	}
	*o = '\0';
	return out;
}

static void
test_canonical(void **state)
{
	struct outcome fast, slow;
	struct rt_export_reader *rd = NULL;
	struct rt_export_item item;
	uint8_t want[RT_SHA256_LEN], got[RT_SHA256_LEN];
	size_t len;
	char *text = canonical(BIG, &len);
	FILE *f = tmpfile();
	long n = 0;

	(void)state;
	/* libxml2 is not needed for what we write */
	assert_int_equal(read_both(text, len, BIG, &fast), BIG);
	assert_false(fast.handed_over);
	assert_true(fast.ntotals >= 3);
	memset(&slow, 0, sizeof(slow));
	slow.max = 1;
	assert_non_null(slow.items = calloc(1, sizeof(*slow.items)));
	read_way(text, len, RT_EXPORT_READ_LIBXML2, &slow);
	assert_true(slow.handed_over);
	assert_string_equal(fast.items[1].u.call_id, "a,\"b\" <c>&d'1]]");
	assert_string_equal(fast.items[2].u.call_id, "");
	assert_string_equal(fast.items[5].unpriced, "unknown-service");
	assert_int_equal(fast.items[11].u.nflags, 1);
	/* from a file, through the input buffer, hashing every byte */
	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, len, f), len);
	rewind(f);
	assert_int_equal(rt_export_file_sha256(f, want), 0);
	rewind(f);
	assert_int_equal(rt_export_reader_open(f, 1, &rd, NULL), 0);
	while (rt_export_reader_next(rd, &item) == 1)
		same_items(&item, &fast.items[n++]);
	assert_int_equal(n, BIG);
	assert_null(rd->sax);
	assert_int_equal(rt_export_reader_digest(rd, got), 0);
	assert_memory_equal(got, want, sizeof(want));
	rt_export_reader_free(rd);
	fclose(f);
	free(slow.items);
	free(fast.items);
	free(text);
}

/* Valid forms the fast path does not take: read all the same. */
static void
test_other_forms(void **state)
{
	static const struct {
		const char *start, *from, *to;
		int fast;	/* the fast path reads it too */
	} edits[] = {
		/* no XML declaration, another one */
		{NULL, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", "", 1},
		{NULL, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>", "<?xml version='1.0'?>", 0},
		/* prefixes, declared anywhere */
		{NULL, "<UsageRecord id", "<rt:UsageRecord xmlns:rt=\"urn:roamtrust:1\" id", 0},
		{"<CallId>", "<Service>voice</Service>",
		    "<x:Service xmlns:x=\"urn:roamtrust:1\">voice</x:Service>", 0},
		/* attribute order, quotes, blanks in tags */
		{NULL, "amountMinor=\"0\">", "amountMinor = '0' >", 0},
		{"<Total", "records=", "\n\trecords=", 0},
		{NULL, "<Issuer>visited.example</Issuer>", "<Issuer >visited.example</Issuer >", 0},
		/* references and CDATA-free escapes */
		{NULL, "<Service>message</Service>", "<Service>&#x6d;essage</Service>", 0},
		{NULL, "call-10@", "&#99;all-10@", 0},
		{NULL, "&lt;c&gt;", "&lt;c>", 1},
		/* empty elements, either way */
		{"<Total", "\"/>", "\"></Total>", 0},
		{NULL, "</SettlementExport>", "</SettlementExport >", 0},
	};
	struct outcome base, o;
	size_t len;
	char *text = canonical(40, &len), *crlf;

	(void)state;
	assert_int_equal(read_both(text, len, 40, &base), 40);
	for (size_t i = 0; i < sizeof(edits) / sizeof(edits[0]); i++) {
		char *t = replace(text, edits[i].start, edits[i].from, edits[i].to);

		if (strstr(edits[i].to, "rt:UsageRecord") != NULL) {
			char *u = replace(t, "rt:UsageRecord", "</UsageRecord>",
			    "</rt:UsageRecord>");

			free(t);
			t = u;
		}
		if (read_both(t, strlen(t), 40, &o) != 40)
			fail_msg("edit %zu: %s", i, o.err);
		if (o.handed_over != !edits[i].fast)
			fail_msg("edit %zu: handed over %d", i, o.handed_over);
		for (int k = 0; k < 40; k++)
			same_items(&o.items[k], &base.items[k]);
		free(o.items);
		free(t);
	}
	/* CRLF line ends (blanks only: values keep their bytes) */
	crlf = replace_all(text, "\n", "\r\n");
	assert_int_equal(read_both(crlf, strlen(crlf), 40, &o), 40);
	for (int k = 0; k < 40; k++)
		same_items(&o.items[k], &base.items[k]);
	free(o.items);
	free(crlf);
	/* UTF-8 in a value, a tab in a value */
	crlf = replace(text, NULL, "call-10@", "cäll\t-10@");
	assert_int_equal(read_both(crlf, strlen(crlf), 40, &o), 40);
	assert_string_equal(o.items[0].u.call_id, "cäll\t-10@10.0.0.1");
	free(o.items);
	free(crlf);
	free(base.items);
	free(text);
}

/* The handoff anywhere in a big file: the same records as without it. */
static void
test_handoff(void **state)
{
	const struct {
		const char *start, *from, *to;
	} edits[] = {
		{rec(1990), "<Unit>", "<Unit >"},		/* a record deep in */
		{rec(2999), "</UsageRecord>", "</UsageRecord >"},	/* the last */
		{"<Total", "records=", "records ="},		/* a total */
		{NULL, "</SettlementExport>", "</SettlementExport\n>"},
		{rec(1500), "\n    <Start>", "\r\n    <Start>"},	/* a CR */
		{rec(700), "<Subscriber>sip:", "<Subscriber>&#x73;ip:"},
	};
	struct outcome base, o;
	size_t len;
	char *text = canonical(BIG, &len);

	(void)state;
	assert_int_equal(read_both(text, len, BIG, &base), BIG);
	for (size_t i = 0; i < sizeof(edits) / sizeof(edits[0]); i++) {
		char *t = replace(text, edits[i].start, edits[i].from, edits[i].to);

		if (read_both(t, strlen(t), BIG, &o) != BIG)
			fail_msg("edit %zu: %s", i, o.err);
		assert_true(o.handed_over);
		for (int k = 0; k < BIG; k++)
			same_items(&o.items[k], &base.items[k]);
		assert_int_equal(o.ntotals, base.ntotals);
		free(o.items);
		free(t);
	}
	free(base.items);
	free(text);
}

/* Expects text refused with err both ways, after n records. */
static void
refused(const char *text, long n, int err, const char *says)
{
	struct outcome o;

	if (read_both(text, strlen(text), 8, &o) != err)
		fail_msg("expected %d (%s), got %d: %s", err, says, o.ret, o.err);
	assert_int_equal(o.n, n);
	if (strstr(o.err, says) == NULL)
		fail_msg("'%s' does not say '%s'", o.err, says);
	free(o.items);
}

/* text with from (after start) replaced, refused as expected */
static void
refused_edit(const char *text, const char *start, const char *from, const char *to,
    long n, int err, const char *says)
{
	char *t = replace(text, start, from, to);

	refused(t, n, err, says);
	free(t);
}

static void
test_refusals(void **state)
{
	size_t len;
	char *text = canonical(6, &len), *t, big[1200], *huge;

	(void)state;
	/* a DTD, with or without an internal subset */
	refused_edit(text, NULL, "<SettlementExport", "<!DOCTYPE SettlementExport [\n"
	    "<!ENTITY a \"aaaaaaaaaa\">]>\n<SettlementExport", 0, RT_ERR_XML_DTD, "DTD");
	refused_edit(text, NULL, "<SettlementExport", "<!DOCTYPE SettlementExport "
	    "SYSTEM \"http://example.com/x.dtd\">\n<SettlementExport", 0,
	    RT_ERR_XML_DTD, "DTD");
	/* entities, comments, CDATA, processing instructions; the records
	 * before them come out first */
	refused_edit(text, rec(3), "call-13@", "&ent;call-13@", 3, RT_ERR_XML_DTD,
	    "entity");
	refused_edit(text, NULL, "<Total", "<!-- c --><Total", 6, RT_ERR_XML_DTD, "DTD");
	refused_edit(text, rec(4), "call-14@", "<![CDATA[x]]>", 4, RT_ERR_XML_DTD, "DTD");
	refused_edit(text, NULL, "<Total", "<?pi x?><Total", 6, RT_ERR_XML_DTD, "DTD");
	/* nesting deeper than the schema */
	assert_non_null(t = malloc(80000));
	snprintf(t, 80000, "<Service>");
	for (int i = 0; i < 5000; i++)
		strcat(t, "<a>");
	refused_edit(text, NULL, "<Service>", t, 0, RT_ERR_SCHEMA, "inside a simple value");
	refused_edit(text, rec(1), "<Service>", "<UsageRecord><Service>", 1,
	    RT_ERR_SCHEMA, "expected <Service>");
	refused_edit(text, "<Total", "\"/>", "\"><a/></Total>", 6, RT_ERR_SCHEMA,
	    "Total must be empty");
	refused_edit(text, "<Total", "\"/>", "\"> </Total>", 6, RT_ERR_SCHEMA,
	    "Total must be empty");
	/* sizes: a text node, a field, an attribute, a record */
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	snprintf(t, 80000, "<CallId>%s", big);
	refused_edit(text, rec(4), "<CallId>", t, 4, RT_ERR_TOO_BIG, "value too long");
	snprintf(t, 80000, "<CallId>%.300s", big);
	refused_edit(text, rec(4), "<CallId>", t, 4, RT_ERR_TOO_BIG, "<CallId> too long");
	snprintf(t, 80000, "amountMinor=\"%s\"", big);
	refused_edit(text, NULL, "amountMinor=\"0\"", t, 0, RT_ERR_TOO_BIG, "too long");
	assert_non_null(huge = malloc(70001));
	memset(huge, ' ', 70000);
	huge[70000] = '\0';
	snprintf(t, 80000, "%s<Start>", huge);
	refused_edit(text, rec(4), "<Start>", t, 4, RT_ERR_TOO_BIG, "record longer");
	free(huge);
	/* namespaces */
	refused_edit(text, NULL, "xmlns=\"urn:roamtrust:1\"", "xmlns=\"urn:other\"", 0,
	    RT_ERR_TYPE, "not a SettlementExport");
	refused_edit(text, NULL, " xmlns=\"urn:roamtrust:1\"", "", 0, RT_ERR_TYPE,
	    "not a SettlementExport");
	refused_edit(text, rec(1), "<Service>voice</Service>",
	    "<Service xmlns=\"urn:other\">voice</Service>", 1, RT_ERR_SCHEMA,
	    "expected <Service>");
	refused_edit(text, NULL, "<UsageRecord id", "<UsageRecord xmlns=\"urn:x\" id", 0,
	    RT_ERR_SCHEMA, "unexpected <UsageRecord>");
	refused_edit(text, NULL, "amountMinor=\"0\"",
	    "x:amountMinor=\"0\" xmlns:x=\"urn:roamtrust:1\"", 0, RT_ERR_SCHEMA,
	    "bad attribute");
	/* unknown elements and attributes, order, counts */
	refused_edit(text, rec(1), "<Unit>", "<Bogus/><Unit>", 1, RT_ERR_SCHEMA,
	    "not <Bogus>");
	refused_edit(text, NULL, "<Total", "<Bogus/><Total", 6, RT_ERR_SCHEMA,
	    "unexpected <Bogus>");
	refused_edit(text, NULL, "amountMinor=\"0\"", "amountMinor=\"0\" x=\"1\"", 0,
	    RT_ERR_SCHEMA, "bad attribute 'x'");
	refused_edit(text, rec(2), "<AssertionRef>", "<Subscriber/><AssertionRef>", 2,
	    RT_ERR_SCHEMA, "expected <AssertionRef>");
	refused_edit(text, rec(2), "</UsageRecord>",
	    "<Flag>a</Flag><Flag>b</Flag><Flag>c</Flag><Flag>d</Flag><Flag>e</Flag>"
	    "</UsageRecord>", 2, RT_ERR_SCHEMA, "more than 4 flags");
	refused_edit(text, NULL, "\n  <Total", "<UsageRecord/><Total", 6, RT_ERR_SCHEMA,
	    "UsageRecord without id");
	refused_edit(text, NULL, "</SettlementExport>", "<UsageRecord/></SettlementExport>",
	    6, RT_ERR_SCHEMA, "unexpected <UsageRecord>");
	/* values */
	refused_edit(text, rec(2), "<Quantity>", "<Quantity>x", 2, RT_ERR_SCHEMA,
	    "bad <Quantity>");
	refused_edit(text, rec(2), "<Start>2026-11", "<Start>2026-13", 2, RT_ERR_SCHEMA,
	    "bad <Start>");
	refused_edit(text, NULL, "<Currency>EUR", "<Currency>EU", 0, RT_ERR_SCHEMA,
	    "bad currency");
	refused_edit(text, NULL, "id=\"019a6b1e-4000", "id=\"019A6b1e-4000", 0,
	    RT_ERR_SCHEMA, "bad export id");
	/* not well-formed: truncated, trailing, "]]>", attributes twice */
	refused_edit(text, rec(2), "</Service>", "</Servic>", 2, RT_ERR_XML_PARSE, "line ");
	refused_edit(text, NULL, "</SettlementExport>\n", "", 6, RT_ERR_XML_PARSE, "line ");
	refused_edit(text, NULL, "</SettlementExport>\n", "</SettlementExport>\n<x/>", 6,
	    RT_ERR_XML_PARSE, "line ");
	refused_edit(text, NULL, "</SettlementExport>\n", "</SettlementExport>\nx", 6,
	    RT_ERR_XML_PARSE, "line ");
	refused_edit(text, rec(4), "call-14@", "]]>", 4, RT_ERR_XML_PARSE, "line ");
	refused_edit(text, NULL, "amountMinor=\"0\"", "amountMinor=\"0\" amountMinor=\"0\"",
	    0, RT_ERR_XML_PARSE, "line ");
	free(t);
	assert_non_null(t = strdup(text));
	for (size_t cut = 0; cut < len; cut += 97) {
		t[cut] = '\0';
		assert_true(read_both(t, cut, 8, NULL) < 0);
		t[cut] = text[cut];
	}
	free(t);
	/* UTF-8, whatever the declaration says or the first bytes suggest */
	t = replace(text, NULL, "encoding=\"UTF-8\"", "encoding=\"ISO-8859-1\"");
	assert_int_equal(read_str(t), 6);
	free(t);
	refused_edit(text, rec(4), "call-14@", "\xe9", 4, RT_ERR_XML_PARSE, "line ");
	assert_int_equal(read_both("<\0?\0x\0m\0l\0", 10, 8, NULL), RT_ERR_XML_PARSE);
	assert_int_equal(read_both("<SettlementExport\0", 18, 8, NULL), RT_ERR_XML_PARSE);
	free(text);
}

/* An error names its line, the same after a handoff. */
static void
test_error_lines(void **state)
{
	size_t len;
	char *text = canonical(40, &len), *t, *u, want[32];
	int line = 1;
	const char *at;

	(void)state;
	t = replace(text, rec(20), "<Quantity>", "<Quantity>x");
	at = strstr(t, "<Quantity>x");
	for (const char *p = t; p < at; p++)
		line += *p == '\n';
	snprintf(want, sizeof(want), "line %d: ", line);
	refused(t, 20, RT_ERR_SCHEMA, want);
	/* handed over at record 5 already */
	u = replace(t, rec(5), "<Unit>", "<Unit >");
	refused(u, 20, RT_ERR_SCHEMA, want);
	free(u);
	free(t);
	free(text);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_canonical),
		cmocka_unit_test(test_other_forms),
		cmocka_unit_test(test_handoff),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_error_lines),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
