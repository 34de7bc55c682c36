/*
 * Usage between brokers, both sides, and the check of our agents' records.
 *
 * Visited side (forwarding): per home realm, one UsageBatch at a time. The
 * ledger builds the batch from our records not yet in one and stores it
 * (broker_ledger_batch_out) before anything is sent; the frame that
 * carries it is signed like every request; the home's UsageBatchAck marks
 * it acknowledged in the same transaction that builds the next one. A
 * batch that gets no acknowledgement (peer down, timeout, refusal) is sent
 * again, the same bytes, until one comes: restarts included, since the
 * ledger hands back the oldest unacknowledged batch first. A batch goes as
 * soon as a full one is pending and at least every usage_forward_interval
 * while records wait.
 *
 * Home side (broker_usage_receive): a UsageBatch item of a verified frame
 * from a peer bound to its connection. From must be the sender, To us,
 * every record from there for here; the ledger decides the sequence and
 * stores the records with our check's flags; the acknowledgement leaves
 * only after the commit.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker.h"
#include "broker_ledger.h"
#include "rt_codec.h"
#include "rt_log.h"

#define USAGE_PERIOD_MAX (31L * 86400)	/* one record's period, at most */
#define USAGE_QUANTITY_MAX 1000000	/* of a unit that is not a duration */
#define RETRY_MS 1000			/* after a send that got no answer */
#define RETRY_REFUSED_MS 5000		/* after the home refused a batch */
#define RETRY_CHAIN_MS 30000		/* after the home found the chain broken */
#define BATCH_BYTES_MAX (RT_FRAME_MAX_ITEM - 4096)

struct usage_partner {
	struct broker *broker;
	struct broker_peer *peer;
	nng_aio *send_aio;		/* the send, off the store's thread */
	pthread_mutex_t lock;		/* guards everything below */
	int busy;			/* a look in the ledger or a batch in flight */
	int stopping;
	uint64_t pending;		/* records noted since the last empty look */
	uint64_t taken;			/* pending when the current look began */
	uint64_t ack_seq;		/* acknowledged, to mark at the next look */
	uint64_t retry_at_ms;
	uint64_t last_try_ms;
	char state[BROKER_REASON_MAX];
	struct broker_ledger_batch_out out;	/* the one look in flight */
};

/* ---- our agents' records ---- */

/* Whether a record in unit may be billed under an agreement in want. */
static int
unit_fits(const char *want, const char *unit)
{
	return strcmp(want, unit) == 0 ||
	    (strcmp(want, "minute") == 0 && strcmp(unit, "second") == 0);
}

/* A quantity the record's period allows. */
static int
quantity_possible(const struct rt_usage_record *u)
{
	uint64_t period = (uint64_t)(u->end - u->start);

	if (strcmp(u->unit, "second") == 0)
		return u->quantity <= period + 1;
	if (strcmp(u->unit, "minute") == 0)
		return u->quantity <= (period + 59) / 60 + 1;
	return u->quantity <= USAGE_QUANTITY_MAX;
}

int
broker_usage_check(struct broker *b, const struct rt_usage_record *u, time_t now)
{
	const struct broker_config *bc = b->config;
	const struct rt_agreement_service *svc;
	struct rt_agreement a;

	if (strcmp(u->visited, bc->realm) != 0 || strcmp(u->home, bc->realm) == 0)
		return RT_ERR_REALM;
	if (broker_agreement_for(b, u->home, bc->realm, now, &a) != 0 ||
	    broker_agreement_get(b, u->agreement_ref, now, &a) != 0 ||
	    strcmp(a.home, u->home) != 0 || strcmp(a.visited, bc->realm) != 0 ||
	    u->start + bc->skew < a.not_before ||
	    u->start - bc->skew >= a.not_on_or_after)
		return RT_ERR_NO_AGREEMENT;
	if ((svc = rt_agreement_service(&a, u->service)) == NULL)
		return RT_ERR_DENIED;
	if (!unit_fits(svc->unit, u->unit) || u->end < u->start ||
	    u->end - u->start > USAGE_PERIOD_MAX || u->end > now + bc->skew ||
	    !quantity_possible(u))
		return RT_ERR_BAD_INPUT;
	return 0;
}

