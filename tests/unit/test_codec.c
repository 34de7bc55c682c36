/*
 * rt_codec: base64 and hex (round trips, RFC 4648 vectors, the strict
 * decoders' refusals, output caps, no read past len), SHA-256,
 * constant-time comparison, random bytes, UUIDs v4/v7 and their check,
 * the RFC 3339 time format and the xs:dateTime parser, and the clock
 * override.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rt_codec.h"
#include "rt_log.h"

/* A copy of s in memory of exactly len bytes (no NUL after it), so a
 * decoder that reads past len trips the sanitizers and valgrind. */
static char *
exact_copy(const char *s, size_t len)
{
	char *p = malloc(len > 0 ? len : 1);

	assert_non_null(p);
	memcpy(p, s, len);
	return p;
}

/* ---- base64 ---- */

static void
test_base64_vectors(void **state)
{
	static const struct {
		const char *raw, *b64;
	} cases[] = {
		{"", ""}, {"f", "Zg=="}, {"fo", "Zm8="}, {"foo", "Zm9v"},
		{"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"},
		{"\xff\xfe\xfd", "//79"}, {"\xfb\xff", "+/8="},
	};
	struct rt_buf buf;

	(void)state;
	rt_buf_init(&buf, 64);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t rawlen = strlen(cases[i].raw), b64len = strlen(cases[i].b64);
		char *in = exact_copy(cases[i].b64, b64len);

		rt_buf_reset(&buf);
		assert_int_equal(rt_base64_encode((const uint8_t *)cases[i].raw,
		    rawlen, &buf), 0);
		assert_string_equal(rt_buf_str(&buf), cases[i].b64);
		rt_buf_reset(&buf);
		assert_int_equal(rt_base64_decode(in, b64len, &buf), 0);
		assert_int_equal(buf.len, rawlen);
		assert_memory_equal(rt_buf_str(&buf), cases[i].raw, rawlen + 1);
		free(in);
	}
	rt_buf_fini(&buf);
}

/* Every length 0..64: what we encode is what OpenSSL encodes, and decodes
 * back to the input, appended after what the buffer already held. */
static void
test_base64_round_trip(void **state)
{
	uint8_t data[64];
	unsigned char ossl[128];
	struct rt_buf enc, dec;

	(void)state;
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 37 + 11);
	for (size_t len = 0; len <= sizeof(data); len++) {
		int n = EVP_EncodeBlock(ossl, data, (int)len);

		rt_buf_init(&enc, 4 * ((len + 2) / 3));	/* exactly enough */
		rt_buf_init(&dec, 2 + len);
		assert_int_equal(rt_base64_encode(data, len, &enc), 0);
		assert_int_equal(enc.len, (size_t)n);
		assert_memory_equal(enc.data, ossl, (size_t)n + 1);
		assert_null(memchr(rt_buf_str(&enc), '\n', enc.len));
		assert_int_equal(rt_buf_append_str(&dec, "<>"), 0);
		assert_int_equal(rt_base64_decode((const char *)enc.data, enc.len, &dec), 0);
		assert_int_equal(dec.len, 2 + len);
		assert_memory_equal(dec.data, "<>", 2);
		if (len > 0)
			assert_memory_equal(dec.data + 2, data, len);
		assert_int_equal(dec.data[dec.len], '\0');
		rt_buf_fini(&enc);
		rt_buf_fini(&dec);
	}
}

/*
 * The strict decoder's refusals. Each leaves the buffer as it was: its
 * old content, its length and the NUL after it.
 */
