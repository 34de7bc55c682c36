/*
 * The agent's Digest nonces (rt_digest.h): stateless tags, rotating
 * secrets, and the one piece of state, the bounded nonce-count table.
 *
 * A nonce is base64url (no padding) of 48 bytes:
 *   generation (4) | issue time (8, signed) | sequence (8) | random (4)
 *   | tag (24)
 * (integers big-endian) where tag = HMAC-SHA256(secret[generation], the
 * first 24 bytes | client), truncated to 192 bits. The generation says
 * which secret made the nonce, so a nonce whose secret was dropped is told
 * apart (stale) from one we never made; it starts at a random value so
 * that nonces from before a restart are stale rather than forged. The
 * sequence number orders the nonces of this context, finer than the
 * clock, for the count table.
 *
 * Count table: entries in a ring in the order of first use, indexed by an
 * open-addressing hash of the tag (linear probing, backward-shift delete).
 * When an entry leaves (full table, or its nonce expired), the sequence
 * number of its nonce raises a watermark; a nonce at or below it that the
 * table does not hold may have been used already, so it is stale. That can
 * make an older, never used nonce stale too, which costs one more
 * challenge, never a replay.
 */
#include "rt_digest.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rt_codec.h"
#include "rt_log.h"

#define GEN_LEN 4
#define TIME_LEN 8
#define SEQ_LEN 8
#define RAND_LEN 4
#define TAG_LEN 24
#define BODY_LEN (GEN_LEN + TIME_LEN + SEQ_LEN + RAND_LEN)	/* tag covers */
#define RAW_LEN (BODY_LEN + TAG_LEN)
#define SECRET_LEN 32
#define CLIENT_MAX 1024
#define FUTURE_SKEW 5		/* seconds a nonce may come from the future */
#define LIFETIME_MAX (366L * 86400)
#define ROTATE_MAX (10 * LIFETIME_MAX)
#define TRACKED_MAX ((size_t)1 << 24)

_Static_assert(RAW_LEN % 3 == 0 && RAW_LEN / 3 * 4 == RT_NONCE_LEN,
    "a nonce is RT_NONCE_LEN base64 characters without padding");

struct nonce_key {
	uint32_t generation;
	EVP_MAC_CTX *mac;	/* keyed template, duplicated per use */
};

struct nonce_entry {
	uint8_t tag[TAG_LEN];
	int64_t issued;
	uint64_t seq;
	uint32_t nc;
};

struct rt_nonce_ctx {
	pthread_mutex_t lock;
	long lifetime;
	long rotate;
	struct nonce_key current;
	struct nonce_key previous;	/* mac NULL: none kept */
	int64_t rotated_at;
	int clock_started;		/* rotated_at is set */
	struct nonce_entry *entries;	/* ring, max_tracked long */
	size_t max_tracked;
	size_t head;
	size_t count;
	uint32_t *slots;		/* entry index + 1; 0 = empty */
	size_t nslots;			/* power of two >= 2 * max_tracked */
	uint64_t next_seq;
	uint64_t evicted_upto;		/* highest sequence evicted, 0: none */
};

static pthread_once_t hmac_once = PTHREAD_ONCE_INIT;
static EVP_MAC *hmac;

static void
hmac_fetch(void)
{
	hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
}

