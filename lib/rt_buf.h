/*
 * rt_buf: a growable byte buffer with a hard cap.
 *
 * Every buffer that grows from outside input has a maximum size set at
 * init; appends past it fail with RT_ERR_TOO_BIG and leave the buffer as it
 * was. The data is always NUL-terminated (not counted in len) so text
 * built here can be passed to C string functions. A buffer holding secrets
 * is wiped on fini when marked with rt_buf_set_secret().
 */
#ifndef RT_BUF_H
#define RT_BUF_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "rt_err.h"

struct rt_buf {
	uint8_t *data;
	size_t len;
	size_t cap;
	size_t max;
	int secret;
};

/* Embedded lifecycle: init sets the cap (bytes of content), fini frees. */
void rt_buf_init(struct rt_buf *buf, size_t max);
void rt_buf_fini(struct rt_buf *buf);
void rt_buf_set_secret(struct rt_buf *buf);
/* Empties the buffer, keeping its memory. */
void rt_buf_reset(struct rt_buf *buf);
/* Ensures room for extra more bytes. */
int rt_buf_reserve(struct rt_buf *buf, size_t extra) RT_WUR;
int rt_buf_append(struct rt_buf *buf, const void *data, size_t len) RT_WUR;
int rt_buf_append_str(struct rt_buf *buf, const char *s) RT_WUR;
int rt_buf_append_u8(struct rt_buf *buf, uint8_t v) RT_WUR;
int rt_buf_append_be16(struct rt_buf *buf, uint16_t v) RT_WUR;
int rt_buf_append_be32(struct rt_buf *buf, uint32_t v) RT_WUR;
int rt_buf_append_be64(struct rt_buf *buf, uint64_t v) RT_WUR;
int rt_buf_printf(struct rt_buf *buf, const char *fmt, ...) RT_WUR
    __attribute__((format(printf, 2, 3)));
int rt_buf_vprintf(struct rt_buf *buf, const char *fmt, va_list ap) RT_WUR
    __attribute__((format(printf, 2, 0)));
/* Appends s with the five XML special characters escaped. */
int rt_buf_append_xml(struct rt_buf *buf, const char *s) RT_WUR;
/* Hands the data to the caller (free()) and leaves buf empty. */
uint8_t *rt_buf_steal(struct rt_buf *buf, size_t *lenp);
/* The contents as a C string (always terminated). */
const char *rt_buf_str(const struct rt_buf *buf);

#endif