static void
test_base64_refusals(void **state)
{
	static const struct {
		const char *in;
		size_t len;	/* 0: strlen */
	} bad[] = {
		{"Z", 0}, {"Zg", 0}, {"Zg=", 0}, {"Zm9vY", 0},	/* length */
		{"Zm9v!A==", 0}, {"Zm9-", 0}, {"Zm9_", 0},	/* not the alphabet */
		{"Zm9v Zg==", 0}, {"Zm9v\nZg==", 0}, {"Zm9v\r\n", 0},	/* whitespace */
		{" Zm9", 0}, {"Zm9v\t", 0}, {"Zm\xc3\xa9", 0}, {"Zm9\x80", 0},
		{"Zm\0v", 4}, {"Zg=\0", 4}, {"\0\0\0\0", 4},	/* embedded NUL */
		{"====", 0}, {"Z===", 0}, {"=Zm9", 0}, {"Zm=v", 0},	/* padding */
		{"Zg=a", 0}, {"Zg==Zm9v", 0}, {"Zm8=Zm9v", 0}, {"Zg==\0\0\0\0", 8},
		{"Zm9vZg=====", 0}, {"Zm9vYmFyZg=", 0},
		{"Zh==", 0}, {"Zm9=", 0}, {"AB==", 0},	/* non-canonical bits */
	};
	struct rt_buf buf;

	(void)state;
	rt_buf_init(&buf, 64);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		size_t len = bad[i].len ? bad[i].len : strlen(bad[i].in);
		char *in = exact_copy(bad[i].in, len);
		int r;

		rt_buf_reset(&buf);
		assert_int_equal(rt_buf_append_str(&buf, "kept"), 0);
		if ((r = rt_base64_decode(in, len, &buf)) != RT_ERR_BAD_INPUT)
			fail_msg("case %zu ('%s'): %d", i, bad[i].in, r);
		assert_int_equal(buf.len, 4);
		if (buf.data[4] != '\0')
			fail_msg("case %zu: not terminated after a refused decode", i);
		assert_string_equal(rt_buf_str(&buf), "kept");
		free(in);
	}
	rt_buf_fini(&buf);
}

/* Output that does not fit the cap is refused; output that fits exactly,
 * padding and all, is not. */
static void
test_base64_caps(void **state)
{
	static const struct {
		const char *b64;
		size_t decoded;
	} cases[] = {
		{"Zg==", 1}, {"Zm8=", 2}, {"Zm9v", 3}, {"Zm9vYg==", 4},
		/* a 32-byte key is 44 characters with one '=' */
		{"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=", 32},
	};
	struct rt_buf buf;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *b64 = cases[i].b64;
		int r;

		rt_buf_init(&buf, cases[i].decoded);
		if ((r = rt_base64_decode(b64, strlen(b64), &buf)) != 0)
			fail_msg("'%s' into a cap of %zu: %d", b64, cases[i].decoded, r);
		assert_int_equal(buf.len, cases[i].decoded);
		assert_int_equal(buf.data[buf.len], '\0');
		rt_buf_fini(&buf);

		rt_buf_init(&buf, cases[i].decoded - 1);
		assert_int_equal(rt_base64_decode(b64, strlen(b64), &buf), RT_ERR_TOO_BIG);
		assert_int_equal(buf.len, 0);
		assert_string_equal(rt_buf_str(&buf), "");
		rt_buf_fini(&buf);
	}
	/* encode: the cap counts what the buffer holds already */
	rt_buf_init(&buf, 9);
	assert_int_equal(rt_buf_append_str(&buf, "ab"), 0);
	assert_int_equal(rt_base64_encode((const uint8_t *)"foob", 4, &buf),
	    RT_ERR_TOO_BIG);
	assert_string_equal(rt_buf_str(&buf), "ab");
	assert_int_equal(rt_base64_encode((const uint8_t *)"foo", 3, &buf), 0);
	assert_string_equal(rt_buf_str(&buf), "abZm9v");
	rt_buf_fini(&buf);
}

/* ---- hex ---- */

static void
test_hex(void **state)
{
	static const uint8_t bytes[] = {0x00, 0x01, 0x7f, 0x80, 0xab, 0xff};
	char text[2 * sizeof(bytes) + 1];
	uint8_t out[sizeof(bytes)];
	char *in;

	(void)state;
	memset(text, 'x', sizeof(text));
	rt_hex_encode(bytes, 0, text);
	assert_string_equal(text, "");
	rt_hex_encode(bytes, sizeof(bytes), text);
	assert_string_equal(text, "00017f80abff");

	in = exact_copy(text, 12);
	memset(out, 0, sizeof(out));
	assert_int_equal(rt_hex_decode(in, 12, out, sizeof(out)), 0);
	assert_memory_equal(out, bytes, sizeof(bytes));
	free(in);
	assert_int_equal(rt_hex_decode("00017F80ABFF", 12, out, sizeof(out)), 0);
	assert_memory_equal(out, bytes, sizeof(bytes));
	assert_int_equal(rt_hex_decode("", 0, out, 0), 0);
	/* a prefix of a longer string, by its length */
	assert_int_equal(rt_hex_decode("abcdzz", 4, out, 2), 0);
	assert_memory_equal(out, "\xab\xcd", 2);
}

