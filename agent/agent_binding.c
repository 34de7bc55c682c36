/*
 * Registration bindings of roamers, keyed by (AOR, contact, source flow
 * "proto:address:port"), and the failure counters behind the rate limits.
 * Both are bounded hash tables under a lock; a warm check is one lookup and
 * one copy. A binding sits in two chains: its (flow, AOR) bucket, where a
 * request of that AOR from that flow finds it (with the AOR's other
 * contacts on the flow, few: the per-flow cap bounds them), and its flow's
 * bucket, counted against the per-flow cap when a new one comes. The
 * bindings table refuses new entries when full, or when their flow holds
 * its share (after dropping expired ones), rather than evict a live
 * registration; the limiter evicts its oldest key, which at worst forgets
 * a failure count.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "rt_log.h"

/* FNV-1a: the keys are short strings we build ourselves. */
static uint64_t
hash_str(const char *s)
{
	return agent_fnv1a(AGENT_FNV_INIT, s, strlen(s));
}

/* The bindings' hash, a word at a time: every warm check hashes its flow
 * and AOR (some 45 bytes), where FNV-1a's multiply per byte showed in the
 * profile. Not keyed, like FNV: flows are addresses we saw, AORs those of
 * authenticated roamers. */
#define MIX_K1 0x9e3779b97f4a7c15ULL
#define MIX_K2 0xff51afd7ed558ccdULL

static uint64_t
hash_words(uint64_t h, const char *s, size_t len)
{
	uint64_t w;

	for (; len >= 8; s += 8, len -= 8) {
		memcpy(&w, s, 8);
		h = (h ^ w) * MIX_K1;
		h ^= h >> 29;
	}
	w = len;	/* the tail, and how long it is */
	for (size_t k = 0; k < len; k++)
		w = w << 8 | (unsigned char)s[k];
	return (h ^ w) * MIX_K1;
}

/* The bucket bits (the low ones) from all of h. */
static uint64_t
hash_end(uint64_t h)
{
	h ^= h >> 32;
	h *= MIX_K2;
	return h ^ h >> 29;
}

/* flow and AOR, the NUL between them hashed too */
static uint64_t
hash_flow_aor(const char *flow, const char *aor)
{
	return hash_end(hash_words(hash_words(AGENT_FNV_INIT, flow, strlen(flow) + 1), aor,
	    strlen(aor)));
}

/* A chain link that can unlink itself (pprev: the pointer that points at
 * it), so a binding leaves both its chains at once. */
struct binding_link {
	struct binding_link *next;
	struct binding_link **pprev;
};

struct binding_node {
	struct binding_link by_key;	/* its (flow, AOR) bucket */
	struct binding_link by_flow;	/* its flow's bucket */
	struct agent_binding b;
};

/* The binding a link of each chain belongs to. */
#define BY_KEY(l) ((struct binding_node *)(void *)((char *)(l) - \
	offsetof(struct binding_node, by_key)))
#define BY_FLOW(l) ((struct binding_node *)(void *)((char *)(l) - \
	offsetof(struct binding_node, by_flow)))

struct agent_bindings {
	pthread_rwlock_t lock;
	struct binding_link **buckets;		/* by (flow, AOR) */
	struct binding_link **flow_buckets;	/* by flow */
	size_t nbuckets;			/* of each; a power of two */
	size_t count;
	size_t max;
	size_t max_per_flow;
};

int
agent_bindings_new(size_t max, size_t max_per_flow, struct agent_bindings **bp)
{
	struct agent_bindings *bs;
	size_t n = 1024;

	*bp = NULL;
	while (n < max && n < ((size_t)1 << 24))
		n *= 2;
	if ((bs = calloc(1, sizeof(*bs))) == NULL)
		return RT_ERR_NOMEM;
	if ((bs->buckets = calloc(n, sizeof(*bs->buckets))) == NULL ||
	    (bs->flow_buckets = calloc(n, sizeof(*bs->flow_buckets))) == NULL) {
		free(bs->buckets);
		free(bs);
		return RT_ERR_NOMEM;
	}
	pthread_rwlock_init(&bs->lock, NULL);
	bs->nbuckets = n;
	bs->max = max;
	bs->max_per_flow = max_per_flow;
	*bp = bs;
	return 0;
}

