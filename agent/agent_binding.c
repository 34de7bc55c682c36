/*
 * Registration bindings of roamers, keyed by their source flow
 * ("proto:address:port"), and the failure counters behind the rate limits.
 * Both are bounded hash tables under a lock; a warm check is one lookup and
 * one copy. The bindings table refuses new entries when full (after
 * dropping expired ones) rather than evict a live registration; the
 * limiter evicts its oldest key, which at worst forgets a failure count.
 */
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

struct binding_node {
	struct binding_node *next;
	struct agent_binding b;
};

struct agent_bindings {
	pthread_rwlock_t lock;
	struct binding_node **buckets;
	size_t nbuckets;
	size_t count;
	size_t max;
};

int
agent_bindings_new(size_t max, struct agent_bindings **bp)
{
	struct agent_bindings *bs;
	size_t n = 1024;

	*bp = NULL;
	while (n < max && n < ((size_t)1 << 24))
		n *= 2;
	if ((bs = calloc(1, sizeof(*bs))) == NULL)
		return RT_ERR_NOMEM;
	if ((bs->buckets = calloc(n, sizeof(*bs->buckets))) == NULL) {
		free(bs);
		return RT_ERR_NOMEM;
	}
	pthread_rwlock_init(&bs->lock, NULL);
	bs->nbuckets = n;
	bs->max = max;
	*bp = bs;
	return 0;
}

void
agent_bindings_free(struct agent_bindings *bs)
{
	if (bs == NULL)
		return;
	for (size_t i = 0; i < bs->nbuckets; i++) {
		struct binding_node *n = bs->buckets[i];

		while (n != NULL) {
			struct binding_node *next = n->next;

			free(n);
			n = next;
		}
	}
	free(bs->buckets);
	pthread_rwlock_destroy(&bs->lock);
	free(bs);
}

static struct binding_node **
find_slot(struct agent_bindings *bs, const char *flow)
{
	struct binding_node **pp = &bs->buckets[hash_str(flow) & (bs->nbuckets - 1)];

	while (*pp != NULL && strcmp((*pp)->b.flow, flow) != 0)
		pp = &(*pp)->next;
	return pp;
}

static size_t
expire_locked(struct agent_bindings *bs, time_t now)
{
	size_t dropped = 0;

	for (size_t i = 0; i < bs->nbuckets; i++) {
		struct binding_node **pp = &bs->buckets[i];

		while (*pp != NULL) {
			if ((*pp)->b.expires <= now) {
				struct binding_node *dead = *pp;

				*pp = dead->next;
				free(dead);
				bs->count--;
				dropped++;
			} else
				pp = &(*pp)->next;
		}
	}
	return dropped;
}

int
agent_bindings_put(struct agent_bindings *bs, const struct agent_binding *b)
{
	struct binding_node **pp, *n;
	int r = 0;

	pthread_rwlock_wrlock(&bs->lock);
	pp = find_slot(bs, b->flow);
	if (*pp != NULL) {
		(*pp)->b = *b;
		goto out;
	}
	if (bs->count >= bs->max && expire_locked(bs, rt_time_now()) == 0) {
		r = RT_ERR_TOO_BIG;
		goto out;
	}
	pp = find_slot(bs, b->flow);
	if ((n = malloc(sizeof(*n))) == NULL) {
		r = RT_ERR_NOMEM;
		goto out;
	}
	n->b = *b;
	n->next = NULL;
	*pp = n;
	bs->count++;
 out:
	pthread_rwlock_unlock(&bs->lock);
	return r;
}

int
agent_bindings_get(struct agent_bindings *bs, const char *flow,
    struct agent_binding *out)
{
	struct binding_node *n;
	int r = RT_ERR_NOT_FOUND;

	pthread_rwlock_rdlock(&bs->lock);
	if ((n = *find_slot(bs, flow)) != NULL) {
		*out = n->b;
		r = 0;
	}
	pthread_rwlock_unlock(&bs->lock);
	return r;
}

int
agent_bindings_has_aor(struct agent_bindings *bs, const char *aor, char *flow_out,
    size_t cap)
{
	int found = 0;

	/* rare: only when a request comes from a flow we do not know */
	pthread_rwlock_rdlock(&bs->lock);
	for (size_t i = 0; i < bs->nbuckets && !found; i++) {
		for (struct binding_node *n = bs->buckets[i]; n != NULL; n = n->next) {
			if (strcmp(n->b.aor, aor) == 0) {
				if (flow_out != NULL && cap > 0)
					snprintf(flow_out, cap, "%s", n->b.flow);
				found = 1;
				break;
			}
		}
	}
	pthread_rwlock_unlock(&bs->lock);
	return found;
}

void
agent_bindings_del(struct agent_bindings *bs, const char *flow)
{
	struct binding_node **pp, *dead;

	pthread_rwlock_wrlock(&bs->lock);
	pp = find_slot(bs, flow);
	if ((dead = *pp) != NULL) {
		*pp = dead->next;
		free(dead);
		bs->count--;
	}
	pthread_rwlock_unlock(&bs->lock);
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
