/*
 * rt_sip: the request parser (one pass over the head, no allocation), the
 * header walk, list splitting and the string helpers. See rt_sip.h for
 * what is refused and why; URIs, name-addr, params and Date are in
 * rt_sip_util.c.
 */
#include <string.h>

#include "rt_sip.h"
#include "rt_sip_int.h"

/* ---- character classes, computed by the compiler ---- */

#define SC_DIGIT(c) ((c) >= '0' && (c) <= '9')
#define SC_ALPHA(c) (((c) >= 'a' && (c) <= 'z') || ((c) >= 'A' && (c) <= 'Z'))
#define SC_ALNUM(c) (SC_DIGIT(c) || SC_ALPHA(c))
#define SC_HEX(c) (SC_DIGIT(c) || ((c) >= 'a' && (c) <= 'f') || \
	((c) >= 'A' && (c) <= 'F'))
#define SC_MARK(c) ((c) == '-' || (c) == '_' || (c) == '.' || (c) == '!' || \
	(c) == '~' || (c) == '*' || (c) == '\'' || (c) == '(' || (c) == ')')
#define SC_UNRES(c) (SC_ALNUM(c) || SC_MARK(c))
#define SC_TOKEN(c) (SC_ALNUM(c) || (c) == '-' || (c) == '.' || (c) == '!' || \
	(c) == '%' || (c) == '*' || (c) == '_' || (c) == '+' || (c) == '`' || \
	(c) == '\'' || (c) == '~')
#define SC_RESERVED(c) ((c) == ';' || (c) == '/' || (c) == '?' || \
	(c) == ':' || (c) == '@' || (c) == '&' || (c) == '=' || (c) == '+' || \
	(c) == '$' || (c) == ',')
#define SC_URIC(c) (SC_UNRES(c) || SC_RESERVED(c) || (c) == '%' || \
	(c) == '[' || (c) == ']')
#define SC_WORD(c) (SC_TOKEN(c) || (c) == '(' || (c) == ')' || (c) == '<' || \
	(c) == '>' || (c) == ':' || (c) == '\\' || (c) == '"' || (c) == '/' || \
	(c) == '[' || (c) == ']' || (c) == '?' || (c) == '{' || (c) == '}')
#define SC_HOST(c) (SC_ALNUM(c) || (c) == '-' || (c) == '.')
#define SC_USER(c) (SC_UNRES(c) || (c) == '%' || (c) == '&' || (c) == '=' || \
	(c) == '+' || (c) == '$' || (c) == ',' || (c) == ';' || (c) == '?' || \
	(c) == '/')
#define SC_PASS(c) (SC_UNRES(c) || (c) == '%' || (c) == '&' || (c) == '=' || \
	(c) == '+' || (c) == '$' || (c) == ',')
#define SC_PARAM(c) (SC_TOKEN(c) || SC_UNRES(c) || (c) == '[' || \
	(c) == ']' || (c) == '/' || (c) == ':' || (c) == '&' || (c) == '$')
#define SC_HNV(c) (SC_UNRES(c) || (c) == '%' || (c) == '[' || (c) == ']' || \
	(c) == '/' || (c) == '?' || (c) == ':' || (c) == '+' || (c) == '$' || \
	(c) == '=' || (c) == '&')
#define SC_STOP(c) ((c) == 0 || (c) == '\r' || (c) == '\n')
#define SC_WS(c) ((c) == ' ' || (c) == '\t')

#define SC(c) ((uint16_t)( \
	(SC_TOKEN(c) ? SIP_C_TOKEN : 0) | (SC_URIC(c) ? SIP_C_URIC : 0) | \
	(SC_WORD(c) ? SIP_C_WORD : 0) | (SC_HOST(c) ? SIP_C_HOST : 0) | \
	(SC_USER(c) ? SIP_C_USER : 0) | (SC_PASS(c) ? SIP_C_PASS : 0) | \
	(SC_PARAM(c) ? SIP_C_PARAM : 0) | (SC_HNV(c) ? SIP_C_HNV : 0) | \
	(SC_STOP(c) ? SIP_C_STOP : 0) | (SC_HEX(c) ? SIP_C_HEX : 0) | \
	(SC_DIGIT(c) ? SIP_C_DIGIT : 0) | (SC_ALPHA(c) ? SIP_C_ALPHA : 0) | \
	(SC_WS(c) ? SIP_C_WS : 0)))
