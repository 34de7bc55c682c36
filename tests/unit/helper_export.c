/* See helper_export.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "broker_ledger_db.h"
#include "helper_bench.h"
#include "helper_export.h"
#include "rt_codec.h"

#define DAY 86400

int
th_settlement_new(struct th_settlement **sp)
{
	struct rt_trust_options topts = {1, 0, 0};
	struct th_settlement *s;
	X509_CRL *crl = NULL;
	int r;

	*sp = NULL;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return RT_ERR_NOMEM;
	s->now = rt_time_now();
	if ((r = rt_xml_init()) != 0 ||
	    (r = th_fed_new("Settlement Federation", &s->fed)) != 0 ||
	    (r = th_fed_realm(s->fed, "home.example", -60, DAY, &s->home)) != 0 ||
	    (r = th_fed_realm(s->fed, "visited.example", -60, DAY, &s->visited)) != 0 ||
	    (r = th_fed_crl(s->fed, -60, DAY, &crl, s->crl_path)) != 0 ||
	    (r = rt_signer_new(s->home->key, s->home->cert, &s->s_home)) != 0 ||
	    (r = rt_signer_new(s->visited->key, s->visited->cert, &s->s_visited)) != 0 ||
	    (r = rt_trust_new(&topts, &s->trust)) != 0 ||
	    (r = rt_trust_add_ca(s->trust, s->fed->ca_cert)) != 0 ||
	    (r = rt_trust_set_crl(s->trust, crl, s->now)) != 0)
		goto out;
	th_path(s, "agreements", s->agreements_dir);
	if (mkdir(s->agreements_dir, 0700) != 0) {
		r = RT_ERR_IO;
		goto out;
	}
	if ((r = th_write_agreement(s->home, s->visited, s->agreements_dir, "hv",
	    "voice:minute:12,message:message:2", 3600)) != 0 ||
	    (r = broker_export_agreements(s->agreements_dir, s->trust,
	    "visited.example", s->now, stderr, &s->agreements, &s->nagreements)) != 0)
		goto out;
	if (s->nagreements != 1) {
		r = RT_ERR_NO_AGREEMENT;
		goto out;
	}
	memcpy(s->agreement_id, s->agreements[0].id, RT_ID_MAX);
	*sp = s;
	s = NULL;
 out:
	X509_CRL_free(crl);
	th_settlement_free(s);
	return r;
}

void
th_settlement_free(struct th_settlement *s)
{
	if (s == NULL)
		return;
	free(s->agreements);
	rt_trust_free(s->trust);
	rt_signer_free(s->s_home);
	rt_signer_free(s->s_visited);
	th_realm_free(s->home);
	th_realm_free(s->visited);
	th_fed_free(s->fed);
	free(s);
}

void
th_path(const struct th_settlement *s, const char *name, char *out)
{
	snprintf(out, 600, "%s/%s", s->fed->dir, name);
}

void
th_record(struct rt_usage_record *u, int i, const char *agreement,
    const char *service, uint64_t quantity, const char *unit, time_t start)
{
	memset(u, 0, sizeof(*u));
	/* time-ordered ids: i orders them (the ms field), like UUIDv7 */
	snprintf(u->id, sizeof(u->id), "019a6b1e-%04x-7000-8000-%012x",
	    (unsigned)(i >> 12) & 0xffff, (unsigned)i);
	snprintf(u->agreement_ref, sizeof(u->agreement_ref), "%s", agreement);
	snprintf(u->assertion_ref, sizeof(u->assertion_ref),
	    "0190f5a2-7b3c-4def-8123-%012x", (unsigned)(i % 97));
	snprintf(u->subscriber, sizeof(u->subscriber), "sip:user%d@home.example", i % 50);
	snprintf(u->home, sizeof(u->home), "home.example");
	snprintf(u->visited, sizeof(u->visited), "visited.example");
	snprintf(u->service, sizeof(u->service), "%s", service);
	snprintf(u->call_id, sizeof(u->call_id), "call-%d@10.0.0.1", i);
	u->start = start;
	u->end = start + (strcmp(unit, "second") == 0 ? (time_t)quantity : 0);
	u->quantity = quantity;
	snprintf(u->unit, sizeof(u->unit), "%s", unit);
}

