/*
 * `roamtrust-broker reconcile`: two signed exports merge-joined by record
 * id. See broker_export.h.
 *
 * Each side is read by its own thread (rt_export_read) into a small ring
 * of record batches, so the two files parse in parallel and memory stays
 * at SIDE_SLOTS batches a side whatever their size. The main thread only
 * merges: both files are in ascending id order, so one pass decides every
 * id. An id lower than the one before it is an error (a file out of order
 * cannot be merged honestly), an id equal to the one before a duplicate.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "broker_reconcile_int.h"
#include "rt_codec.h"
#include "rt_file.h"
#include "rt_log.h"

#define BATCH 256
#define SIDE_SLOTS 4

struct batch {
	struct rt_export_item items[BATCH];
	size_t n;
	int status;		/* 0: more follow; 1: the end; RT_ERR_* */
};

struct side {
	const char *name;	/* "ours", "theirs" */
	const char *path;
	FILE *f;
	struct rt_export_reader *rd;
	int leased;		/* read lease held: the reader does not hash */
	uint8_t digest[RT_SHA256_LEN];
	char err[2 * PATH_MAX + RT_EXPORT_ERR_MAX + 256];
	/* the ring, between the reader thread and the merge */
	struct batch *slots;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	uint64_t filled, consumed;
	int stop;
	int reader_waits, merge_waits;	/* a wake-up is owed only to a waiter */
	pthread_t thread;
	int started;
	/* the merge's view */
	struct batch *cur;
	size_t idx;
	const struct rt_export_item *item;	/* current record, NULL at end */
	char prev_id[RT_ID_MAX];
};

static void
side_error(struct side *s, const char *detail)
{
	snprintf(s->err, sizeof(s->err), "%s: %s", s->path, detail);
}

/* The reader thread: batches of records, then the end or an error. */
static void *
side_main(void *arg)
{
	struct side *s = arg;

	for (;;) {
		struct batch *b;
		int status = 0, ret;

		pthread_mutex_lock(&s->lock);
		while (s->filled - s->consumed == SIDE_SLOTS && !s->stop) {
			s->reader_waits = 1;
			pthread_cond_wait(&s->cond, &s->lock);
			s->reader_waits = 0;
		}
		if (s->stop) {
			pthread_mutex_unlock(&s->lock);
			return NULL;
		}
		b = &s->slots[s->filled % SIDE_SLOTS];
		pthread_mutex_unlock(&s->lock);
		b->n = 0;
		while (b->n < BATCH) {
			if ((ret = rt_export_reader_next(s->rd, &b->items[b->n])) == 1) {
				b->n++;
				continue;
			}
			status = ret == 0 ? 1 : ret;
			break;
		}
		if (status < 0)
			side_error(s, rt_export_reader_error(s->rd));
		if (status == 1) {
			uint8_t digest[RT_SHA256_LEN];

			/* the bytes parsed must be the bytes whose signature checked */
			if (s->leased) {
				if (!rt_file_lease_held(fileno(s->f))) {
					status = RT_ERR_SIG_BAD;
					side_error(s, "the file was opened for writing "
					    "while it was read");
				}
			} else if (rt_export_reader_digest(s->rd, digest) != 0 ||
			    memcmp(digest, s->digest, sizeof(digest)) != 0) {
				status = RT_ERR_SIG_BAD;
				side_error(s, "the file changed after its signature "
				    "was checked");
			}
		}
		if (status != 0 && s->leased) {
			/* a writer waiting on the lease need not wait for the report */
			rt_file_lease_release(fileno(s->f));
			s->leased = 0;
		}
		b->status = status;
		pthread_mutex_lock(&s->lock);
		s->filled++;
		if (s->merge_waits)
			pthread_cond_signal(&s->cond);
		pthread_mutex_unlock(&s->lock);
		if (status != 0)
			return NULL;
	}
}

/* The next record of s into s->item (NULL at the end); 0 or RT_ERR_*. */
static int
side_pull(struct side *s)
{
	for (;;) {
		if (s->cur != NULL && s->idx < s->cur->n) {
			s->item = &s->cur->items[s->idx++];
			return 0;
		}
		if (s->cur != NULL) {
			if (s->cur->status != 0) {
				s->item = NULL;
				return s->cur->status == 1 ? 0 : s->cur->status;
			}
			pthread_mutex_lock(&s->lock);
			s->consumed++;
			if (s->reader_waits)
				pthread_cond_signal(&s->cond);
			pthread_mutex_unlock(&s->lock);
			s->cur = NULL;
		}
		pthread_mutex_lock(&s->lock);
		while (s->filled == s->consumed) {
			s->merge_waits = 1;
			pthread_cond_wait(&s->cond, &s->lock);
			s->merge_waits = 0;
		}
		s->cur = &s->slots[s->consumed % SIDE_SLOTS];
		pthread_mutex_unlock(&s->lock);
		s->idx = 0;
	}
}