#define SC4(b) SC(b), SC((b) + 1), SC((b) + 2), SC((b) + 3)
#define SC16(b) SC4(b), SC4((b) + 4), SC4((b) + 8), SC4((b) + 12)

const uint16_t rt_sip_cclass[256] = {
	SC16(0x00), SC16(0x10), SC16(0x20), SC16(0x30),
	SC16(0x40), SC16(0x50), SC16(0x60), SC16(0x70),
	/* nothing at or above 0x80 belongs to any class */
};

#define LC(c) ((unsigned char)((c) >= 'A' && (c) <= 'Z' ? (c) + 32 : (c)))
#define LC4(b) LC(b), LC((b) + 1), LC((b) + 2), LC((b) + 3)
#define LC16(b) LC4(b), LC4((b) + 4), LC4((b) + 8), LC4((b) + 12)
#define LC64(b) LC16(b), LC16((b) + 16), LC16((b) + 32), LC16((b) + 48)

const unsigned char rt_sip_lower_tab[256] = {
	LC64(0x00), LC64(0x40), LC64(0x80), LC64(0xc0)
};

int
rt_sip_mem_ieq(const char *a, const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (sip_lower(a[i]) != sip_lower(b[i]))
			return 0;
	return 1;
}

/* ---- what we know about each header ---- */

#define H_SINGLE 0x1	/* at most once */
#define H_NONEMPTY 0x2	/* an empty value is refused */
#define H_REQUIRED 0x4	/* must be present */

struct hdr_info {
	const char *name;
	size_t len;
	unsigned flags;
	const char *dup_why;
	const char *empty_why;
	const char *missing_why;
};

#define H(n, f) {n, sizeof(n) - 1, f, "duplicate " n, "empty " n, "missing " n}

static const struct hdr_info hdr_info[RT_HDR_COUNT] = {
	[RT_HDR_OTHER] = {"", 0, 0, NULL, NULL, NULL},
	[RT_HDR_VIA] = H("Via", H_NONEMPTY | H_REQUIRED),
	[RT_HDR_FROM] = H("From", H_SINGLE | H_NONEMPTY | H_REQUIRED),
	[RT_HDR_TO] = H("To", H_SINGLE | H_NONEMPTY | H_REQUIRED),
	[RT_HDR_CALL_ID] = H("Call-ID", H_SINGLE | H_NONEMPTY | H_REQUIRED),
	[RT_HDR_CSEQ] = H("CSeq", H_SINGLE | H_NONEMPTY | H_REQUIRED),
	[RT_HDR_CONTACT] = H("Contact", 0),
	[RT_HDR_MAX_FORWARDS] = H("Max-Forwards", H_SINGLE | H_NONEMPTY),
	[RT_HDR_CONTENT_LENGTH] = H("Content-Length", H_SINGLE | H_NONEMPTY),
	[RT_HDR_CONTENT_TYPE] = H("Content-Type", H_SINGLE),
	[RT_HDR_CONTENT_ENCODING] = H("Content-Encoding", 0),
	[RT_HDR_ROUTE] = H("Route", 0),
	[RT_HDR_RECORD_ROUTE] = H("Record-Route", 0),
	[RT_HDR_PATH] = H("Path", 0),
	[RT_HDR_AUTHORIZATION] = H("Authorization", 0),
	[RT_HDR_PROXY_AUTHORIZATION] = H("Proxy-Authorization", 0),
	[RT_HDR_P_ASSERTED_IDENTITY] = H("P-Asserted-Identity", 0),
	[RT_HDR_P_PREFERRED_IDENTITY] = H("P-Preferred-Identity", 0),
	[RT_HDR_PRIVACY] = H("Privacy", H_SINGLE),
	[RT_HDR_DATE] = H("Date", H_SINGLE),
	[RT_HDR_EXPIRES] = H("Expires", H_SINGLE),
	[RT_HDR_SECURITY_CLIENT] = H("Security-Client", 0),
	[RT_HDR_SECURITY_VERIFY] = H("Security-Verify", 0),
	[RT_HDR_REQUIRE] = H("Require", 0),
	[RT_HDR_PROXY_REQUIRE] = H("Proxy-Require", 0),
	[RT_HDR_SUPPORTED] = H("Supported", 0),
	[RT_HDR_EVENT] = H("Event", 0),
	[RT_HDR_SUBJECT] = H("Subject", 0),
	[RT_HDR_REFER_TO] = H("Refer-To", 0),
	[RT_HDR_USER_AGENT] = H("User-Agent", 0),
};

