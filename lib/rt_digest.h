/*
 * rt_digest: SIP/HTTP Digest authentication (RFC 3261, RFC 7616, RFC 2617)
 * split the way roaming needs it.
 *
 * The visited network's agent challenges a roaming subscriber, makes and
 * tracks the nonces (rt_nonce_*), parses the subscriber's answer and sends
 * it to the home broker; the home broker recomputes the response from the
 * HA1 it stores (rt_digest_verify). Nobody outside the home network ever
 * sees a password or an HA1, so nothing here logs one.
 *
 * rt_digest_parse is strict where laxness would hurt: it refuses another
 * scheme, duplicate parameters, unknown or session (-sess) algorithms,
 * userhash=true, a qop other than auth/auth-int, a qop without cnonce or
 * nc, malformed nc or response, missing required fields, oversized fields
 * (RT_ERR_TOO_BIG), unterminated quoted strings and control characters,
 * and names the reason in *whyp. It is lenient where clients differ: a
 * value may be quoted or not, parameter names and the algorithm compare
 * case-insensitively, empty list elements (",,") are skipped and unknown
 * parameters are ignored.
 *
 * Nonces are stateless: base64url of key generation, issue time, sequence
 * number, random bytes and an HMAC-SHA256 tag over them and the client
 * binding (transport, source address, home realm), 64 characters. Only the nonce counts need
 * memory: a bounded table, oldest first out; a nonce that may have been
 * evicted is answered as stale (RT_ERR_EXPIRED), never as fresh, so eviction
 * can cost a re-challenge but never open a replay.
 */
#ifndef RT_DIGEST_H
#define RT_DIGEST_H

#include <stddef.h>
#include <time.h>

#include "rt_buf.h"
#include "rt_err.h"

enum rt_digest_alg { RT_DIGEST_MD5 = 0, RT_DIGEST_SHA256 = 1 };
#define RT_DIGEST_HEX_MAX 65	/* 64 hex digits + NUL */
#define RT_DIGEST_VALUE_MAX 4096	/* longest header value parsed */
#define RT_NONCE_LEN 64		/* characters of a nonce we make */

/*
 * Credentials from an Authorization / Proxy-Authorization header value
 * ("Digest username=..., realm=..., ..."). Fields are unquoted and
 * unescaped; absent ones are "".
 */
struct rt_digest_creds {
	char username[257];
	char realm[257];
	char nonce[257];
	char uri[1025];
	char response[RT_DIGEST_HEX_MAX];
	char algorithm[24];	/* as sent; "" means MD5 */
	enum rt_digest_alg alg;
	char cnonce[257];
	char qop[16];		/* "", "auth" or "auth-int" */
	char nc[9];		/* 8 hex digits when qop is set */
	char opaque[257];
};

/*
 * Parses the header value (len bytes, at most RT_DIGEST_VALUE_MAX) into *c.
 * Returns 0, or RT_ERR_BAD_INPUT / RT_ERR_TOO_BIG with a static phrase in
 * *whyp (whyp may be NULL; *whyp is NULL on success) and *c cleared.
 * qop and nc are case-sensitive ("auth", "auth-int"): they enter the hash
 * as sent. userhash=false is accepted, userhash=true refused.
 */
int rt_digest_parse(const char *value, size_t len, struct rt_digest_creds *c,
    const char **whyp) RT_WUR;

/* H(username ":" realm ":" password) in lowercase hex (32 or 64 digits). */
int rt_digest_ha1(enum rt_digest_alg alg, const char *username,
    const char *realm, const char *password, char out[RT_DIGEST_HEX_MAX]) RT_WUR;
/*
 * The expected response for c given HA1 (hex of alg's length, any case),
 * the request method and, for qop=auth-int, body_hash = hex of H(body)
 * (rt_digest_hash; H("") for an empty body), else NULL. RFC 7616 3.4.1
 * with a qop, RFC 2617 3.2.2.1 (RFC 2069 form) without. alg, not
 * c->alg, picks the hash. RT_ERR_BAD_INPUT for a malformed HA1, an
 * auth-int without body_hash or a qop without nc/cnonce.
 */