static void
side_close(struct side *s)
{
	if (s->started) {
		pthread_mutex_lock(&s->lock);
		s->stop = 1;
		pthread_cond_broadcast(&s->cond);
		pthread_mutex_unlock(&s->lock);
		pthread_join(s->thread, NULL);
		s->started = 0;
	}
	if (s->slots != NULL) {
		pthread_mutex_destroy(&s->lock);
		pthread_cond_destroy(&s->cond);
	}
	rt_export_reader_free(s->rd);
	s->rd = NULL;
	free(s->slots);
	s->slots = NULL;
	if (s->f != NULL) {
		if (s->leased)
			rt_file_lease_release(fileno(s->f));
		fclose(s->f);
	}
	s->f = NULL;
	s->leased = 0;
}

/*
 * Signature first, then the header: nothing is parsed before it checks.
 * The parse must then see the very bytes that were checked. When the kernel
 * grants a read lease on the file (taken before the check; see
 * rt_file_lease), nobody can open it for writing or truncate it without
 * breaking the lease, and the end of the parse requires it unbroken. When
 * it does not (someone has the file open for writing, not our file, a
 * network filesystem), the parse hashes the file again and the end of the
 * parse compares that digest with the checked one. Either way a file that
 * changes or is opened for writing while it is read fails the reconcile
 * with RT_ERR_SIG_BAD.
 */
static int
side_open(struct side *s, const struct broker_reconcile_opts *o,
    struct recon_report *rep, int i)
{
	struct rt_cms_signers signers;
	char sigpath[PATH_MAX], err[RT_EXPORT_ERR_MAX];
	int r;

	if ((size_t)snprintf(sigpath, sizeof(sigpath), "%s.sig", s->path) >= sizeof(sigpath)) {
		side_error(s, "path too long");
		return RT_ERR_TOO_BIG;
	}
	if ((s->f = fopen(s->path, "rb")) == NULL) {
		side_error(s, strerror(errno));
		return RT_ERR_IO;
	}
	if (rt_file_lease(fileno(s->f)) == 0) {
		s->leased = 1;
	} else {
		const char *why = strerrorname_np(errno);

		log_info("event=export_rehash path=%s reason=%s", s->path,
		    why != NULL ? why : "unknown");
	}
	if ((r = rt_export_verify_file(o->trust, s->f, sigpath, o->now, &signers,
	    s->digest)) != 0) {
		snprintf(s->err, sizeof(s->err), "%s: signature %s refused: %s",
		    s->path, sigpath, rt_strerror(r));
		return r;
	}
	memcpy(rep->signer[i], signers.realm[0], RT_REALM_MAX);
	if (fseeko(s->f, 0, SEEK_SET) != 0)
		return RT_ERR_IO;
	if ((r = rt_export_reader_open(s->f, !s->leased, &s->rd, err)) != 0) {
		side_error(s, err);
		return r;
	}
	rep->header[i] = *rt_export_reader_header(s->rd);
	if (strcmp(rep->header[i].issuer, rep->signer[i]) != 0) {
		snprintf(s->err, sizeof(s->err), "%s: issued by %s but signed by %s",
		    s->path, rep->header[i].issuer, rep->signer[i]);
		return RT_ERR_REALM;
	}
	return 0;
}

struct open_job {
	struct side *s;
	const struct broker_reconcile_opts *o;
	struct recon_report *rep;
	int r;
};

static void *
open_main(void *arg)
{
	struct open_job *job = arg;

	job->r = side_open(job->s, job->o, job->rep, 1);
	return NULL;
}

/* Both signatures are checked at once, theirs in a second thread: each
 * check reads its whole file. */
static int
sides_open(struct side *s, const struct broker_reconcile_opts *o,
    struct recon_report *rep)
{
	struct open_job job = {&s[1], o, rep, RT_ERR_INTERNAL};
	pthread_t t;
	int r, threaded = pthread_create(&t, NULL, open_main, &job) == 0;

	r = side_open(&s[0], o, rep, 0);
	if (threaded)
		pthread_join(t, NULL);
	else
		open_main(&job);
	return r != 0 ? r : job.r;
}

static int
side_start(struct side *s)
{
	if ((s->slots = calloc(SIDE_SLOTS, sizeof(*s->slots))) == NULL)
		return RT_ERR_NOMEM;
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->cond, NULL);
	if (pthread_create(&s->thread, NULL, side_main, s) != 0)
		return RT_ERR_INTERNAL;
	s->started = 1;
	return 0;
}