/* Required headers, in the order their absence is reported. */
static const enum rt_sip_hdr required[] = {
	RT_HDR_TO, RT_HDR_FROM, RT_HDR_CALL_ID, RT_HDR_CSEQ, RT_HDR_VIA
};

static const char *const method_names[] = {
	[RT_SIP_REGISTER] = "REGISTER", [RT_SIP_INVITE] = "INVITE",
	[RT_SIP_ACK] = "ACK", [RT_SIP_BYE] = "BYE", [RT_SIP_CANCEL] = "CANCEL",
	[RT_SIP_OPTIONS] = "OPTIONS", [RT_SIP_MESSAGE] = "MESSAGE",
	[RT_SIP_SUBSCRIBE] = "SUBSCRIBE", [RT_SIP_NOTIFY] = "NOTIFY",
	[RT_SIP_INFO] = "INFO", [RT_SIP_UPDATE] = "UPDATE",
	[RT_SIP_PRACK] = "PRACK", [RT_SIP_REFER] = "REFER",
	[RT_SIP_PUBLISH] = "PUBLISH",
};

/* Compact forms (RFC 3261 7.3.3 and the IANA registry) we give an id. */
static enum rt_sip_hdr
compact_id(char c)
{
	switch (sip_lower(c)) {
	case 'v': return RT_HDR_VIA;
	case 'f': return RT_HDR_FROM;
	case 't': return RT_HDR_TO;
	case 'i': return RT_HDR_CALL_ID;
	case 'm': return RT_HDR_CONTACT;
	case 'l': return RT_HDR_CONTENT_LENGTH;
	case 'c': return RT_HDR_CONTENT_TYPE;
	case 'e': return RT_HDR_CONTENT_ENCODING;
	case 'k': return RT_HDR_SUPPORTED;
	case 's': return RT_HDR_SUBJECT;
	case 'o': return RT_HDR_EVENT;
	case 'r': return RT_HDR_REFER_TO;
	default: return RT_HDR_OTHER;	/* u x y b a j d n and the rest */
	}
}

/* The known long names by length (RT_HDR_OTHER ends a row), so a lookup
 * compares a name with at most six others. */
#define BY_LEN_MAX 20
static const enum rt_sip_hdr by_len[BY_LEN_MAX + 1][7] = {
	[2] = {RT_HDR_TO},
	[3] = {RT_HDR_VIA},
	[4] = {RT_HDR_FROM, RT_HDR_CSEQ, RT_HDR_PATH, RT_HDR_DATE},
	[5] = {RT_HDR_ROUTE, RT_HDR_EVENT},
	[7] = {RT_HDR_CALL_ID, RT_HDR_CONTACT, RT_HDR_PRIVACY, RT_HDR_EXPIRES,
	    RT_HDR_REQUIRE, RT_HDR_SUBJECT},
	[8] = {RT_HDR_REFER_TO},
	[9] = {RT_HDR_SUPPORTED},
	[10] = {RT_HDR_USER_AGENT},
	[12] = {RT_HDR_MAX_FORWARDS, RT_HDR_CONTENT_TYPE, RT_HDR_RECORD_ROUTE},
	[13] = {RT_HDR_AUTHORIZATION, RT_HDR_PROXY_REQUIRE},
	[14] = {RT_HDR_CONTENT_LENGTH},
	[15] = {RT_HDR_SECURITY_CLIENT, RT_HDR_SECURITY_VERIFY},
	[16] = {RT_HDR_CONTENT_ENCODING},
	[19] = {RT_HDR_PROXY_AUTHORIZATION, RT_HDR_P_ASSERTED_IDENTITY},
	[20] = {RT_HDR_P_PREFERRED_IDENTITY},
};

