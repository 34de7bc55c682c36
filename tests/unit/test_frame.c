/*
 * rt_frame: signed frames end to end against a throwaway federation (build,
 * parse, verify, with and without the signer certificate), and every way a
 * frame must be refused, each with its exact code. The replay cache has its
 * own tests in test_frame_replay.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helper_pki.h"
#include "rt_cms.h"
#include "rt_frame.h"
#include "rt_log.h"
#include "rt_msg.h"

#define DAY 86400
#define SKEW 60

/* Offsets of the fixed header fields (rt_frame.h). */
#define OFF_VERSION 4
#define OFF_FLAGS 6
#define OFF_ID 8
#define OFF_TIMESTAMP 40
#define OFF_SENDER 48	/* its length byte */

struct fixture {
	struct th_fed *fed;
	struct th_fed *other;		/* another CA */
	struct th_realm *home, *visited, *third, *revoked, *expired, *foreign;
	struct rt_signer *s_home, *s_visited, *s_third, *s_revoked, *s_expired,
	    *s_foreign;
	X509_CRL *crl;
	struct rt_trust *trust;		/* knows home and third (their hello) */
	time_t now;
	uint64_t now_ms;
};

static struct fixture fx;

static struct rt_signer *
signer_of(struct th_realm *r)
{
	struct rt_signer *s = NULL;

	assert_int_equal(rt_signer_new(r->key, r->cert, &s), 0);
	return s;
}

/* A trust store with the federation CA and CRL and an empty cache. */
static struct rt_trust *
trust_new(void)
{
	struct rt_trust_options topts = {1, 0, 0};
	struct rt_trust *trust = NULL;

	assert_int_equal(rt_trust_new(&topts, &trust), 0);
	assert_int_equal(rt_trust_add_ca(trust, fx.fed->ca_cert), 0);
	assert_int_equal(rt_trust_set_crl(trust, fx.crl, fx.now), 0);
	return trust;
}

static int
setup(void **state)
{
	char realm[RT_REALM_MAX];

	(void)state;
	memset(&fx, 0, sizeof(fx));
	fx.now = time(NULL);
	fx.now_ms = (uint64_t)fx.now * 1000;
	if (th_fed_new("Test Federation", &fx.fed) != 0 ||
	    th_fed_new("Other Federation", &fx.other) != 0 ||
	    th_fed_realm(fx.fed, "home.example", -60, DAY, &fx.home) != 0 ||
	    th_fed_realm(fx.fed, "visited.example", -60, DAY, &fx.visited) != 0 ||
	    th_fed_realm(fx.fed, "third.example", -60, DAY, &fx.third) != 0 ||
	    th_fed_realm(fx.fed, "revoked.example", -60, DAY, &fx.revoked) != 0 ||
	    th_fed_realm(fx.fed, "expired.example", -2 * DAY, -DAY, &fx.expired) != 0 ||
	    th_fed_realm(fx.other, "home.example", -60, DAY, &fx.foreign) != 0 ||
	    th_fed_revoke(fx.fed, fx.revoked) != 0 ||
	    th_fed_crl(fx.fed, -60, DAY, &fx.crl, NULL) != 0)
		return -1;
	fx.s_home = signer_of(fx.home);
	fx.s_visited = signer_of(fx.visited);
	fx.s_third = signer_of(fx.third);
	fx.s_revoked = signer_of(fx.revoked);
	fx.s_expired = signer_of(fx.expired);
	fx.s_foreign = signer_of(fx.foreign);
	fx.trust = trust_new();
	if (rt_trust_verify_cert(fx.trust, fx.home->cert, NULL, fx.now, realm) != 0 ||
	    rt_trust_verify_cert(fx.trust, fx.third->cert, NULL, fx.now, realm) != 0)
		return -1;
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	rt_signer_free(fx.s_home);
	rt_signer_free(fx.s_visited);
	rt_signer_free(fx.s_third);
	rt_signer_free(fx.s_revoked);
	rt_signer_free(fx.s_expired);
	rt_signer_free(fx.s_foreign);
	th_realm_free(fx.home);
	th_realm_free(fx.visited);
	th_realm_free(fx.third);
	th_realm_free(fx.revoked);
	th_realm_free(fx.expired);
	th_realm_free(fx.foreign);
	X509_CRL_free(fx.crl);
	rt_trust_free(fx.trust);
	th_fed_free(fx.fed);
	th_fed_free(fx.other);
	return 0;
}

