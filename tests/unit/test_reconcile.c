/*
 * reconcile: two signed exports merge-joined by id. Agreement exits 0; a
 * tampered or wrongly signed file exits 2 before anything is compared; a
 * dropped record, a changed amount, a duplicate, a flag each show as
 * exactly that discrepancy; tolerance, periods, order and HTML escaping.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "helper_export.h"
#include "rt_export_read.h"
#include "rt_file.h"
#include "rt_log.h"

#define NOV1 1793491200	/* 2026-11-01T00:00:00Z */
#define NOV15 1794700800
#define DEC1 1796083200
#define N 40

static struct th_settlement *st;
static struct rt_export_item base[N];
static char out_path[600], csv_path[600], html_path[600], ours_path[600],
    theirs_path[600];

static int
setup(void **state)
{
	(void)state;
	rt_log_init("test_reconcile", RT_LOG_STDERR, RT_LOG_ERR);
	if (th_settlement_new(&st) != 0)
		return -1;
	for (int i = 0; i < N; i++) {
		struct rt_export_item *it = &base[i];

		memset(it, 0, sizeof(*it));
		if (i % 4 == 3)
			th_record(&it->u, 100 + i, st->agreement_id, "message", 1 + i % 3,
			    "message", NOV1 + i * 3600 * 12);
		else
			th_record(&it->u, 100 + i, st->agreement_id, "voice", 30 + i * 17,
			    "second", NOV1 + i * 3600 * 12);
		if (i % 5 == 0) {	/* our subscribers roaming there, too */
			snprintf(it->u.home, sizeof(it->u.home), "visited.example");
			snprintf(it->u.visited, sizeof(it->u.visited), "home.example");
			snprintf(it->u.subscriber, sizeof(it->u.subscriber),
			    "sip:v%d@visited.example", i);
		}
		it->amount_minor = (int64_t)it->u.quantity * 3;
		it->has_amount = 1;
	}
	th_path(st, "summary.txt", out_path);
	th_path(st, "disc.csv", csv_path);
	th_path(st, "report.html", html_path);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	th_settlement_free(st);
	return 0;
}

static void
header(struct rt_export_header *h, int theirs)
{
	memset(h, 0, sizeof(*h));
	assert_int_equal(rt_uuid_v4(h->id), 0);
	snprintf(h->issuer, sizeof(h->issuer), theirs ? "home.example" : "visited.example");
	snprintf(h->partner, sizeof(h->partner), theirs ? "visited.example" : "home.example");
	snprintf(h->currency, sizeof(h->currency), "EUR");
	h->period_start = NOV1;
	h->period_end = DEC1;
	h->created_at = DEC1 + 3600;
}

/* Writes both exports: ours = base, theirs = items (n of them). */
static void
write_pair(enum rt_export_format fo, enum rt_export_format ft,
    const struct rt_export_item *items, size_t n)
{
	struct rt_export_header h;

	th_path(st, fo == RT_EXPORT_CSV ? "ours.csv" : "ours.xml", ours_path);
	th_path(st, ft == RT_EXPORT_CSV ? "theirs.csv" : "theirs.xml", theirs_path);
	header(&h, 0);
	assert_int_equal(th_export_write(ours_path, fo, &h, base, N, NULL, 0,
	    st->s_visited), 0);
	header(&h, 1);
	assert_int_equal(th_export_write(theirs_path, ft, &h, items, n, NULL, 0,
	    st->s_home), 0);
}

static int
reconcile(uint64_t tol_q, int64_t tol_a, char *err)
{
	struct broker_reconcile_opts o;
	int rc;

	memset(&o, 0, sizeof(o));
	o.trust = st->trust;
	o.self = "visited.example";
	o.ours = ours_path;
	o.theirs = theirs_path;
	o.tolerance_quantity = tol_q;
	o.tolerance_amount = tol_a;
	o.csv = csv_path;
	o.html = html_path;
	o.now = st->now;
	assert_non_null(o.out = fopen(out_path, "w"));
	rc = broker_reconcile_run(&o, err, 1024);
	fclose(o.out);
	return rc;
}