void
agent_bindings_free(struct agent_bindings *bs)
{
	if (bs == NULL)
		return;
	for (size_t i = 0; i < bs->nbuckets; i++) {
		struct binding_link *l = bs->buckets[i], *next;

		for (; l != NULL; l = next) {
			next = l->next;
			free(BY_KEY(l));
		}
	}
	free(bs->buckets);
	free(bs->flow_buckets);
	pthread_rwlock_destroy(&bs->lock);
	free(bs);
}

static struct binding_link **
key_bucket(struct agent_bindings *bs, const char *flow, const char *aor)
{
	return &bs->buckets[hash_flow_aor(flow, aor) & (bs->nbuckets - 1)];
}

static struct binding_link **
flow_bucket(struct agent_bindings *bs, const char *flow)
{
	return &bs->flow_buckets[hash_end(hash_words(AGENT_FNV_INIT, flow, strlen(flow))) &
	    (bs->nbuckets - 1)];
}

static void
link_push(struct binding_link *l, struct binding_link **head)
{
	if ((l->next = *head) != NULL)
		l->next->pprev = &l->next;
	l->pprev = head;
	*head = l;
}

static void
link_drop(struct binding_link *l)
{
	if ((*l->pprev = l->next) != NULL)
		l->next->pprev = l->pprev;
}

static void
node_free(struct agent_bindings *bs, struct binding_node *n)
{
	link_drop(&n->by_key);
	link_drop(&n->by_flow);
	free(n);
	bs->count--;
}

static int
node_is(const struct binding_node *n, const char *flow, const char *aor)
{
	return strcmp(n->b.aor, aor) == 0 && strcmp(n->b.flow, flow) == 0;
}

/* When a binding stops being of use: its registration or its assertion
 * ends, whichever first. */
static time_t
node_end(const struct binding_node *n)
{
	return n->b.expires < n->b.assertion.not_on_or_after ? n->b.expires :
	    n->b.assertion.not_on_or_after;
}

/*
 * aor's binding on flow: the one of contact, or the one of register_hash
 * (when not 0), or with neither the one that lasts longest. NULL if none.
 */
static struct binding_node *
find_locked(struct agent_bindings *bs, const char *flow, const char *aor,
    const char *contact, uint64_t register_hash)
{
	struct binding_node *best = NULL;

	for (struct binding_link *l = *key_bucket(bs, flow, aor); l != NULL; l = l->next) {
		struct binding_node *n = BY_KEY(l);

		if (!node_is(n, flow, aor) ||
		    (contact != NULL && strcmp(n->b.contact, contact) != 0) ||
		    (register_hash != 0 && n->b.register_hash != register_hash))
			continue;
		if (contact != NULL || register_hash != 0)
			return n;
		if (best == NULL || node_end(n) > node_end(best))
			best = n;
	}
	return best;
}

static size_t
expire_locked(struct agent_bindings *bs, time_t now)
{
	size_t dropped = 0;

	for (size_t i = 0; i < bs->nbuckets; i++) {
		struct binding_link *l = bs->buckets[i], *next;

		for (; l != NULL; l = next) {
			next = l->next;
			if (BY_KEY(l)->b.expires <= now) {
				node_free(bs, BY_KEY(l));
				dropped++;
			}
		}
	}
	return dropped;
}

/* How many bindings flow holds, once its expired ones (at now) are gone. */
static size_t
flow_count_locked(struct agent_bindings *bs, const char *flow, time_t now)
{
	struct binding_link *l = *flow_bucket(bs, flow), *next;
	size_t count = 0;

	for (; l != NULL; l = next) {
		struct binding_node *n = BY_FLOW(l);

		next = l->next;
		if (strcmp(n->b.flow, flow) != 0)
			continue;
		if (n->b.expires <= now)
			node_free(bs, n);
		else
			count++;
	}
	return count;
}

