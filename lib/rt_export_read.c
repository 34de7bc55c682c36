/*
 * The streaming SettlementExport reader of rt_export_read.h: the input
 * layer (chunks, hashing), the record checks shared by both formats, and
 * the CSV reader. The XML reader is rt_export_xml.c and
 * rt_export_xml_fast.c.
 */
#include <openssl/evp.h>
#include <stdarg.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif
#include <stdlib.h>
#include <string.h>

#include "rt_codec.h"
#include "rt_export_read.h"
#include "rt_export_read_int.h"
#include "rt_xml.h"

#define CHUNK (256 * 1024)

static const char *const units[] = {
	"second", "minute", "message", "event", "kilobyte", NULL
};

int
rt_export_fail(struct rt_export_reader *r, int err, const char *fmt, ...)
{
	char msg[RT_EXPORT_ERR_MAX - 32];
	va_list ap;

	if (r->failed != 0)
		return r->failed;
	if (r->fast)	/* not an error: libxml2 reads it instead */
		return err;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (r->format == RT_EXPORT_CSV)
		snprintf(r->err, sizeof(r->err), "line %llu: %s",
		    (unsigned long long)r->line, msg);
	else if (r->format == RT_EXPORT_XML)
		snprintf(r->err, sizeof(r->err), "line %llu: %s",
		    (unsigned long long)rt_export_xml_line(r), msg);
	else
		snprintf(r->err, sizeof(r->err), "%s", msg);
	/* the message quotes the file: no control characters to a terminal */
	for (char *c = r->err; *c != '\0'; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = '?';
	r->failed = err;
	return err;
}

/* ---- input: chunks from a FILE or memory, hashed as they are read ---- */

ssize_t
rt_export_src_read(struct rt_export_reader *r, uint8_t *out, size_t cap)
{
	size_t n;

	if (r->f != NULL) {
		n = fread(out, 1, cap, r->f);
		if (n == 0 && ferror(r->f))
			return -1;
	} else {
		n = r->memlen - r->mempos;
		if (n > cap)
			n = cap;
		if (n > 0)
			memcpy(out, r->mem + r->mempos, n);
		r->mempos += n;
	}
	if (n > 0 && r->md != NULL && EVP_DigestUpdate(r->md, out, n) != 1)
		return -1;
	r->consumed += n;
	return (ssize_t)n;
}

int
rt_export_buf_fill(struct rt_export_reader *r)
{
	ssize_t n;

	if (r->pos > 0) {
		memmove(r->buf, r->buf + r->pos, r->len - r->pos);
		r->len -= r->pos;
		r->pos = 0;
	}
	if (r->eof || r->len == CHUNK)
		return 0;
	if ((n = rt_export_src_read(r, r->buf + r->len, CHUNK - r->len)) < 0)
		return rt_export_fail(r, RT_ERR_IO, "read error");
	if (n == 0) {
		r->eof = 1;
		return 0;
	}
	r->len += (size_t)n;
	return 1;
}

/* ---- value checks, as the schema would ---- */

static int
is_token(const char *s)
{
	if (*s < 'a' || *s > 'z')
		return 0;
	for (int n = 0; *s != '\0'; s++, n++)
		if (n >= 32 || !((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
		    *s == '-'))
			return 0;
	return 1;
}

static const uint8_t lower_hex[256] = {
	['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1, ['6'] = 1,
	['7'] = 1, ['8'] = 1, ['9'] = 1, ['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1,
	['e'] = 1, ['f'] = 1,
};

/* A lowercase 8-4-4-4-12 UUID (the schema's pattern), without a branch
 * per character: three of them are checked on every record. */
int
rt_export_uuid_ok(const char *s)
{
	const uint8_t *u = (const uint8_t *)s;
	unsigned ok = 1;

	/* nothing past the string is read, even in a fixed-size field */
	if (strnlen(s, RT_UUID_STR_LEN + 1) != RT_UUID_STR_LEN)
		return 0;
	if (u[8] != '-' || u[13] != '-' || u[18] != '-' || u[23] != '-')
		return 0;
	for (int i = 0; i < 8; i++)
		ok &= lower_hex[u[i]];
	for (int i = 9; i < 13; i++)
		ok &= lower_hex[u[i]] & lower_hex[u[i + 5]] & lower_hex[u[i + 10]];
	for (int i = 24; i < 36; i++)
		ok &= lower_hex[u[i]];
	return ok;
}

static int
digits(const char *s, int n, int *v)
{
	*v = 0;
	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return 0;
		*v = *v * 10 + (s[i] - '0');
	}
	return 1;
}

/*
 * "YYYY-MM-DDTHH:MM:SSZ", the form exports are written in, without the
 * C library's time zone machinery (timegm was a tenth of the reading);
 * any other form goes to rt_time_parse.
 */
int
rt_export_time_parse(const char *s, time_t *tp)
{
	static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int y, m, d, hh, mm, ss;
	long long era, yoe, doy, doe, days;

	/* left to right, so nothing past a short string's NUL is read */
	if (!digits(s, 4, &y) || s[4] != '-' || !digits(s + 5, 2, &m) ||
	    s[7] != '-' || !digits(s + 8, 2, &d) || s[10] != 'T' ||
	    !digits(s + 11, 2, &hh) || s[13] != ':' || !digits(s + 14, 2, &mm) ||
	    s[16] != ':' || !digits(s + 17, 2, &ss) || s[19] != 'Z' ||
	    s[20] != '\0' || y < 1970 || m < 1 || m > 12 || d < 1 ||
	    d > mdays[m - 1] || hh > 23 || mm > 59 || ss > 59 ||
	    (m == 2 && d == 29 && !(y % 4 == 0 && (y % 100 != 0 || y % 400 == 0))))
		return rt_time_parse(s, tp);
	/* days from civil (proleptic Gregorian), as in H. Hinnant's algorithm */
	y -= m <= 2;
	era = y / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	days = era * 146097 + doe - 719468;
	*tp = (time_t)(days * 86400 + hh * 3600 + mm * 60 + ss);
	return 0;
}

int
rt_export_unit_ok(const char *s)
{
	for (int i = 0; units[i] != NULL; i++)
		if (s[0] == units[i][0] && strcmp(units[i], s) == 0)
			return 1;
	return 0;
}

int
rt_export_token_ok(const char *s)
{
	return is_token(s);
}

/* Whether s is one of the realms already found valid (else checks it
 * and remembers it): the two realms of a settlement repeat on every line. */
static int
realm_ok(struct rt_export_check_cache *c, const char *s)
{
	size_t n;

	/* with its NUL: s is a whole RT_REALM_MAX field */
	for (int i = 0; c != NULL && i < 2; i++)
		if (c->realm_len[i] != 0 && s[0] == c->realm[i][0] &&
		    memcmp(c->realm[i], s, c->realm_len[i] + 1) == 0)
			return 1;
	if (!rt_realm_valid(s))
		return 0;
	if (c != NULL) {
		n = strlen(s);
		memcpy(c->realm[c->next], s, n + 1);
		c->realm_len[c->next] = n;
		c->next ^= 1;
	}
	return 1;
}

int
rt_export_item_check_cached(const struct rt_export_item *item, const char **why,
    struct rt_export_check_cache *c)
{
	const struct rt_usage_record *u = &item->u;
	size_t sub = strlen(u->subscriber);

	*why = NULL;
	if (!rt_export_uuid_ok(u->id))
		*why = "bad id";
	/* the cache holds a valid UUID with its NUL, or nothing: an empty id
	 * must not pass as the empty cache */
	else if ((c == NULL || c->agreement[0] == '\0' ||
	    memcmp(c->agreement, u->agreement_ref, RT_UUID_STR_LEN + 1) != 0) &&
	    !rt_export_uuid_ok(u->agreement_ref))
		*why = "bad agreement";
	else if (!rt_export_uuid_ok(u->assertion_ref))
		*why = "bad assertion";
	else if (sub < 5 || !rt_sip_uri_valid(u->subscriber))
		*why = "bad subscriber";
	else if (!realm_ok(c, u->home))
		*why = "bad home realm";
	else if (!realm_ok(c, u->visited))
		*why = "bad visited realm";
	else if (!is_token(u->service))
		*why = "bad service";
	else if (u->quantity > RT_QUANTITY_MAX)
		*why = "quantity out of range";
	else if (!rt_export_unit_ok(u->unit))
		*why = "bad unit";
	else if (item->amount_minor < -RT_AMOUNT_MAX || item->amount_minor > RT_AMOUNT_MAX)
		*why = "amount out of range";
	else if (item->unpriced[0] != '\0' && !is_token(item->unpriced))
		*why = "bad unpriced reason";
	for (int i = 0; *why == NULL && i < u->nflags; i++)
		if (!is_token(u->flags[i]))
			*why = "bad flag";
	if (*why == NULL && c != NULL)
		memcpy(c->agreement, u->agreement_ref, sizeof(c->agreement));
	return *why == NULL ? 0 : RT_ERR_SCHEMA;
}

int
rt_export_item_check(const struct rt_export_item *item, const char **why)
{
	return rt_export_item_check_cached(item, why, NULL);
}

/* Clears what a record may leave unset (the rest is always written):
 * cheaper than clearing the whole item, which is mostly string space. */
void
rt_export_item_reset(struct rt_export_item *item)
{
	item->u.call_id[0] = '\0';
	item->u.nflags = 0;
	item->amount_minor = 0;
	item->has_amount = 0;
	item->unpriced[0] = '\0';
	item->where = 0;
}

/* ---- CSV ---- */

enum {
	C_ID, C_AGREEMENT, C_ASSERTION, C_SUBSCRIBER, C_HOME, C_VISITED,
	C_SERVICE, C_CALL_ID, C_START, C_END, C_QUANTITY, C_UNIT, C_AMOUNT,
	C_FLAGS, C_UNPRICED
};

/* The bytes that end or break an unquoted field. */
static const uint8_t csv_special[256] = {
	[0] = 1, ['\n'] = 1, ['\r'] = 1, ['"'] = 1, [','] = 1,
};

/*
 * How many bytes from p on (before stop) are not special: 16 at a time
 * with SSE2 where there is SSE2 (every x86-64), else one table look-up
 * each. Parsing is most of reconcile's time, and fields are short runs.
 */
static size_t
csv_plain_span(const uint8_t *p, const uint8_t *stop)
{
	const uint8_t *q = p;

#ifdef __SSE2__
	const __m128i comma = _mm_set1_epi8(','), quote = _mm_set1_epi8('"');
	const __m128i cr = _mm_set1_epi8('\r'), lf = _mm_set1_epi8('\n');
	const __m128i nul = _mm_setzero_si128();

	while (stop - q >= 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)q);
		__m128i hit = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, comma),
		    _mm_cmpeq_epi8(v, quote)), _mm_or_si128(_mm_or_si128(
		    _mm_cmpeq_epi8(v, cr), _mm_cmpeq_epi8(v, lf)),
		    _mm_cmpeq_epi8(v, nul)));
		int mask = _mm_movemask_epi8(hit);

		if (mask != 0)
			return (size_t)(q - p) + (size_t)__builtin_ctz((unsigned)mask);
		q += 16;
	}