/* ---- forwarding (visited side) ---- */

static int
peer_is_up(struct broker_peer *peer)
{
	int up;

	pthread_mutex_lock(&peer->lock);
	up = peer->state == PEER_UP;
	pthread_mutex_unlock(&peer->lock);
	return up;
}

/* Under p->lock: the look or the send failed; try again after delay_ms. */
static void
partner_retry(struct usage_partner *p, uint64_t delay_ms)
{
	p->busy = 0;
	if (p->pending == 0)
		p->pending = 1;
	p->retry_at_ms = rt_time_now_ms() + delay_ms;
}

static void partner_kick(struct usage_partner *p, uint64_t now_ms);

static void
reply_done(void *arg, int err, const struct rt_msg_in *m)
{
	struct usage_partner *p = arg;
	struct broker *b = p->broker;
	struct rt_usage_batch_ack ack;
	struct rt_refusal ref;

	if (err == 0 && m->type == RT_MSG_USAGE_BATCH_ACK &&
	    rt_usage_batch_ack_from_xml(m->doc, &ack) == 0 &&
	    ack.sequence == p->out.seq && strcmp(ack.batch_ref, p->out.id) == 0) {
		if (ack.stored < p->out.nrecords)
			log_warn("event=batch_partly_stored partner=%s seq=%" PRIu64
			    " records=%" PRIu32 " stored=%" PRIu32, p->peer->realm,
			    ack.sequence, p->out.nrecords, ack.stored);
		log_debug("event=batch_acked partner=%s seq=%" PRIu64 " stored=%" PRIu32
		    " flagged=%" PRIu32, p->peer->realm, ack.sequence, ack.stored,
		    ack.flagged);
		rt_counter_inc(b->metrics.batches_out_acked);
		pthread_mutex_lock(&p->lock);
		p->busy = 0;
		p->ack_seq = ack.sequence;
		snprintf(p->state, sizeof(p->state), "batch %" PRIu64 " acknowledged "
		    "(%" PRIu32 " stored, %" PRIu32 " flagged)", ack.sequence, ack.stored,
		    ack.flagged);
		pthread_mutex_unlock(&p->lock);
		/* mark it and send the next one now: a backlog drains at once */
		partner_kick(p, rt_time_now_ms());
		return;
	}
	rt_counter_inc(b->metrics.batches_out_failed);
	memset(&ref, 0, sizeof(ref));
	if (err == 0 && m->type == RT_MSG_REFUSAL && rt_refusal_from_xml(m->doc, &ref) == 0) {
		char esc[RT_TEXT_MAX + 16];

		log_err("event=batch_refused_by_peer partner=%s seq=%" PRIu64
		    " reason=%s detail=%s", p->peer->realm, p->out.seq, ref.reason,
		    rt_log_value(ref.detail, esc, sizeof(esc)));
		pthread_mutex_lock(&p->lock);
		snprintf(p->state, sizeof(p->state), "batch %" PRIu64 " refused: %s %.100s",
		    p->out.seq, ref.reason, ref.detail);
		/* a broken chain needs an operator; anything else may pass soon
		 * (a connection that has not said Hello yet, say) */
		partner_retry(p, strcmp(ref.reason, rt_errname(RT_ERR_CHAIN)) == 0 ?
		    RETRY_CHAIN_MS : RETRY_REFUSED_MS);
		pthread_mutex_unlock(&p->lock);
		return;
	}
	log_warn("event=batch_not_acked partner=%s seq=%" PRIu64 " reason=%s",
	    p->peer->realm, p->out.seq, err != 0 ? rt_errname(err) : rt_msg_name(m->type));
	pthread_mutex_lock(&p->lock);
	snprintf(p->state, sizeof(p->state), "batch %" PRIu64 " not acknowledged "
	    "(%s), will send it again", p->out.seq,
	    err != 0 ? rt_strerror(err) : "unexpected answer");
	partner_retry(p, RETRY_MS);
	pthread_mutex_unlock(&p->lock);
}