static const char b64url[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static void
b64url_encode(const uint8_t raw[RAW_LEN], char out[RT_NONCE_LEN + 1])
{
	for (size_t i = 0, o = 0; i < RAW_LEN; i += 3, o += 4) {
		uint32_t v = (uint32_t)raw[i] << 16 | (uint32_t)raw[i + 1] << 8 |
		    raw[i + 2];

		out[o] = b64url[v >> 18];
		out[o + 1] = b64url[(v >> 12) & 63];
		out[o + 2] = b64url[(v >> 6) & 63];
		out[o + 3] = b64url[v & 63];
	}
	out[RT_NONCE_LEN] = '\0';
}

/* The value of each base64url character plus one; 0 for the others. */
static const uint8_t b64url_values[256] = {
	['A'] = 1, ['B'] = 2, ['C'] = 3, ['D'] = 4, ['E'] = 5, ['F'] = 6, ['G'] = 7,
	['H'] = 8, ['I'] = 9, ['J'] = 10, ['K'] = 11, ['L'] = 12, ['M'] = 13,
	['N'] = 14, ['O'] = 15, ['P'] = 16, ['Q'] = 17, ['R'] = 18, ['S'] = 19,
	['T'] = 20, ['U'] = 21, ['V'] = 22, ['W'] = 23, ['X'] = 24, ['Y'] = 25,
	['Z'] = 26, ['a'] = 27, ['b'] = 28, ['c'] = 29, ['d'] = 30, ['e'] = 31,
	['f'] = 32, ['g'] = 33, ['h'] = 34, ['i'] = 35, ['j'] = 36, ['k'] = 37,
	['l'] = 38, ['m'] = 39, ['n'] = 40, ['o'] = 41, ['p'] = 42, ['q'] = 43,
	['r'] = 44, ['s'] = 45, ['t'] = 46, ['u'] = 47, ['v'] = 48, ['w'] = 49,
	['x'] = 50, ['y'] = 51, ['z'] = 52, ['0'] = 53, ['1'] = 54, ['2'] = 55,
	['3'] = 56, ['4'] = 57, ['5'] = 58, ['6'] = 59, ['7'] = 60, ['8'] = 61,
	['9'] = 62, ['-'] = 63, ['_'] = 64,
};

/* Decodes a nonce of exactly RT_NONCE_LEN characters. */
static int
nonce_decode(const char *nonce, uint8_t raw[RAW_LEN])
{
	if (nonce == NULL || strnlen(nonce, RT_NONCE_LEN + 1) != RT_NONCE_LEN)
		return RT_ERR_BAD_INPUT;
	for (size_t i = 0, o = 0; i < RT_NONCE_LEN; i += 4, o += 3) {
		uint32_t v = 0;

		for (size_t k = 0; k < 4; k++) {
			uint8_t d = b64url_values[(unsigned char)nonce[i + k]];

			if (d == 0)
				return RT_ERR_BAD_INPUT;
			v = v << 6 | (uint32_t)(d - 1);
		}
		raw[o] = (uint8_t)(v >> 16);
		raw[o + 1] = (uint8_t)(v >> 8);
		raw[o + 2] = (uint8_t)v;
	}
	return 0;
}

static uint32_t
load_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
	    p[3];
}