/* The discrepancy CSV without its header line. */
static char *
discrepancies(void)
{
	static char text[64 * 1024];
	struct rt_buf b;
	char *nl;

	rt_buf_init(&b, sizeof(text) - 1);
	assert_int_equal(rt_file_read(csv_path, sizeof(text) - 1, &b), 0);
	nl = strstr(rt_buf_str(&b), "\r\n");
	assert_non_null(nl);
	snprintf(text, sizeof(text), "%s", nl + 2);
	rt_buf_fini(&b);
	return text;
}

static int
lines(const char *s)
{
	int n = 0;

	for (; (s = strstr(s, "\r\n")) != NULL; s += 2)
		n++;
	return n;
}

static char *
file_text(const char *path)
{
	static char text[256 * 1024];
	struct rt_buf b;

	rt_buf_init(&b, sizeof(text) - 1);
	assert_int_equal(rt_file_read(path, sizeof(text) - 1, &b), 0);
	snprintf(text, sizeof(text), "%s", rt_buf_str(&b));
	rt_buf_fini(&b);
	return text;
}

static void
test_agree(void **state)
{
	enum rt_export_format f[2] = {RT_EXPORT_XML, RT_EXPORT_CSV};
	char err[1024];

	(void)state;
	for (int a = 0; a < 2; a++) {
		for (int b = 0; b < 2; b++) {
			write_pair(f[a], f[b], base, N);
			assert_int_equal(reconcile(0, 0, err), BROKER_RECONCILE_AGREE);
			assert_int_equal(lines(discrepancies()), 0);
			assert_non_null(strstr(file_text(out_path), "AGREE"));
			assert_non_null(strstr(file_text(out_path), "matched 40"));
		}
	}
	/* the net: home owes visited for voice/message, less the reverse */
	assert_non_null(strstr(file_text(out_path), "net owed per service"));
	assert_non_null(strstr(file_text(html_path), "<svg"));
}

static void
test_tampered(void **state)
{
	char err[1024], path[700];
	struct rt_buf b;
	FILE *f;

	(void)state;
	write_pair(RT_EXPORT_XML, RT_EXPORT_CSV, base, N);
	/* one digit changed after signing */
	rt_buf_init(&b, 1 << 20);
	assert_int_equal(rt_file_read(theirs_path, 1 << 20, &b), 0);
	b.data[b.len - 5] = b.data[b.len - 5] == '1' ? '2' : '1';
	assert_non_null(f = fopen(theirs_path, "wb"));
	assert_int_equal(fwrite(b.data, 1, b.len, f), b.len);
	fclose(f);
	rt_buf_fini(&b);
	assert_int_equal(reconcile(0, 0, err), BROKER_RECONCILE_ERROR);
	assert_non_null(strstr(err, "signature"));
	/* a missing signature */
	write_pair(RT_EXPORT_XML, RT_EXPORT_CSV, base, N);
	snprintf(path, sizeof(path), "%s.sig", theirs_path);
	assert_int_equal(remove(path), 0);
	assert_int_equal(reconcile(0, 0, err), BROKER_RECONCILE_ERROR);
	assert_non_null(strstr(err, "signature"));
}

static void
test_wrong_signer(void **state)
{
	struct rt_export_header h;
	char err[1024];

	(void)state;
	write_pair(RT_EXPORT_XML, RT_EXPORT_XML, base, N);
	/* theirs says home.example issued it, visited.example signed it */
	header(&h, 1);
	assert_int_equal(th_export_write(theirs_path, RT_EXPORT_XML, &h, base, N, NULL, 0,
	    st->s_visited), 0);
	assert_int_equal(reconcile(0, 0, err), BROKER_RECONCILE_ERROR);
	assert_non_null(strstr(err, "signed by visited.example"));
	/* not between the same two realms */
	header(&h, 1);
	snprintf(h.partner, sizeof(h.partner), "third.example");
	assert_int_equal(th_export_write(theirs_path, RT_EXPORT_XML, &h, base, N, NULL, 0,
	    st->s_home), 0);
	assert_int_equal(reconcile(0, 0, err), BROKER_RECONCILE_ERROR);
	assert_non_null(strstr(err, "same two realms"));
	/* ours given second */
	write_pair(RT_EXPORT_XML, RT_EXPORT_XML, base, N);
	{
		char tmp[600];

		memcpy(tmp, ours_path, sizeof(tmp));
		memcpy(ours_path, theirs_path, sizeof(tmp));
		memcpy(theirs_path, tmp, sizeof(tmp));
	}
	assert_int_equal(reconcile(0, 0, err), BROKER_RECONCILE_ERROR);
	assert_non_null(strstr(err, "not by us"));
}

