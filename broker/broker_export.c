/*
 * `roamtrust-broker export`: one partner's records for a period, priced
 * and signed. See broker_export.h.
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "broker.h"
#include "broker_export.h"
#include "broker_ledger_db.h"
#include "rt_file.h"
#include "rt_log.h"

#define PROG "roamtrust-broker export"
#define OUT_BUFFER (1024 * 1024)
/* Skew that opens any validity window: expired agreements still price. */
#define ANY_TIME (200L * 365 * 86400)

int
broker_time_arg(const char *s, time_t *tp)
{
	char full[64];

	if (strlen(s) == 10 && s[4] == '-' && s[7] == '-') {
		snprintf(full, sizeof(full), "%sT00:00:00Z", s);
		s = full;
	}
	return rt_time_parse(s, tp);
}

int
broker_export_agreements(const char *dir, struct rt_trust *trust,
    const char *self, time_t now, FILE *warn, struct rt_agreement **listp,
    size_t *np)
{
	struct rt_doc_ctx ctx = {trust, self, now, ANY_TIME, 0};
	struct rt_agreement *list = NULL;
	struct dirent **names = NULL;
	struct rt_buf xml, sig;
	size_t n = 0;
	int count, r = 0;

	*listp = NULL;
	*np = 0;
	rt_buf_init(&xml, RT_XML_MAX);
	rt_buf_init(&sig, RT_CMS_SIG_MAX);
	if ((count = scandir(dir, &names, NULL, alphasort)) < 0) {
		r = RT_ERR_NOT_FOUND;
		goto out;
	}
	if ((list = calloc(BROKER_EXPORT_AGREEMENTS_MAX, sizeof(*list))) == NULL) {
		r = RT_ERR_NOMEM;
		goto out;
	}
	for (int i = 0; i < count && n < BROKER_EXPORT_AGREEMENTS_MAX; i++) {
		const char *name = names[i]->d_name;
		size_t len = strlen(name);
		char path[PATH_MAX], sigpath[PATH_MAX + 8];
		int e;

		if (len < 5 || strcmp(name + len - 4, ".xml") != 0 || name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, name);
		snprintf(sigpath, sizeof(sigpath), "%s.sig", path);
		rt_buf_reset(&xml);
		rt_buf_reset(&sig);
		if ((e = rt_file_read(path, RT_XML_MAX, &xml)) == 0 &&
		    (e = rt_file_read(sigpath, RT_CMS_SIG_MAX, &sig)) == RT_ERR_NOT_FOUND)
			e = RT_ERR_SIG_MISSING;
		if (e == 0)
			e = rt_agreement_decode(&ctx, xml.data, xml.len, sig.data,
			    sig.len, &list[n]);
		if (e == 0)
			n++;
		else if (warn != NULL)
			fprintf(warn, "warning: agreement %s not used: %s\n", path,
			    rt_strerror(e));
	}
	*listp = list;
	list = NULL;
	*np = n;
 out:
	for (int i = 0; i < count; i++)
		free(names[i]);
	free(names);
	free(list);
	rt_buf_fini(&xml);
	rt_buf_fini(&sig);
	return r;
}

static const struct rt_agreement *
agreement_by_id(const struct broker_export_opts *o, const char *id)
{
	for (size_t i = 0; i < o->nagreements; i++)
		if (strcmp(o->agreements[i].id, id) == 0)
			return &o->agreements[i];
	return NULL;
}

/* The currency of our agreements with the partner ("XXX": none). */
static int
export_currency(const struct broker_export_opts *o, char *out, char *err,
    size_t errcap)
{
	snprintf(out, 4, "XXX");
	for (size_t i = 0; i < o->nagreements; i++) {
		const struct rt_agreement *a = &o->agreements[i];

		if (strcmp(a->home, o->partner) != 0 && strcmp(a->visited, o->partner) != 0)
			continue;
		if (strcmp(out, "XXX") != 0 && strcmp(out, a->currency) != 0) {
			snprintf(err, errcap, "the agreements with %s use two currencies "
			    "(%s, %s): one export cannot total them", o->partner, out,
			    a->currency);
			return RT_ERR_BAD_INPUT;
		}
		memcpy(out, a->currency, 4);
	}
	return 0;
}