/* A request with one Ping item from signer to recipient, into wire. */
static void
ping_frame(struct rt_signer *signer, const char *recipient, int embed,
    uint64_t timestamp_ms, struct rt_buf *wire, uint8_t *idp)
{
	struct rt_frame_item item;
	struct rt_frame_out fo;
	struct rt_buf xml;

	rt_buf_init(&xml, RT_XML_MAX);
	assert_int_equal(rt_ping_encode(RT_MSG_PING, fx.now_ms + 123, &xml), 0);
	item.id = 1;
	item.data = xml.data;
	item.len = xml.len;
	memset(&fo, 0, sizeof(fo));
	fo.kind = RT_FRAME_REQUEST;
	fo.recipient = recipient;
	fo.items = &item;
	fo.nitems = 1;
	fo.embed_cert = embed;
	fo.timestamp_ms = timestamp_ms;
	rt_buf_reset(wire);
	assert_int_equal(rt_frame_build(signer, &fo, wire, idp), 0);
	rt_buf_fini(&xml);
}

/* Parses and verifies wire as self at fx.now with the fixture's skew. */
static int
check_frame(struct rt_trust *trust, struct rt_replay *replay, const char *self,
    const uint8_t *wire, size_t len)
{
	struct rt_frame_check check = {trust, replay, self, fx.now, SKEW};
	struct rt_frame frame;
	int r;

	if ((r = rt_frame_parse(wire, len, 0, &frame)) != 0)
		return r;
	return rt_frame_verify(&check, &frame);
}

static int
parse_only(const uint8_t *wire, size_t len)
{
	struct rt_frame frame;

	return rt_frame_parse(wire, len, 0, &frame);
}