int
th_ledger_create(const char *path, sqlite3 **dbp)
{
	*dbp = NULL;
	if (sqlite3_open(path, dbp) != SQLITE_OK ||
	    sqlite3_exec(*dbp, "PRAGMA journal_mode=WAL;" BROKER_LEDGER_SCHEMA, NULL,
	    NULL, NULL) != SQLITE_OK)
		return RT_ERR_IO;
	return 0;
}

int
th_ledger_insert(sqlite3 *db, const char *partner, int origin, int64_t pseq,
    const struct rt_usage_record *u)
{
	static const char sql[] = "INSERT INTO records(" BROKER_LEDGER_RECORD_COLUMNS
	    ", partner, origin, pseq, hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8,"
	    " ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, zeroblob(32))";
	sqlite3_stmt *st = NULL;
	int r = RT_ERR_IO;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK ||
	    rt_usage_row_bind(st, 1, u) != 0 ||
	    sqlite3_bind_text(st, 14, partner, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_int(st, 15, origin) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 16, pseq) != SQLITE_OK)
		goto out;
	if (sqlite3_step(st) == SQLITE_DONE)
		r = 0;
 out:
	sqlite3_finalize(st);
	return r;
}

int
th_export_write(const char *path, enum rt_export_format format,
    const struct rt_export_header *h, const struct rt_export_item *items,
    size_t n, const struct rt_export_total *totals, size_t ntotals,
    const struct rt_signer *signer)
{
	struct rt_export_totals *tt;
	struct rt_buf buf;
	char sigpath[700];
	FILE *f;
	int r = 0;

	if ((tt = calloc(1, sizeof(*tt))) == NULL)
		return RT_ERR_NOMEM;
	rt_buf_init(&buf, 64 * 1024 * 1024);
	r = format == RT_EXPORT_CSV ? rt_export_csv_begin(h, &buf) :
	    rt_export_encode_begin(h, &buf);
	for (size_t i = 0; i < n && r == 0; i++) {
		const char *why = items[i].unpriced[0] ? items[i].unpriced : NULL;

		r = format == RT_EXPORT_CSV ?
		    rt_export_csv_record(&items[i].u, items[i].amount_minor, why, &buf) :
		    rt_export_encode_priced_record(&items[i].u, items[i].amount_minor,
		    why, &buf);
		if (r == 0)
			r = rt_export_totals_add(tt, &items[i].u, items[i].amount_minor,
			    why != NULL);
	}
	if (totals == NULL) {
		totals = tt->t;
		ntotals = tt->n;
	}
	if (r == 0)
		r = format == RT_EXPORT_CSV ? rt_export_csv_end(h, totals, ntotals, &buf) :
		    rt_export_encode_end(totals, ntotals, &buf);
	if (r == 0) {
		if ((f = fopen(path, "wb")) == NULL ||
		    fwrite(buf.data, 1, buf.len, f) != buf.len)
			r = RT_ERR_IO;
		if (f != NULL && fclose(f) != 0)
			r = RT_ERR_IO;
	}
	snprintf(sigpath, sizeof(sigpath), "%s.sig", path);
	if (r == 0 && signer != NULL)
		r = rt_export_sign_file(signer, path, sigpath);
	rt_buf_fini(&buf);
	free(tt);
	return r;
}

long
th_export_read(const char *path, struct rt_export_item *items, size_t max,
    struct rt_export_header *h)
{
	struct rt_export_reader *rd = NULL;
	struct rt_export_item item;
	char err[RT_EXPORT_ERR_MAX];
	FILE *f = fopen(path, "rb");
	long n = 0;
	int r;

	if (f == NULL)
		return RT_ERR_IO;
	if ((r = rt_export_reader_open(f, 0, &rd, err)) != 0) {
		fprintf(stderr, "th_export_read %s: %s\n", path, err);
		fclose(f);
		return r;
	}
	if (h != NULL)
		*h = *rt_export_reader_header(rd);
	while ((r = rt_export_reader_next(rd, &item)) == 1) {
		if ((size_t)n < max)
			items[n] = item;
		n++;
	}
	if (r < 0) {
		fprintf(stderr, "th_export_read %s: %s\n", path,
		    rt_export_reader_error(rd));
		n = r;
	}
	rt_export_reader_free(rd);
	fclose(f);
	return n;
}