#endif
	while (q < stop && !csv_special[*q])
		q++;
	return (size_t)(q - p);
}

/*
 * Parses one row from r->buf at r->pos into r->row/r->fields. 0 with a
 * row, 1 when the buffer ends inside the row (fill and retry), 2 at the
 * end of the input, RT_ERR_* on a malformed row.
 */
static int
csv_parse_row(struct rt_export_reader *r)
{
	const uint8_t *p = r->buf + r->pos, *e = r->buf + r->len, *start = p;
	char *out = r->row;
	int nf = 0;

	if (p == e)
		return r->eof ? 2 : 1;
	r->fields[nf++] = out;
	for (;;) {
		if ((size_t)(p - start) > RT_EXPORT_LINE_MAX)
			return rt_export_fail(r, RT_ERR_TOO_BIG, "line longer than %d bytes",
			    RT_EXPORT_LINE_MAX);
		if (p < e && *p == '"' && out == r->fields[nf - 1]) {
			/* a quoted field */
			for (p++;; p++) {
				if (p == e)
					return r->eof ? rt_export_fail(r, RT_ERR_BAD_INPUT,
					    "unterminated quoted field") : 1;
				if ((size_t)(p - start) > RT_EXPORT_LINE_MAX)
					return rt_export_fail(r, RT_ERR_TOO_BIG,
					    "line longer than %d bytes", RT_EXPORT_LINE_MAX);
				if (*p == '"') {
					if (p + 1 == e && !r->eof)
						return 1;
					if (p + 1 < e && p[1] == '"') {
						*out++ = '"';
						p++;
						continue;
					}
					p++;
					break;
				}
				if (*p == '\0')
					return rt_export_fail(r, RT_ERR_BAD_INPUT, "NUL byte");
				*out++ = (char)*p;
			}
			if (p < e && *p != ',' && *p != '\r' && *p != '\n')
				return rt_export_fail(r, RT_ERR_BAD_INPUT,
				    "text after a closing quote");
		}
		{
			/* the plain bytes of the field, copied as one span */
			const uint8_t *stop = e - start > RT_EXPORT_LINE_MAX ?
			    start + RT_EXPORT_LINE_MAX : e;
			size_t n = csv_plain_span(p, stop);

			memcpy(out, p, n);
			out += n;
			p += n;
			if (p == stop && stop != e)
				return rt_export_fail(r, RT_ERR_TOO_BIG,
				    "line longer than %d bytes", RT_EXPORT_LINE_MAX);
			if (p < e && (*p == '"' || *p == '\0'))
				return rt_export_fail(r, RT_ERR_BAD_INPUT,
				    *p == '"' ? "quote inside an unquoted field" : "NUL byte");
		}
		if (p == e) {
			if (!r->eof)
				return 1;
			*out = '\0';	/* the last line without its line end */
			break;
		}
		if (*p == ',') {
			*out++ = '\0';
			if (nf >= RT_EXPORT_CSV_COLUMNS)
				return rt_export_fail(r, RT_ERR_BAD_INPUT,
				    "more than %d fields", RT_EXPORT_CSV_COLUMNS);
			r->fields[nf++] = out;
			p++;
			continue;
		}
		if (*p == '\r') {
			if (p + 1 == e && !r->eof)
				return 1;
			if (p + 1 == e || p[1] != '\n')
				return rt_export_fail(r, RT_ERR_BAD_INPUT, "CR without LF");
			p++;
		}
		*out = '\0';
		p++;		/* the LF */
		break;
	}
	r->nfields = nf;
	r->pos = (size_t)(p - r->buf);
	r->line++;
	return 0;
}