static int
reason_index(int err)
{
	switch (err) {
	case RT_ERR_NO_AGREEMENT:
		return 0;
	case RT_ERR_REALM:
		return 1;
	case RT_ERR_NOT_FOUND:
		return 2;
	case RT_ERR_TYPE:
		return 3;
	default:
		return 4;
	}
}

static void
progress(const struct broker_export_opts *o, uint64_t n, uint64_t *next_ms, int last)
{
	uint64_t now = rt_mono_ns() / 1000000;

	if (!o->progress || (!last && now < *next_ms))
		return;
	*next_ms = now + 500;
	fprintf(stderr, "\rexport: %" PRIu64 " records%s", n, last ? "\n" : "");
}

/* The records, ascending id, out of the ledger into f. */
static int
export_records(const struct broker_export_opts *o, sqlite3 *db, FILE *f,
    struct broker_export_result *res, char *err, size_t errcap)
{
	static const char sql[] = BROKER_EXPORT_SQL;
	struct rt_usage_record u;
	struct rt_buf line;
	sqlite3_stmt *st = NULL;
	uint64_t next_ms = 0;
	int r = RT_ERR_IO, rc;

	rt_buf_init(&line, 64 * 1024);
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_bind_text(st, 1, o->partner, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 2, (sqlite3_int64)o->from) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 3, (sqlite3_int64)o->to) != SQLITE_OK) {
		snprintf(err, errcap, "ledger %s: %s", o->db, sqlite3_errmsg(db));
		goto out;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *reason = NULL;
		int64_t amount;
		int pr;

		if ((r = rt_usage_row_read(st, 0, &u)) != 0) {
			snprintf(err, errcap, "ledger %s: a damaged row after %" PRIu64
			    " records (id %.40s)", o->db, res->totals.records,
			    (const char *)sqlite3_column_text(st, 0));
			goto out;
		}
		if ((pr = rt_price_record(agreement_by_id(o, u.agreement_ref), &u,
		    &amount)) != 0) {
			reason = rt_price_reason(pr);
			res->unpriced_by_reason[reason_index(pr)]++;
		}
		if ((r = rt_export_totals_add(&res->totals, &u, amount, pr != 0)) != 0) {
			snprintf(err, errcap, "totals out of range at record %s", u.id);
			goto out;
		}
		rt_buf_reset(&line);
		r = o->format == RT_EXPORT_CSV ?
		    rt_export_csv_record(&u, amount, reason, &line) :
		    rt_export_encode_priced_record(&u, amount, reason, &line);
		if (r != 0) {
			snprintf(err, errcap, "record %s: %s", u.id, rt_strerror(r));
			goto out;
		}
		if (fwrite(line.data, 1, line.len, f) != line.len) {
			r = RT_ERR_IO;
			snprintf(err, errcap, "%s: %s", o->out, strerror(errno));
			goto out;
		}
		progress(o, res->totals.records, &next_ms, 0);
	}
	if (rc != SQLITE_DONE) {
		r = RT_ERR_IO;
		snprintf(err, errcap, "ledger %s: %s", o->db, sqlite3_errmsg(db));
		goto out;
	}
	progress(o, res->totals.records, &next_ms, 1);
	r = 0;
 out:
	sqlite3_finalize(st);
	rt_buf_fini(&line);
	return r;
}

static int
ledger_open(const char *path, sqlite3 **dbp, char *err, size_t errcap)
{
	sqlite3 *db = NULL;

	*dbp = NULL;
	if (!rt_file_exists(path)) {
		snprintf(err, errcap, "no ledger at %s", path);
		return RT_ERR_NOT_FOUND;
	}
	/* read-only: the daemon may be writing (WAL lets both go on) */
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		snprintf(err, errcap, "ledger %s: %s", path,
		    db != NULL ? sqlite3_errmsg(db) : "cannot open");
		sqlite3_close(db);
		return RT_ERR_IO;
	}
	sqlite3_busy_timeout(db, 10000);
	*dbp = db;
	return 0;
}