static uint64_t
load_be64(const uint8_t *p)
{
	uint64_t v = 0;

	for (size_t i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

static void
store_be(uint8_t *p, uint64_t v, size_t len)
{
	for (size_t i = 0; i < len; i++)
		p[i] = (uint8_t)(v >> (8 * (len - 1 - i)));
}

static int64_t
nonce_issued(const uint8_t raw[RAW_LEN])
{
	return (int64_t)load_be64(raw + GEN_LEN);
}

static uint64_t
nonce_seq(const uint8_t raw[RAW_LEN])
{
	return load_be64(raw + GEN_LEN + TIME_LEN);
}

/* Older than lifetime, or further in the future than the skew allows. */
static int
nonce_stale(const struct rt_nonce_ctx *ctx, int64_t issued, int64_t now)
{
	if (issued <= now)
		return (uint64_t)now - (uint64_t)issued > (uint64_t)ctx->lifetime;
	return (uint64_t)issued - (uint64_t)now > FUTURE_SKEW;
}

/* Makes a fresh secret, keys an HMAC template with it and forgets it. */
static int
key_new(uint32_t generation, struct nonce_key *key)
{
	uint8_t secret[SECRET_LEN];
	OSSL_PARAM params[2];
	EVP_MAC_CTX *mac = NULL;
	int r;

	pthread_once(&hmac_once, hmac_fetch);
	if (hmac == NULL) {
		log_crypto(RT_LOG_ERR, "event=hmac_unavailable");
		return RT_ERR_CRYPTO;
	}
	if ((r = rt_random_bytes(secret, sizeof(secret))) != 0)
		goto out;
	if ((mac = EVP_MAC_CTX_new(hmac)) == NULL) {
		r = RT_ERR_NOMEM;
		goto out;
	}
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
	    (char *)(uintptr_t)"SHA256", 0);
	params[1] = OSSL_PARAM_construct_end();
	if (EVP_MAC_init(mac, secret, sizeof(secret), params) != 1) {
		log_crypto(RT_LOG_ERR, "event=hmac_init_failed");
		r = RT_ERR_CRYPTO;
		goto out;
	}
	key->generation = generation;
	key->mac = mac;
	mac = NULL;
	r = 0;
 out:
	OPENSSL_cleanse(secret, sizeof(secret));
	EVP_MAC_CTX_free(mac);
	return r;
}

static void
key_clear(struct nonce_key *key)
{
	EVP_MAC_CTX_free(key->mac);	/* HMAC state is cleansed on free */
	key->mac = NULL;
	key->generation = 0;
}

/* Under the lock. On failure nothing changes. */
static int
rotate_locked(struct rt_nonce_ctx *ctx)
{
	struct nonce_key next;
	int r;

	if ((r = key_new(ctx->current.generation + 1, &next)) != 0)
		return r;
	key_clear(&ctx->previous);
	ctx->previous = ctx->current;
	ctx->current = next;
	log_debug("event=nonce_secret_rotated generation=%u",
	    (unsigned)next.generation);
	return 0;
}

/* Under the lock: rotates once per `rotate` seconds gone by (twice at most:
 * after two, no earlier secret is left to drop). */
static int
rotate_due_locked(struct rt_nonce_ctx *ctx, int64_t now)
{
	uint64_t gone;
	int r;

	if (!ctx->clock_started) {
		ctx->rotated_at = now;
		ctx->clock_started = 1;
		return 0;
	}
	if (now <= ctx->rotated_at)
		return 0;
	gone = (uint64_t)now - (uint64_t)ctx->rotated_at;
	if (gone < (uint64_t)ctx->rotate)
		return 0;
	if ((r = rotate_locked(ctx)) != 0)
		return r;
	if (gone / 2 >= (uint64_t)ctx->rotate && (r = rotate_locked(ctx)) != 0)
		return r;
	ctx->rotated_at = now;
	return 0;
}

/* tag = HMAC(key, body | client), truncated; mac is a private duplicate. */
static int
nonce_tag(EVP_MAC_CTX *mac, const uint8_t body[BODY_LEN], const char *client,
    uint8_t tag[TAG_LEN])
{
	uint8_t full[EVP_MAX_MD_SIZE];
	size_t fulllen = 0;

	if (EVP_MAC_update(mac, body, BODY_LEN) != 1 ||
	    EVP_MAC_update(mac, (const uint8_t *)client, strlen(client)) != 1 ||
	    EVP_MAC_final(mac, full, &fulllen, sizeof(full)) != 1 ||
	    fulllen < TAG_LEN) {
		log_crypto(RT_LOG_ERR, "event=hmac_failed");
		return RT_ERR_CRYPTO;
	}
	memcpy(tag, full, TAG_LEN);
	return 0;
}

int
rt_nonce_ctx_new(long lifetime, long rotate, size_t max_tracked,
    struct rt_nonce_ctx **ctxp)
{
	struct rt_nonce_ctx *ctx = NULL;
	uint8_t start[4];
	int r;

	*ctxp = NULL;
	if (lifetime < 1 || lifetime > LIFETIME_MAX || rotate < lifetime ||
	    rotate > ROTATE_MAX || max_tracked < 1 || max_tracked > TRACKED_MAX)
		return RT_ERR_BAD_INPUT;
	if ((ctx = calloc(1, sizeof(*ctx))) == NULL)
		return RT_ERR_NOMEM;
	if (pthread_mutex_init(&ctx->lock, NULL) != 0) {
		free(ctx);
		return RT_ERR_INTERNAL;
	}
	ctx->lifetime = lifetime;
	ctx->rotate = rotate;
	ctx->max_tracked = max_tracked;
	ctx->next_seq = 1;
	for (ctx->nslots = 8; ctx->nslots < 2 * max_tracked; ctx->nslots *= 2)
		;
	if ((ctx->entries = calloc(max_tracked, sizeof(*ctx->entries))) == NULL ||
	    (ctx->slots = calloc(ctx->nslots, sizeof(*ctx->slots))) == NULL) {
		r = RT_ERR_NOMEM;
		goto out;
	}
	if ((r = rt_random_bytes(start, sizeof(start))) != 0 ||
	    (r = key_new(load_be32(start), &ctx->current)) != 0)
		goto out;
	*ctxp = ctx;
	ctx = NULL;
	r = 0;
 out:
	rt_nonce_ctx_free(ctx);
	return r;
}

void
rt_nonce_ctx_free(struct rt_nonce_ctx *ctx)
{
	if (ctx == NULL)
		return;
	key_clear(&ctx->current);
	key_clear(&ctx->previous);
	pthread_mutex_destroy(&ctx->lock);
	free(ctx->entries);
	free(ctx->slots);
	OPENSSL_clear_free(ctx, sizeof(*ctx));
}

int
rt_nonce_rotate(struct rt_nonce_ctx *ctx)
{
	int r;

	pthread_mutex_lock(&ctx->lock);
	r = rotate_locked(ctx);
	pthread_mutex_unlock(&ctx->lock);
	return r;
}

int
rt_nonce_make(struct rt_nonce_ctx *ctx, const char *client, time_t now,
    char *out, size_t cap)
{
	uint8_t raw[RAW_LEN];
	EVP_MAC_CTX *mac = NULL;
	uint32_t generation = 0;
	uint64_t seq = 0;
	int r;

	if (out != NULL && cap > 0)
		out[0] = '\0';
	if (client == NULL || out == NULL)
		return RT_ERR_BAD_INPUT;
	if (cap <= RT_NONCE_LEN || strnlen(client, CLIENT_MAX + 1) > CLIENT_MAX)
		return RT_ERR_TOO_BIG;
	if ((r = rt_random_bytes(raw + BODY_LEN - RAND_LEN, RAND_LEN)) != 0)
		return r;
	pthread_mutex_lock(&ctx->lock);
	if ((r = rotate_due_locked(ctx, now)) == 0) {
		generation = ctx->current.generation;
		seq = ctx->next_seq++;
		if ((mac = EVP_MAC_CTX_dup(ctx->current.mac)) == NULL)
			r = RT_ERR_NOMEM;
	}
	pthread_mutex_unlock(&ctx->lock);
	if (r != 0)
		goto out;
	store_be(raw, generation, GEN_LEN);
	store_be(raw + GEN_LEN, (uint64_t)(int64_t)now, TIME_LEN);
	store_be(raw + GEN_LEN + TIME_LEN, seq, SEQ_LEN);
	if ((r = nonce_tag(mac, raw, client, raw + BODY_LEN)) != 0)
		goto out;
	b64url_encode(raw, out);
 out:
	EVP_MAC_CTX_free(mac);
	return r;
}

/* Hash table of tags. Under the lock. */

static size_t
tag_home(const struct rt_nonce_ctx *ctx, const uint8_t tag[TAG_LEN])
{
	uint64_t h;

	memcpy(&h, tag, sizeof(h));	/* the tag is an HMAC: uniform */
	return (size_t)h & (ctx->nslots - 1);
}

/* The slot holding tag, or SIZE_MAX. Bounded: at most half the slots
 * are in use, so an empty one ends every probe. */
static size_t
table_find(const struct rt_nonce_ctx *ctx, const uint8_t tag[TAG_LEN])
{
	size_t mask = ctx->nslots - 1;

	for (size_t i = tag_home(ctx, tag); ctx->slots[i] != 0; i = (i + 1) & mask) {
		if (memcmp(ctx->entries[ctx->slots[i] - 1].tag, tag, TAG_LEN) == 0)
			return i;
	}
	return SIZE_MAX;
}

/* Empties slot hole and shifts back the entries probing past it. */
static void
table_delete(struct rt_nonce_ctx *ctx, size_t hole)
{
	size_t mask = ctx->nslots - 1;

	ctx->slots[hole] = 0;
	for (size_t j = (hole + 1) & mask; ctx->slots[j] != 0; j = (j + 1) & mask) {
		size_t home = tag_home(ctx, ctx->entries[ctx->slots[j] - 1].tag);

		/* Movable when home is not cyclically within (hole, j]. */
		if (((j - home) & mask) >= ((j - hole) & mask)) {
			ctx->slots[hole] = ctx->slots[j];
			ctx->slots[j] = 0;
			hole = j;
		}
	}
}

static void
table_evict_head(struct rt_nonce_ctx *ctx)
{
	struct nonce_entry *e = &ctx->entries[ctx->head];
	size_t slot = table_find(ctx, e->tag);

	if (slot == SIZE_MAX)
		abort();	/* every ring entry is indexed */
	table_delete(ctx, slot);
	if (e->seq > ctx->evicted_upto)
		ctx->evicted_upto = e->seq;
	ctx->head = (ctx->head + 1) % ctx->max_tracked;
	ctx->count--;
}

static void
table_insert(struct rt_nonce_ctx *ctx, const uint8_t raw[RAW_LEN], uint32_t nc)
{
	const uint8_t *tag = raw + BODY_LEN;
	size_t idx = (ctx->head + ctx->count) % ctx->max_tracked;
	size_t mask = ctx->nslots - 1, i;

	memcpy(ctx->entries[idx].tag, tag, TAG_LEN);
	ctx->entries[idx].issued = nonce_issued(raw);
	ctx->entries[idx].seq = nonce_seq(raw);
	ctx->entries[idx].nc = nc;
	for (i = tag_home(ctx, tag); ctx->slots[i] != 0; i = (i + 1) & mask)
		;
	ctx->slots[i] = (uint32_t)(idx + 1);
	ctx->count++;
}

int
rt_nonce_check(struct rt_nonce_ctx *ctx, const char *nonce, const char *client,
    time_t now)
{
	uint8_t raw[RAW_LEN], tag[TAG_LEN];
	EVP_MAC_CTX *mac = NULL;
	const struct nonce_key *key = NULL;
	uint32_t generation;
	int64_t issued;
	uint64_t evicted_upto = 0;
	int r;

	if (nonce == NULL || client == NULL)
		return RT_ERR_BAD_INPUT;
	if (strnlen(client, CLIENT_MAX + 1) > CLIENT_MAX ||
	    nonce_decode(nonce, raw) != 0)
		return RT_ERR_SIG_BAD;	/* no nonce of ours looks like that */
	generation = load_be32(raw);
	issued = nonce_issued(raw);
	pthread_mutex_lock(&ctx->lock);
	if ((r = rotate_due_locked(ctx, now)) == 0) {
		if (generation == ctx->current.generation)
			key = &ctx->current;
		else if (ctx->previous.mac != NULL &&
		    generation == ctx->previous.generation)
			key = &ctx->previous;
		if (key == NULL)
			r = RT_ERR_EXPIRED;	/* its secret is gone */
		else if ((mac = EVP_MAC_CTX_dup(key->mac)) == NULL)
			r = RT_ERR_NOMEM;
		evicted_upto = ctx->evicted_upto;
	}
	pthread_mutex_unlock(&ctx->lock);
	if (r != 0)
		goto out;
	if ((r = nonce_tag(mac, raw, client, tag)) != 0)
		goto out;
	if (!rt_ct_equal(tag, raw + BODY_LEN, TAG_LEN)) {
		r = RT_ERR_SIG_BAD;
		goto out;
	}
	if (nonce_stale(ctx, issued, now)) {
		r = RT_ERR_EXPIRED;
		goto out;
	}
	if (nonce_seq(raw) <= evicted_upto) {
		pthread_mutex_lock(&ctx->lock);
		if (table_find(ctx, raw + BODY_LEN) == SIZE_MAX)
			r = RT_ERR_EXPIRED;	/* may have been used */
		pthread_mutex_unlock(&ctx->lock);
	}
 out:
	EVP_MAC_CTX_free(mac);
	return r;
}

/* "" or NULL counts as 1; else exactly 8 hex digits, not all zero. */
static int
nc_parse(const char *nc, uint32_t *ncp)
{
	uint32_t v = 0;

	if (nc == NULL || nc[0] == '\0') {
		*ncp = 1;
		return 0;
	}
	for (size_t i = 0; i < 8; i++) {
		char ch = nc[i];
		uint32_t d;

		if (ch >= '0' && ch <= '9')
			d = (uint32_t)(ch - '0');
		else if (ch >= 'a' && ch <= 'f')
			d = (uint32_t)(ch - 'a' + 10);
		else if (ch >= 'A' && ch <= 'F')
			d = (uint32_t)(ch - 'A' + 10);
		else
			return RT_ERR_BAD_INPUT;	/* also the NUL of a short one */
		v = v << 4 | d;
	}
	if (nc[8] != '\0' || v == 0)
		return RT_ERR_BAD_INPUT;
	*ncp = v;
	return 0;
}

int
rt_nonce_use(struct rt_nonce_ctx *ctx, const char *nonce, const char *nc,
    time_t now)
{
	uint8_t raw[RAW_LEN];
	const uint8_t *tag = raw + BODY_LEN;
	uint32_t count;
	int64_t issued;
	size_t slot;
	int r;

	if (nonce_decode(nonce, raw) != 0 || nc_parse(nc, &count) != 0)
		return RT_ERR_BAD_INPUT;
	issued = nonce_issued(raw);
	if (nonce_stale(ctx, issued, now))
		return RT_ERR_EXPIRED;
	pthread_mutex_lock(&ctx->lock);
	/* Entries whose nonce expired free their room first. */
	while (ctx->count > 0 &&
	    nonce_stale(ctx, ctx->entries[ctx->head].issued, now) &&
	    ctx->entries[ctx->head].issued <= now)
		table_evict_head(ctx);
	if ((slot = table_find(ctx, tag)) != SIZE_MAX) {
		struct nonce_entry *e = &ctx->entries[ctx->slots[slot] - 1];

		if (count > e->nc) {
			e->nc = count;
			r = 0;
		} else
			r = RT_ERR_REPLAY;
	} else if (nonce_seq(raw) <= ctx->evicted_upto) {
		r = RT_ERR_EXPIRED;	/* may have been used and evicted */
	} else {
		if (ctx->count == ctx->max_tracked)
			table_evict_head(ctx);
		table_insert(ctx, raw, count);
		r = 0;
	}
	pthread_mutex_unlock(&ctx->lock);
	return r;
}
