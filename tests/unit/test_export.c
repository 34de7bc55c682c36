/*
 * export: pricing exact to the minor unit, totals, the ledger streamed in
 * id order, the XML valid against the XSD, the CSV read back, the
 * signature, and the reader's refusals of malformed exports.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helper_export.h"
#include "rt_export_read_int.h"
#include "rt_file.h"
#include "rt_log.h"

#define NOV1 1793491200	/* 2026-11-01T00:00:00Z */
#define DEC1 1796083200	/* 2026-12-01T00:00:00Z */
#define N_RECORDS 300

static struct th_settlement *st;

static int
setup(void **state)
{
	(void)state;
	rt_log_init("test_export", RT_LOG_STDERR, RT_LOG_ERR);
	return th_settlement_new(&st) == 0 ? 0 : -1;
}

static int
teardown(void **state)
{
	(void)state;
	th_settlement_free(st);
	return 0;
}

static int64_t
price(const char *service, uint64_t q, const char *unit, int *err)
{
	struct rt_usage_record u;
	int64_t amount = -1;

	th_record(&u, 1, st->agreement_id, service, q, unit, NOV1);
	*err = rt_price_record(&st->agreements[0], &u, &amount);
	return amount;
}

static void
test_pricing(void **state)
{
	struct rt_agreement a = st->agreements[0];
	struct rt_usage_record u;
	int64_t amount;
	int err;

	(void)state;
	/* voice: 12 per minute; round half up per record */
	assert_int_equal(price("voice", 125, "second", &err), 25);
	assert_int_equal(err, 0);
	assert_int_equal(price("voice", 60, "second", &err), 12);
	assert_int_equal(price("voice", 0, "second", &err), 0);
	assert_int_equal(price("voice", 2, "second", &err), 0);		/* 0.4 */
	assert_int_equal(price("voice", 3, "second", &err), 1);		/* 0.6 */
	assert_int_equal(price("voice", 5, "second", &err), 1);		/* 1.0 */
	assert_int_equal(price("voice", 7, "second", &err), 1);		/* 1.4 */
	assert_int_equal(price("voice", 3, "minute", &err), 36);
	assert_int_equal(price("message", 7, "message", &err), 14);
	/* exactly half rounds up: 1 per minute, 30 s = 0.5 -> 1, 90 s -> 2 */
	a.services[0].rate = 1;
	th_record(&u, 1, a.id, "voice", 30, "second", NOV1);
	assert_int_equal(rt_price_record(&a, &u, &amount), 0);
	assert_int_equal(amount, 1);
	u.quantity = 29;
	assert_int_equal(rt_price_record(&a, &u, &amount), 0);
	assert_int_equal(amount, 0);
	u.quantity = 90;
	assert_int_equal(rt_price_record(&a, &u, &amount), 0);
	assert_int_equal(amount, 2);
	/* minute records against a per-second rate */
	snprintf(a.services[0].unit, sizeof(a.services[0].unit), "second");
	a.services[0].rate = 3;
	th_record(&u, 1, a.id, "voice", 2, "minute", NOV1);
	assert_int_equal(rt_price_record(&a, &u, &amount), 0);
	assert_int_equal(amount, 360);
	/* the largest quantity at the largest rate overflows the schema bound */
	a.services[0].rate = 100000000;
	u.quantity = 1000000000000ULL;
	assert_int_equal(rt_price_record(&a, &u, &amount), RT_ERR_TOO_BIG);
	assert_int_equal(amount, 0);
	/* the bound itself: 10^12 seconds at 59999 a minute fits, 60000 not */
	snprintf(a.services[0].unit, sizeof(a.services[0].unit), "minute");
	snprintf(u.unit, sizeof(u.unit), "second");
	a.services[0].rate = 59999;
	assert_int_equal(rt_price_record(&a, &u, &amount), 0);
	assert_int_equal(amount, 999983333333333LL);
	a.services[0].rate = 60000;
	assert_int_equal(rt_price_record(&a, &u, &amount), RT_ERR_TOO_BIG);
	/* what cannot be priced says why */
	assert_int_equal(price("voice", 10, "message", &err), 0);
	assert_int_equal(err, RT_ERR_TYPE);
	assert_string_equal(rt_price_reason(err), "unit-mismatch");
	assert_int_equal(price("video", 10, "second", &err), 0);
	assert_int_equal(err, RT_ERR_NOT_FOUND);
	assert_string_equal(rt_price_reason(err), "unknown-service");
	th_record(&u, 1, "0190f5a2-7b3c-7def-8123-000000000000", "voice", 60, "second", NOV1);
	assert_int_equal(rt_price_record(&st->agreements[0], &u, &amount), RT_ERR_NO_AGREEMENT);
	assert_int_equal(rt_price_record(NULL, &u, &amount), RT_ERR_NO_AGREEMENT);
	assert_string_equal(rt_price_reason(RT_ERR_NO_AGREEMENT), "unknown-agreement");
	th_record(&u, 1, st->agreement_id, "voice", 60, "second", NOV1);
	snprintf(u.home, sizeof(u.home), "visited.example");
	snprintf(u.visited, sizeof(u.visited), "home.example");
	assert_int_equal(rt_price_record(&st->agreements[0], &u, &amount), RT_ERR_REALM);
}