/* Both exports must be between the same two realms over overlapping
 * periods, in one currency. */
static int
headers_check(const struct broker_reconcile_opts *o, struct recon_report *rep,
    char *err, size_t errcap)
{
	const struct rt_export_header *a = &rep->header[0], *b = &rep->header[1];

	if (o->self != NULL && strcmp(a->issuer, o->self) != 0) {
		snprintf(err, errcap, "%s was issued by %s, not by us (%s): give our "
		    "export first", o->ours, a->issuer, o->self);
		return RT_ERR_REALM;
	}
	if (strcmp(a->issuer, b->partner) != 0 || strcmp(a->partner, b->issuer) != 0) {
		snprintf(err, errcap, "the exports are not between the same two realms: "
		    "%s is %s -> %s, %s is %s -> %s", o->ours, a->issuer, a->partner,
		    o->theirs, b->issuer, b->partner);
		return RT_ERR_REALM;
	}
	if (strcmp(a->currency, b->currency) != 0) {
		snprintf(err, errcap, "the exports are in two currencies (%s, %s)",
		    a->currency, b->currency);
		return RT_ERR_BAD_INPUT;
	}
	rep->common_start = a->period_start > b->period_start ? a->period_start :
	    b->period_start;
	rep->common_end = a->period_end < b->period_end ? a->period_end : b->period_end;
	if (rep->common_start >= rep->common_end) {
		snprintf(err, errcap, "the exports' periods do not overlap");
		return RT_ERR_BAD_INPUT;
	}
	return 0;
}

/* Whether the record is between the export's two realms, either way. */
static int
between(const struct rt_export_item *it, const struct rt_export_header *h)
{
	const char *home = it->u.home, *visited = it->u.visited;

	return (strcmp(home, h->issuer) == 0 && strcmp(visited, h->partner) == 0) ||
	    (strcmp(home, h->partner) == 0 && strcmp(visited, h->issuer) == 0);
}

/* Advances s past its current record, checking the order. */
static int
side_advance(struct side *s, int i, struct recon_report *rep)
{
	int r, c;

	for (;;) {
		if ((r = side_pull(s)) != 0)
			return r;
		if (s->item == NULL)
			return 0;
		rep->records[i]++;
		if (s->item->unpriced[0] != '\0')
			rep->unpriced[i]++;
		if ((r = rt_export_totals_add(&rep->totals[i], &s->item->u,
		    s->item->amount_minor < 0 ? 0 : s->item->amount_minor,
		    s->item->unpriced[0] != '\0')) != 0) {
			snprintf(s->err, sizeof(s->err), "%s: totals out of range at %s",
			    s->path, s->item->u.id);
			return r;
		}
		c = s->prev_id[0] == '\0' ? 1 : strcmp(s->item->u.id, s->prev_id);
		if (c < 0) {
			snprintf(s->err, sizeof(s->err), "%s: record %s (%s %" PRIu64
			    ") comes after %s: the file is not in id order", s->path,
			    s->item->u.id, rt_export_reader_format(s->rd) == RT_EXPORT_CSV ?
			    "line" : "record", s->item->where, s->prev_id);
			return RT_ERR_BAD_INPUT;
		}
		if (c == 0) {
			recon_report_add(rep, i == 0 ? RECON_DUPLICATE_OURS :
			    RECON_DUPLICATE_THEIRS, i == 0 ? s->item : NULL,
			    i == 0 ? NULL : s->item, "the id again");
			continue;
		}
		memcpy(s->prev_id, s->item->u.id, sizeof(s->prev_id));
		if (!between(s->item, &rep->header[i]))
			recon_report_add(rep, RECON_MISMATCH, i == 0 ? s->item : NULL,
			    i == 0 ? NULL : s->item, "home and visited are not the two "
			    "realms of the exports");
		return 0;
	}
}

static void
field_diff(char *out, size_t cap, const char *name, const char *a, const char *b)
{
	size_t len;

	if (strcmp(a, b) == 0 || (len = strlen(out)) >= cap - 1)
		return;
	snprintf(out + len, cap - len, "%s%s: %.60s / %.60s", len ? "; " : "", name,
	    a, b);
}

static void
flags_text(const struct rt_usage_record *u, char *out, size_t cap)
{
	size_t len = 0;

	out[0] = '\0';
	for (int i = 0; i < u->nflags && len < cap; i++)
		len += (size_t)snprintf(out + len, cap - len, "%s%s", i ? " " : "",
		    u->flags[i]);
}