/* On one of nng's threads: the batch the ledger stored goes out. */
static void
send_cb(void *arg)
{
	struct usage_partner *p = arg;
	int r;

	if (nng_aio_result(p->send_aio) != 0)
		return;		/* stopped */
	/* reply_done may run before this returns (a frame that failed) */
	if ((r = broker_peer_call(p->peer, &p->out.xml, 0, reply_done, p)) == 0) {
		rt_counter_inc(p->broker->metrics.batches_out_sent);
		return;
	}
	pthread_mutex_lock(&p->lock);
	snprintf(p->state, sizeof(p->state), "batch %" PRIu64 " waits: %s",
	    p->out.seq, rt_strerror(r));
	partner_retry(p, RETRY_MS);
	pthread_mutex_unlock(&p->lock);
}

/* On the store's thread: the ledger's answer to a look. */
static void
look_done(struct broker_ledger_batch_out *bo, int err)
{
	struct usage_partner *p = bo->arg;

	pthread_mutex_lock(&p->lock);
	if (err != 0) {
		if (bo->ack_seq != 0 && p->ack_seq == 0)
			p->ack_seq = bo->ack_seq;	/* not marked: again */
		snprintf(p->state, sizeof(p->state), "ledger error: %s", rt_strerror(err));
		partner_retry(p, RETRY_MS);
	} else if (bo->seq == 0) {
		/* everything noted before the look is in acknowledged batches */
		p->pending -= p->taken < p->pending ? p->taken : p->pending;
		p->busy = 0;
		if (p->ack_seq == 0 && bo->ack_seq != 0)
			snprintf(p->state, sizeof(p->state), "idle: batch %" PRIu64
			    " acknowledged, nothing waiting", bo->ack_seq);
		else if (p->ack_seq == 0)
			snprintf(p->state, sizeof(p->state), "idle: nothing to send");
	} else if (p->stopping)
		p->busy = 0;
	else {
		if (bo->resend)
			log_info("event=batch_resend partner=%s seq=%" PRIu64, p->peer->realm,
			    bo->seq);
		snprintf(p->state, sizeof(p->state), "batch %" PRIu64 " (%" PRIu32
		    " records) %s", bo->seq, bo->nrecords, bo->resend ? "sent again" :
		    "sent");
		/* under the lock: stop cannot slip between the check and this */
		broker_defer(p->send_aio);
	}
	pthread_mutex_unlock(&p->lock);
}

static void
partner_kick(struct usage_partner *p, uint64_t now_ms)
{
	struct broker *b = p->broker;

	pthread_mutex_lock(&p->lock);
	if (p->busy || p->stopping || (p->pending == 0 && p->ack_seq == 0) ||
	    now_ms < p->retry_at_ms) {
		pthread_mutex_unlock(&p->lock);
		return;
	}
	/* an acknowledgement is marked even with the peer gone meanwhile */
	if (p->ack_seq == 0 && !peer_is_up(p->peer)) {
		snprintf(p->state, sizeof(p->state), "waiting for the peer to be up");
		pthread_mutex_unlock(&p->lock);
		return;
	}
	p->busy = 1;
	p->taken = p->pending;
	p->last_try_ms = now_ms;
	p->out.ack_seq = p->ack_seq;
	p->ack_seq = 0;
	pthread_mutex_unlock(&p->lock);
	broker_ledger_batch_out(b->ledger, &p->out);
}

void
broker_usage_added(struct broker *b, const char *partner, uint32_t n)
{
	struct usage_partner *p = NULL;
	int full;

	for (int i = 0; i < b->nusage && p == NULL; i++)
		if (strcmp(b->usage[i].peer->realm, partner) == 0)
			p = &b->usage[i];
	if (p == NULL || n == 0)
		return;		/* no peer for it: kept, waits for one */
	pthread_mutex_lock(&p->lock);
	p->pending += n;
	full = p->pending >= (uint64_t)b->config->usage_batch_records;
	pthread_mutex_unlock(&p->lock);
	if (full)
		partner_kick(p, rt_time_now_ms());
}