static void
test_missing(void **state)
{
	struct rt_export_item items[N];
	char err[1024], want[200];
	const char *d;

	(void)state;
	memcpy(items, base, sizeof(items));
	memmove(&items[7], &items[8], (N - 8) * sizeof(items[0]));
	write_pair(RT_EXPORT_XML, RT_EXPORT_CSV, items, N - 1);
	assert_int_equal(reconcile(0, 0, err), BROKER_RECONCILE_DISAGREE);
	d = discrepancies();
	assert_int_equal(lines(d), 1);
	snprintf(want, sizeof(want), "missing-in-theirs,%s,", base[7].u.id);
	assert_memory_equal(d, want, strlen(want));
	assert_non_null(strstr(file_text(out_path), "DISAGREE"));
	/* and the other way: a record only they have */
	items[N - 1] = base[0];
	th_record(&items[N - 1].u, 5000, st->agreement_id, "voice", 60, "second",
	    NOV1 + 7200);
	memcpy(items, base, sizeof(base[0]) * (N - 1));
	items[N - 1].amount_minor = 12;
	write_pair(RT_EXPORT_CSV, RT_EXPORT_XML, items, N);
	/* base[N-1] is missing in theirs now, and theirs has 5000 */
	assert_int_equal(reconcile(0, 0, err), BROKER_RECONCILE_DISAGREE);
	d = discrepancies();
	assert_int_equal(lines(d), 2);
	snprintf(want, sizeof(want), "missing-in-ours,%s,", items[N - 1].u.id);
	assert_non_null(strstr(d, want));
	snprintf(want, sizeof(want), "missing-in-theirs,%s,", base[N - 1].u.id);
	assert_non_null(strstr(d, want));
}

static void
test_amount(void **state)
{
	struct rt_export_item items[N];
	char err[1024], want[300];
	const char *d;

	(void)state;
	memcpy(items, base, sizeof(items));
	items[6].amount_minor += 3;
	write_pair(RT_EXPORT_CSV, RT_EXPORT_CSV, items, N);
	assert_int_equal(reconcile(0, 0, err), BROKER_RECONCILE_DISAGREE);
	d = discrepancies();
	assert_int_equal(lines(d), 1);
	snprintf(want, sizeof(want), "amount,%s,voice,home.example,visited.example,"
	    "%llu,%llu,%lld,%lld,-3,\r\n", base[6].u.id,
	    (unsigned long long)base[6].u.quantity, (unsigned long long)base[6].u.quantity,
	    (long long)base[6].amount_minor, (long long)items[6].amount_minor);
	assert_string_equal(d, want);
	/* within a tolerance of 3 it agrees, and says it differed */
	assert_int_equal(reconcile(0, 3, err), BROKER_RECONCILE_AGREE);
	assert_non_null(strstr(file_text(out_path), "(1 differ within tolerance"));
	assert_int_equal(reconcile(0, 2, err), BROKER_RECONCILE_DISAGREE);
}

static void
test_quantity_tolerance(void **state)
{
	struct rt_export_item items[N];
	char err[1024];
	const char *d;

	(void)state;
	memcpy(items, base, sizeof(items));
	items[2].u.quantity += 2;
	write_pair(RT_EXPORT_XML, RT_EXPORT_XML, items, N);
	assert_int_equal(reconcile(2, 0, err), BROKER_RECONCILE_AGREE);
	assert_int_equal(reconcile(1, 0, err), BROKER_RECONCILE_DISAGREE);
	d = discrepancies();
	assert_int_equal(lines(d), 1);
	assert_memory_equal(d, "quantity,", 9);
	assert_non_null(strstr(d, base[2].u.id));
}