static enum rt_sip_hdr
hdr_lookup(const char *name, size_t len)
{
	if (len == 1)
		return compact_id(name[0]);
	if (len > BY_LEN_MAX)
		return RT_HDR_OTHER;
	for (const enum rt_sip_hdr *id = by_len[len]; *id != RT_HDR_OTHER; id++)
		if (sip_lower(hdr_info[*id].name[0]) == sip_lower(name[0]) &&
		    rt_sip_mem_ieq(hdr_info[*id].name, name, len))
			return *id;
	return RT_HDR_OTHER;
}

static enum rt_sip_method
method_lookup(const char *name, size_t len)
{
	for (int m = 1; m < (int)(sizeof(method_names) / sizeof(method_names[0])); m++)
		if (strlen(method_names[m]) == len &&
		    memcmp(method_names[m], name, len) == 0)
			return (enum rt_sip_method)m;
	return RT_SIP_OTHER;
}

/* 1*DIGIT with a value <= max (leading zeros allowed). */
static int
parse_digits(const char *p, size_t n, unsigned long long max,
    unsigned long long *vp)
{
	unsigned long long v = 0;

	if (n == 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (!sip_is(p[i], SIP_C_DIGIT))
			return -1;
		v = v * 10 + (unsigned long long)(p[i] - '0');
		if (v > max)
			return -1;
	}
	*vp = v;
	return 0;
}

/* ---- the head, line by line ---- */

#define ONES 0x0101010101010101ULL

/* Non-zero when one of the eight bytes of v is zero (exact as a test). */
static inline uint64_t
has_zero(uint64_t v)
{
	return (v - ONES) & ~v & (ONES * 0x80);
}

/*
 * Finds the CRLF that ends the line starting at start: *endp is the index
 * of its CR. Refuses NUL, a bare LF or CR, a line over RT_SIP_MAX_LINE and
 * a head without its end.
 */
static int
line_end(const char *buf, size_t len, size_t start, size_t *endp,
    const char **whyp)
{
	size_t lim = len - start > RT_SIP_MAX_LINE ?
	    start + RT_SIP_MAX_LINE + 1 : len;

	size_t i = start;

	/* eight bytes at a time while none is NUL, CR or LF */
	for (; lim - i >= 8; i += 8) {
		uint64_t v;

		memcpy(&v, buf + i, 8);
		if (has_zero(v) | has_zero(v ^ (ONES * '\r')) |
		    has_zero(v ^ (ONES * '\n')))
			break;
	}
	for (; i < lim; i++) {
		char c = buf[i];

		if (!sip_is(c, SIP_C_STOP))
			continue;
		if (c == '\0') {
			*whyp = "NUL byte";
			return RT_ERR_BAD_INPUT;
		}
		if (c == '\n') {
			*whyp = "bare LF";
			return RT_ERR_BAD_INPUT;
		}
		if (i + 1 == len) {
			*whyp = "truncated head";
			return RT_ERR_BAD_INPUT;
		}
		if (buf[i + 1] != '\n') {
			*whyp = "bare CR";
			return RT_ERR_BAD_INPUT;
		}
		*endp = i;
		return 0;
	}
	if (lim < len) {
		*whyp = "line too long";
		return RT_ERR_TOO_BIG;
	}
	*whyp = "truncated head";
	return RT_ERR_BAD_INPUT;
}

/*
 * Request-URI: URI characters only (so no '<', quotes or whitespace),
 * %HH escapes, a scheme; sip/sips/tel must parse and carry no headers.
 */