void
broker_usage_tick(struct broker *b, uint64_t now_ms)
{
	uint64_t every = (uint64_t)b->config->usage_forward_interval * 1000;

	if (b->ledger == NULL)
		return;
	broker_ledger_tick(b->ledger, (time_t)(now_ms / 1000));
	for (int i = 0; i < b->nusage; i++) {
		struct usage_partner *p = &b->usage[i];
		int due;

		pthread_mutex_lock(&p->lock);
		due = now_ms - p->last_try_ms + 100 >= every;
		pthread_mutex_unlock(&p->lock);
		if (due)
			partner_kick(p, now_ms);
	}
}

int
broker_usage_start(struct broker *b)
{
	if ((b->usage = calloc((size_t)b->npeers + 1, sizeof(*b->usage))) == NULL)
		return RT_ERR_NOMEM;
	for (int i = 0; i < b->npeers; i++) {
		struct usage_partner *p = &b->usage[i];

		p->broker = b;
		p->peer = &b->peers[i];
		pthread_mutex_init(&p->lock, NULL);
		/* a first look: batches not acknowledged before a restart */
		p->pending = 1;
		snprintf(p->state, sizeof(p->state), "starting");
		snprintf(p->out.partner, sizeof(p->out.partner), "%s", p->peer->realm);
		p->out.max_bytes = b->config->max_frame / 2 < BATCH_BYTES_MAX ?
		    b->config->max_frame / 2 : BATCH_BYTES_MAX;
		p->out.max_records = (size_t)b->config->usage_batch_records;
		p->out.done = look_done;
		p->out.arg = p;
		b->nusage++;
		if (nng_aio_alloc(&p->send_aio, send_cb, p) != 0)
			return RT_ERR_NOMEM;
	}
	return 0;
}

void
broker_usage_stop(struct broker *b)
{
	for (int i = 0; i < b->nusage; i++) {
		pthread_mutex_lock(&b->usage[i].lock);
		b->usage[i].stopping = 1;
		pthread_mutex_unlock(&b->usage[i].lock);
	}
	for (int i = 0; i < b->nusage; i++)
		if (b->usage[i].send_aio != NULL)
			nng_aio_stop(b->usage[i].send_aio);
}

void
broker_usage_free(struct broker *b)
{
	for (int i = 0; i < b->nusage; i++) {
		nng_aio_free(b->usage[i].send_aio);
		broker_ledger_batch_out_fini(&b->usage[i].out);
		pthread_mutex_destroy(&b->usage[i].lock);
	}
	free(b->usage);
	b->usage = NULL;
	b->nusage = 0;
}

int
broker_usage_status(struct broker *b, struct rt_buf *out)
{
	sqlite3 *db = NULL;
	int r;

	if ((r = broker_ledger_reader(b->ledger, &db)) != 0)
		return r;
	r = broker_ledger_status(db, out);
	sqlite3_close(db);
	for (int i = 0; i < b->nusage && r == 0; i++) {
		struct usage_partner *p = &b->usage[i];

		if (i == 0)
			r = rt_buf_append_str(out, "forwarding:\n");
		pthread_mutex_lock(&p->lock);
		if (r == 0)
			r = rt_buf_printf(out, "  %-24s %s\n", p->peer->realm, p->state);
		pthread_mutex_unlock(&p->lock);
	}
	return r;
}

/* ---- home side ---- */

struct usage_in {
	struct broker_async async;	/* first: the listener's handle */
	struct broker *broker;
	struct rt_usage_batch batch;	/* records freed once stored */
	struct broker_ledger_batch_in in;
	int err;
};