int
agent_bindings_put(struct agent_bindings *bs, const struct agent_binding *b)
{
	struct binding_node *n;
	time_t now = rt_time_now();
	int r = 0;

	pthread_rwlock_wrlock(&bs->lock);
	if ((n = find_locked(bs, b->flow, b->aor, b->contact, 0)) != NULL) {
		n->b = *b;
		goto out;
	}
	if (bs->max_per_flow > 0 &&
	    flow_count_locked(bs, b->flow, now) >= bs->max_per_flow) {
		r = RT_ERR_DENIED;
		goto out;
	}
	if (bs->count >= bs->max && expire_locked(bs, now) == 0) {
		r = RT_ERR_TOO_BIG;
		goto out;
	}
	if ((n = malloc(sizeof(*n))) == NULL) {
		r = RT_ERR_NOMEM;
		goto out;
	}
	n->b = *b;
	link_push(&n->by_key, key_bucket(bs, b->flow, b->aor));
	link_push(&n->by_flow, flow_bucket(bs, b->flow));
	bs->count++;
 out:
	pthread_rwlock_unlock(&bs->lock);
	return r;
}

static int
get_where(struct agent_bindings *bs, const char *flow, const char *aor,
    const char *contact, uint64_t register_hash, struct agent_binding *out)
{
	struct binding_node *n;
	int r = RT_ERR_NOT_FOUND;

	pthread_rwlock_rdlock(&bs->lock);
	if ((n = find_locked(bs, flow, aor, contact, register_hash)) != NULL) {
		*out = n->b;
		r = 0;
	}
	pthread_rwlock_unlock(&bs->lock);
	return r;
}

int
agent_bindings_get(struct agent_bindings *bs, const char *flow, const char *aor,
    const char *contact, struct agent_binding *out)
{
	return get_where(bs, flow, aor, contact, 0, out);
}

int
agent_bindings_get_registered(struct agent_bindings *bs, const char *flow,
    const char *aor, uint64_t register_hash, struct agent_binding *out)
{
	if (register_hash == 0)
		return RT_ERR_NOT_FOUND;
	return get_where(bs, flow, aor, NULL, register_hash, out);
}

int
agent_bindings_has_aor(struct agent_bindings *bs, const char *aor, char *flow_out,
    size_t cap)
{
	int found = 0;

	/* rare: only when a request comes from a flow aor is not bound on */
	pthread_rwlock_rdlock(&bs->lock);
	for (size_t i = 0; i < bs->nbuckets && !found; i++) {
		for (struct binding_link *l = bs->buckets[i]; l != NULL; l = l->next) {
			if (strcmp(BY_KEY(l)->b.aor, aor) == 0) {
				if (flow_out != NULL && cap > 0)
					snprintf(flow_out, cap, "%s", BY_KEY(l)->b.flow);
				found = 1;
				break;
			}
		}
	}
	pthread_rwlock_unlock(&bs->lock);
	return found;
}

size_t
agent_bindings_del(struct agent_bindings *bs, const char *flow, const char *aor,
    const char *contact)
{
	struct binding_link *l, *next;
	size_t dropped = 0;

	pthread_rwlock_wrlock(&bs->lock);
	for (l = *key_bucket(bs, flow, aor); l != NULL; l = next) {
		struct binding_node *n = BY_KEY(l);

		next = l->next;
		if (node_is(n, flow, aor) &&
		    (contact == NULL || strcmp(n->b.contact, contact) == 0)) {
			node_free(bs, n);
			dropped++;
		}
	}
	pthread_rwlock_unlock(&bs->lock);
	return dropped;
}

size_t
agent_bindings_expire(struct agent_bindings *bs, time_t now)
{
	size_t n;

	pthread_rwlock_wrlock(&bs->lock);
	n = expire_locked(bs, now);
	pthread_rwlock_unlock(&bs->lock);
	return n;
}