static void
test_totals(void **state)
{
	struct rt_export_totals *tt = calloc(1, sizeof(*tt));
	struct rt_usage_record u;

	(void)state;
	assert_non_null(tt);
	th_record(&u, 1, st->agreement_id, "voice", 125, "second", NOV1);
	assert_int_equal(rt_export_totals_add(tt, &u, 25, 0), 0);
	assert_int_equal(rt_export_totals_add(tt, &u, 25, 0), 0);
	th_record(&u, 2, st->agreement_id, "message", 3, "message", NOV1);
	assert_int_equal(rt_export_totals_add(tt, &u, 0, 1), 0);
	assert_int_equal(tt->n, 2);
	assert_int_equal(tt->t[0].records, 2);
	assert_int_equal(tt->t[0].quantity, 250);
	assert_int_equal(tt->t[0].amount_minor, 50);
	assert_int_equal(tt->t[1].unpriced_records, 1);
	assert_int_equal(tt->records, 3);
	assert_int_equal(tt->unpriced, 1);
	/* past the schema's bound */
	assert_int_equal(rt_export_totals_add(tt, &u, RT_AMOUNT_MAX, 0), 0);
	assert_int_equal(rt_export_totals_add(tt, &u, 1, 0), RT_ERR_TOO_BIG);
	/* more groups than the schema allows */
	memset(tt, 0, sizeof(*tt));
	for (int i = 0; i < RT_EXPORT_TOTALS_MAX; i++) {
		snprintf(u.service, sizeof(u.service), "s%d", i);
		assert_int_equal(rt_export_totals_add(tt, &u, 1, 0), 0);
	}
	snprintf(u.service, sizeof(u.service), "one-more");
	assert_int_equal(rt_export_totals_add(tt, &u, 1, 0), RT_ERR_TOO_BIG);
	free(tt);
}

/*
 * A visited-side ledger: N_RECORDS records with home.example inserted out
 * of id order (both origins), plus records of another partner and outside
 * the period that must not be exported.
 */