static void
test_roundtrip(void **state)
{
	static const uint8_t zero[RT_FRAME_ID_LEN];
	struct rt_trust *trust = trust_new();
	struct rt_replay *replay = NULL;
	struct rt_buf xml[3], wire;
	struct rt_frame_item items[3];
	struct rt_frame_out fo;
	struct rt_frame_check check = {trust, NULL, "visited.example", 0, SKEW};
	struct rt_frame frame;
	uint8_t id[RT_FRAME_ID_LEN], id2[RT_FRAME_ID_LEN];
	char hex[2 * RT_FRAME_ID_LEN + 1];
	size_t embedded_len;

	(void)state;
	assert_int_equal(rt_replay_new(64, 600000, &replay), 0);
	check.replay = replay;
	rt_buf_init(&wire, RT_FRAME_MAX);
	for (int i = 0; i < 3; i++)
		rt_buf_init(&xml[i], RT_XML_MAX);
	assert_int_equal(rt_ping_encode(RT_MSG_PING, fx.now_ms, &xml[0]), 0);
	assert_int_equal(rt_refusal_encode(RT_ERR_REPLAY, "seen", &xml[1]), 0);
	assert_int_equal(rt_ping_encode(RT_MSG_PONG, fx.now_ms + 1, &xml[2]), 0);
	for (int i = 0; i < 3; i++) {
		items[i].id = i == 2 ? UINT32_MAX : (uint32_t)(7 + i);
		items[i].data = xml[i].data;
		items[i].len = xml[i].len;
	}
	memset(&fo, 0, sizeof(fo));
	fo.kind = RT_FRAME_REQUEST;
	fo.recipient = "visited.example";
	fo.items = items;
	fo.nitems = 3;
	fo.embed_cert = 1;
	fo.timestamp_ms = fx.now_ms + 5;
	assert_int_equal(rt_frame_build(fx.s_home, &fo, &wire, id), 0);
	assert_int_equal(rt_frame_parse(wire.data, wire.len, 0, &frame), 0);
	assert_int_equal(frame.version, RT_FRAME_VERSION);
	assert_int_equal(frame.kind, RT_FRAME_REQUEST);
	assert_int_equal(frame.flags, 0);
	assert_memory_equal(frame.id, id, RT_FRAME_ID_LEN);
	assert_memory_equal(frame.ref, zero, RT_FRAME_ID_LEN);
	assert_true(frame.timestamp_ms == fx.now_ms + 5);
	assert_string_equal(frame.sender, "home.example");
	assert_string_equal(frame.recipient, "visited.example");
	assert_int_equal(frame.nitems, 3);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(frame.items[i].id, items[i].id);
		assert_int_equal(frame.items[i].len, xml[i].len);
		assert_memory_equal(frame.items[i].data, xml[i].data, xml[i].len);
	}
	assert_ptr_equal(frame.signed_data, wire.data);
	assert_int_equal(frame.signed_len + 4 + frame.siglen, wire.len);
	rt_frame_id_hex(frame.id, hex);
	assert_int_equal(strlen(hex), 2 * RT_FRAME_ID_LEN);
	/* an empty cache learns home from the embedded certificate */
	assert_int_equal(rt_trust_cache_size(trust), 0);
	assert_int_equal(rt_frame_verify(&check, &frame), 0);
	assert_int_equal(rt_trust_cache_size(trust), 1);
	assert_int_equal(rt_replay_size(replay), 1);
	/* from now on home's frames carry no certificate; the clock is the default */
	ping_frame(fx.s_home, "visited.example", 1, 0, &wire, id2);
	embedded_len = wire.len;
	ping_frame(fx.s_home, "visited.example", 0, 0, &wire, id2);
	assert_true(wire.len + 300 < embedded_len);
	assert_int_equal(rt_frame_parse(wire.data, wire.len, 0, &frame), 0);
	assert_true(frame.timestamp_ms + 5000 > rt_time_now_ms() &&
	    frame.timestamp_ms <= rt_time_now_ms());
	assert_int_equal(rt_frame_verify(&check, &frame), 0);
	assert_memory_not_equal(id, id2, RT_FRAME_ID_LEN);
	/* visited's reply to the first frame: never seen, then seen */
	fo.kind = RT_FRAME_REPLY;
	fo.ref = id;
	fo.recipient = "home.example";
	fo.embed_cert = 0;
	fo.timestamp_ms = 0;
	rt_buf_reset(&wire);
	assert_int_equal(rt_frame_build(fx.s_visited, &fo, &wire, NULL), 0);
	check.self_realm = "home.example";
	check.replay = NULL;
	assert_int_equal(rt_frame_parse(wire.data, wire.len, 0, &frame), 0);
	assert_int_equal(rt_frame_verify(&check, &frame), RT_ERR_CERT_UNKNOWN);
	fo.embed_cert = 1;
	rt_buf_reset(&wire);
	assert_int_equal(rt_frame_build(fx.s_visited, &fo, &wire, NULL), 0);
	assert_int_equal(rt_frame_parse(wire.data, wire.len, 0, &frame), 0);
	assert_int_equal(frame.kind, RT_FRAME_REPLY);
	assert_memory_equal(frame.ref, id, RT_FRAME_ID_LEN);
	assert_string_equal(frame.sender, "visited.example");
	assert_int_equal(rt_frame_verify(&check, &frame), 0);
	fo.embed_cert = 0;
	rt_buf_reset(&wire);
	assert_int_equal(rt_frame_build(fx.s_visited, &fo, &wire, NULL), 0);
	assert_int_equal(check_frame(trust, NULL, "home.example", wire.data,
	    wire.len), 0);
	/* the builder refuses what no parser would take */
	fo.nitems = 0;
	assert_int_equal(rt_frame_build(fx.s_visited, &fo, &wire, NULL),
	    RT_ERR_BAD_INPUT);
	fo.nitems = RT_FRAME_MAX_ITEMS + 1;
	assert_int_equal(rt_frame_build(fx.s_visited, &fo, &wire, NULL),
	    RT_ERR_BAD_INPUT);
	fo.nitems = 1;
	fo.kind = 3;
	assert_int_equal(rt_frame_build(fx.s_visited, &fo, &wire, NULL),
	    RT_ERR_BAD_INPUT);
	for (int i = 0; i < 3; i++)
		rt_buf_fini(&xml[i]);
	rt_buf_fini(&wire);
	rt_replay_free(replay);
	rt_trust_free(trust);
}