static void
compare(struct recon_report *rep, const struct rt_export_item *a,
    const struct rt_export_item *b)
{
	const struct rt_usage_record *x = &a->u, *y = &b->u;
	char detail[512] = "", fa[160], fb[160], ta[32], tb[32];
	uint64_t dq = x->quantity > y->quantity ? x->quantity - y->quantity :
	    y->quantity - x->quantity;
	int64_t da = a->amount_minor > b->amount_minor ?
	    a->amount_minor - b->amount_minor : b->amount_minor - a->amount_minor;
	int differs = 0;

	rep->matched++;
	field_diff(detail, sizeof(detail), "service", x->service, y->service);
	field_diff(detail, sizeof(detail), "home", x->home, y->home);
	field_diff(detail, sizeof(detail), "visited", x->visited, y->visited);
	field_diff(detail, sizeof(detail), "agreement", x->agreement_ref, y->agreement_ref);
	field_diff(detail, sizeof(detail), "assertion", x->assertion_ref, y->assertion_ref);
	field_diff(detail, sizeof(detail), "subscriber", x->subscriber, y->subscriber);
	field_diff(detail, sizeof(detail), "call_id", x->call_id, y->call_id);
	field_diff(detail, sizeof(detail), "unit", x->unit, y->unit);
	/* the end is a measurement, like the quantity it goes with: only the
	 * start says which call or message this is */
	if (x->start != y->start) {
		rt_time_format(x->start, ta);
		rt_time_format(y->start, tb);
		field_diff(detail, sizeof(detail), "start", ta, tb);
	}
	if (detail[0] != '\0')
		recon_report_add(rep, RECON_MISMATCH, a, b, detail);
	if (dq > rep->tolerance_quantity)
		recon_report_add(rep, RECON_QUANTITY, a, b, "");
	else if (dq != 0)
		differs = 1;
	if (da > rep->tolerance_amount)
		recon_report_add(rep, RECON_AMOUNT, a, b, "");
	else if (da != 0)
		differs = 1;
	if (x->nflags > 0 || y->nflags > 0) {
		flags_text(x, fa, sizeof(fa));
		flags_text(y, fb, sizeof(fb));
		snprintf(detail, sizeof(detail), "ours: %s; theirs: %s",
		    fa[0] ? fa : "-", fb[0] ? fb : "-");
		recon_report_add(rep, RECON_FLAGGED, a, b, detail);
	}
	if (differs)
		rep->within_tolerance++;
}

/* A record one side has and the other not: missing, unless it lies
 * outside the other side's period. */
static void
unmatched(struct recon_report *rep, int i, const struct rt_export_item *it)
{
	const struct rt_export_header *other = &rep->header[1 - i];

	if (it->u.start < other->period_start || it->u.start >= other->period_end) {
		rep->outside_period[i]++;
		return;
	}
	if (i == 0)
		recon_report_add(rep, RECON_MISSING_THEIRS, it, NULL, "");
	else
		recon_report_add(rep, RECON_MISSING_OURS, NULL, it, "");
	if (it->u.nflags > 0) {
		char f[160];

		flags_text(&it->u, f, sizeof(f));
		recon_report_add(rep, RECON_FLAGGED, i == 0 ? it : NULL,
		    i == 0 ? NULL : it, f);
	}
}

static void
progress(const struct broker_reconcile_opts *o, const struct recon_report *rep,
    uint64_t *next_ms, int last)
{
	uint64_t now = rt_mono_ns() / 1000000;

	if (!o->progress || (!last && now < *next_ms))
		return;
	*next_ms = now + 500;
	fprintf(stderr, "\rreconcile: %" PRIu64 " / %" PRIu64 " records, %" PRIu64
	    " matched%s", rep->records[0], rep->records[1], rep->matched,
	    last ? "\n" : "");
}

static int
merge(const struct broker_reconcile_opts *o, struct side *s, struct recon_report *rep)
{
	uint64_t next_ms = 0, n = 0;
	int r;

	if ((r = side_advance(&s[0], 0, rep)) != 0 || (r = side_advance(&s[1], 1, rep)) != 0)
		return r;
	while (s[0].item != NULL || s[1].item != NULL) {
		int c = s[0].item == NULL ? 1 : s[1].item == NULL ? -1 :
		    strcmp(s[0].item->u.id, s[1].item->u.id);

		if (c == 0)
			compare(rep, s[0].item, s[1].item);
		else
			unmatched(rep, c < 0 ? 0 : 1, s[c < 0 ? 0 : 1].item);
		if ((c <= 0 && (r = side_advance(&s[0], 0, rep)) != 0) ||
		    (c >= 0 && (r = side_advance(&s[1], 1, rep)) != 0))
			return r;
		if ((++n & 4095) == 0)
			progress(o, rep, &next_ms, 0);
	}
	progress(o, rep, &next_ms, 1);
	return 0;
}

