#include "rt_codec.h"

#include <ctype.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "rt_log.h"

static const char b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int
rt_base64_encode(const uint8_t *data, size_t len, struct rt_buf *out)
{
	size_t outlen;
	int r;

	if (len > (SIZE_MAX / 4) * 3 - 3)
		return RT_ERR_TOO_BIG;
	outlen = 4 * ((len + 2) / 3);
	if ((r = rt_buf_reserve(out, outlen)) != 0)
		return r;
	for (size_t i = 0; i < len; i += 3) {
		uint32_t v = (uint32_t)data[i] << 16;
		size_t n = len - i;
		char *o = (char *)out->data + out->len;

		if (n > 1)
			v |= (uint32_t)data[i + 1] << 8;
		if (n > 2)
			v |= data[i + 2];
		o[0] = b64_alphabet[(v >> 18) & 63];
		o[1] = b64_alphabet[(v >> 12) & 63];
		o[2] = n > 1 ? b64_alphabet[(v >> 6) & 63] : '=';
		o[3] = n > 2 ? b64_alphabet[v & 63] : '=';
		out->len += 4;
	}
	out->data[out->len] = '\0';
	return 0;
}

static int
b64_value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

int
rt_base64_decode(const char *in, size_t len, struct rt_buf *out)
{
	size_t start = out->len, tail_pad = 0;
	int r;

	if (len % 4 != 0)
		return RT_ERR_BAD_INPUT;
	/* room for what the text decodes to, so output that fits the cap
	 * exactly is not refused for its padding */
	if (len > 0 && in[len - 1] == '=')
		tail_pad = in[len - 2] == '=' ? 2 : 1;
	if ((r = rt_buf_reserve(out, len / 4 * 3 - tail_pad)) != 0)
		return r;
	for (size_t i = 0; i < len; i += 4) {
		int v[4], pad = 0;
		uint32_t w;

		for (int k = 0; k < 4; k++) {
			if (in[i + k] == '=' && i + 4 == len && k >= 2) {
				v[k] = 0;
				pad++;
				continue;
			}
			if (pad > 0 || (v[k] = b64_value(in[i + k])) < 0)
				goto bad;
		}
		w = (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 |
		    (uint32_t)v[2] << 6 | (uint32_t)v[3];
		/* Refuse non-canonical padding bits. */
		if ((pad == 1 && (w & 0xff) != 0) ||
		    (pad == 2 && (w & 0xffff) != 0))
			goto bad;
		out->data[out->len++] = (uint8_t)(w >> 16);
		if (pad < 2)
			out->data[out->len++] = (uint8_t)(w >> 8);
		if (pad < 1)
			out->data[out->len++] = (uint8_t)w;
	}
	out->data[out->len] = '\0';
	return 0;
 bad:
	/* earlier groups were written: take them back, terminator too */
	out->len = start;
	out->data[start] = '\0';
	return RT_ERR_BAD_INPUT;
}

void
rt_hex_encode(const uint8_t *data, size_t len, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < len; i++) {
		out[2 * i] = digits[data[i] >> 4];
		out[2 * i + 1] = digits[data[i] & 15];
	}
	out[2 * len] = '\0';
}