/*
 * Every byte of the signed part flipped in turn: parse refuses the frame
 * as malformed, or verify refuses it, as a bad signature unless a cheaper
 * check (audience, time) comes first.
 */
static void
test_flipped_bytes(void **state)
{
	struct rt_replay *replay = NULL;
	struct rt_buf wire;
	struct rt_frame frame;
	size_t recipient_at, items_at, nsig = 0;
	uint8_t *copy;

	(void)state;
	assert_int_equal(rt_replay_new(64, 600000, &replay), 0);
	rt_buf_init(&wire, RT_FRAME_MAX);
	ping_frame(fx.s_home, "visited.example", 0, fx.now_ms, &wire, NULL);
	assert_int_equal(rt_frame_parse(wire.data, wire.len, 0, &frame), 0);
	recipient_at = OFF_SENDER + 1 + strlen(frame.sender);
	items_at = recipient_at + 1 + strlen(frame.recipient) + 2;
	assert_non_null(copy = malloc(wire.len));
	for (size_t i = 0; i < frame.signed_len; i++) {
		int r;

		memcpy(copy, wire.data, wire.len);
		copy[i] ^= 0x01;
		if ((r = parse_only(copy, wire.len)) != 0) {
			assert_int_equal(r, RT_ERR_BAD_INPUT);
			continue;
		}
		r = check_frame(fx.trust, replay, "visited.example", copy, wire.len);
		if (i >= OFF_TIMESTAMP && i < OFF_SENDER && r == RT_ERR_EXPIRED)
			continue;
		if (i >= recipient_at && i < items_at && r == RT_ERR_AUDIENCE)
			continue;
		assert_int_equal(r, RT_ERR_SIG_BAD);
		nsig++;
	}
	assert_true(nsig > frame.items[0].len);
	/* nothing refused was remembered */
	assert_int_equal(rt_replay_size(replay), 0);
	/* named cases: item payload, the timestamp's last byte, an id byte */
	memcpy(copy, wire.data, wire.len);
	copy[frame.items[0].data - wire.data + frame.items[0].len / 2] ^= 0x20;
	assert_int_equal(check_frame(fx.trust, replay, "visited.example", copy,
	    wire.len), RT_ERR_SIG_BAD);
	memcpy(copy, wire.data, wire.len);
	copy[OFF_SENDER - 1] ^= 0x40;
	assert_int_equal(check_frame(fx.trust, replay, "visited.example", copy,
	    wire.len), RT_ERR_SIG_BAD);
	memcpy(copy, wire.data, wire.len);
	copy[OFF_ID + 3] ^= 0xff;
	assert_int_equal(check_frame(fx.trust, replay, "visited.example", copy,
	    wire.len), RT_ERR_SIG_BAD);
	/* a realm byte: upper case is no realm at all, so parse refuses first */
	memcpy(copy, wire.data, wire.len);
	copy[OFF_SENDER + 1] ^= 0x20;
	assert_int_equal(parse_only(copy, wire.len), RT_ERR_BAD_INPUT);
	/* the signature value itself (its last byte, inside the ECDSA integer) */
	memcpy(copy, wire.data, wire.len);
	copy[wire.len - 1] ^= 0x01;
	assert_int_equal(check_frame(fx.trust, replay, "visited.example", copy,
	    wire.len), RT_ERR_SIG_BAD);
	/* and the original still verifies, once */
	assert_int_equal(check_frame(fx.trust, replay, "visited.example", wire.data,
	    wire.len), 0);
	assert_int_equal(check_frame(fx.trust, replay, "visited.example", wire.data,
	    wire.len), RT_ERR_REPLAY);
	free(copy);
	rt_buf_fini(&wire);
	rt_replay_free(replay);
}