static int
check_ruri(struct rt_sip_str ruri, const char **whyp)
{
	struct rt_sip_uri uri;
	size_t i = 0;

	*whyp = "bad Request-URI";
	for (size_t k = 0; k < ruri.len; k++) {
		if (!sip_is(ruri.p[k], SIP_C_URIC))
			return RT_ERR_BAD_INPUT;
		if (ruri.p[k] == '%' && (k + 2 >= ruri.len ||
		    !sip_is(ruri.p[k + 1], SIP_C_HEX) ||
		    !sip_is(ruri.p[k + 2], SIP_C_HEX)))
			return RT_ERR_BAD_INPUT;
	}
	if (ruri.len == 0 || !sip_is(ruri.p[0], SIP_C_ALPHA))
		return RT_ERR_BAD_INPUT;
	while (i < ruri.len && (sip_is(ruri.p[i], SIP_C_ALPHA | SIP_C_DIGIT) ||
	    ruri.p[i] == '+' || ruri.p[i] == '-' || ruri.p[i] == '.'))
		i++;
	if (i == ruri.len || ruri.p[i] != ':' || i + 1 == ruri.len)
		return RT_ERR_BAD_INPUT;
	if ((i == 3 && (rt_sip_mem_ieq(ruri.p, "sip", 3) ||
	    rt_sip_mem_ieq(ruri.p, "tel", 3))) ||
	    (i == 4 && rt_sip_mem_ieq(ruri.p, "sips", 4))) {
		if (rt_sip_uri_parse(ruri, &uri) != 0)
			return RT_ERR_BAD_INPUT;
		if (uri.headers.len > 0) {
			*whyp = "headers in Request-URI";
			return RT_ERR_BAD_INPUT;
		}
	}
	*whyp = NULL;
	return 0;
}

/* "Method SP Request-URI SP SIP/2.0", exactly. */
static int
parse_request_line(const char *line, size_t n, struct rt_sip_msg *msg,
    const char **whyp)
{
	size_t i = 0, uri_start, uri_end;

	if (n >= 4 && memcmp(line, "SIP/", 4) == 0) {
		*whyp = "not a request";
		return RT_ERR_BAD_INPUT;
	}
	while (i < n && sip_is(line[i], SIP_C_TOKEN))
		i++;
	if (i < n && line[i] != ' ') {
		*whyp = i == 0 ? "bad request line" : "bad method";
		return RT_ERR_BAD_INPUT;
	}
	if (i == 0 || i == n) {
		*whyp = "bad request line";
		return RT_ERR_BAD_INPUT;
	}
	msg->method_name.p = line;
	msg->method_name.len = i;
	msg->method = method_lookup(line, i);
	uri_start = uri_end = i + 1;
	while (uri_end < n && line[uri_end] != ' ')
		uri_end++;
	/* empty URI (two spaces), no version, trailing or inner spaces */
	if (uri_end == uri_start || uri_end + 1 >= n ||
	    memchr(line + uri_end + 1, ' ', n - uri_end - 1) != NULL) {
		*whyp = "bad request line";
		return RT_ERR_BAD_INPUT;
	}
	if (n - uri_end - 1 != 7 || memcmp(line + uri_end + 1, "SIP/2.0", 7) != 0) {
		*whyp = "bad SIP version";
		return RT_ERR_BAD_INPUT;
	}
	msg->ruri.p = line + uri_start;
	msg->ruri.len = uri_end - uri_start;
	return check_ruri(msg->ruri, whyp);
}

/* "SIP/2.0 SP 3DIGIT SP Reason-Phrase": a code 100..699, a phrase of
 * visible characters, SP and HTAB (line_end refused CR, LF and NUL). */
static int
parse_status_line(const char *line, size_t n, struct rt_sip_msg *msg,
    const char **whyp)
{
	if (n < 8 || memcmp(line, "SIP/", 4) != 0) {
		*whyp = "not a response";
		return RT_ERR_BAD_INPUT;
	}
	*whyp = "bad status line";
	if (memcmp(line, "SIP/2.0 ", 8) != 0 || n < 12 || line[11] != ' ' ||
	    !sip_is(line[8], SIP_C_DIGIT) || !sip_is(line[9], SIP_C_DIGIT) ||
	    !sip_is(line[10], SIP_C_DIGIT) || line[8] < '1' || line[8] > '6')
		return RT_ERR_BAD_INPUT;
	for (size_t i = 12; i < n; i++)
		if ((unsigned char)line[i] < 0x20 && line[i] != '\t')
			return RT_ERR_BAD_INPUT;
	if (memchr(line + 12, 0x7f, n - 12) != NULL)
		return RT_ERR_BAD_INPUT;
	msg->status = (line[8] - '0') * 100 + (line[9] - '0') * 10 + (line[10] - '0');
	msg->reason.p = line + 12;
	msg->reason.len = n - 12;
	*whyp = NULL;
	return 0;
}