static void
test_duplicates(void **state)
{
	struct rt_export_item items[N + 1];
	char err[1024], want[200];
	const char *d;

	(void)state;
	memcpy(items, base, 12 * sizeof(items[0]));
	items[12] = base[11];
	memcpy(&items[13], &base[12], (N - 12) * sizeof(items[0]));
	write_pair(RT_EXPORT_XML, RT_EXPORT_CSV, items, N + 1);
	assert_int_equal(reconcile(0, 0, err), BROKER_RECONCILE_DISAGREE);
	d = discrepancies();
	assert_int_equal(lines(d), 1);
	snprintf(want, sizeof(want), "duplicate-in-theirs,%s,", base[11].u.id);
	assert_memory_equal(d, want, strlen(want));
}

static void
test_third_realm(void **state)
{
	struct rt_export_item items[N];
	char err[1024];
	const char *d;

	(void)state;
	memcpy(items, base, sizeof(items));
	snprintf(items[9].u.visited, sizeof(items[9].u.visited), "third.example");
	write_pair(RT_EXPORT_CSV, RT_EXPORT_XML, items, N);
	assert_int_equal(reconcile(0, 0, err), BROKER_RECONCILE_DISAGREE);
	d = discrepancies();
	/* one for the record itself, one for the difference with ours */
	assert_int_equal(lines(d), 2);
	assert_non_null(strstr(d, "not the two realms"));
	assert_non_null(strstr(d, "visited: visited.example / third.example"));
}

static void
test_out_of_order(void **state)
{
	struct rt_export_item items[N];
	char err[1024];

	(void)state;
	memcpy(items, base, sizeof(items));
	items[20] = base[21];
	items[21] = base[20];
	write_pair(RT_EXPORT_XML, RT_EXPORT_CSV, items, N);
	assert_int_equal(reconcile(0, 0, err), BROKER_RECONCILE_ERROR);
	assert_non_null(strstr(err, "not in id order"));
}

static void
test_flagged_and_escaped(void **state)
{
	struct rt_export_item items[N];
	char err[1024];
	const char *d, *html;

	(void)state;
	memcpy(items, base, sizeof(items));
	snprintf(items[4].u.flags[items[4].u.nflags++], RT_SERVICE_MAX, "outside-validity");
	snprintf(items[6].u.call_id, sizeof(items[6].u.call_id), "<b>x</b>&\"q\"\x1b[2J");
	write_pair(RT_EXPORT_XML, RT_EXPORT_CSV, items, N);
	assert_int_equal(reconcile(0, 0, err), BROKER_RECONCILE_DISAGREE);
	d = discrepancies();
	assert_int_equal(lines(d), 2);
	assert_non_null(strstr(d, "flagged,"));
	assert_non_null(strstr(d, "outside-validity"));
	assert_non_null(strstr(d, "mismatch,"));
	html = file_text(html_path);
	assert_non_null(strstr(html, "&lt;b&gt;x&lt;/b&gt;&amp;&quot;q&quot;"));
	assert_null(strstr(html, "<b>x"));
	assert_non_null(strstr(html, "<svg"));
	/* the summary goes to a terminal: the escape sequence is defused */
	assert_null(strchr(file_text(out_path), 0x1b));
	assert_non_null(strstr(file_text(out_path), "?[2J"));
}

static void
test_stated_totals(void **state)
{
	struct rt_export_totals *tt = calloc(1, sizeof(*tt));
	struct rt_export_header h;
	char err[1024];
	const char *d;

	(void)state;
	for (int i = 0; i < N; i++)
		assert_int_equal(rt_export_totals_add(tt, &base[i].u, base[i].amount_minor, 0), 0);
	tt->t[0].amount_minor += 100;
	write_pair(RT_EXPORT_XML, RT_EXPORT_XML, base, N);
	header(&h, 1);
	assert_int_equal(th_export_write(theirs_path, RT_EXPORT_CSV, &h, base, N, tt->t,
	    tt->n, st->s_home), 0);
	assert_int_equal(reconcile(0, 0, err), BROKER_RECONCILE_DISAGREE);
	d = discrepancies();
	assert_int_equal(lines(d), 1);
	assert_memory_equal(d, "totals,", 7);
	free(tt);
}

