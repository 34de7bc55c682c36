/*
 * rt_frame: the signed binary frame every broker request and reply travels
 * in.
 *
 * nng 1.5 cannot tell a listener who its TLS peer is, so authentication is
 * message-level: a frame names its sender and recipient realms, carries a
 * random 128-bit id, a timestamp and the id of the request it answers, and
 * one or more items (each one XML message of schemas/roamtrust.xsd), and
 * ends with a CMS signature by the sender's realm key over all the bytes
 * before it. One signature covers every item, so under load a frame
 * batches many requests.
 *
 *   magic "RTF1" | version u8 | kind u8 | flags u16
 *   id[16] | ref[16] (request id a reply answers, zeros in a request)
 *   timestamp u64 (ms since the epoch)
 *   sender: len u8 + bytes | recipient: len u8 + bytes
 *   items: count u16, then per item: item id u32, len u32, bytes
 *   signature: len u32 + DER CMS (over everything before this field)
 * All integers big-endian.
 *
 * rt_frame_parse only splits bytes into fields, with every length checked
 * against the buffer and the caps; nothing in a parsed frame may be
 * believed before rt_frame_verify: signature (rt_cms: signer certificate
 * cached or embedded, chain, CRL), sender = the signer's realm from its
 * certificate (never what the frame says), recipient = us, timestamp inside
 * the skew window, id not seen before (the replay cache remembers it only
 * once the frame verified, so forged ids cannot fill it).
 */
#ifndef RT_FRAME_H
#define RT_FRAME_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "rt_buf.h"
#include "rt_cms.h"
#include "rt_err.h"
#include "rt_x509.h"

#define RT_FRAME_MAGIC "RTF1"
#define RT_FRAME_VERSION 1
#define RT_FRAME_ID_LEN 16
#define RT_FRAME_MAX_ITEMS 256
#define RT_FRAME_MAX_ITEM (256 * 1024)
#define RT_FRAME_MAX (1024 * 1024)	/* default cap on a whole frame */
#define RT_FRAME_MIN 64

enum rt_frame_kind {
	RT_FRAME_REQUEST = 1,
	RT_FRAME_REPLY = 2
};

struct rt_frame_item {
	uint32_t id;		/* chosen by the requester; echoed in the reply */
	const uint8_t *data;	/* XML message; points into the frame buffer */
	size_t len;
};

struct rt_frame {
	uint8_t version;
	uint8_t kind;
	uint16_t flags;
	uint8_t id[RT_FRAME_ID_LEN];
	uint8_t ref[RT_FRAME_ID_LEN];
	uint64_t timestamp_ms;
	char sender[RT_REALM_MAX];
	char recipient[RT_REALM_MAX];
	struct rt_frame_item items[RT_FRAME_MAX_ITEMS];
	int nitems;
	const uint8_t *signed_data;	/* the bytes the signature covers */
	size_t signed_len;
	const uint8_t *sig;
	size_t siglen;
};

/* What goes into a frame: the caller's items, copied into the output. */
struct rt_frame_out {
	enum rt_frame_kind kind;
	const uint8_t *ref;		/* NULL for a request */
	const char *recipient;
	const struct rt_frame_item *items;
	int nitems;
	int embed_cert;			/* hello frames carry the certificate */
	uint64_t timestamp_ms;		/* 0 = now */
};

/*
 * Builds and signs a frame from signer (sender = signer's realm) into out;
 * writes its id to idp (RT_FRAME_ID_LEN bytes) when not NULL.
 */
int rt_frame_build(const struct rt_signer *signer, const struct rt_frame_out *fo,
    struct rt_buf *out, uint8_t *idp) RT_WUR;

/*
 * Splits buf (at most max bytes; 0 = RT_FRAME_MAX) into *frame. The frame
 * points into buf, which must outlive it. RT_ERR_TOO_BIG, RT_ERR_BAD_INPUT.
 */
int rt_frame_parse(const uint8_t *buf, size_t len, size_t max,
    struct rt_frame *frame) RT_WUR;

struct rt_replay;

struct rt_frame_check {
	struct rt_trust *trust;
	struct rt_replay *replay;	/* NULL: no replay check (replies) */
	const char *self_realm;
	time_t now;			/* seconds; 0 = the clock */
	long skew;			/* seconds either way */
};

/*
 * Verifies a parsed frame (see the top of this file). Errors:
 * RT_ERR_SIG_* / RT_ERR_CERT_* / RT_ERR_CRL_* from rt_cms_verify,
 * RT_ERR_REALM (sender is not the signer), RT_ERR_AUDIENCE (for another
 * realm), RT_ERR_EXPIRED (timestamp outside the window), RT_ERR_REPLAY.
 */
int rt_frame_verify(const struct rt_frame_check *check, const struct rt_frame *frame) RT_WUR;

/* Hex of an id for logs (33 bytes). */
void rt_frame_id_hex(const uint8_t *id, char *out);

/*
 * The replay cache: ids seen in the last window_ms milliseconds, at most
 * max_entries at a time. Bounded in memory (fixed table allocated once)
 * and in time (entries expire). Thread-safe.
 */
int rt_replay_new(size_t max_entries, uint64_t window_ms, struct rt_replay **rp) RT_WUR;
void rt_replay_free(struct rt_replay *r);
/*
 * Records id seen at now_ms. RT_ERR_REPLAY when already present and not
 * expired; RT_ERR_UNAVAILABLE when the table is full of live entries (fail
 * closed: the frame is refused, never accepted unchecked).
 */
int rt_replay_check(struct rt_replay *r, const uint8_t id[RT_FRAME_ID_LEN],
    uint64_t now_ms) RT_WUR;
size_t rt_replay_size(struct rt_replay *r);

#endif