static int
hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
rt_hex_decode(const char *in, size_t inlen, uint8_t *out, size_t outlen)
{
	if (inlen != 2 * outlen)
		return RT_ERR_BAD_INPUT;
	for (size_t i = 0; i < outlen; i++) {
		int hi = hex_value(in[2 * i]), lo = hex_value(in[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return RT_ERR_BAD_INPUT;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

/*
 * OpenSSL 3 looks an algorithm up by name on every use of EVP_sha256();
 * fetched once, a digest of a small document costs a quarter as much.
 */
static pthread_once_t sha256_once = PTHREAD_ONCE_INIT;
static EVP_MD *sha256_md;

static void
sha256_fetch(void)
{
	sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL);
}

int
rt_sha256(const void *data, size_t len, uint8_t out[RT_SHA256_LEN])
{
	unsigned int outlen = 0;

	pthread_once(&sha256_once, sha256_fetch);
	if (EVP_Digest(data, len, out, &outlen,
	    sha256_md != NULL ? sha256_md : EVP_sha256(), NULL) != 1 ||
	    outlen != RT_SHA256_LEN) {
		log_crypto(RT_LOG_ERR, "event=digest_failed");
		return RT_ERR_CRYPTO;
	}
	return 0;
}

int
rt_ct_equal(const void *a, const void *b, size_t len)
{
	return CRYPTO_memcmp(a, b, len) == 0;
}

int
rt_random_bytes(void *out, size_t len)
{
	if (len > INT32_MAX || RAND_bytes(out, (int)len) != 1) {
		log_crypto(RT_LOG_ERR, "event=random_failed");
		return RT_ERR_CRYPTO;
	}
	return 0;
}

/*
 * UUIDs take their random bits from a pool per thread that RAND_bytes
 * fills 1 KiB at a time: OpenSSL 3 spends ~1 us per RAND_bytes call
 * whatever its length (the DRBG's lock, fork check and parameter lookups),
 * a fifth of the CPU of a usage report when it was one call per record
 * id. A fork's child refills before its first id (pthread_atfork), so
 * parent and child never hand out the same bits.
 */
#define UUID_POOL_BYTES 1024

static atomic_uint uuid_forks;
static pthread_once_t uuid_once = PTHREAD_ONCE_INIT;

static void
uuid_forked(void)
{
	atomic_fetch_add(&uuid_forks, 1);
}

static void
uuid_init(void)
{
	(void)pthread_atfork(NULL, NULL, uuid_forked);
}

static int
uuid_random(uint8_t *out, size_t len)
{
	static _Thread_local struct {
		uint8_t bytes[UUID_POOL_BYTES];
		size_t left;
		unsigned forks;
	} pool;
	unsigned forks;
	int r;

	pthread_once(&uuid_once, uuid_init);
	forks = atomic_load(&uuid_forks);
	if (pool.left < len || pool.forks != forks) {
		pool.left = 0;
		if ((r = rt_random_bytes(pool.bytes, sizeof(pool.bytes))) != 0)
			return r;
		pool.left = sizeof(pool.bytes);
		pool.forks = forks;
	}
	memcpy(out, pool.bytes + sizeof(pool.bytes) - pool.left, len);
	OPENSSL_cleanse(pool.bytes + sizeof(pool.bytes) - pool.left, len);
	pool.left -= len;
	return 0;
}

/* 8-4-4-4-12 lowercase hex digits (no snprintf: one per record id) */
static void
uuid_format(const uint8_t b[16], char out[RT_UUID_STR_LEN + 1])
{
	static const char digits[] = "0123456789abcdef";
	char *o = out;

	for (int i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			*o++ = '-';
		*o++ = digits[b[i] >> 4];
		*o++ = digits[b[i] & 15];
	}
	*o = '\0';
}

int
rt_uuid_v4(char out[RT_UUID_STR_LEN + 1])
{
	uint8_t b[16];
	int r;

	if ((r = uuid_random(b, sizeof(b))) != 0)
		return r;
	b[6] = (uint8_t)((b[6] & 0x0f) | 0x40);
	b[8] = (uint8_t)((b[8] & 0x3f) | 0x80);
	uuid_format(b, out);
	return 0;
}

int
rt_uuid_v7(uint64_t unix_ms, char out[RT_UUID_STR_LEN + 1])
{
	uint8_t b[16];
	int r;

	if ((r = uuid_random(b + 6, sizeof(b) - 6)) != 0)
		return r;
	for (int i = 0; i < 6; i++)
		b[i] = (uint8_t)(unix_ms >> (40 - 8 * i));
	b[6] = (uint8_t)((b[6] & 0x0f) | 0x70);
	b[8] = (uint8_t)((b[8] & 0x3f) | 0x80);
	uuid_format(b, out);
	return 0;
}

int
rt_uuid_valid(const char *s)
{
	for (int i = 0; i < RT_UUID_STR_LEN; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return 0;
		} else if (hex_value(s[i]) < 0)
			return 0;
	}
	return s[RT_UUID_STR_LEN] == '\0';
}

void
rt_time_format(time_t t, char out[RT_TIME_STR_LEN + 1])
{
	struct tm tm;
	int f[6];
	char *o = out;

	if (gmtime_r(&t, &tm) == NULL) {
		snprintf(out, RT_TIME_STR_LEN + 1, "1970-01-01T00:00:00Z");
		return;
	}
	/* years of other than four digits: strftime, whose answer (or its
	 * failure to fit) they always had */
	if (tm.tm_year + 1900 < 1000 || tm.tm_year + 1900 > 9999) {
		if (strftime(out, RT_TIME_STR_LEN + 1, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
			snprintf(out, RT_TIME_STR_LEN + 1, "1970-01-01T00:00:00Z");
		return;
	}
	/* by hand: every document carries a few, and strftime is slow */
	f[0] = tm.tm_year + 1900;
	f[1] = tm.tm_mon + 1;
	f[2] = tm.tm_mday;
	f[3] = tm.tm_hour;
	f[4] = tm.tm_min;
	f[5] = tm.tm_sec;
	*o++ = (char)('0' + f[0] / 1000);
	*o++ = (char)('0' + f[0] / 100 % 10);
	for (int i = 0; i < 6; i++) {
		*o++ = (char)('0' + f[i] / 10 % 10);
		*o++ = (char)('0' + f[i] % 10);
		*o++ = "--T::Z"[i];
	}
	*o = '\0';
}

/* Reads exactly n digits. */
static int
read_digits(const char **sp, int n, int *v)
{
	*v = 0;
	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char)(*sp)[i]))
			return RT_ERR_BAD_INPUT;
		*v = *v * 10 + ((*sp)[i] - '0');
	}
	*sp += n;
	return 0;
}

