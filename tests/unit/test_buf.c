/*
 * rt_buf: the hard cap (every appender refuses past it with RT_ERR_TOO_BIG
 * and leaves the buffer as it was, terminator included), growth through
 * printf, the NUL after the content, the big-endian appenders, XML escaping,
 * steal, reuse after reset and fini, and the wipe of a secret buffer.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rt_buf.h"

/* The invariants every call must keep, whatever it returned. */
static void
assert_consistent(const struct rt_buf *buf)
{
	assert_true(buf->len <= buf->max);
	if (buf->data == NULL) {
		assert_int_equal(buf->len, 0);
		assert_string_equal(rt_buf_str(buf), "");
		return;
	}
	assert_true(buf->len < buf->cap);
	assert_int_equal(buf->data[buf->len], '\0');
}

/* buf holds exactly the len bytes of want, and a NUL after them. */
static void
assert_holds(const struct rt_buf *buf, const void *want, size_t len)
{
	assert_consistent(buf);
	assert_int_equal(buf->len, len);
	if (len > 0)
		assert_memory_equal(buf->data, want, len);
}

static void
test_empty_is_a_string(void **state)
{
	struct rt_buf buf;

	(void)state;
	rt_buf_init(&buf, 16);
	assert_null(buf.data);
	assert_string_equal(rt_buf_str(&buf), "");
	assert_consistent(&buf);
	/* nothing appended still allocates room for the terminator */
	assert_int_equal(rt_buf_append(&buf, NULL, 0), 0);
	assert_holds(&buf, "", 0);
	assert_int_equal(rt_buf_append_str(&buf, ""), 0);
	assert_string_equal(rt_buf_str(&buf), "");
	rt_buf_fini(&buf);
}

static void
test_append_terminates(void **state)
{
	static const uint8_t bin[] = {'a', 0, 'b', 0xff};
	struct rt_buf buf;

	(void)state;
	rt_buf_init(&buf, 64);
	assert_int_equal(rt_buf_append_str(&buf, "key="), 0);
	assert_string_equal(rt_buf_str(&buf), "key=");
	assert_int_equal(rt_buf_append(&buf, bin, sizeof(bin)), 0);
	assert_holds(&buf, "key=a\0b\xff", 8);
	assert_int_equal(rt_buf_append_u8(&buf, 'z'), 0);
	assert_holds(&buf, "key=a\0b\xffz", 9);
	rt_buf_fini(&buf);
	assert_null(buf.data);
	assert_int_equal(buf.len, 0);
}

static void
test_big_endian(void **state)
{
	static const uint8_t want[] = {
		0xab, 0x12, 0x34, 0xde, 0xad, 0xbe, 0xef,
		0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef,
		0xff, 0xff, 0x00, 0x00, 0x00, 0x00,
	};
	struct rt_buf buf;

	(void)state;
	rt_buf_init(&buf, sizeof(want));
	assert_int_equal(rt_buf_append_u8(&buf, 0xab), 0);
	assert_int_equal(rt_buf_append_be16(&buf, 0x1234), 0);
	assert_int_equal(rt_buf_append_be32(&buf, 0xdeadbeefu), 0);
	assert_int_equal(rt_buf_append_be64(&buf, 0x0123456789abcdefull), 0);
	assert_int_equal(rt_buf_append_be16(&buf, 0xffff), 0);
	assert_int_equal(rt_buf_append_be32(&buf, 0), 0);
	assert_holds(&buf, want, sizeof(want));
	rt_buf_fini(&buf);
}

/* Filling to the cap exactly is allowed; one byte more is not. */
static void
test_cap_exact(void **state)
{
	struct rt_buf buf;

	(void)state;
	rt_buf_init(&buf, 8);
	assert_int_equal(rt_buf_append_str(&buf, "12345678"), 0);
	assert_holds(&buf, "12345678", 8);
	assert_true(buf.cap <= buf.max + 1);	/* never more than it may hold */
	assert_int_equal(rt_buf_append_u8(&buf, '9'), RT_ERR_TOO_BIG);
	assert_int_equal(rt_buf_append(&buf, NULL, 0), 0);
	assert_int_equal(rt_buf_reserve(&buf, 0), 0);
	assert_int_equal(rt_buf_reserve(&buf, 1), RT_ERR_TOO_BIG);
	assert_holds(&buf, "12345678", 8);
	rt_buf_fini(&buf);

	rt_buf_init(&buf, 0);
	assert_int_equal(rt_buf_append(&buf, "", 0), 0);
	assert_int_equal(rt_buf_append_u8(&buf, 'x'), RT_ERR_TOO_BIG);
	assert_int_equal(rt_buf_printf(&buf, "%c", 'x'), RT_ERR_TOO_BIG);
	assert_holds(&buf, "", 0);
	rt_buf_fini(&buf);
}