/* 0 and a row, 2 at EOF, or RT_ERR_*. */
static int
csv_row(struct rt_export_reader *r)
{
	int ret;

	while ((ret = csv_parse_row(r)) == 1) {
		if ((ret = rt_export_buf_fill(r)) < 0)
			return ret;
		if (ret == 0 && !r->eof && r->len == CHUNK)
			return rt_export_fail(r, RT_ERR_TOO_BIG, "line too long");
	}
	return ret;
}

static int
copy_field(struct rt_export_reader *r, char *out, size_t cap, int col, const char *what)
{
	size_t n = strlen(r->fields[col]);

	if (n >= cap)
		return rt_export_fail(r, RT_ERR_TOO_BIG, "%s too long", what);
	memcpy(out, r->fields[col], n + 1);
	return 0;
}

/* "id=... issuer=..." of the export line */
static int
csv_export_meta(struct rt_export_reader *r, char *s)
{
	struct rt_export_header *h = &r->header;
	char *save = NULL, created[64] = "";
	int seen = 0;

	for (char *tok = strtok_r(s, " ", &save); tok != NULL;
	    tok = strtok_r(NULL, " ", &save)) {
		char *v = strchr(tok, '=');
		struct { const char *key; char *out; size_t cap; int bit; } keys[] = {
			{"id", h->id, sizeof(h->id), 1},
			{"issuer", h->issuer, sizeof(h->issuer), 2},
			{"partner", h->partner, sizeof(h->partner), 4},
			{"currency", h->currency, sizeof(h->currency), 8},
			{"created", created, sizeof(created), 16},
		};
		size_t k;

		if (v == NULL)
			return rt_export_fail(r, RT_ERR_BAD_INPUT, "export line: '%.32s' is not key=value", tok);
		*v++ = '\0';
		for (k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
			if (strcmp(keys[k].key, tok) == 0)
				break;
		if (k == sizeof(keys) / sizeof(keys[0]) || (seen & keys[k].bit))
			return rt_export_fail(r, RT_ERR_BAD_INPUT, "export line: unknown or repeated key '%.32s'", tok);
		if (strlen(v) >= keys[k].cap)
			return rt_export_fail(r, RT_ERR_TOO_BIG, "export line: %s too long", tok);
		strcpy(keys[k].out, v);
		seen |= keys[k].bit;
	}
	if (seen != 31)
		return rt_export_fail(r, RT_ERR_BAD_INPUT, "export line: id, issuer, partner, currency and created are required");
	if (rt_time_parse(created, &h->created_at) != 0)
		return rt_export_fail(r, RT_ERR_BAD_INPUT, "export line: bad created time");
	return rt_export_header_check(r);
}

int
rt_export_header_check(struct rt_export_reader *r)
{
	const struct rt_export_header *h = &r->header;
	const char *c = h->currency;

	if (!rt_export_uuid_ok(h->id))
		return rt_export_fail(r, RT_ERR_SCHEMA, "bad export id");
	if (!rt_realm_valid(h->issuer) || !rt_realm_valid(h->partner))
		return rt_export_fail(r, RT_ERR_SCHEMA, "bad issuer or partner realm");
	if (strlen(c) != 3 || c[0] < 'A' || c[0] > 'Z' || c[1] < 'A' || c[1] > 'Z' ||
	    c[2] < 'A' || c[2] > 'Z')
		return rt_export_fail(r, RT_ERR_SCHEMA, "bad currency");
	return 0;
}

static int
csv_open(struct rt_export_reader *r)
{
	static const char *const names[RT_EXPORT_CSV_COLUMNS] = {"id", "agreement",
	    "assertion", "subscriber", "home", "visited", "service", "call_id",
	    "start", "end", "quantity", "unit", "amount_minor", "flags", "unpriced"};
	int ret;

	if ((ret = csv_row(r)) < 0)
		return ret;
	if (ret == 2 || r->nfields != RT_EXPORT_CSV_COLUMNS)
		return rt_export_fail(r, RT_ERR_BAD_INPUT, "not the export CSV header");
	for (int i = 0; i < RT_EXPORT_CSV_COLUMNS; i++)
		if (strcmp(r->fields[i], names[i]) != 0)
			return rt_export_fail(r, RT_ERR_BAD_INPUT, "column %d is not '%s'",
			    i + 1, names[i]);
	if ((ret = csv_row(r)) < 0)
		return ret;
	if (ret == 2 || r->nfields != RT_EXPORT_CSV_COLUMNS ||
	    strcmp(r->fields[C_ID], "export") != 0)
		return rt_export_fail(r, RT_ERR_BAD_INPUT, "the second line must be the export line");
	for (int i = 1; i < RT_EXPORT_CSV_COLUMNS; i++)
		if (i != C_START && i != C_END && i != C_FLAGS && r->fields[i][0] != '\0')
			return rt_export_fail(r, RT_ERR_BAD_INPUT, "export line: column %d must be empty", i + 1);
	if (rt_time_parse(r->fields[C_START], &r->header.period_start) != 0 ||
	    rt_time_parse(r->fields[C_END], &r->header.period_end) != 0)
		return rt_export_fail(r, RT_ERR_BAD_INPUT, "export line: bad period");
	return csv_export_meta(r, r->fields[C_FLAGS]);
}

static int
parse_u64_field(const char *s, uint64_t *v)
{
	return rt_xml_parse_u64(s, v) == 0;
}

static int
csv_total(struct rt_export_reader *r)
{
	struct rt_export_total *t;
	uint64_t v;
	int64_t a;

	if (r->ntotals >= RT_EXPORT_TOTALS_MAX)
		return rt_export_fail(r, RT_ERR_TOO_BIG, "more than %d totals", RT_EXPORT_TOTALS_MAX);
	t = &r->totals[r->ntotals];
	memset(t, 0, sizeof(*t));
	if (copy_field(r, t->home, sizeof(t->home), C_HOME, "home") != 0 ||
	    copy_field(r, t->visited, sizeof(t->visited), C_VISITED, "visited") != 0 ||
	    copy_field(r, t->service, sizeof(t->service), C_SERVICE, "service") != 0 ||
	    copy_field(r, t->unit, sizeof(t->unit), C_UNIT, "unit") != 0)
		return r->failed;
	if (!rt_realm_valid(t->home) || !rt_realm_valid(t->visited) ||
	    !is_token(t->service) || !rt_export_unit_ok(t->unit) ||
	    !parse_u64_field(r->fields[C_QUANTITY], &t->quantity) ||
	    rt_xml_parse_i64(r->fields[C_AMOUNT], &a) != 0 ||
	    a < -RT_AMOUNT_MAX || a > RT_AMOUNT_MAX ||
	    strncmp(r->fields[C_FLAGS], "records=", 8) != 0 ||
	    !parse_u64_field(r->fields[C_FLAGS] + 8, &t->records) ||
	    !parse_u64_field(r->fields[C_UNPRICED], &v))
		return rt_export_fail(r, RT_ERR_SCHEMA, "bad total line");
	t->amount_minor = a;
	t->unpriced_records = v;
	r->ntotals++;
	return 0;
}

static int
csv_flags(struct rt_export_reader *r, struct rt_usage_record *u, const char *s)
{
	while (*s != '\0') {
		size_t n = strcspn(s, " ");

		if (n == 0 || n >= sizeof(u->flags[0]) || u->nflags >= RT_FLAGS_MAX)
			return rt_export_fail(r, RT_ERR_SCHEMA, "bad flags");
		memcpy(u->flags[u->nflags], s, n);
		u->flags[u->nflags++][n] = '\0';
		s += n;
		if (*s == ' ' && *++s == '\0')
			return rt_export_fail(r, RT_ERR_SCHEMA, "bad flags");
	}
	return 0;
}

static int
csv_next(struct rt_export_reader *r, struct rt_export_item *item)
{
	struct rt_usage_record *u = &item->u;
	const char *why;
	int ret;

	for (;;) {
		if ((ret = csv_row(r)) < 0)
			return ret;
		if (ret == 2) {
			r->done = 1;
			return 0;
		}
		if (r->nfields != RT_EXPORT_CSV_COLUMNS)
			return rt_export_fail(r, RT_ERR_BAD_INPUT, "%d fields, not %d",
			    r->nfields, RT_EXPORT_CSV_COLUMNS);
		if (strcmp(r->fields[C_ID], "total") == 0) {
			r->in_totals = 1;
			if ((ret = csv_total(r)) != 0)
				return ret;
			continue;
		}
		if (r->in_totals)
			return rt_export_fail(r, RT_ERR_BAD_INPUT, "a record after the totals");
		break;
	}
	rt_export_item_reset(item);
	item->where = r->line;
	if (copy_field(r, u->id, sizeof(u->id), C_ID, "id") != 0 ||
	    copy_field(r, u->agreement_ref, sizeof(u->agreement_ref), C_AGREEMENT, "agreement") != 0 ||
	    copy_field(r, u->assertion_ref, sizeof(u->assertion_ref), C_ASSERTION, "assertion") != 0 ||
	    copy_field(r, u->subscriber, sizeof(u->subscriber), C_SUBSCRIBER, "subscriber") != 0 ||
	    copy_field(r, u->home, sizeof(u->home), C_HOME, "home") != 0 ||
	    copy_field(r, u->visited, sizeof(u->visited), C_VISITED, "visited") != 0 ||
	    copy_field(r, u->service, sizeof(u->service), C_SERVICE, "service") != 0 ||
	    copy_field(r, u->call_id, sizeof(u->call_id), C_CALL_ID, "call_id") != 0 ||
	    copy_field(r, u->unit, sizeof(u->unit), C_UNIT, "unit") != 0 ||
	    copy_field(r, item->unpriced, sizeof(item->unpriced), C_UNPRICED, "unpriced") != 0)
		return r->failed;
	if (rt_export_time_parse(r->fields[C_START], &u->start) != 0 ||
	    rt_export_time_parse(r->fields[C_END], &u->end) != 0)
		return rt_export_fail(r, RT_ERR_SCHEMA, "bad start or end time");
	if (!parse_u64_field(r->fields[C_QUANTITY], &u->quantity))
		return rt_export_fail(r, RT_ERR_SCHEMA, "bad quantity");
	if (rt_xml_parse_i64(r->fields[C_AMOUNT], &item->amount_minor) != 0)
		return rt_export_fail(r, RT_ERR_SCHEMA, "bad amount_minor");
	item->has_amount = 1;
	if ((ret = csv_flags(r, u, r->fields[C_FLAGS])) != 0)
		return ret;
	if (rt_export_item_check_cached(item, &why, &r->cache) != 0)
		return rt_export_fail(r, RT_ERR_SCHEMA, "%s", why);
	return 1;
}

/* ---- the reader ---- */

static int
reader_open(struct rt_export_reader *r, int hash, char *err)
{
	int ret;

	if ((r->buf = malloc(CHUNK)) == NULL)
		return RT_ERR_NOMEM;
	if (hash && ((r->md = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(r->md, EVP_sha256(), NULL) != 1))
		return RT_ERR_NOMEM;
	/* enough bytes to tell the formats apart */
	while (r->len < 16 && (ret = rt_export_buf_fill(r)) > 0)
		;
	if (r->failed)
		ret = r->failed;
	else if (r->len > 0 && r->buf[0] == '<') {
		r->format = RT_EXPORT_XML;
		ret = rt_export_xml_open(r);
	} else if (r->len >= 3 && memcmp(r->buf, "id,", 3) == 0) {
		r->format = RT_EXPORT_CSV;
		ret = csv_open(r);
	} else
		ret = rt_export_fail(r, RT_ERR_BAD_INPUT,
		    "neither an XML nor a CSV SettlementExport");
	if (ret != 0 && err != NULL)
		snprintf(err, RT_EXPORT_ERR_MAX, "%s", r->err[0] ? r->err : rt_strerror(ret));
	return ret;
}

static int
reader_new(FILE *f, const uint8_t *data, size_t len, int hash, int flags,
    struct rt_export_reader **rp, char *err)
{
	struct rt_export_reader *r;
	int ret;

	*rp = NULL;
	if (err != NULL)
		err[0] = '\0';
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return RT_ERR_NOMEM;
	r->f = f;
	r->mem = data;
	r->memlen = len;
	r->flags = flags;
	if ((ret = reader_open(r, hash, err)) != 0) {
		rt_export_reader_free(r);
		return ret;
	}
	*rp = r;
	return 0;
}

int
rt_export_reader_open(FILE *f, int hash, struct rt_export_reader **rp, char *err)
{
	return reader_new(f, NULL, 0, hash, 0, rp, err);
}

int
rt_export_reader_open_mem(const uint8_t *data, size_t len,
    struct rt_export_reader **rp, char *err)
{
	return reader_new(NULL, data, len, 0, 0, rp, err);
}

int
rt_export_reader_open_flags(const uint8_t *data, size_t len, int flags,
    struct rt_export_reader **rp, char *err)
{
	return reader_new(NULL, data, len, 0, flags, rp, err);
}

void
rt_export_reader_free(struct rt_export_reader *r)
{
	if (r == NULL)
		return;
	rt_export_xml_close(r);
	EVP_MD_CTX_free(r->md);
	free(r->buf);
	free(r);
}

enum rt_export_format
rt_export_reader_format(const struct rt_export_reader *r)
{
	return r->format;
}

const struct rt_export_header *
rt_export_reader_header(const struct rt_export_reader *r)
{
	return &r->header;
}

int
rt_export_reader_next(struct rt_export_reader *r, struct rt_export_item *item)
{
	if (r->done)
		return 0;
	/* XML may hold records read before the error: they come first */
	if (r->format == RT_EXPORT_XML)
		return rt_export_xml_next(r, item);
	if (r->failed)
		return r->failed;
	return csv_next(r, item);
}

const struct rt_export_total *
rt_export_reader_totals(const struct rt_export_reader *r, size_t *np)
{
	*np = r->ntotals;
	return r->totals;
}

int
rt_export_reader_digest(struct rt_export_reader *r, uint8_t digest[RT_SHA256_LEN])
{
	uint8_t rest[4096];
	ssize_t n;

	if (r->md == NULL || !r->done)
		return RT_ERR_INTERNAL;
	/* bytes after the end of the document count too */
	while ((n = rt_export_src_read(r, rest, sizeof(rest))) > 0)
		;
	if (n < 0)
		return RT_ERR_IO;
	return EVP_DigestFinal_ex(r->md, digest, NULL) == 1 ? 0 : RT_ERR_CRYPTO;
}

const char *
rt_export_reader_error(const struct rt_export_reader *r)
{
	return r->err;
}