static int
expect_char(const char **sp, char c)
{
	if (**sp != c)
		return RT_ERR_BAD_INPUT;
	(*sp)++;
	return 0;
}

int
rt_time_parse(const char *s, time_t *tp)
{
	static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int year, mon, day, hour, min, sec, off = 0;
	struct tm tm;
	time_t t;

	if (read_digits(&s, 4, &year) || expect_char(&s, '-') ||
	    read_digits(&s, 2, &mon) || expect_char(&s, '-') ||
	    read_digits(&s, 2, &day) || expect_char(&s, 'T') ||
	    read_digits(&s, 2, &hour) || expect_char(&s, ':') ||
	    read_digits(&s, 2, &min) || expect_char(&s, ':') ||
	    read_digits(&s, 2, &sec))
		return RT_ERR_BAD_INPUT;
	if (*s == '.') {
		int n = 0;

		for (s++; isdigit((unsigned char)*s) && n < 9; s++)
			n++;
		if (n == 0)
			return RT_ERR_BAD_INPUT;
	}
	if (*s == 'Z') {
		s++;
	} else if (*s == '+' || *s == '-') {
		int sign = *s == '-' ? -1 : 1, oh, om;

		s++;
		if (read_digits(&s, 2, &oh) || expect_char(&s, ':') ||
		    read_digits(&s, 2, &om) || oh > 14 || om > 59 ||
		    (oh == 14 && om > 0))	/* xs:dateTime: -14:00..+14:00 */
			return RT_ERR_BAD_INPUT;
		off = sign * (oh * 3600 + om * 60);
	} else
		return RT_ERR_BAD_INPUT;
	if (*s != '\0' || year < 1970 || mon < 1 || mon > 12 || day < 1 ||
	    day > mdays[mon - 1] || hour > 23 || min > 59 || sec > 60)
		return RT_ERR_BAD_INPUT;
	if (mon == 2 && day == 29 &&
	    !(year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)))
		return RT_ERR_BAD_INPUT;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = year - 1900;
	tm.tm_mon = mon - 1;
	tm.tm_mday = day;
	tm.tm_hour = hour;
	tm.tm_min = min;
	tm.tm_sec = sec > 59 ? 59 : sec;
	if ((t = timegm(&tm)) == (time_t)-1)
		return RT_ERR_BAD_INPUT;
	*tp = t - off;
	return 0;
}

static _Atomic long long time_override;

time_t
rt_time_now(void)
{
	long long t = atomic_load(&time_override);

	return t != 0 ? (time_t)t : time(NULL);
}

void
rt_time_set_now(time_t t)
{
	atomic_store(&time_override, (long long)t);
}

uint64_t
rt_time_now_ms(void)
{
	struct timespec ts;
	long long t = atomic_load(&time_override);

	if (t != 0)
		return (uint64_t)t * 1000;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

uint64_t
rt_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}