int rt_digest_response(enum rt_digest_alg alg, const char *ha1,
    const struct rt_digest_creds *c, const char *method, const char *body_hash,
    char out[RT_DIGEST_HEX_MAX]) RT_WUR;
/*
 * 0 when c->response is the expected response under c->alg (constant-time,
 * hex compared case-insensitively), RT_ERR_DENIED when it is not,
 * another RT_ERR_* when it cannot be computed.
 */
int rt_digest_verify(const char *ha1, const struct rt_digest_creds *c,
    const char *method, const char *body_hash) RT_WUR;
/* Hex H(data), the body hash of qop=auth-int. */
int rt_digest_hash(enum rt_digest_alg alg, const void *data, size_t len,
    char out[RT_DIGEST_HEX_MAX]) RT_WUR;

/*
 * Appends a WWW-Authenticate / Proxy-Authenticate value to out:
 *   Digest realm="R", nonce="N", opaque="O", algorithm=MD5, qop="auth",
 *   stale=true
 * opaque only when not NULL, algorithm=SHA-256 for RT_DIGEST_SHA256,
 * qop="auth,auth-int" when auth_int, stale=true only when stale. Quoted
 * values are escaped ('"' and '\' get a backslash); a control character
 * in any of them (header injection) is RT_ERR_BAD_INPUT. On error out is
 * left as it was.
 */
int rt_digest_challenge(enum rt_digest_alg alg, const char *realm,
    const char *nonce, const char *opaque, int stale, int auth_int,
    struct rt_buf *out) RT_WUR;

/*
 * Nonces made by the agent: stateless HMAC-SHA256 over (key generation,
 * issue time, random, client) with a secret that rotates; the previous
 * secret still validates, so a rotation never invalidates a fresh nonce.
 * Nonce counts are single-use. All functions are thread-safe.
 */
struct rt_nonce_ctx;

/*
 * lifetime: seconds a nonce is fresh (1..1 year); rotate: seconds between
 * secret rotations (rotate >= lifetime); max_tracked: nonces whose count
 * is remembered (1..16M, ~64 bytes each; the nonce first used longest ago
 * is evicted first).
 */
int rt_nonce_ctx_new(long lifetime, long rotate, size_t max_tracked,
    struct rt_nonce_ctx **ctxp) RT_WUR;
/* Wipes the secrets. NULL-safe. */
void rt_nonce_ctx_free(struct rt_nonce_ctx *ctx);
/*
 * Writes a new nonce bound to client (e.g. "udp:192.0.2.1:5060|home.example",
 * at most 1024 bytes): RT_NONCE_LEN base64url characters, no padding, and a
 * NUL. cap must be > RT_NONCE_LEN (RT_ERR_TOO_BIG otherwise).
 */
int rt_nonce_make(struct rt_nonce_ctx *ctx, const char *client, time_t now,
    char *out, size_t cap) RT_WUR;
/*
 * 0 if nonce is ours, for this client and fresh. RT_ERR_EXPIRED (answer
 * stale=true) when ours but older than lifetime, issued in the future
 * beyond a few seconds of skew, made with a secret no longer kept, or
 * possibly evicted from the count table. RT_ERR_SIG_BAD when not ours or
 * for another client.
 */
int rt_nonce_check(struct rt_nonce_ctx *ctx, const char *nonce,
    const char *client, time_t now) RT_WUR;
/*
 * Records nonce count nc (8 hex digits) for nonce; call only after
 * rt_nonce_check succeeded. 0 when nc is greater than every count seen
 * for the nonce, RT_ERR_REPLAY when not (reused or going back),
 * RT_ERR_EXPIRED when the nonce is stale or may have been evicted,
 * RT_ERR_BAD_INPUT for a malformed nonce or nc, or nc 00000000. For a
 * request without qop pass nc NULL or "": it counts as 00000001, so the
 * nonce serves once.
 */
int rt_nonce_use(struct rt_nonce_ctx *ctx, const char *nonce, const char *nc,
    time_t now) RT_WUR;
/* Rotates the secret now (the context also rotates by itself every
 * `rotate` seconds, on make and check). */
int rt_nonce_rotate(struct rt_nonce_ctx *ctx) RT_WUR;

#endif