static void
test_audience_time_replay(void **state)
{
	struct rt_replay *replay = NULL;
	struct rt_buf wire;
	uint64_t skew_ms = SKEW * 1000;

	(void)state;
	assert_int_equal(rt_replay_new(64, 600000, &replay), 0);
	rt_buf_init(&wire, RT_FRAME_MAX);
	ping_frame(fx.s_home, "third.example", 0, fx.now_ms, &wire, NULL);
	assert_int_equal(check_frame(fx.trust, replay, "visited.example", wire.data,
	    wire.len), RT_ERR_AUDIENCE);
	/* stale and future frames, just outside and just inside the skew */
	ping_frame(fx.s_home, "visited.example", 0, fx.now_ms - skew_ms - 1000,
	    &wire, NULL);
	assert_int_equal(check_frame(fx.trust, replay, "visited.example", wire.data,
	    wire.len), RT_ERR_EXPIRED);
	ping_frame(fx.s_home, "visited.example", 0, fx.now_ms + skew_ms + 1000,
	    &wire, NULL);
	assert_int_equal(check_frame(fx.trust, replay, "visited.example", wire.data,
	    wire.len), RT_ERR_EXPIRED);
	ping_frame(fx.s_home, "visited.example", 0, fx.now_ms - skew_ms + 1000,
	    &wire, NULL);
	assert_int_equal(check_frame(fx.trust, replay, "visited.example", wire.data,
	    wire.len), 0);
	ping_frame(fx.s_home, "visited.example", 0, fx.now_ms + skew_ms - 1000,
	    &wire, NULL);
	assert_int_equal(check_frame(fx.trust, replay, "visited.example", wire.data,
	    wire.len), 0);
	/* the same bytes again */
	assert_int_equal(check_frame(fx.trust, replay, "visited.example", wire.data,
	    wire.len), RT_ERR_REPLAY);
	/* without a replay cache (replies) the check is the caller's */
	assert_int_equal(check_frame(fx.trust, NULL, "visited.example", wire.data,
	    wire.len), 0);
	assert_int_equal(rt_replay_size(replay), 2);
	rt_buf_fini(&wire);
	rt_replay_free(replay);
}

/*
 * A frame whose header names another realm than the certificate that
 * signed it: third.example rewrites its sender to fifth.example (same
 * length) and signs the result properly.
 */
static void
test_sender_not_signer(void **state)
{
	struct rt_buf wire, forged, sig;
	struct rt_frame frame;

	(void)state;
	rt_buf_init(&wire, RT_FRAME_MAX);
	rt_buf_init(&forged, RT_FRAME_MAX);
	rt_buf_init(&sig, RT_CMS_SIG_MAX);
	ping_frame(fx.s_third, "visited.example", 1, fx.now_ms, &wire, NULL);
	assert_int_equal(check_frame(fx.trust, NULL, "visited.example", wire.data,
	    wire.len), 0);
	assert_int_equal(rt_frame_parse(wire.data, wire.len, 0, &frame), 0);
	assert_int_equal(wire.data[OFF_SENDER], strlen("third.example"));
	assert_memory_equal(wire.data + OFF_SENDER + 1, "third.example", 13);
	assert_int_equal(rt_buf_append(&forged, wire.data, frame.signed_len), 0);
	memcpy(forged.data + OFF_SENDER + 1, "fifth.example", 13);
	assert_int_equal(rt_cms_sign(fx.s_third, forged.data, forged.len,
	    RT_CMS_EMBED_CERT, &sig), 0);
	assert_int_equal(rt_buf_append_be32(&forged, (uint32_t)sig.len), 0);
	assert_int_equal(rt_buf_append(&forged, sig.data, sig.len), 0);
	assert_int_equal(rt_frame_parse(forged.data, forged.len, 0, &frame), 0);
	assert_string_equal(frame.sender, "fifth.example");
	assert_int_equal(check_frame(fx.trust, NULL, "visited.example", forged.data,
	    forged.len), RT_ERR_REALM);
	/* the same without the certificate: found in the cache, same answer */
	rt_buf_reset(&sig);
	forged.len = frame.signed_len;
	assert_int_equal(rt_cms_sign(fx.s_third, forged.data, forged.len, 0, &sig), 0);
	assert_int_equal(rt_buf_append_be32(&forged, (uint32_t)sig.len), 0);
	assert_int_equal(rt_buf_append(&forged, sig.data, sig.len), 0);
	assert_int_equal(check_frame(fx.trust, NULL, "visited.example", forged.data,
	    forged.len), RT_ERR_REALM);
	rt_buf_fini(&wire);
	rt_buf_fini(&forged);
	rt_buf_fini(&sig);
}