static void
make_ledger(const char *path, int *expect_voice_amount, int *expect_unpriced)
{
	struct rt_usage_record u;
	sqlite3 *db = NULL;
	int64_t pseq = 1;

	*expect_voice_amount = 0;
	*expect_unpriced = 0;
	assert_int_equal(th_ledger_create(path, &db), 0);
	assert_int_equal(sqlite3_exec(db, "BEGIN", NULL, NULL, NULL), SQLITE_OK);
	for (int k = 0; k < N_RECORDS; k++) {
		int i = (k * 7919) % N_RECORDS + 10;	/* a permutation */
		int64_t amount = 0;

		if (i % 10 == 0)
			th_record(&u, i, st->agreement_id, "message", 1 + i % 3, "message",
			    NOV1 + i * 60);
		else if (i % 37 == 0)	/* a service the agreement does not list */
			th_record(&u, i, st->agreement_id, "video", 10, "second", NOV1 + i * 60);
		else
			th_record(&u, i, st->agreement_id, "voice", (uint64_t)(i * 13 % 400),
			    "second", NOV1 + i * 60);
		if (i % 11 == 0)
			snprintf(u.flags[u.nflags++], RT_SERVICE_MAX, "outside-validity");
		if (i == 12)	/* a call id that needs CSV quoting and XML escaping */
			snprintf(u.call_id, sizeof(u.call_id), "a,\"b\" <c>&d");
		assert_int_equal(th_ledger_insert(db, "home.example", i % 2, pseq++, &u), 0);
		if (strcmp(u.service, "voice") == 0) {
			assert_int_equal(rt_price_record(&st->agreements[0], &u, &amount), 0);
			*expect_voice_amount += (int)amount;
		} else if (strcmp(u.service, "video") == 0)
			(*expect_unpriced)++;
	}
	/* another partner, and outside the period: never exported */
	th_record(&u, 5, st->agreement_id, "voice", 60, "second", NOV1 + 300);
	assert_int_equal(th_ledger_insert(db, "third.example", 0, 1, &u), 0);
	th_record(&u, 6, st->agreement_id, "voice", 60, "second", DEC1);
	assert_int_equal(th_ledger_insert(db, "home.example", 0, pseq++, &u), 0);
	th_record(&u, 7, st->agreement_id, "voice", 60, "second", NOV1 - 1);
	assert_int_equal(th_ledger_insert(db, "home.example", 0, pseq++, &u), 0);
	assert_int_equal(sqlite3_exec(db, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
}

static void
run_export(const char *db, const char *out, enum rt_export_format format,
    struct broker_export_result *res, int force, int want)
{
	struct broker_export_opts o;
	char err[512];

	memset(&o, 0, sizeof(o));
	o.db = db;
	o.realm = "visited.example";
	o.partner = "home.example";
	o.from = NOV1;
	o.to = DEC1;
	o.format = format;
	o.out = out;
	o.force = force;
	o.agreements = st->agreements;
	o.nagreements = st->nagreements;
	o.signer = st->s_visited;
	o.now = st->now;
	assert_int_equal(broker_export_run(&o, res, err, sizeof(err)), want);
	if (want != 0)
		assert_true(err[0] != '\0');
}

/* What both formats must hold, read back with the streaming reader. */
static void
check_items(const struct rt_export_item *items, long n, int voice_amount,
    int unpriced)
{
	int64_t sum = 0;
	int seen_unpriced = 0, seen_flag = 0, seen_quoted = 0;

	assert_int_equal(n, N_RECORDS);
	for (long k = 0; k < n; k++) {
		const struct rt_export_item *it = &items[k];

		if (k > 0)	/* ascending id: the stream order */
			assert_true(strcmp(items[k - 1].u.id, it->u.id) < 0);
		assert_string_equal(it->u.home, "home.example");
		assert_true(it->u.start >= NOV1 && it->u.start < DEC1);
		if (strcmp(it->u.service, "voice") == 0) {
			struct rt_usage_record u = it->u;
			int64_t a;

			u.nflags = 0;
			assert_int_equal(rt_price_record(&st->agreements[0], &u, &a), 0);
			assert_int_equal(it->amount_minor, a);
			sum += it->amount_minor;
		}
		if (strcmp(it->u.service, "video") == 0) {
			assert_string_equal(it->unpriced, "unknown-service");
			assert_int_equal(it->amount_minor, 0);
			seen_unpriced++;
		}
		if (it->u.nflags == 1 && strcmp(it->u.flags[0], "outside-validity") == 0)
			seen_flag++;
		if (strcmp(it->u.call_id, "a,\"b\" <c>&d") == 0)
			seen_quoted++;
	}
	assert_int_equal(sum, voice_amount);
	assert_int_equal(seen_unpriced, unpriced);
	assert_true(seen_flag > 0);
	assert_int_equal(seen_quoted, 1);
}

static void
check_file_totals(const char *path, const struct broker_export_result *res)
{
	struct rt_export_reader *rd = NULL;
	struct rt_export_item item;
	const struct rt_export_total *t;
	FILE *f = fopen(path, "rb");
	size_t n;

	assert_non_null(f);
	assert_int_equal(rt_export_reader_open(f, 0, &rd, NULL), 0);
	while (rt_export_reader_next(rd, &item) == 1)
		;
	t = rt_export_reader_totals(rd, &n);
	assert_int_equal(n, res->totals.n);
	for (size_t i = 0; i < n; i++) {
		assert_string_equal(t[i].service, res->totals.t[i].service);
		assert_int_equal(t[i].records, res->totals.t[i].records);
		assert_int_equal(t[i].quantity, res->totals.t[i].quantity);
		assert_int_equal(t[i].amount_minor, res->totals.t[i].amount_minor);
		assert_int_equal(t[i].unpriced_records, res->totals.t[i].unpriced_records);
	}
	rt_export_reader_free(rd);
	fclose(f);
}

static void
check_signature(const char *path)
{
	struct rt_cms_signers signers;
	uint8_t digest[RT_SHA256_LEN];
	char sig[700];
	FILE *f = fopen(path, "rb");

	assert_non_null(f);
	snprintf(sig, sizeof(sig), "%s.sig", path);
	assert_int_equal(rt_export_verify_file(st->trust, f, sig, st->now, &signers,
	    digest), 0);
	assert_int_equal(signers.count, 1);
	assert_string_equal(signers.realm[0], "visited.example");
	fclose(f);
}

static void
test_export_xml(void **state)
{
	struct broker_export_result *res = calloc(1, sizeof(*res));
	struct rt_export_item *items = calloc(N_RECORDS + 8, sizeof(*items));
	struct rt_export_header h;
	struct rt_buf xml;
	xmlDocPtr doc = NULL;
	char db[600], out[600];
	int voice, unpriced;
	long n;

	(void)state;
	th_path(st, "ledger-x.db", db);
	th_path(st, "export.xml", out);
	make_ledger(db, &voice, &unpriced);
	run_export(db, out, RT_EXPORT_XML, res, 0, 0);
	assert_int_equal(res->totals.records, N_RECORDS);
	assert_int_equal(res->totals.unpriced, unpriced);
	/* valid against the schema, as a whole document */
	rt_buf_init(&xml, 64 * 1024 * 1024);
	assert_int_equal(rt_file_read(out, 64 * 1024 * 1024, &xml), 0);
	assert_int_equal(rt_doc_parse_verified("SettlementExport", xml.data, xml.len,
	    64 * 1024 * 1024, &doc), 0);
	xmlFreeDoc(doc);
	assert_non_null(strstr(rt_buf_str(&xml), "&lt;c&gt;&amp;d"));
	rt_buf_fini(&xml);
	n = th_export_read(out, items, N_RECORDS + 8, &h);
	assert_string_equal(h.issuer, "visited.example");
	assert_string_equal(h.partner, "home.example");
	assert_string_equal(h.currency, "EUR");
	assert_true(h.period_start == NOV1 && h.period_end == DEC1);
	check_items(items, n, voice, unpriced);
	check_file_totals(out, res);
	check_signature(out);
	/* an existing file is not replaced without --force */
	run_export(db, out, RT_EXPORT_XML, res, 0, RT_ERR_EXISTS);
	run_export(db, out, RT_EXPORT_XML, res, 1, 0);
	free(items);
	free(res);
}

static void
test_export_csv(void **state)
{
	struct broker_export_result *res = calloc(1, sizeof(*res));
	struct rt_export_item *items = calloc(N_RECORDS + 8, sizeof(*items));
	struct rt_export_header h;
	struct rt_buf csv;
	char db[600], out[600];
	int voice, unpriced;
	long n;

	(void)state;
	th_path(st, "ledger-c.db", db);
	th_path(st, "export.csv", out);
	make_ledger(db, &voice, &unpriced);
	run_export(db, out, RT_EXPORT_CSV, res, 0, 0);
	rt_buf_init(&csv, 64 * 1024 * 1024);
	assert_int_equal(rt_file_read(out, 64 * 1024 * 1024, &csv), 0);
	/* RFC 4180: the header, CRLF, a quoted field with doubled quotes */
	assert_memory_equal(csv.data, RT_EXPORT_CSV_HEADER "\r\nexport,", 
	    strlen(RT_EXPORT_CSV_HEADER) + 9);
	assert_non_null(strstr(rt_buf_str(&csv), ",\"a,\"\"b\"\" <c>&d\","));
	assert_non_null(strstr(rt_buf_str(&csv), "\r\ntotal,,,,home.example,visited.example,voice,"));
	rt_buf_fini(&csv);
	n = th_export_read(out, items, N_RECORDS + 8, &h);
	assert_string_equal(h.issuer, "visited.example");
	assert_string_equal(h.currency, "EUR");
	check_items(items, n, voice, unpriced);
	check_file_totals(out, res);
	check_signature(out);
	free(items);
	free(res);
}

/* The daemon may hold a write transaction: export reads what is committed. */
static void
test_export_while_writing(void **state)
{
	struct broker_export_result *res = calloc(1, sizeof(*res));
	struct rt_usage_record u;
	sqlite3 *writer = NULL;
	char db[600], out[600];
	int voice, unpriced;

	(void)state;
	th_path(st, "ledger-w.db", db);
	th_path(st, "export-w.csv", out);
	make_ledger(db, &voice, &unpriced);
	assert_int_equal(sqlite3_open(db, &writer), SQLITE_OK);
	assert_int_equal(sqlite3_exec(writer, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
	th_record(&u, 9999, st->agreement_id, "voice", 60, "second", NOV1 + 60);
	assert_int_equal(th_ledger_insert(writer, "home.example", 0, 100000, &u), 0);
	run_export(db, out, RT_EXPORT_CSV, res, 0, 0);
	assert_int_equal(res->totals.records, N_RECORDS);
	assert_int_equal(sqlite3_exec(writer, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(writer);
	run_export(db, out, RT_EXPORT_CSV, res, 1, 0);
	assert_int_equal(res->totals.records, N_RECORDS + 1);
	free(res);
}

static void
test_export_refusals(void **state)
{
	struct broker_export_result *res = calloc(1, sizeof(*res));
	struct broker_export_opts o;
	char out[600], err[512];

	(void)state;
	th_path(st, "never.xml", out);
	memset(&o, 0, sizeof(o));
	o.db = "/nonexistent/ledger.db";
	o.realm = "visited.example";
	o.partner = "home.example";
	o.from = NOV1;
	o.to = DEC1;
	o.out = out;
	o.signer = st->s_visited;
	assert_int_equal(broker_export_run(&o, res, err, sizeof(err)), RT_ERR_NOT_FOUND);
	assert_non_null(strstr(err, "no ledger"));
	o.to = NOV1;
	assert_int_equal(broker_export_run(&o, res, err, sizeof(err)), RT_ERR_USAGE);
	assert_false(rt_file_exists(out));
	free(res);
}

/* The query walks the id index: no sort, memory independent of size. */
static void
test_export_query_plan(void **state)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *q = NULL;
	char path[600];
	int uses_id_index = 0, sorts = 0;

	(void)state;
	th_path(st, "plan.db", path);
	assert_int_equal(th_ledger_create(path, &db), 0);
	assert_int_equal(sqlite3_prepare_v2(db, "EXPLAIN QUERY PLAN " BROKER_EXPORT_SQL,
	    -1, &q, NULL), SQLITE_OK);
	while (sqlite3_step(q) == SQLITE_ROW) {
		const char *detail = (const char *)sqlite3_column_text(q, 3);

		if (strstr(detail, "TEMP B-TREE") != NULL)
			sorts = 1;
		if (strstr(detail, "sqlite_autoindex_records_1") != NULL)
			uses_id_index = 1;
	}
	sqlite3_finalize(q);
	sqlite3_close(db);
	assert_false(sorts);
	assert_true(uses_id_index);
}

static void
test_time_arg(void **state)
{
	time_t t;

	(void)state;
	assert_int_equal(broker_time_arg("2026-11-01", &t), 0);
	assert_true(t == NOV1);
	assert_int_equal(broker_time_arg("2026-11-01T00:00:00Z", &t), 0);
	assert_true(t == NOV1);
	assert_int_equal(broker_time_arg("2026-12-01T01:00:00+01:00", &t), 0);
	assert_true(t == DEC1);
	assert_int_not_equal(broker_time_arg("2026-11-01T00:00:00", &t), 0);
	assert_int_not_equal(broker_time_arg("yesterday", &t), 0);
}

/* ---- the reader's refusals ---- */

static const char xml_head[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<SettlementExport xmlns=\"urn:roamtrust:1\" id=\"019a6b1e-4000-7a00-8000-0000000000e1\">\n"
    "<Issuer>visited.example</Issuer><Partner>home.example</Partner>"
    "<Currency>EUR</Currency><PeriodStart>2026-11-01T00:00:00Z</PeriodStart>"
    "<PeriodEnd>2026-12-01T00:00:00Z</PeriodEnd><CreatedAt>2026-12-01T01:00:00Z</CreatedAt>\n";
static const char xml_rec_open[] =
    "<UsageRecord id=\"019a6b1e-2f00-7a00-8000-000000000001\" amountMinor=\"25\">";
static const char xml_rec_body[] =
    "<AgreementRef>0190f5a2-7b3c-7def-8123-456789abcdef</AgreementRef>"
    "<AssertionRef>0190f5a2-7b3c-4def-8123-000000000001</AssertionRef>"
    "<Subscriber>sip:alice@home.example</Subscriber><HomeRealm>home.example</HomeRealm>"
    "<VisitedRealm>visited.example</VisitedRealm><Service>voice</Service>"
    "<Start>2026-11-27T05:12:00Z</Start><End>2026-11-27T05:14:05Z</End>"
    "<Quantity>125</Quantity><Unit>second</Unit>";
static const char xml_tail[] = "</UsageRecord>\n</SettlementExport>\n";

/* Reads text to the end one way: the first error, or the number of records. */
static int
read_way(const char *text, int flags, char *err)
{
	struct rt_export_reader *rd = NULL;
	struct rt_export_item item;
	int r, n = 0;

	if ((r = rt_export_reader_open_flags((const uint8_t *)text, strlen(text), flags,
	    &rd, err)) != 0)
		return r;
	while ((r = rt_export_reader_next(rd, &item)) == 1)
		n++;
	if (r < 0)
		snprintf(err, RT_EXPORT_ERR_MAX, "%s", rt_export_reader_error(rd));
	rt_export_reader_free(rd);
	return r < 0 ? r : n;
}

/* The same both ways XML is read (fast path, libxml2 alone): that result. */
static int
read_all(const char *text, char *err)
{
	char err2[RT_EXPORT_ERR_MAX];
	int r = read_way(text, 0, err);

	assert_int_equal(read_way(text, RT_EXPORT_READ_LIBXML2, err2), r);
	return r;
}

static int
read_xml(const char *head, const char *open, const char *body, const char *tail,
    char *err)
{
	char doc[8192];

	snprintf(doc, sizeof(doc), "%s%s%s%s", head, open, body, tail);
	return read_all(doc, err);
}

static void
test_reader_xml(void **state)
{
	char err[RT_EXPORT_ERR_MAX], big[1200], body[4096];

	(void)state;
	assert_int_equal(read_xml(xml_head, xml_rec_open, xml_rec_body, xml_tail, err), 1);
	/* the markup an export never has */
	assert_int_equal(read_xml("<?xml version=\"1.0\"?>\n<!DOCTYPE x [<!ENTITY a \"b\">]>\n",
	    "", "", "", err), RT_ERR_XML_DTD);
	assert_int_equal(read_xml(xml_head, "<!-- c -->", "", "</SettlementExport>", err),
	    RT_ERR_XML_DTD);
	assert_int_equal(read_xml(xml_head, xml_rec_open, "<![CDATA[x]]>", xml_tail, err),
	    RT_ERR_XML_DTD);
	assert_int_equal(read_xml(xml_head, "<?pi x?>", "", "</SettlementExport>", err),
	    RT_ERR_XML_DTD);
	assert_int_equal(read_xml(xml_head, xml_rec_open, "&ent;", xml_tail, err),
	    RT_ERR_XML_DTD);
	/* schema order, required fields, caps */
	snprintf(body, sizeof(body), "%s<Flag>a</Flag><Flag>b</Flag><Flag>c</Flag>"
	    "<Flag>d</Flag><Flag>e</Flag>", xml_rec_body);
	assert_int_equal(read_xml(xml_head, xml_rec_open, body, xml_tail, err), RT_ERR_SCHEMA);
	assert_int_equal(read_xml(xml_head, xml_rec_open, strstr(xml_rec_body, "<Assertion"),
	    xml_tail, err), RT_ERR_SCHEMA);
	assert_non_null(strstr(err, "AgreementRef"));
	snprintf(body, sizeof(body), "%s<Bogus/>", xml_rec_body);
	assert_int_equal(read_xml(xml_head, xml_rec_open, body, xml_tail, err), RT_ERR_SCHEMA);
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	snprintf(body, sizeof(body), "%s<CallId>%s</CallId>", xml_rec_body, big);
	assert_true(read_xml(xml_head, xml_rec_open, body, xml_tail, err) < 0);
	assert_int_equal(read_xml(xml_head, "<UsageRecord id=\"NOT-A-UUID\">", xml_rec_body,
	    xml_tail, err), RT_ERR_SCHEMA);
	assert_int_equal(read_xml(xml_head, "<UsageRecord id=\"019a6b1e-2f00-7a00-8000-000000000001\" x=\"1\">",
	    xml_rec_body, xml_tail, err), RT_ERR_SCHEMA);
	/* an empty AgreementRef in the first record: the reader's cache of
	 * the last good one starts empty, and must not match it */
	snprintf(body, sizeof(body), "<AgreementRef></AgreementRef>%s",
	    strstr(xml_rec_body, "<AssertionRef>"));
	assert_int_equal(read_xml(xml_head, xml_rec_open, body, xml_tail, err), RT_ERR_SCHEMA);
	assert_non_null(strstr(err, "bad agreement"));
	snprintf(body, sizeof(body), "%s", xml_rec_body);
	memcpy(strstr(body, "125"), "1e5", 3);
	assert_int_equal(read_xml(xml_head, xml_rec_open, body, xml_tail, err), RT_ERR_SCHEMA);
	/* another namespace, truncation, trailing content */
	assert_true(read_xml("<SettlementExport xmlns=\"urn:other\" id=\"019a6b1e-4000-7a00-8000-0000000000e1\">",
	    "", "", "</SettlementExport>", err) < 0);
	assert_true(read_xml(xml_head, xml_rec_open, xml_rec_body, "", err) < 0);
	assert_true(read_xml(xml_head, xml_rec_open, xml_rec_body, "</UsageRecord></SettlementExport><x/>",
	    err) < 0);
	assert_true(read_all("", err) < 0);
	assert_true(read_all("hello", err) < 0);
}

static const char csv_head[] = RT_EXPORT_CSV_HEADER "\r\n"
    "export,,,,,,,,2026-11-01T00:00:00Z,2026-12-01T00:00:00Z,,,,"
    "id=019a6b1e-4000-7a00-8000-0000000000e1 issuer=visited.example "
    "partner=home.example currency=EUR created=2026-12-01T01:00:00Z,\r\n";
static const char csv_rec[] =
    "019a6b1e-2f00-7a00-8000-000000000001,0190f5a2-7b3c-7def-8123-456789abcdef,"
    "0190f5a2-7b3c-4def-8123-000000000001,sip:alice@home.example,home.example,"
    "visited.example,voice,\"c,1\",2026-11-27T05:12:00Z,2026-11-27T05:14:05Z,125,"
    "second,25,,\r\n";

static int
read_csv(const char *head, const char *rec, const char *tail, char *err)
{
	char doc[20000];

	snprintf(doc, sizeof(doc), "%s%s%s", head, rec, tail);
	return read_all(doc, err);
}

static void
test_reader_csv(void **state)
{
	char err[RT_EXPORT_ERR_MAX], rec[12000];
	const char *total = "total,,,,home.example,visited.example,voice,,"
	    "2026-11-01T00:00:00Z,2026-12-01T00:00:00Z,125,second,25,records=1,0\r\n";

	(void)state;
	assert_int_equal(read_csv(csv_head, csv_rec, total, err), 1);
	/* LF line ends and no final line end are read too */
	snprintf(rec, sizeof(rec), "%.*s\n", (int)strlen(csv_rec) - 2, csv_rec);
	assert_int_equal(read_csv(csv_head, rec, "", err), 1);
	snprintf(rec, sizeof(rec), "%.*s", (int)strlen(csv_rec) - 2, csv_rec);
	assert_int_equal(read_csv(csv_head, rec, "", err), 1);
	/* header, export line */
	assert_true(read_csv("id,agreement\r\n", "", "", err) < 0);
	assert_true(read_csv(RT_EXPORT_CSV_HEADER "\r\n", csv_rec, "", err) < 0);
	/* quoting */
	snprintf(rec, sizeof(rec), "%s", csv_rec);
	memcpy(strstr(rec, "\"c,1\""), "\"c,1 ", 5);
	assert_int_equal(read_csv(csv_head, rec, "", err), RT_ERR_BAD_INPUT);
	assert_non_null(strstr(err, "unterminated"));
	memcpy(strstr(rec, "\"c,1 "), "c\"1\"\"", 5);
	assert_int_equal(read_csv(csv_head, rec, "", err), RT_ERR_BAD_INPUT);
	/* field count, values */
	assert_int_equal(read_csv(csv_head, "a,b,c\r\n", "", err), RT_ERR_BAD_INPUT);
	snprintf(rec, sizeof(rec), "%s", csv_rec);
	memcpy(strstr(rec, ",125,"), ",-25,", 5);
	assert_int_equal(read_csv(csv_head, rec, "", err), RT_ERR_SCHEMA);
	snprintf(rec, sizeof(rec), "%s", csv_rec);
	memcpy(strstr(rec, "second"), "parsec", 6);
	assert_int_equal(read_csv(csv_head, rec, "", err), RT_ERR_SCHEMA);
	snprintf(rec, sizeof(rec), "%.37s%s", csv_rec, csv_rec + 73);
	assert_int_equal(read_csv(csv_head, rec, "", err), RT_ERR_SCHEMA);
	assert_non_null(strstr(err, "bad agreement"));
	snprintf(rec, sizeof(rec), "%s", csv_rec);
	rec[0] = 'X';
	assert_int_equal(read_csv(csv_head, rec, "", err), RT_ERR_SCHEMA);
	/* a record after the totals */
	snprintf(rec, sizeof(rec), "%s%s", total, csv_rec);
	assert_int_equal(read_csv(csv_head, csv_rec, rec, err), RT_ERR_BAD_INPUT);
	/* a line past the cap */
	memset(rec, 'a', 10000);
	rec[10000] = '\0';
	assert_int_equal(read_csv(csv_head, rec, "", err), RT_ERR_TOO_BIG);
	/* a bad total */
	assert_int_equal(read_csv(csv_head, csv_rec, "total,,,,home.example,x,voice,,,,1,second,1,records=1,0\r\n",
	    err), RT_ERR_SCHEMA);
	/* CR without LF, NUL byte */
	assert_int_equal(read_csv(csv_head, "a,b\rc", "", err), RT_ERR_BAD_INPUT);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pricing),
		cmocka_unit_test(test_totals),
		cmocka_unit_test(test_time_arg),
		cmocka_unit_test(test_export_query_plan),
		cmocka_unit_test(test_export_xml),
		cmocka_unit_test(test_export_csv),
		cmocka_unit_test(test_export_while_writing),
		cmocka_unit_test(test_export_refusals),
		cmocka_unit_test(test_reader_xml),
		cmocka_unit_test(test_reader_csv),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