/* CSeq: 1*DIGIT LWS Method, the number <= 2^31-1, the method ours. */
static int
check_cseq(struct rt_sip_msg *msg, const char *v, size_t n, const char **whyp)
{
	unsigned long long num;
	size_t i = 0, m;

	*whyp = "bad CSeq";
	while (i < n && sip_is(v[i], SIP_C_DIGIT))
		i++;
	if (parse_digits(v, i, 0x7fffffffULL, &num) != 0)
		return RT_ERR_BAD_INPUT;
	m = i;
	while (m < n && sip_is(v[m], SIP_C_WS))
		m++;
	if (m == i || m == n)
		return RT_ERR_BAD_INPUT;
	for (size_t k = m; k < n; k++)
		if (!sip_is(v[k], SIP_C_TOKEN))
			return RT_ERR_BAD_INPUT;
	msg->cseq = (long)num;
	msg->cseq_method.p = v + m;
	msg->cseq_method.len = n - m;
	if (msg->status != 0) {
		/* a response answers the request its CSeq names */
		msg->method_name = msg->cseq_method;
		msg->method = method_lookup(v + m, n - m);
	} else if (msg->cseq_method.len != msg->method_name.len ||
	    memcmp(msg->cseq_method.p, msg->method_name.p, n - m) != 0) {
		*whyp = "CSeq method differs";
		return RT_ERR_BAD_INPUT;
	}
	*whyp = NULL;
	return 0;
}

/* Call-ID: word ["@" word], RFC 3261 25.1. */
static int
call_id_valid(const char *v, size_t n)
{
	size_t at = n;

	for (size_t i = 0; i < n; i++) {
		if (v[i] == '@' && at == n)
			at = i;
		else if (!sip_is(v[i], SIP_C_WORD))
			return 0;
	}
	return at != 0 && at + 1 != n;
}

/* What the values of the headers the parser interprets must look like. */
static int
check_value(struct rt_sip_msg *msg, enum rt_sip_hdr id, const char *v,
    size_t n, const char **whyp)
{
	unsigned long long num;

	switch (id) {
	case RT_HDR_CSEQ:
		return check_cseq(msg, v, n, whyp);
	case RT_HDR_MAX_FORWARDS:
		if (parse_digits(v, n, 255, &num) != 0) {
			*whyp = "bad Max-Forwards";
			return RT_ERR_BAD_INPUT;
		}
		msg->max_forwards = (long)num;
		return 0;
	case RT_HDR_CONTENT_LENGTH:
		if (parse_digits(v, n, 0x7fffffffULL, &num) != 0) {
			*whyp = "bad Content-Length";
			return RT_ERR_BAD_INPUT;
		}
		msg->content_length = (long)num;
		return 0;
	case RT_HDR_EXPIRES:
		if (parse_digits(v, n, 0xffffffffULL, &num) != 0) {
			*whyp = "bad Expires";
			return RT_ERR_BAD_INPUT;
		}
		msg->expires = (long)num;
		return 0;
	case RT_HDR_CALL_ID:
		if (!call_id_valid(v, n)) {
			*whyp = "bad Call-ID";
			return RT_ERR_BAD_INPUT;
		}
		return 0;
	default:
		return 0;
	}
}