static const struct rt_export_total *
total_find(const struct rt_export_total *list, size_t n,
    const struct rt_export_total *key)
{
	for (size_t j = 0; j < n; j++)
		if (strcmp(list[j].service, key->service) == 0 &&
		    strcmp(list[j].home, key->home) == 0 &&
		    strcmp(list[j].visited, key->visited) == 0 &&
		    strcmp(list[j].unit, key->unit) == 0)
			return &list[j];
	return NULL;
}

/* A file's own totals must be the sums of its records. */
static void
totals_check(struct recon_report *rep, int i, struct side *s)
{
	const struct rt_export_totals *mine = &rep->totals[i];
	const struct rt_export_total *stated, *c;
	char detail[400];
	size_t n;

	stated = rt_export_reader_totals(s->rd, &n);
	for (size_t k = 0; k < n; k++) {
		const struct rt_export_total *t = &stated[k];

		c = total_find(mine->t, mine->n, t);
		if (c != NULL && c->records == t->records && c->quantity == t->quantity &&
		    c->amount_minor == t->amount_minor)
			continue;
		snprintf(detail, sizeof(detail), "%s states %s %s->%s: %" PRIu64
		    " records, %" PRIu64 " %s, amount %" PRId64 "; its records add up to %"
		    PRIu64 ", %" PRIu64 ", %" PRId64, s->name, t->service, t->home,
		    t->visited, t->records, t->quantity, t->unit, t->amount_minor,
		    c ? c->records : 0, c ? c->quantity : 0, c ? c->amount_minor : 0);
		recon_report_add(rep, RECON_TOTALS, NULL, NULL, detail);
	}
	for (size_t k = 0; k < mine->n; k++) {
		if (total_find(stated, n, &mine->t[k]) != NULL)
			continue;
		snprintf(detail, sizeof(detail), "%s states no total for %s %s->%s "
		    "(%s): its records add up to %" PRIu64 ", %" PRIu64 ", %" PRId64,
		    s->name, mine->t[k].service, mine->t[k].home, mine->t[k].visited,
		    mine->t[k].unit, mine->t[k].records, mine->t[k].quantity,
		    mine->t[k].amount_minor);
		recon_report_add(rep, RECON_TOTALS, NULL, NULL, detail);
	}
}

int
broker_reconcile_run(const struct broker_reconcile_opts *o, char *err, size_t errcap)
{
	struct side s[RECON_SIDES];
	struct recon_report *rep;
	int r, rc = BROKER_RECONCILE_ERROR;

	err[0] = '\0';
	memset(s, 0, sizeof(s));
	if ((rep = calloc(1, sizeof(*rep))) == NULL) {
		snprintf(err, errcap, "out of memory");
		return rc;
	}
	rep->out = o->out;
	rep->tolerance_quantity = o->tolerance_quantity;
	rep->tolerance_amount = o->tolerance_amount;
	s[0].name = "ours";
	s[0].path = o->ours;
	s[1].name = "theirs";
	s[1].path = o->theirs;
	if ((r = sides_open(s, o, rep)) != 0) {
		snprintf(err, errcap, "%s", s[0].err[0] ? s[0].err : s[1].err);
		goto out;
	}
	if (headers_check(o, rep, err, errcap) != 0 ||
	    recon_report_open(rep, o->csv, o->html, err, errcap) != 0)
		goto out;
	for (int i = 0; i < RECON_SIDES; i++) {
		if ((r = side_start(&s[i])) != 0) {
			snprintf(err, errcap, "cannot start a reader: %s", rt_strerror(r));
			goto out;
		}
	}
	if ((r = merge(o, s, rep)) != 0) {
		snprintf(err, errcap, "%s", s[0].err[0] ? s[0].err : s[1].err[0] ?
		    s[1].err : rt_strerror(r));
		goto out;
	}
	totals_check(rep, 0, &s[0]);
	totals_check(rep, 1, &s[1]);
	if (recon_report_finish(rep, err, errcap) != 0)
		goto out;
	rc = recon_report_disagrees(rep) ? BROKER_RECONCILE_DISAGREE :
	    BROKER_RECONCILE_AGREE;
 out:
	for (int i = 0; i < RECON_SIDES; i++)
		side_close(&s[i]);
	recon_report_fini(rep);
	free(rep);
	return rc;
}