static void
test_signer_certificates(void **state)
{
	struct rt_buf wire;

	(void)state;
	rt_buf_init(&wire, RT_FRAME_MAX);
	ping_frame(fx.s_revoked, "visited.example", 1, fx.now_ms, &wire, NULL);
	assert_int_equal(check_frame(fx.trust, NULL, "visited.example", wire.data,
	    wire.len), RT_ERR_CERT_REVOKED);
	ping_frame(fx.s_expired, "visited.example", 1, fx.now_ms, &wire, NULL);
	assert_int_equal(check_frame(fx.trust, NULL, "visited.example", wire.data,
	    wire.len), RT_ERR_CERT_EXPIRED);
	ping_frame(fx.s_foreign, "visited.example", 1, fx.now_ms, &wire, NULL);
	assert_int_equal(check_frame(fx.trust, NULL, "visited.example", wire.data,
	    wire.len), RT_ERR_CERT_UNTRUSTED);
	/* refused certificates were not cached: without them, unknown */
	ping_frame(fx.s_revoked, "visited.example", 0, fx.now_ms, &wire, NULL);
	assert_int_equal(check_frame(fx.trust, NULL, "visited.example", wire.data,
	    wire.len), RT_ERR_CERT_UNKNOWN);
	ping_frame(fx.s_foreign, "visited.example", 0, fx.now_ms, &wire, NULL);
	assert_int_equal(check_frame(fx.trust, NULL, "visited.example", wire.data,
	    wire.len), RT_ERR_CERT_UNKNOWN);
	rt_buf_fini(&wire);
}

/* Copies wire, lets edit change the copy, and returns what parse says. */
static int
parse_edited(const struct rt_buf *wire, size_t at, const void *bytes, size_t n)
{
	uint8_t *copy;
	int r;

	assert_non_null(copy = malloc(wire->len));
	memcpy(copy, wire->data, wire->len);
	memcpy(copy + at, bytes, n);
	r = parse_only(copy, wire->len);
	free(copy);
	return r;
}

