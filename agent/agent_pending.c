/*
 * Requests the agent allowed that a usage report may follow: a roamer's
 * INVITE (its 2xx opens a call) or MESSAGE (its 2xx is a record). The
 * report names only the Call-ID (and CSeq), so this remembers who the
 * request was allowed for. In memory, bounded (max entries; a full table
 * refuses new ones, it never forgets live ones early), each entry kept for
 * lifetime seconds: entries expire in the order they were put, so one
 * list oldest-first is the expiry queue, and a hash finds a key.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"

struct pending_entry {
	struct pending_entry *hnext;	/* same bucket */
	struct pending_entry *older, *newer;
	uint64_t hash;
	time_t expires;
	char key[AGENT_PENDING_KEY_MAX];
	struct agent_usage_party party;
};

struct agent_pending {
	pthread_mutex_t lock;
	struct pending_entry **buckets;
	size_t nbuckets;		/* a power of two */
	size_t count, max;
	long lifetime;
	struct pending_entry *oldest, *newest;
};

static uint64_t
key_hash(const char *key)
{
	return agent_fnv1a(AGENT_FNV_INIT, key, strlen(key));
}

int
agent_pending_new(size_t max, long lifetime, struct agent_pending **pp)
{
	struct agent_pending *p;
	size_t n = 64;

	*pp = NULL;
	if (max == 0 || lifetime <= 0)
		return RT_ERR_BAD_INPUT;
	while (n < max && n < ((size_t)1 << 24))
		n <<= 1;
	if ((p = calloc(1, sizeof(*p))) == NULL ||
	    (p->buckets = calloc(n, sizeof(*p->buckets))) == NULL) {
		free(p);
		return RT_ERR_NOMEM;
	}
	pthread_mutex_init(&p->lock, NULL);
	p->nbuckets = n;
	p->max = max;
	p->lifetime = lifetime;
	*pp = p;
	return 0;
}

void
agent_pending_free(struct agent_pending *p)
{
	if (p == NULL)
		return;
	while (p->oldest != NULL) {
		struct pending_entry *e = p->oldest;

		p->oldest = e->newer;
		free(e);
	}
	pthread_mutex_destroy(&p->lock);
	free(p->buckets);
	free(p);
}

static struct pending_entry **
bucket_slot(struct agent_pending *p, const char *key, uint64_t h)
{
	struct pending_entry **slot = &p->buckets[h & (p->nbuckets - 1)];

	while (*slot != NULL && ((*slot)->hash != h || strcmp((*slot)->key, key) != 0))
		slot = &(*slot)->hnext;
	return slot;
}

static void
list_unlink(struct agent_pending *p, struct pending_entry *e)
{
	if (e->older != NULL)
		e->older->newer = e->newer;
	else
		p->oldest = e->newer;
	if (e->newer != NULL)
		e->newer->older = e->older;
	else
		p->newest = e->older;
	e->older = e->newer = NULL;
}

static void
list_append(struct agent_pending *p, struct pending_entry *e)
{
	e->older = p->newest;
	e->newer = NULL;
	if (p->newest != NULL)
		p->newest->newer = e;
	else
		p->oldest = e;
	p->newest = e;
}

/* Drops the entries expired at now (the oldest first). Locked. */
static void
expire(struct agent_pending *p, time_t now)
{
	while (p->oldest != NULL && p->oldest->expires <= now) {
		struct pending_entry *e = p->oldest;

		*bucket_slot(p, e->key, e->hash) = e->hnext;
		list_unlink(p, e);
		p->count--;
		free(e);
	}
}

int
agent_pending_put(struct agent_pending *p, const char *key,
    const struct agent_usage_party *party, time_t now)
{
	uint64_t h = key_hash(key);
	struct pending_entry **slot, *e;
	size_t klen = strlen(key);

	if (klen >= AGENT_PENDING_KEY_MAX)
		return RT_ERR_BAD_INPUT;
	pthread_mutex_lock(&p->lock);
	expire(p, now);
	slot = bucket_slot(p, key, h);
	if ((e = *slot) != NULL) {
		/* a retransmission, a re-INVITE: the same event, kept longer */
		uint64_t at_ms = e->party.at_ms;

		list_unlink(p, e);
		e->party = *party;
		e->party.at_ms = at_ms;
	} else {
		if (p->count >= p->max || (e = calloc(1, sizeof(*e))) == NULL) {
			pthread_mutex_unlock(&p->lock);
			return p->count >= p->max ? RT_ERR_TOO_BIG : RT_ERR_NOMEM;
		}
		e->hash = h;
		memcpy(e->key, key, klen + 1);
		e->party = *party;
		*slot = e;
		p->count++;
	}
	e->expires = now + p->lifetime;
	list_append(p, e);
	pthread_mutex_unlock(&p->lock);
	return 0;
}

int
agent_pending_get(struct agent_pending *p, const char *key, time_t now,
    struct agent_usage_party *out)
{
	struct pending_entry *e;
	int r = RT_ERR_NOT_FOUND;

	pthread_mutex_lock(&p->lock);
	e = *bucket_slot(p, key, key_hash(key));
	if (e != NULL && e->expires > now) {
		*out = e->party;
		r = 0;
	}
	pthread_mutex_unlock(&p->lock);
	return r;
}

size_t
agent_pending_count(struct agent_pending *p)
{
	size_t n;

	pthread_mutex_lock(&p->lock);
	n = p->count;
	pthread_mutex_unlock(&p->lock);
	return n;
}