enum appender {
	APPEND, APPEND_STR, APPEND_U8, APPEND_BE16, APPEND_BE32, APPEND_BE64,
	PRINTF, APPEND_XML, RESERVE, APPENDER_COUNT
};

/* One append of roughly "over" bytes, by the appender named. */
static int
append_by(struct rt_buf *buf, enum appender how, size_t over)
{
	static const char text[] = "0123456789abcdef0123456789abcdef";

	assert_true(over < sizeof(text));
	switch (how) {
	case APPEND:
		return rt_buf_append(buf, text, over);
	case APPEND_STR:
		return rt_buf_append_str(buf, text + sizeof(text) - 1 - over);
	case APPEND_U8:
		return rt_buf_append_u8(buf, 'x');
	case APPEND_BE16:
		return rt_buf_append_be16(buf, 0x4142);
	case APPEND_BE32:
		return rt_buf_append_be32(buf, 0x41424344u);
	case APPEND_BE64:
		return rt_buf_append_be64(buf, 0x4142434445464748ull);
	case PRINTF:
		return rt_buf_printf(buf, "%.*s", (int)over, text);
	case APPEND_XML:
		/* text that fits, then an escape that does not */
		return rt_buf_append_xml(buf, "ab&cd<ef>gh\"ij'kl&&&&&&&&");
	case RESERVE:
	case APPENDER_COUNT:
		break;
	}
	return rt_buf_reserve(buf, over);
}

/*
 * Each appender, at each fill level near the cap: either it succeeds and
 * the buffer is consistent, or it refuses with RT_ERR_TOO_BIG and the
 * buffer is byte for byte what it was, its terminator included.
 */
static void
test_cap_refusals_leave_buffer(void **state)
{
	const size_t max = 20;

	(void)state;
	for (int how = 0; how < APPENDER_COUNT; how++) {
		for (size_t fill = 0; fill <= max; fill++) {
			for (size_t over = 1; over <= 9; over++) {
				struct rt_buf buf;
				char before[32];
				int r;

				rt_buf_init(&buf, max);
				memset(before, 'a' + (int)(fill % 26), fill);
				assert_int_equal(rt_buf_append(&buf, before, fill), 0);
				r = append_by(&buf, (enum appender)how, over);
				if (r != 0) {
					assert_int_equal(r, RT_ERR_TOO_BIG);
					if (buf.len != fill)
						fail_msg("appender %d fill %zu: len %zu after refusal",
						    how, fill, buf.len);
					assert_holds(&buf, before, fill);
					assert_int_equal(strlen(rt_buf_str(&buf)), fill);
				} else {
					assert_consistent(&buf);
					assert_memory_equal(buf.data, before, fill);
				}
				rt_buf_fini(&buf);
			}
		}
	}
}

/* Lengths that would overflow size_t arithmetic are refused, not wrapped. */
static void
test_huge_lengths(void **state)
{
	static const size_t maxes[] = {0, 1, 255, 256, 4096, SIZE_MAX / 2, SIZE_MAX - 1,
	    SIZE_MAX};
	struct rt_buf buf;

	(void)state;
	for (size_t i = 0; i < sizeof(maxes) / sizeof(maxes[0]); i++) {
		rt_buf_init(&buf, maxes[i]);
		if (maxes[i] > 0)
			assert_int_equal(rt_buf_append_u8(&buf, 'x'), 0);
		/* the data pointer is never read: these must fail first */
		assert_int_equal(rt_buf_append(&buf, "", SIZE_MAX), RT_ERR_TOO_BIG);
		assert_int_equal(rt_buf_append(&buf, "", SIZE_MAX - 1), RT_ERR_TOO_BIG);
		assert_int_equal(rt_buf_reserve(&buf, SIZE_MAX), RT_ERR_TOO_BIG);
		assert_holds(&buf, "x", maxes[i] > 0 ? 1 : 0);
		if (maxes[i] > 0) {
			/* and the buffer still grows past its first allocation */
			for (int k = 0; k < 300 && buf.len < maxes[i]; k++)
				assert_int_equal(rt_buf_append_u8(&buf, 'y'), 0);
			assert_consistent(&buf);
		}
		rt_buf_fini(&buf);
	}
}