size_t
agent_bindings_count(struct agent_bindings *bs)
{
	size_t n;

	pthread_rwlock_rdlock(&bs->lock);
	n = bs->count;
	pthread_rwlock_unlock(&bs->lock);
	return n;
}

/* ---- failure counters ---- */

struct limit_entry {
	char key[RT_URI_MAX];
	time_t window_start;
	int failures;
	time_t banned_until;
	time_t touched;
};

struct agent_limiter {
	pthread_mutex_t lock;
	struct limit_entry *entries;
	size_t nentries;	/* a power of two */
	long window;
	int limit;
	long ban;
};

int
agent_limiter_new(size_t max_keys, long window, int limit, long ban,
    struct agent_limiter **lp)
{
	struct agent_limiter *l;
	size_t n = 256;

	*lp = NULL;
	while (n < max_keys && n < ((size_t)1 << 22))
		n *= 2;
	if ((l = calloc(1, sizeof(*l))) == NULL)
		return RT_ERR_NOMEM;
	if ((l->entries = calloc(n, sizeof(*l->entries))) == NULL) {
		free(l);
		return RT_ERR_NOMEM;
	}
	pthread_mutex_init(&l->lock, NULL);
	l->nentries = n;
	l->window = window;
	l->limit = limit;
	l->ban = ban;
	*lp = l;
	return 0;
}

void
agent_limiter_free(struct agent_limiter *l)
{
	if (l == NULL)
		return;
	pthread_mutex_destroy(&l->lock);
	free(l->entries);
	free(l);
}

#define LIMIT_PROBE 8

/* The entry of key, or the slot to take for it (evicting the stalest). */
static struct limit_entry *
limit_slot(struct agent_limiter *l, const char *key, int create)
{
	uint64_t h = hash_str(key);
	struct limit_entry *victim = NULL;

	for (size_t i = 0; i < LIMIT_PROBE; i++) {
		struct limit_entry *e = &l->entries[(h + i) & (l->nentries - 1)];

		if (e->key[0] != '\0' && strcmp(e->key, key) == 0)
			return e;
		/* evict the stalest, but a ban only when nothing else is left */
		if (victim == NULL || e->key[0] == '\0' ||
		    (victim->banned_until != 0 && e->banned_until == 0) ||
		    ((victim->banned_until == 0) == (e->banned_until == 0) &&
		    e->touched < victim->touched))
			victim = e;
	}
	if (!create)
		return NULL;
	memset(victim, 0, sizeof(*victim));
	snprintf(victim->key, sizeof(victim->key), "%s", key);
	return victim;
}

int
agent_limiter_banned(struct agent_limiter *l, const char *key, time_t now)
{
	struct limit_entry *e;
	int banned;

	pthread_mutex_lock(&l->lock);
	e = limit_slot(l, key, 0);
	banned = e != NULL && e->banned_until > now;
	pthread_mutex_unlock(&l->lock);
	return banned;
}

int
agent_limiter_fail(struct agent_limiter *l, const char *key, time_t now)
{
	struct limit_entry *e;
	int banned = 0;

	pthread_mutex_lock(&l->lock);
	e = limit_slot(l, key, 1);
	e->touched = now;
	if (now - e->window_start >= l->window) {
		e->window_start = now;
		e->failures = 0;
	}
	if (++e->failures >= l->limit && e->banned_until <= now) {
		e->banned_until = now + l->ban;
		banned = 1;
	}
	pthread_mutex_unlock(&l->lock);
	return banned;
}

void
agent_limiter_ok(struct agent_limiter *l, const char *key)
{
	struct limit_entry *e;

	/* a success while banned cannot lift the ban; once it ran out, it
	 * starts the count over (a window longer than the ban would ban again
	 * at the next slip) */
	pthread_mutex_lock(&l->lock);
	if ((e = limit_slot(l, key, 0)) != NULL && e->banned_until <= rt_time_now())
		e->failures = 0;
	pthread_mutex_unlock(&l->lock);
}