/* One "name HCOLON value" line (without its CRLF). */
static int
parse_header(const char *line, size_t n, struct rt_sip_msg *msg,
    const char **whyp)
{
	const struct hdr_info *info;
	struct rt_sip_header *h;
	enum rt_sip_hdr id;
	size_t i = 0, name_len, v0, v1;
	int r;

	if (sip_is(line[0], SIP_C_WS)) {
		*whyp = "line folding";
		return RT_ERR_BAD_INPUT;
	}
	while (i < n && sip_is(line[i], SIP_C_TOKEN))
		i++;
	name_len = i;
	if (name_len == 0 || (i < n && line[i] != ':' && !sip_is(line[i], SIP_C_WS))) {
		*whyp = "bad header name";
		return RT_ERR_BAD_INPUT;
	}
	while (i < n && sip_is(line[i], SIP_C_WS))
		i++;
	if (i == n || line[i] != ':') {
		*whyp = "missing colon";
		return RT_ERR_BAD_INPUT;
	}
	for (i++; i < n && sip_is(line[i], SIP_C_WS); i++)
		;
	v0 = i;
	for (v1 = n; v1 > v0 && sip_is(line[v1 - 1], SIP_C_WS); v1--)
		;
	if (msg->nheaders == RT_SIP_MAX_HEADERS) {
		*whyp = "too many headers";
		return RT_ERR_TOO_BIG;
	}
	id = hdr_lookup(line, name_len);
	info = &hdr_info[id];
	if ((info->flags & H_SINGLE) && msg->count[id] > 0) {
		*whyp = info->dup_why;
		return RT_ERR_BAD_INPUT;
	}
	if ((info->flags & H_NONEMPTY) && v1 == v0) {
		*whyp = info->empty_why;
		return RT_ERR_BAD_INPUT;
	}
	if ((r = check_value(msg, id, line + v0, v1 - v0, whyp)) != 0)
		return r;
	h = &msg->headers[msg->nheaders];
	h->id = id;
	h->name.p = line;
	h->name.len = name_len;
	h->value.p = line + v0;
	h->value.len = v1 - v0;
	if (msg->count[id]++ == 0)
		msg->first[id] = msg->nheaders;
	msg->nheaders++;
	return 0;
}

static void
msg_reset(struct rt_sip_msg *msg)
{
	static const struct rt_sip_str empty = {NULL, 0};

	msg->method = RT_SIP_OTHER;
	msg->method_name = msg->ruri = msg->cseq_method = msg->body = empty;
	msg->status = 0;
	msg->reason = empty;
	msg->nheaders = 0;
	for (int i = 0; i < RT_HDR_COUNT; i++) {
		msg->first[i] = -1;
		msg->count[i] = 0;
	}
	msg->cseq = 0;
	msg->max_forwards = msg->content_length = msg->expires = -1;
}

static int
sip_parse(const char *buf, size_t len, int response, struct rt_sip_msg *msg,
    const char **whyp)
{
	const char *why = NULL;
	size_t pos, end;
	int r;

	msg_reset(msg);
	if (len > RT_SIP_MAX_MSG) {
		why = "message too big";
		r = RT_ERR_TOO_BIG;
		goto out;
	}
	if ((r = line_end(buf, len, 0, &end, &why)) != 0 ||
	    (r = response ? parse_status_line(buf, end, msg, &why) :
	    parse_request_line(buf, end, msg, &why)) != 0)
		goto out;
	for (pos = end + 2;; pos = end + 2) {
		/*
		 * A line that starts with SP/HTAB continues the one before
		 * (obsolete folding): refused before that line is read, so the
		 * reason names the folding, not an empty first half.
		 */
		if (pos < len && sip_is(buf[pos], SIP_C_WS)) {
			why = "line folding";
			r = RT_ERR_BAD_INPUT;
			goto out;
		}
		if ((r = line_end(buf, len, pos, &end, &why)) != 0)
			goto out;
		if (end == pos)
			break;	/* the empty line: end of the head */
		if (end + 2 < len && sip_is(buf[end + 2], SIP_C_WS)) {
			why = "line folding";
			r = RT_ERR_BAD_INPUT;
			goto out;
		}
		if ((r = parse_header(buf + pos, end - pos, msg, &why)) != 0)
			goto out;
	}
	pos += 2;
	for (size_t k = 0; k < sizeof(required) / sizeof(required[0]); k++) {
		if (msg->count[required[k]] == 0) {
			why = hdr_info[required[k]].missing_why;
			r = RT_ERR_BAD_INPUT;
			goto out;
		}
	}
	msg->body.p = buf + pos;
	msg->body.len = len - pos;
	/*
	 * Stream transports frame by Content-Length and datagrams by their
	 * size; an agent that accepted a mismatch could read a different
	 * message than the proxy (RFC 4475 dblreq, clerr).
	 */
	if (msg->content_length >= 0 &&
	    (size_t)msg->content_length != msg->body.len) {
		why = "Content-Length mismatch";
		r = RT_ERR_BAD_INPUT;
		goto out;
	}
	if (msg->content_length < 0 && msg->body.len > 0) {
		why = "body without Content-Length";
		r = RT_ERR_BAD_INPUT;
		goto out;
	}
	r = 0;
 out:
	if (whyp != NULL)
		*whyp = r == 0 ? NULL : why;
	return r;
}

