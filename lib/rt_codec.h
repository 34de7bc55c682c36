/*
 * rt_codec: small encodings and primitives every module needs, all on top
 * of OpenSSL: base64 and hex, SHA-256, constant-time comparison, random
 * bytes, UUIDs (v4 random, v7 time-ordered for ledger keys) and the one
 * timestamp format of the documents (RFC 3339 UTC, "2026-11-27T05:35:50Z").
 *
 * Decoders are strict: they refuse bad characters, bad padding and output
 * that would not fit, and never read past len.
 */
#ifndef RT_CODEC_H
#define RT_CODEC_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "rt_buf.h"
#include "rt_err.h"

#define RT_SHA256_LEN 32
#define RT_UUID_STR_LEN 36	/* without the terminating NUL */
#define RT_TIME_STR_LEN 20	/* "YYYY-MM-DDTHH:MM:SSZ" */

/* Appends the base64 (RFC 4648, padded, no newlines) of data to out. */
int rt_base64_encode(const uint8_t *data, size_t len, struct rt_buf *out) RT_WUR;
/* Appends the decoded bytes of the base64 text in to out. */
int rt_base64_decode(const char *in, size_t len, struct rt_buf *out) RT_WUR;
/* Writes 2*len lowercase hex digits and a NUL to out (2*len+1 bytes). */
void rt_hex_encode(const uint8_t *data, size_t len, char *out);
/* Decodes exactly 2*outlen hex digits from in. */
int rt_hex_decode(const char *in, size_t inlen, uint8_t *out, size_t outlen) RT_WUR;

int rt_sha256(const void *data, size_t len, uint8_t out[RT_SHA256_LEN]) RT_WUR;
/* Constant-time equality of two byte strings of the same length. */
int rt_ct_equal(const void *a, const void *b, size_t len);
int rt_random_bytes(void *out, size_t len) RT_WUR;

/* Writes a lowercase UUID string (37 bytes with NUL). */
int rt_uuid_v4(char out[RT_UUID_STR_LEN + 1]) RT_WUR;
/* Time-ordered UUIDv7 (RFC 9562) for the given Unix time in milliseconds. */
int rt_uuid_v7(uint64_t unix_ms, char out[RT_UUID_STR_LEN + 1]) RT_WUR;
/* Checks the 8-4-4-4-12 lowercase-or-uppercase hex form. */
int rt_uuid_valid(const char *s);

/* Formats t (UTC) as RFC 3339 "YYYY-MM-DDTHH:MM:SSZ". */
void rt_time_format(time_t t, char out[RT_TIME_STR_LEN + 1]);
/*
 * Parses an xs:dateTime in UTC: "YYYY-MM-DDTHH:MM:SS[.fff]Z" or with a
 * numeric offset. Refuses anything without a zone.
 */
int rt_time_parse(const char *s, time_t *tp) RT_WUR;
/* The current wall-clock time; tests may override it with rt_time_set_now. */
time_t rt_time_now(void);
void rt_time_set_now(time_t t);	/* 0 returns to the real clock */
uint64_t rt_time_now_ms(void);
/* A monotonic clock in nanoseconds, for durations. */
uint64_t rt_mono_ns(void);

#endif