int
broker_export_run(const struct broker_export_opts *o,
    struct broker_export_result *res, char *err, size_t errcap)
{
	struct rt_export_header *h = &res->header;
	struct rt_buf head;
	char tmp[PATH_MAX], sigpath[PATH_MAX];
	sqlite3 *db = NULL;
	FILE *f = NULL;
	int fd = -1, have_tmp = 0, r;

	memset(res, 0, sizeof(*res));
	err[0] = '\0';
	rt_buf_init(&head, 64 * 1024);
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp.XXXXXX", o->out) >= sizeof(tmp) ||
	    (size_t)snprintf(sigpath, sizeof(sigpath), "%s.sig", o->out) >= sizeof(sigpath)) {
		snprintf(err, errcap, "output path too long");
		r = RT_ERR_TOO_BIG;
		goto out;
	}
	if (!o->force && rt_file_exists(o->out)) {
		snprintf(err, errcap, "%s exists (--force replaces it)", o->out);
		r = RT_ERR_EXISTS;
		goto out;
	}
	if (o->from >= o->to) {
		snprintf(err, errcap, "--from must be before --to");
		r = RT_ERR_USAGE;
		goto out;
	}
	if ((r = ledger_open(o->db, &db, err, errcap)) != 0)
		goto out;
	if ((r = rt_uuid_v4(h->id)) != 0)
		goto out;
	snprintf(h->issuer, sizeof(h->issuer), "%s", o->realm);
	snprintf(h->partner, sizeof(h->partner), "%s", o->partner);
	if ((r = export_currency(o, h->currency, err, errcap)) != 0)
		goto out;
	h->period_start = o->from;
	h->period_end = o->to;
	h->created_at = o->now;
	if ((fd = mkstemp(tmp)) >= 0)
		have_tmp = 1;
	if (fd < 0 || fchmod(fd, 0644) != 0 || (f = fdopen(fd, "w")) == NULL) {
		snprintf(err, errcap, "%s: %s", tmp, strerror(errno));
		if (fd >= 0)
			close(fd);
		r = RT_ERR_IO;
		goto out;
	}
	setvbuf(f, NULL, _IOFBF, OUT_BUFFER);
	r = o->format == RT_EXPORT_CSV ? rt_export_csv_begin(h, &head) :
	    rt_export_encode_begin(h, &head);
	if (r != 0 || fwrite(head.data, 1, head.len, f) != head.len) {
		snprintf(err, errcap, "%s: cannot write", tmp);
		r = r != 0 ? r : RT_ERR_IO;
		goto out;
	}
	if ((r = export_records(o, db, f, res, err, errcap)) != 0)
		goto out;
	rt_buf_reset(&head);
	r = o->format == RT_EXPORT_CSV ?
	    rt_export_csv_end(h, res->totals.t, res->totals.n, &head) :
	    rt_export_encode_end(res->totals.t, res->totals.n, &head);
	if (r != 0 || fwrite(head.data, 1, head.len, f) != head.len ||
	    fflush(f) != 0 || fsync(fileno(f)) != 0) {
		snprintf(err, errcap, "%s: cannot write", tmp);
		r = r != 0 ? r : RT_ERR_IO;
		goto out;
	}
	r = fclose(f);
	f = NULL;
	if (r != 0 || rename(tmp, o->out) != 0) {
		snprintf(err, errcap, "%s: %s", o->out, strerror(errno));
		r = RT_ERR_IO;
		goto out;
	}
	have_tmp = 0;
	if ((r = rt_export_sign_file(o->signer, o->out, sigpath)) != 0) {
		snprintf(err, errcap, "signing %s: %s", o->out, rt_strerror(r));
		goto out;
	}
	r = 0;
 out:
	if (f != NULL)
		fclose(f);
	if (have_tmp)
		unlink(tmp);
	sqlite3_close(db);
	rt_buf_fini(&head);
	return r;
}