int
rt_sip_parse(const char *buf, size_t len, struct rt_sip_msg *msg,
    const char **whyp)
{
	return sip_parse(buf, len, 0, msg, whyp);
}

int
rt_sip_parse_response(const char *buf, size_t len, struct rt_sip_msg *msg,
    const char **whyp)
{
	return sip_parse(buf, len, 1, msg, whyp);
}

int
rt_sip_next(const struct rt_sip_msg *msg, enum rt_sip_hdr id, int prev)
{
	if (msg == NULL || (int)id < 0 || (int)id >= RT_HDR_COUNT)
		return -1;
	if (prev < 0)
		return msg->first[id];
	for (int i = prev + 1; i < msg->nheaders; i++)
		if (msg->headers[i].id == id)
			return i;
	return -1;
}

/* ---- lists ---- */

/*
 * The element of the list in p[0..n) that starts at *posp: 0 and *elem
 * (trimmed), 1 past the last one, or RT_ERR_BAD_INPUT.
 */
static int
list_next(const char *p, size_t n, size_t *posp, struct rt_sip_str *elem)
{
	size_t i = *posp, s, e;
	int in_angle = 0;

	if (i > n)
		return 1;
	for (s = i; i < n; i++) {
		if (p[i] == '"' && !in_angle) {
			for (i++; i < n && p[i] != '"'; i++)
				if (p[i] == '\\' && ++i == n)
					break;
			if (i >= n)
				return RT_ERR_BAD_INPUT;	/* unterminated quote */
		} else if (p[i] == '<') {
			if (in_angle)
				return RT_ERR_BAD_INPUT;
			in_angle = 1;
		} else if (p[i] == '>') {
			if (!in_angle)
				return RT_ERR_BAD_INPUT;
			in_angle = 0;
		} else if (p[i] == ',' && !in_angle) {
			break;
		}
	}
	if (in_angle)
		return RT_ERR_BAD_INPUT;
	for (e = i; s < e && sip_is(p[s], SIP_C_WS); s++)
		;
	for (; e > s && sip_is(p[e - 1], SIP_C_WS); e--)
		;
	if (s == e)
		return RT_ERR_BAD_INPUT;	/* empty element */
	elem->p = p + s;
	elem->len = e - s;
	*posp = i + 1;
	return 0;
}

int
rt_sip_split_list(struct rt_sip_str value,
    int (*fn)(void *arg, struct rt_sip_str elem), void *arg)
{
	struct rt_sip_str elem;
	size_t pos = 0;
	int r;

	if (value.p == NULL && value.len > 0)
		return RT_ERR_BAD_INPUT;
	/* the whole list first: fn never sees part of a bad list */
	while ((r = list_next(value.p, value.len, &pos, &elem)) == 0)
		;
	if (r < 0)
		return r;
	pos = 0;
	while (list_next(value.p, value.len, &pos, &elem) == 0)
		if ((r = fn(arg, elem)) != 0)
			return r;
	return 0;
}

/* ---- strings ---- */

int
rt_sip_str_eq(struct rt_sip_str a, const char *b)
{
	size_t n = strlen(b);

	return a.len == n && (n == 0 || memcmp(a.p, b, n) == 0);
}

int
rt_sip_str_ieq(struct rt_sip_str a, const char *b)
{
	size_t n = strlen(b);

	return a.len == n && rt_sip_mem_ieq(a.p, b, n);
}

int
rt_sip_str_copy(struct rt_sip_str s, char *out, size_t cap)
{
	if (cap > 0)
		out[0] = '\0';
	if (s.len >= cap)
		return RT_ERR_TOO_BIG;
	if (s.len > 0 && memchr(s.p, '\0', s.len) != NULL)
		return RT_ERR_BAD_INPUT;
	if (s.len > 0)
		memcpy(out, s.p, s.len);
	out[s.len] = '\0';
	return 0;
}
