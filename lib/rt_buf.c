#include "rt_buf.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
rt_buf_init(struct rt_buf *buf, size_t max)
{
	memset(buf, 0, sizeof(*buf));
	/* a cap of SIZE_MAX would wrap max + 1 (room for the NUL) to 0 */
	buf->max = max < SIZE_MAX ? max : SIZE_MAX - 1;
}

void
rt_buf_fini(struct rt_buf *buf)
{
	if (buf == NULL)
		return;
	if (buf->secret && buf->data != NULL)
		OPENSSL_cleanse(buf->data, buf->cap);
	free(buf->data);
	buf->data = NULL;
	buf->len = buf->cap = 0;
}

void
rt_buf_set_secret(struct rt_buf *buf)
{
	buf->secret = 1;
}

void
rt_buf_reset(struct rt_buf *buf)
{
	if (buf->secret && buf->data != NULL)
		OPENSSL_cleanse(buf->data, buf->cap);
	buf->len = 0;
	if (buf->data != NULL)
		buf->data[0] = '\0';
}

int
rt_buf_reserve(struct rt_buf *buf, size_t extra)
{
	size_t need, cap;
	uint8_t *data;

	if (extra > buf->max || buf->len > buf->max - extra)
		return RT_ERR_TOO_BIG;
	need = buf->len + extra + 1;
	if (need <= buf->cap)
		return 0;
	cap = buf->cap ? buf->cap : 256;
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	if (cap > buf->max + 1)
		cap = buf->max + 1;
	if (buf->secret) {
		/* realloc could leave a copy of the secret behind */
		if ((data = malloc(cap)) == NULL)
			return RT_ERR_NOMEM;
		if (buf->data != NULL) {
			memcpy(data, buf->data, buf->len + 1);
			OPENSSL_cleanse(buf->data, buf->cap);
			free(buf->data);
		}
	} else if ((data = realloc(buf->data, cap)) == NULL)
		return RT_ERR_NOMEM;
	buf->data = data;
	buf->cap = cap;
	return 0;
}

int
rt_buf_append(struct rt_buf *buf, const void *data, size_t len)
{
	int r;

	if ((r = rt_buf_reserve(buf, len)) != 0)
		return r;
	if (len > 0)
		memcpy(buf->data + buf->len, data, len);
	buf->len += len;
	buf->data[buf->len] = '\0';
	return 0;
}

int
rt_buf_append_str(struct rt_buf *buf, const char *s)
{
	return rt_buf_append(buf, s, strlen(s));
}

int
rt_buf_append_u8(struct rt_buf *buf, uint8_t v)
{
	return rt_buf_append(buf, &v, 1);
}

int
rt_buf_append_be16(struct rt_buf *buf, uint16_t v)
{
	uint8_t b[2] = {(uint8_t)(v >> 8), (uint8_t)v};

	return rt_buf_append(buf, b, sizeof(b));
}

int
rt_buf_append_be32(struct rt_buf *buf, uint32_t v)
{
	uint8_t b[4];

	for (int i = 0; i < 4; i++)
		b[i] = (uint8_t)(v >> (24 - 8 * i));
	return rt_buf_append(buf, b, sizeof(b));
}

int
rt_buf_append_be64(struct rt_buf *buf, uint64_t v)
{
	uint8_t b[8];

	for (int i = 0; i < 8; i++)
		b[i] = (uint8_t)(v >> (56 - 8 * i));
	return rt_buf_append(buf, b, sizeof(b));
}

int
rt_buf_vprintf(struct rt_buf *buf, const char *fmt, va_list ap)
{
	va_list ap2;
	int n, r;

	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0)
		return RT_ERR_BAD_INPUT;
	if ((r = rt_buf_reserve(buf, (size_t)n)) != 0)
		return r;
	vsnprintf((char *)buf->data + buf->len, (size_t)n + 1, fmt, ap);
	buf->len += (size_t)n;
	return 0;
}

int
rt_buf_printf(struct rt_buf *buf, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = rt_buf_vprintf(buf, fmt, ap);
	va_end(ap);
	return r;
}

/* Takes back a partial append: the buffer is as it was at len. */
static int
append_undo(struct rt_buf *buf, size_t len, int r)
{
	if (r != 0 && buf->data != NULL) {
		buf->len = len;
		buf->data[len] = '\0';
	}
	return r;
}

int
rt_buf_append_xml(struct rt_buf *buf, const char *s)
{
	size_t start = buf->len;
	const char *run = s;
	int r;

	for (const char *p = s;; p++) {
		const char *esc = NULL;

		p += strcspn(p, "&<>\"'");	/* the usual text has none */
		switch (*p) {
		case '&':
			esc = "&amp;";
			break;
		case '<':
			esc = "&lt;";
			break;
		case '>':
			esc = "&gt;";
			break;
		case '"':
			esc = "&quot;";
			break;
		case '\'':
			esc = "&apos;";
			break;
		case '\0':
			return append_undo(buf, start,
			    rt_buf_append(buf, run, (size_t)(p - run)));
		default:
			continue;
		}
		if ((r = rt_buf_append(buf, run, (size_t)(p - run))) != 0 ||
		    (r = rt_buf_append_str(buf, esc)) != 0)
			return append_undo(buf, start, r);
		run = p + 1;
	}
}

uint8_t *
rt_buf_steal(struct rt_buf *buf, size_t *lenp)
{
	uint8_t *data = buf->data;

	if (lenp != NULL)
		*lenp = buf->len;
	buf->data = NULL;
	buf->len = buf->cap = 0;
	return data;
}

const char *
rt_buf_str(const struct rt_buf *buf)
{
	return buf->data != NULL ? (const char *)buf->data : "";
}