/* printf grows the buffer as far as the cap and writes what snprintf does. */
static void
test_printf_growth(void **state)
{
	struct rt_buf buf;
	char want[16384], *big;
	size_t len = 0;

	(void)state;
	rt_buf_init(&buf, 1 << 20);
	for (int i = 0; i < 1000; i++) {
		int n = snprintf(want + len, sizeof(want) - len, "%d=%x;", i, i * 7919);

		assert_true(n > 0 && (size_t)n < sizeof(want) - len);
		len += (size_t)n;
		assert_int_equal(rt_buf_printf(&buf, "%d=%x;", i, i * 7919), 0);
	}
	assert_holds(&buf, want, len);
	assert_string_equal(rt_buf_str(&buf), want);

	/* one call far larger than the first allocation */
	big = malloc(100001);
	assert_non_null(big);
	memset(big, 'q', 100000);
	big[100000] = '\0';
	rt_buf_reset(&buf);
	assert_int_equal(rt_buf_printf(&buf, "<%s>", big), 0);
	assert_int_equal(buf.len, 100002);
	assert_int_equal(buf.data[0], '<');
	assert_int_equal(buf.data[100001], '>');
	assert_consistent(&buf);
	free(big);

	/* the empty format is a successful no-op */
	rt_buf_reset(&buf);
	assert_int_equal(rt_buf_printf(&buf, "%s", ""), 0);
	assert_holds(&buf, "", 0);
	rt_buf_fini(&buf);
}

/* A format whose output would cross the cap appends nothing at all. */
static void
test_printf_cap(void **state)
{
	struct rt_buf buf;

	(void)state;
	rt_buf_init(&buf, 10);
	assert_int_equal(rt_buf_printf(&buf, "%05d", 42), 0);
	assert_int_equal(rt_buf_printf(&buf, "%s", "abcdef"), RT_ERR_TOO_BIG);
	assert_holds(&buf, "00042", 5);
	assert_int_equal(rt_buf_printf(&buf, "%s", "abcde"), 0);
	assert_holds(&buf, "00042abcde", 10);
	assert_int_equal(rt_buf_printf(&buf, "%s", ""), 0);
	assert_int_equal(rt_buf_printf(&buf, "%c", '!'), RT_ERR_TOO_BIG);
	assert_holds(&buf, "00042abcde", 10);
	rt_buf_fini(&buf);
}

static void
test_xml_escape(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{"", ""},
		{"plain text", "plain text"},
		{"&", "&amp;"},
		{"<tag attr='v' b=\"w\">&</tag>",
		    "&lt;tag attr=&apos;v&apos; b=&quot;w&quot;&gt;&amp;&lt;/tag&gt;"},
		{"a&&b", "a&amp;&amp;b"},
		{"&amp;", "&amp;amp;"},	/* escaped again, not taken as an entity */
		{"tail>", "tail&gt;"},
		{"\xc3\xa9t\xc3\xa9", "\xc3\xa9t\xc3\xa9"},	/* UTF-8 passes through */
	};
	struct rt_buf buf;

	(void)state;
	rt_buf_init(&buf, 256);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		rt_buf_reset(&buf);
		assert_int_equal(rt_buf_append_str(&buf, "["), 0);
		assert_int_equal(rt_buf_append_xml(&buf, cases[i].in), 0);
		assert_int_equal(rt_buf_append_str(&buf, "]"), 0);
		assert_int_equal(buf.len, strlen(cases[i].out) + 2);
		assert_memory_equal(buf.data + 1, cases[i].out, strlen(cases[i].out));
		assert_consistent(&buf);
	}
	rt_buf_fini(&buf);
}