static void
test_periods(void **state)
{
	struct rt_export_header h;
	struct rt_export_item items[N];
	char err[1024];
	int n = 0;

	(void)state;
	/* theirs covers Nov 15 to Dec 15 only: what ours has before is not missing */
	for (int i = 0; i < N; i++)
		if (base[i].u.start >= NOV15)
			items[n++] = base[i];
	write_pair(RT_EXPORT_XML, RT_EXPORT_XML, base, N);
	header(&h, 1);
	h.period_start = NOV15;
	h.period_end = DEC1 + 14 * 86400;
	assert_int_equal(th_export_write(theirs_path, RT_EXPORT_XML, &h, items, (size_t)n,
	    NULL, 0, st->s_home), 0);
	assert_int_equal(reconcile(0, 0, err), BROKER_RECONCILE_AGREE);
	assert_non_null(strstr(file_text(out_path), "the periods differ"));
	assert_non_null(strstr(file_text(out_path), "outside the other side's period"));
	/* periods that do not overlap cannot be reconciled */
	h.period_start = DEC1;
	h.period_end = DEC1 + 86400;
	assert_int_equal(th_export_write(theirs_path, RT_EXPORT_XML, &h, items, 0, NULL, 0,
	    st->s_home), 0);
	assert_int_equal(reconcile(0, 0, err), BROKER_RECONCILE_ERROR);
	assert_non_null(strstr(err, "do not overlap"));
}

/*
 * A file someone has open for writing cannot be leased: reconcile reads it
 * twice (a hash while it parses) and agrees as before, and that second hash
 * catches a change made between the signature check and the parse.
 */
static void
test_rehash_while_written(void **state)
{
	struct rt_export_reader *rd = NULL;
	struct rt_export_item it;
	struct rt_cms_signers signers;
	uint8_t checked[RT_SHA256_LEN], parsed[RT_SHA256_LEN];
	char err[1024], sig[700];
	off_t at;
	int w, r;
	FILE *f;

	(void)state;
	write_pair(RT_EXPORT_CSV, RT_EXPORT_CSV, base, N);
	assert_true((w = open(theirs_path, O_WRONLY | O_CLOEXEC)) >= 0);
	assert_int_equal(reconcile(0, 0, err), BROKER_RECONCILE_AGREE);
	assert_non_null(strstr(file_text(out_path), "matched 40"));
	/* side_open's steps, with a change between the check and the parse */
	assert_non_null(f = fopen(theirs_path, "rb"));
	assert_int_not_equal(rt_file_lease(fileno(f)), 0);
	snprintf(sig, sizeof(sig), "%s.sig", theirs_path);
	assert_int_equal(rt_export_verify_file(st->trust, f, sig, st->now, &signers,
	    checked), 0);
	assert_true((at = lseek(w, 0, SEEK_END)) > 10);
	assert_int_equal(pwrite(w, "7", 1, at / 2), 1);
	assert_int_equal(fseeko(f, 0, SEEK_SET), 0);
	assert_int_equal(rt_export_reader_open(f, 1, &rd, NULL), 0);
	while ((r = rt_export_reader_next(rd, &it)) == 1)
		;
	/* whether the changed byte still parses or not, it is not taken for
	 * the checked one */
	if (r == 0) {
		assert_int_equal(rt_export_reader_digest(rd, parsed), 0);
		assert_memory_not_equal(parsed, checked, sizeof(parsed));
	} else {
		assert_true(r < 0);
	}
	rt_export_reader_free(rd);
	fclose(f);
	close(w);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_agree),
		cmocka_unit_test(test_tampered),
		cmocka_unit_test(test_wrong_signer),
		cmocka_unit_test(test_missing),
		cmocka_unit_test(test_amount),
		cmocka_unit_test(test_quantity_tolerance),
		cmocka_unit_test(test_duplicates),
		cmocka_unit_test(test_third_realm),
		cmocka_unit_test(test_out_of_order),
		cmocka_unit_test(test_flagged_and_escaped),
		cmocka_unit_test(test_stated_totals),
		cmocka_unit_test(test_periods),
		cmocka_unit_test(test_rehash_while_written),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