static int
usage_in_encode(struct broker_async *a, struct rt_buf *out)
{
	struct usage_in *ui = (struct usage_in *)a;
	struct rt_usage_batch_ack ack;

	if (ui->err != 0)
		return rt_refusal_encode(ui->err, ui->in.why[0] != '\0' ? ui->in.why :
		    "batch not stored", out);
	memset(&ack, 0, sizeof(ack));
	memcpy(ack.batch_ref, ui->batch.id, sizeof(ack.batch_ref));
	ack.sequence = ui->batch.sequence;
	ack.stored = ui->in.stored;
	ack.flagged = ui->in.flagged;
	return rt_usage_batch_ack_encode(&ack, out);
}

static void
usage_in_done(struct broker_ledger_batch_in *bi, int err)
{
	struct usage_in *ui = bi->arg;
	struct broker *b = ui->broker;
	const struct rt_usage_batch *batch = &ui->batch;

	ui->err = err;
	if (err == RT_ERR_CHAIN) {
		char esc[200];

		log_warn("event=batch_refused partner=%s seq=%" PRIu64 " id=%s "
		    "reason=chain_broken detail=%s", batch->from, batch->sequence,
		    batch->id, rt_log_value(bi->why, esc, sizeof(esc)));
		rt_counter_inc(b->metrics.batches_in_refused);
		broker_count_refusal(b, err);
	} else if (err != 0) {
		log_err("event=batch_not_stored partner=%s seq=%" PRIu64 " reason=%s",
		    batch->from, batch->sequence, rt_errname(err));
		rt_counter_inc(b->metrics.batches_in_refused);
	} else {
		log_info("event=batch_stored partner=%s seq=%" PRIu64 " records=%zu "
		    "stored=%" PRIu32 " flagged=%" PRIu32 "%s", batch->from,
		    batch->sequence, batch->nrecords, bi->stored, bi->flagged,
		    bi->repeat ? " repeat=1" : "");
		rt_counter_inc(bi->repeat ? b->metrics.batches_in_repeated :
		    b->metrics.batches_in_stored);
	}
	/* flat from here on: the listener free()s it */
	rt_usage_batch_fini(&ui->batch);
	ui->in.batch = NULL;
	ui->async.ready(ui->async.owner, ui->async.index);
}

/* What the frame's signature cannot say: the batch is the sender's and
 * ours, every record from there for here. */
static int
usage_in_check(struct broker *b, const char *sender, const struct rt_usage_batch *batch)
{
	if (strcmp(batch->from, sender) != 0)
		return RT_ERR_REALM;
	if (strcmp(batch->to, b->config->realm) != 0)
		return RT_ERR_AUDIENCE;
	for (size_t i = 0; i < batch->nrecords; i++) {
		const struct rt_usage_record *u = &batch->records[i];

		if (strcmp(u->visited, sender) != 0 || strcmp(u->home, b->config->realm) != 0)
			return RT_ERR_REALM;
		if (u->end < u->start)
			return RT_ERR_BAD_INPUT;
	}
	return 0;
}

int
broker_usage_receive(struct broker *b, const char *sender, xmlDocPtr doc,
    const uint8_t *xml, size_t len, const struct broker_async *tmpl,
    struct broker_async **ap)
{
	struct usage_in *ui;
	int r;

	*ap = NULL;
	if ((ui = calloc(1, sizeof(*ui))) == NULL)
		return RT_ERR_NOMEM;
	if ((r = rt_usage_batch_from_xml(doc, &ui->batch)) != 0 ||
	    (r = usage_in_check(b, sender, &ui->batch)) != 0 ||
	    (r = rt_sha256(xml, len, ui->in.hash)) != 0) {
		log_warn("event=batch_refused partner=%s seq=%" PRIu64 " reason=%s",
		    sender, ui->batch.sequence, rt_errname(r));
		rt_counter_inc(b->metrics.batches_in_refused);
		rt_usage_batch_fini(&ui->batch);
		free(ui);
		return r;
	}
	ui->broker = b;
	ui->async = *tmpl;
	ui->async.encode = usage_in_encode;
	ui->in.batch = &ui->batch;
	ui->in.done = usage_in_done;
	ui->in.arg = ui;
	*ap = &ui->async;
	broker_ledger_batch_in(b->ledger, &ui->in);
	return 0;
}