static void
test_parse_refusals(void **state)
{
	static const uint8_t two[] = {2}, one16[] = {0, 1}, zero16[] = {0, 0},
	    n257[] = {1, 1}, nul[] = {0}, upper[] = {'H'};
	struct rt_buf wire, edited;
	struct rt_frame frame;
	struct rt_frame_item item = {9, (const uint8_t *)"", 0};
	struct rt_frame_out fo = {RT_FRAME_REQUEST, NULL, "visited.example", &item,
	    1, 0, 0};
	size_t count_at, len_at;
	uint8_t garbage[512], big[4];

	(void)state;
	rt_buf_init(&wire, RT_FRAME_MAX);
	rt_buf_init(&edited, 2 * RT_FRAME_MAX);
	assert_int_equal(rt_random_bytes(garbage, sizeof(garbage)), 0);
	assert_int_equal(parse_only(garbage, sizeof(garbage)), RT_ERR_BAD_INPUT);
	ping_frame(fx.s_home, "visited.example", 0, fx.now_ms, &wire, NULL);
	assert_int_equal(parse_only(wire.data, wire.len), 0);
	assert_int_equal(rt_frame_parse(wire.data, wire.len, 0, &frame), 0);
	count_at = frame.items[0].data - wire.data - 10;
	len_at = count_at + 6;
	assert_int_equal(parse_edited(&wire, 3, "2", 1), RT_ERR_BAD_INPUT);
	assert_int_equal(parse_edited(&wire, OFF_VERSION, two, 1), RT_ERR_BAD_INPUT);
	assert_int_equal(parse_edited(&wire, OFF_FLAGS, one16, 2), RT_ERR_BAD_INPUT);
	assert_int_equal(parse_edited(&wire, count_at, zero16, 2), RT_ERR_BAD_INPUT);
	assert_int_equal(parse_edited(&wire, count_at, n257, 2), RT_ERR_BAD_INPUT);
	/* one item claimed longer than what is left of the frame */
	big[0] = big[1] = 0;
	big[2] = (uint8_t)((wire.len - len_at) >> 8);
	big[3] = (uint8_t)(wire.len - len_at);
	assert_int_equal(parse_edited(&wire, len_at, big, 4), RT_ERR_BAD_INPUT);
	/* realms that are not DNS names */
	assert_int_equal(parse_edited(&wire, OFF_SENDER + 3, nul, 1), RT_ERR_BAD_INPUT);
	assert_int_equal(parse_edited(&wire, OFF_SENDER + 1, upper, 1),
	    RT_ERR_BAD_INPUT);
	assert_int_equal(parse_edited(&wire, count_at - 2, nul, 1), RT_ERR_BAD_INPUT);
	/* a realm length byte of zero */
	assert_int_equal(parse_edited(&wire, OFF_SENDER, nul, 1), RT_ERR_BAD_INPUT);
	/* trailing bytes after the signature */
	assert_int_equal(rt_buf_append(&edited, wire.data, wire.len), 0);
	assert_int_equal(rt_buf_append_u8(&edited, 0), 0);
	assert_int_equal(parse_only(edited.data, edited.len), RT_ERR_BAD_INPUT);
	/* an empty signature */
	edited.len = frame.signed_len;
	assert_int_equal(rt_buf_append_be32(&edited, 0), 0);
	assert_int_equal(parse_only(edited.data, edited.len), RT_ERR_BAD_INPUT);
	/* a signature over the cap */
	edited.len = frame.signed_len;
	assert_int_equal(rt_buf_append_be32(&edited, RT_CMS_SIG_MAX + 1), 0);
	assert_int_equal(rt_buf_reserve(&edited, RT_CMS_SIG_MAX + 1), 0);
	memset(edited.data + edited.len, 0x30, RT_CMS_SIG_MAX + 1);
	edited.len += RT_CMS_SIG_MAX + 1;
	assert_int_equal(parse_only(edited.data, edited.len), RT_ERR_BAD_INPUT);
	/* a zero-length item: built and signed, refused by parse */
	rt_buf_reset(&edited);
	assert_int_equal(rt_frame_build(fx.s_home, &fo, &edited, NULL), 0);
	assert_int_equal(parse_only(edited.data, edited.len), RT_ERR_BAD_INPUT);
	/* over the caller's cap, and over the default one */
	assert_int_equal(rt_frame_parse(wire.data, wire.len, wire.len - 1, &frame),
	    RT_ERR_TOO_BIG);
	assert_int_equal(rt_frame_parse(wire.data, wire.len, wire.len, &frame), 0);
	rt_buf_reset(&edited);
	assert_int_equal(rt_buf_append(&edited, wire.data, wire.len), 0);
	assert_int_equal(rt_buf_reserve(&edited, RT_FRAME_MAX), 0);
	memset(edited.data + edited.len, 'x', RT_FRAME_MAX + 1 - edited.len);
	edited.len = RT_FRAME_MAX + 1;
	assert_int_equal(parse_only(edited.data, edited.len), RT_ERR_TOO_BIG);
	rt_buf_fini(&wire);
	rt_buf_fini(&edited);
}

/* Every prefix of a frame is refused, read from a buffer of its exact size. */
static void
test_truncated(void **state)
{
	struct rt_buf wire;

	(void)state;
	rt_buf_init(&wire, RT_FRAME_MAX);
	for (int embed = 0; embed < 2; embed++) {
		ping_frame(fx.s_home, "visited.example", embed, fx.now_ms, &wire, NULL);
		for (size_t n = 0; n < wire.len; n++) {
			uint8_t *prefix = malloc(n > 0 ? n : 1);

			assert_non_null(prefix);
			memcpy(prefix, wire.data, n);
			assert_int_equal(parse_only(prefix, n), RT_ERR_BAD_INPUT);
			free(prefix);
		}
	}
	rt_buf_fini(&wire);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_flipped_bytes),
		cmocka_unit_test(test_audience_time_replay),
		cmocka_unit_test(test_sender_not_signer),
		cmocka_unit_test(test_signer_certificates),
		cmocka_unit_test(test_parse_refusals),
		cmocka_unit_test(test_truncated),
	};

	rt_log_init("test_frame", RT_LOG_STDERR, RT_LOG_ERR);
	if (rt_xml_init() != 0)
		return 1;
	return cmocka_run_group_tests(tests, setup, teardown);
}