static void
test_hex_refusals(void **state)
{
	static const struct {
		const char *in;
		size_t inlen, outlen;
	} bad[] = {
		{"abc", 3, 2}, {"abcd", 4, 1}, {"ab", 2, 2}, {"", 0, 1}, {"a", 1, 0},
		{"abcg", 4, 2}, {"0x12", 4, 2}, {"ab c", 4, 2}, {" abc", 4, 2},
		{"ab\ncd", 4, 2}, {"a\0cd", 4, 2}, {"-1", 2, 1}, {"+1", 2, 1},
		{"\xc3\xa9", 2, 1}, {"G0", 2, 1}, {"0g", 2, 1}, {"::", 2, 1},
	};
	uint8_t out[8];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *in = exact_copy(bad[i].in, bad[i].inlen);

		if (rt_hex_decode(in, bad[i].inlen, out, bad[i].outlen) != RT_ERR_BAD_INPUT)
			fail_msg("case %zu ('%s') accepted", i, bad[i].in);
		free(in);
	}
}

/* ---- digests, comparison, randomness ---- */

static void
test_sha256(void **state)
{
	uint8_t md[RT_SHA256_LEN];
	char text[2 * RT_SHA256_LEN + 1];

	(void)state;
	assert_int_equal(rt_sha256("", 0, md), 0);
	rt_hex_encode(md, sizeof(md), text);
	assert_string_equal(text,
	    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	assert_int_equal(rt_sha256("abc", 3, md), 0);
	rt_hex_encode(md, sizeof(md), text);
	assert_string_equal(text,
	    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

static void
test_ct_equal_and_random(void **state)
{
	uint8_t a[32], b[32];

	(void)state;
	assert_true(rt_ct_equal("abc", "abc", 3));
	assert_false(rt_ct_equal("abc", "abd", 3));
	assert_false(rt_ct_equal("\x80", "\x00", 1));
	assert_true(rt_ct_equal("x", "y", 0));
	assert_int_equal(rt_random_bytes(a, 0), 0);
	assert_int_equal(rt_random_bytes(a, sizeof(a)), 0);
	assert_int_equal(rt_random_bytes(b, sizeof(b)), 0);
	assert_false(rt_ct_equal(a, b, sizeof(a)));
}

/* ---- UUIDs ---- */

static void
assert_uuid_form(const char *u, char version)
{
	assert_int_equal(strlen(u), RT_UUID_STR_LEN);
	assert_true(rt_uuid_valid(u));
	assert_int_equal(u[14], version);
	assert_non_null(strchr("89ab", u[19]));	/* RFC 9562 variant */
	for (const char *p = u; *p != '\0'; p++)
		assert_non_null(strchr("0123456789abcdef-", *p));
}

static void
test_uuid(void **state)
{
	char a[RT_UUID_STR_LEN + 1], b[RT_UUID_STR_LEN + 1];

	(void)state;
	assert_int_equal(rt_uuid_v4(a), 0);
	assert_int_equal(rt_uuid_v4(b), 0);
	assert_uuid_form(a, '4');
	assert_uuid_form(b, '4');
	assert_string_not_equal(a, b);

	assert_int_equal(rt_uuid_v7(0x0190a1b2c3d4ull, a), 0);
	assert_uuid_form(a, '7');
	assert_memory_equal(a, "0190a1b2-c3d4-7", 15);
	/* the 48-bit timestamp orders them */
	assert_int_equal(rt_uuid_v7(0x0190a1b2c3d5ull, b), 0);
	assert_true(strcmp(a, b) < 0);
	assert_int_equal(rt_uuid_v7(0xffffffffffffull, b), 0);
	assert_memory_equal(b, "ffffffff-ffff-7", 15);
	assert_int_equal(rt_uuid_v7(0, b), 0);
	assert_memory_equal(b, "00000000-0000-7", 15);
}

static void
test_uuid_valid(void **state)
{
	static const char *const good[] = {
		"0190a1b2-c3d4-7e5f-8a6b-7c8d9e0f1a2b",
		"0190A1B2-C3D4-7E5F-8A6B-7C8D9E0F1A2B",
		"00000000-0000-0000-0000-000000000000",
	};
	static const char *const bad[] = {
		"", "0190a1b2", "0190a1b2-c3d4-7e5f-8a6b-7c8d9e0f1a2",
		"0190a1b2-c3d4-7e5f-8a6b-7c8d9e0f1a2b0",
		"0190a1b2-c3d4-7e5f-8a6b-7c8d9e0f1a2b\n",
		"0190a1b2c-3d4-7e5f-8a6b-7c8d9e0f1a2b",
		"0190a1b2-c3d4-7e5f-8a6b_7c8d9e0f1a2b",
		"0190a1b2-c3d4-7e5f-8a6b-7c8d9e0f1a2g",
		"{190a1b2-c3d4-7e5f-8a6b-7c8d9e0f1a2b",
		" 190a1b2-c3d4-7e5f-8a6b-7c8d9e0f1a2b",
		"0190a1b2-c3d4-7e5f-8a6b-7c8d9e0f1a-b",
		"0190a1b2-c3d4-7e5f-8a6b-------------",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		assert_true(rt_uuid_valid(good[i]));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (rt_uuid_valid(bad[i]))
			fail_msg("'%s' taken for a UUID", bad[i]);
}

/* ---- time ---- */

static void
test_time_format(void **state)
{
	static const struct {
		time_t t;
		const char *s;
	} cases[] = {
		{0, "1970-01-01T00:00:00Z"},
		{1795757750, "2026-11-27T05:35:50Z"},
		{951782400, "2000-02-29T00:00:00Z"},
		{4107542399, "2100-02-28T23:59:59Z"},
		{253402300799, "9999-12-31T23:59:59Z"},
	};
	char out[RT_TIME_STR_LEN + 1];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		rt_time_format(cases[i].t, out);
		assert_string_equal(out, cases[i].s);
	}
}

static void
assert_time_reads_back(time_t t)
{
	char out[RT_TIME_STR_LEN + 1];
	time_t back;

	rt_time_format(t, out);
	assert_int_equal(strlen(out), RT_TIME_STR_LEN);
	if (rt_time_parse(out, &back) != 0 || back != t)
		fail_msg("%lld -> %s did not read back", (long long)t, out);
}

/* format then parse gives the same second: across the four-digit years,
 * and every day (at a moving hour) of 1999-2000 and 2099-2100. */
static void
test_time_round_trip(void **state)
{
	(void)state;
	for (time_t t = 0; t <= 253402300799; t += 7777777 + t / 997)
		assert_time_reads_back(t);
	assert_time_reads_back(253402300799);
	for (time_t t = 915148800; t < 978307200; t += 86400 - 3607)
		assert_time_reads_back(t);
	for (time_t t = 4070908800; t < 4133980800; t += 86400 - 3607)
		assert_time_reads_back(t);
}

static void
test_time_parse_forms(void **state)
{
	static const struct {
		const char *s;
		time_t t;
	} cases[] = {
		{"2026-11-27T05:35:50Z", 1795757750},
		{"2026-11-27T05:35:50.5Z", 1795757750},	/* fractions dropped */
		{"2026-11-27T05:35:50.000000001Z", 1795757750},
		{"2026-11-27T05:35:50.999999999Z", 1795757750},
		{"2026-11-27T07:35:50+02:00", 1795757750},
		{"2026-11-27T00:05:50-05:30", 1795757750},
		{"2026-11-27T05:35:50+00:00", 1795757750},
		{"2026-11-27T05:35:50-00:00", 1795757750},
		{"2026-11-27T19:35:50+14:00", 1795757750},
		{"2026-11-26T15:35:50-14:00", 1795757750},
		{"2026-11-27T05:35:50.25+01:00", 1795757750 - 3600},
		{"2000-02-29T00:00:00Z", 951782400},
		{"2400-02-29T00:00:00Z", 13574563200},
		{"1970-01-01T00:00:00Z", 0},
		{"9999-12-31T23:59:59Z", 253402300799},
	};
	time_t t;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		t = -1;
		if (rt_time_parse(cases[i].s, &t) != 0)
			fail_msg("'%s' refused", cases[i].s);
		if (t != cases[i].t)
			fail_msg("'%s' read as %lld", cases[i].s, (long long)t);
	}
}

static void
test_time_parse_refusals(void **state)
{
	static const char *const bad[] = {
		"", "2026", "2026-11-27", "2026-11-27T05:35", "2026-11-27T05:35:50",
		"2026-11-27T05:35:50z", "2026-11-27t05:35:50Z", "2026-11-27 05:35:50Z",
		"2026-11-27T05:35:50 Z", " 2026-11-27T05:35:50Z",
		"2026-11-27T05:35:50Z ", "2026-11-27T05:35:50ZZ", "2026-11-27T05:35:50Z\n",
		"2026-11-27T05:35:50Z+01:00", "2026-11-27T05:35:50+01:00Z",
		/* field ranges */
		"2026-00-27T05:35:50Z", "2026-13-27T05:35:50Z", "2026-11-00T05:35:50Z",
		"2026-11-31T05:35:50Z", "2026-12-32T05:35:50Z", "2026-04-31T05:35:50Z",
		"2026-02-30T05:35:50Z", "2026-02-29T05:35:50Z", "2100-02-29T00:00:00Z",
		"1969-12-31T23:59:59Z", "0000-01-01T00:00:00Z", "2026-11-27T24:00:00Z",
		"2026-11-27T05:60:50Z", "2026-11-27T05:35:61Z", "2026-11-27T99:99:99Z",
		/* digits and signs */
		"12026-11-27T05:35:50Z", "+2026-11-27T05:35:50Z", "-2026-11-27T05:35:50Z",
		"2026-1-27T05:35:50Z", "2026-11-7T05:35:50Z", "2026-11-27T5:35:50Z",
		"2026-11-27T05:35:5Z", "2026-11-27T05:3a:50Z", "2026-+1-27T05:35:50Z",
		"2026-11-27T05:35:50.Z", "2026-11-27T05:35:50.1234567890Z",
		"2026-11-27T05:35:50,5Z", "2026-11-27T05:35:50.5",
		/* offsets: xs:dateTime allows -14:00..+14:00 */
		"2026-11-27T05:35:50+0100", "2026-11-27T05:35:50+1:00",
		"2026-11-27T05:35:50+01", "2026-11-27T05:35:50+01:60",
		"2026-11-27T05:35:50+15:00", "2026-11-27T05:35:50-15:00",
		"2026-11-27T05:35:50+14:01", "2026-11-27T05:35:50-14:30",
		"2026-11-27T05:35:50+01:00:00", "2026-11-27T05:35:50+",
	};
	time_t t;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		t = 12345;
		if (rt_time_parse(bad[i], &t) != RT_ERR_BAD_INPUT)
			fail_msg("'%s' accepted as %lld", bad[i], (long long)t);
		assert_int_equal(t, 12345);	/* untouched on refusal */
	}
}

/* The parser stops at the NUL of a short string; nothing past it is read. */
static void
test_time_parse_prefixes(void **state)
{
	static const char full[] = "2026-11-27T05:35:50.123+01:00";
	time_t t;

	(void)state;
	for (size_t len = 0; len < sizeof(full) - 1; len++) {
		char *s = malloc(len + 1);

		assert_non_null(s);
		memcpy(s, full, len);
		s[len] = '\0';
		assert_int_equal(rt_time_parse(s, &t), RT_ERR_BAD_INPUT);
		free(s);
	}
	assert_int_equal(rt_time_parse(full, &t), 0);
}

static void
test_clock_override(void **state)
{
	time_t real = time(NULL);
	uint64_t a, b;

	(void)state;
	rt_time_set_now(1795757750);
	assert_int_equal(rt_time_now(), 1795757750);
	assert_int_equal(rt_time_now_ms(), 1795757750ull * 1000);
	rt_time_set_now(0);
	assert_true(rt_time_now() >= real && rt_time_now() <= real + 60);
	assert_true(rt_time_now_ms() / 1000 >= (uint64_t)real);
	a = rt_mono_ns();
	b = rt_mono_ns();
	assert_true(b >= a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_base64_vectors),
		cmocka_unit_test(test_base64_round_trip),
		cmocka_unit_test(test_base64_refusals),
		cmocka_unit_test(test_base64_caps),
		cmocka_unit_test(test_hex),
		cmocka_unit_test(test_hex_refusals),
		cmocka_unit_test(test_sha256),
		cmocka_unit_test(test_ct_equal_and_random),
		cmocka_unit_test(test_uuid),
		cmocka_unit_test(test_uuid_valid),
		cmocka_unit_test(test_time_format),
		cmocka_unit_test(test_time_round_trip),
		cmocka_unit_test(test_time_parse_forms),
		cmocka_unit_test(test_time_parse_refusals),
		cmocka_unit_test(test_time_parse_prefixes),
		cmocka_unit_test(test_clock_override),
	};

	rt_log_init("test_codec", RT_LOG_STDERR, RT_LOG_NONE);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