/* reset empties but keeps the memory and the cap. */
static void
test_reset_reuse(void **state)
{
	struct rt_buf buf;
	const uint8_t *data;
	size_t cap;

	(void)state;
	rt_buf_init(&buf, 300);
	rt_buf_reset(&buf);	/* on a buffer never allocated */
	assert_holds(&buf, "", 0);
	assert_int_equal(rt_buf_printf(&buf, "%0300d", 7), 0);
	data = buf.data;
	cap = buf.cap;
	rt_buf_reset(&buf);
	assert_holds(&buf, "", 0);
	assert_ptr_equal(buf.data, data);
	assert_int_equal(buf.cap, cap);
	assert_string_equal(rt_buf_str(&buf), "");
	assert_int_equal(rt_buf_append_str(&buf, "again"), 0);
	assert_holds(&buf, "again", 5);
	assert_int_equal(rt_buf_reserve(&buf, 296), RT_ERR_TOO_BIG);
	assert_int_equal(rt_buf_reserve(&buf, 295), 0);
	rt_buf_fini(&buf);
}

/* fini is safe twice and on NULL; an init after it starts afresh. */
static void
test_fini_reuse(void **state)
{
	struct rt_buf buf;

	(void)state;
	rt_buf_fini(NULL);
	rt_buf_init(&buf, 4);
	rt_buf_fini(&buf);	/* never allocated */
	/* fini leaves an empty buffer that keeps its cap */
	assert_int_equal(rt_buf_append_str(&buf, "abcd"), 0);
	rt_buf_fini(&buf);
	assert_null(buf.data);
	assert_int_equal(buf.len, 0);
	assert_string_equal(rt_buf_str(&buf), "");
	rt_buf_fini(&buf);

	rt_buf_init(&buf, 2);
	assert_int_equal(rt_buf_append_str(&buf, "abc"), RT_ERR_TOO_BIG);
	assert_int_equal(rt_buf_append_str(&buf, "ab"), 0);
	assert_holds(&buf, "ab", 2);
	rt_buf_fini(&buf);
}

static void
test_steal(void **state)
{
	struct rt_buf buf;
	uint8_t *data;
	size_t len = 99;

	(void)state;
	rt_buf_init(&buf, 64);
	assert_int_equal(rt_buf_append_str(&buf, "stolen"), 0);
	data = rt_buf_steal(&buf, &len);
	assert_non_null(data);
	assert_int_equal(len, 6);
	assert_string_equal((char *)data, "stolen");	/* terminated too */
	free(data);
	assert_null(buf.data);
	assert_holds(&buf, "", 0);
	/* the cap survives: the emptied buffer is still usable */
	assert_int_equal(rt_buf_append_str(&buf, "next"), 0);
	assert_holds(&buf, "next", 4);
	data = rt_buf_steal(&buf, NULL);
	free(data);

	/* stealing from a buffer never allocated gives NULL and length 0 */
	data = rt_buf_steal(&buf, &len);
	assert_null(data);
	assert_int_equal(len, 0);
	rt_buf_fini(&buf);
}

/* A secret buffer keeps its content through growth (it copies by hand
 * rather than realloc) and reset wipes the bytes it held. */
static void
test_secret(void **state)
{
	struct rt_buf buf;
	char want[2000];
	size_t held;

	(void)state;
	rt_buf_init(&buf, sizeof(want));
	rt_buf_set_secret(&buf);
	for (size_t i = 0; i < sizeof(want); i++) {
		want[i] = (char)('A' + i % 23);
		assert_int_equal(rt_buf_append_u8(&buf, (uint8_t)want[i]), 0);
	}
	assert_holds(&buf, want, sizeof(want));
	held = buf.len;
	rt_buf_reset(&buf);
	assert_holds(&buf, "", 0);
	for (size_t i = 0; i < held; i++)
		if (buf.data[i] != 0)
			fail_msg("byte %zu survived reset of a secret buffer", i);
	assert_int_equal(rt_buf_append_str(&buf, "s3cret"), 0);
	assert_holds(&buf, "s3cret", 6);
	rt_buf_fini(&buf);
	assert_null(buf.data);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty_is_a_string),
		cmocka_unit_test(test_append_terminates),
		cmocka_unit_test(test_big_endian),
		cmocka_unit_test(test_cap_exact),
		cmocka_unit_test(test_cap_refusals_leave_buffer),
		cmocka_unit_test(test_huge_lengths),
		cmocka_unit_test(test_printf_growth),
		cmocka_unit_test(test_printf_cap),
		cmocka_unit_test(test_xml_escape),
		cmocka_unit_test(test_reset_reuse),
		cmocka_unit_test(test_fini_reuse),
		cmocka_unit_test(test_steal),
		cmocka_unit_test(test_secret),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
