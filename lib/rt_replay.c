/*
 * The replay cache of rt_frame.h: a fixed open-addressing table of frame
 * ids with their expiry. Ids are random, so their first bytes are the hash.
 * An expired slot is reused in place; probing is bounded; a table full of
 * live ids refuses new ones (fail closed) rather than forget old ones.
 * Slots are never emptied once used, so probe chains stay intact.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "rt_frame.h"
#include "rt_log.h"

#define PROBE_MAX 64

struct replay_slot {
	uint8_t id[RT_FRAME_ID_LEN];
	uint64_t expires_ms;	/* 0 = empty */
};

struct rt_replay {
	pthread_mutex_t lock;
	struct replay_slot *slots;
	size_t nslots;		/* a power of two, twice max_entries */
	size_t live;		/* upper bound of entries not known expired */
	uint64_t recount_ms;	/* no entry counted in live expires before */
	size_t max_entries;
	uint64_t window_ms;
};

int
rt_replay_new(size_t max_entries, uint64_t window_ms, struct rt_replay **rp)
{
	struct rt_replay *r;
	size_t n = 64;

	*rp = NULL;
	if (max_entries == 0 || max_entries > ((size_t)1 << 28) || window_ms == 0)
		return RT_ERR_BAD_INPUT;
	while (n < max_entries * 2)
		n *= 2;
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return RT_ERR_NOMEM;
	if ((r->slots = calloc(n, sizeof(*r->slots))) == NULL) {
		free(r);
		return RT_ERR_NOMEM;
	}
	pthread_mutex_init(&r->lock, NULL);
	r->nslots = n;
	r->max_entries = max_entries;
	r->window_ms = window_ms;
	*rp = r;
	return 0;
}

void
rt_replay_free(struct rt_replay *r)
{
	if (r == NULL)
		return;
	pthread_mutex_destroy(&r->lock);
	free(r->slots);
	free(r);
}

/*
 * Counts the entries still live: runs when the table looks full and an
 * entry may have expired since the last count (before recount_ms none
 * has, so live is exact and the scan would find nothing to free: a full
 * table must not cost a scan of every slot per frame). Expired entries
 * stay as tombstones (reusable, but probing goes past them), so an id
 * further along its probe chain is never lost.
 */
static void
replay_recount(struct rt_replay *r, uint64_t now_ms)
{
	uint64_t first = UINT64_MAX;
	size_t live = 0;

	for (size_t i = 0; i < r->nslots; i++) {
		if (r->slots[i].expires_ms > now_ms) {
			live++;
			if (r->slots[i].expires_ms < first)
				first = r->slots[i].expires_ms;
		}
	}
	r->live = live;
	r->recount_ms = first;
}

int
rt_replay_check(struct rt_replay *r, const uint8_t id[RT_FRAME_ID_LEN],
    uint64_t now_ms)
{
	size_t h, mask = r->nslots - 1, free_slot = SIZE_MAX;
	int rc = RT_ERR_UNAVAILABLE;

	memcpy(&h, id, sizeof(h));
	pthread_mutex_lock(&r->lock);
	if (r->live >= r->max_entries && now_ms >= r->recount_ms)
		replay_recount(r, now_ms);
	for (size_t i = 0; i < PROBE_MAX; i++) {
		struct replay_slot *s = &r->slots[(h + i) & mask];

		if (s->expires_ms == 0 || s->expires_ms <= now_ms) {
			/*
			 * Empty or expired: remember it, but keep probing while
			 * slots are in use, the id may sit further on.
			 */
			if (free_slot == SIZE_MAX)
				free_slot = (h + i) & mask;
			if (s->expires_ms == 0)
				break;
			continue;
		}
		if (memcmp(s->id, id, RT_FRAME_ID_LEN) == 0) {
			rc = RT_ERR_REPLAY;
			goto out;
		}
	}
	if (free_slot == SIZE_MAX || r->live >= r->max_entries) {
		log_warn("event=replay_cache_full entries=%zu", r->live);
		goto out;
	}
	r->live++;	/* may count a reused tombstone twice: recount fixes it */
	memcpy(r->slots[free_slot].id, id, RT_FRAME_ID_LEN);
	r->slots[free_slot].expires_ms = now_ms + r->window_ms;
	if (r->slots[free_slot].expires_ms < r->recount_ms)
		r->recount_ms = r->slots[free_slot].expires_ms;
	rc = 0;
 out:
	pthread_mutex_unlock(&r->lock);
	return rc;
}

size_t
rt_replay_size(struct rt_replay *r)
{
	size_t n;

	pthread_mutex_lock(&r->lock);
	n = r->live;
	pthread_mutex_unlock(&r->lock);
	return n;
}
