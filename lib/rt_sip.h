/*
 * rt_sip: a strict, zero-copy parser of SIP requests (and of the responses
 * a proxy reports for usage) for the agent that sits beside a proxy.
 *
 * The agent decides about a message the proxy forwards, so the two must
 * never read the same bytes differently (request smuggling, header
 * confusion). Where RFC 3261 allows a reading the proxies do not share, or
 * where a message is ambiguous, the parser refuses it with a specific
 * reason instead of guessing:
 *   - the request line is exactly "Method SP Request-URI SP SIP/2.0 CRLF"
 *     (token method, no extra spaces, version SIP/2.0; a response is "not a
 *     request"); a sip:/sips:/tel: Request-URI must parse and carry no
 *     ?headers; any other scheme must be a well-formed absoluteURI;
 *   - every line of the head ends in CRLF; a bare LF or bare CR anywhere in
 *     the head, a NUL byte, a folded line (obsolete LWS continuation) are
 *     refused; the head ends at the first empty line;
 *   - header names are tokens (SP/HTAB allowed before ':'), matched without
 *     case, compact forms (RFC 3261 7.3.3 and the IANA registry) mapping to
 *     the same id as their long form;
 *   - To, From, Call-ID, CSeq, Max-Forwards, Content-Length, Content-Type,
 *     Expires, Date and Privacy appear at most once, counting long and
 *     compact forms together; To, From, Call-ID, CSeq and Via are required,
 *     and To, From, Call-ID, CSeq, Via, Max-Forwards and Content-Length
 *     must not be empty;
 *   - CSeq is a number <= 2^31-1 and the request's own method; Max-Forwards
 *     0..255; Content-Length digits that equal the body length exactly (no
 *     Content-Length means no body); Expires digits <= 2^32-1; Call-ID is
 *     word ["@" word];
 *   - at most RT_SIP_MAX_MSG bytes, lines of at most RT_SIP_MAX_LINE bytes
 *     (without CRLF), at most RT_SIP_MAX_HEADERS header lines
 *     (RT_ERR_TOO_BIG).
 * Header values other than those above are not interpreted here: the
 * helpers below (lists, name-addr, URI, params, Date) parse them on demand
 * and are as strict.
 *
 * Ownership: nothing is allocated. Every rt_sip_str points into the
 * caller's buffer and is valid as long as it is; strings are not
 * NUL-terminated (rt_sip_str_copy makes a C string). A parsed message is
 * read-only and may be shared between threads.
 */
#ifndef RT_SIP_H
#define RT_SIP_H

#include <stddef.h>
#include <time.h>

#include "rt_err.h"

#define RT_SIP_MAX_MSG (64 * 1024)
#define RT_SIP_MAX_HEADERS 128
#define RT_SIP_MAX_LINE 8192

struct rt_sip_str {
	const char *p;
	size_t len;
};	/* not NUL-terminated; p may be NULL when len is 0 */

enum rt_sip_method {
	RT_SIP_OTHER = 0,
	RT_SIP_REGISTER,
	RT_SIP_INVITE,
	RT_SIP_ACK,
	RT_SIP_BYE,
	RT_SIP_CANCEL,
	RT_SIP_OPTIONS,
	RT_SIP_MESSAGE,
	RT_SIP_SUBSCRIBE,
	RT_SIP_NOTIFY,
	RT_SIP_INFO,
	RT_SIP_UPDATE,
	RT_SIP_PRACK,
	RT_SIP_REFER,
	RT_SIP_PUBLISH
};

/*
 * Known headers. Compact forms map to the same id: v Via, f From, t To,
 * i Call-ID, m Contact, l Content-Length, c Content-Type, e
 * Content-Encoding, k Supported, s Subject, o Event, r Refer-To; the other
 * registered compact forms (u Allow-Events, x Session-Expires, y Identity,
 * b Referred-By, a, j, d, n) and everything else are RT_HDR_OTHER.
 */
enum rt_sip_hdr {
	RT_HDR_OTHER = 0,
	RT_HDR_VIA,
	RT_HDR_FROM,
	RT_HDR_TO,
	RT_HDR_CALL_ID,
	RT_HDR_CSEQ,
	RT_HDR_CONTACT,
	RT_HDR_MAX_FORWARDS,
	RT_HDR_CONTENT_LENGTH,
	RT_HDR_CONTENT_TYPE,
	RT_HDR_CONTENT_ENCODING,
	RT_HDR_ROUTE,
	RT_HDR_RECORD_ROUTE,
	RT_HDR_PATH,
	RT_HDR_AUTHORIZATION,
	RT_HDR_PROXY_AUTHORIZATION,
	RT_HDR_P_ASSERTED_IDENTITY,
	RT_HDR_P_PREFERRED_IDENTITY,
	RT_HDR_PRIVACY,
	RT_HDR_DATE,
	RT_HDR_EXPIRES,
	RT_HDR_SECURITY_CLIENT,
	RT_HDR_SECURITY_VERIFY,
	RT_HDR_REQUIRE,
	RT_HDR_PROXY_REQUIRE,
	RT_HDR_SUPPORTED,
	RT_HDR_EVENT,
	RT_HDR_SUBJECT,
	RT_HDR_REFER_TO,
	RT_HDR_USER_AGENT,
	RT_HDR_COUNT
};

struct rt_sip_header {
	enum rt_sip_hdr id;
	struct rt_sip_str name;	 /* as written (compact or long, any case) */
	struct rt_sip_str value; /* trimmed of surrounding SP/HTAB */
};

struct rt_sip_msg {
	enum rt_sip_method method;
	struct rt_sip_str method_name;
	struct rt_sip_str ruri;
	struct rt_sip_header headers[RT_SIP_MAX_HEADERS];
	int nheaders;
	int first[RT_HDR_COUNT];	/* index of the first header with that id, or -1 */
	int count[RT_HDR_COUNT];	/* how many header lines with that id */
	long cseq;			/* CSeq number */
	struct rt_sip_str cseq_method;
	long max_forwards;		/* -1 when absent */
	long content_length;		/* -1 when absent */
	long expires;			/* -1 when absent */
	struct rt_sip_str body;
	int status;			/* a response's code; 0 for a request */
	struct rt_sip_str reason;	/* a response's reason phrase */
};

/*
 * Parses the one SIP request in buf[0..len). Returns 0, or RT_ERR_TOO_BIG
 * ("message too big", "line too long", "too many headers") or
 * RT_ERR_BAD_INPUT, with a short static reason in *whyp (whyp may be NULL;
 * *whyp is NULL on success). The reasons: "not a request", "bad request
 * line", "bad method", "bad Request-URI", "headers in Request-URI", "bad SIP
 * version", "NUL byte", "bare LF", "bare CR", "truncated head", "line
 * folding", "bad header name", "missing colon", "empty X", "duplicate X",
 * "missing X" (X the header's long name), "bad CSeq", "CSeq method
 * differs", "bad Max-Forwards", "bad Content-Length", "bad Expires", "bad
 * Call-ID", "Content-Length mismatch", "body without Content-Length".
 * On error *msg holds no usable data.
 */
int rt_sip_parse(const char *buf, size_t len, struct rt_sip_msg *msg,
    const char **whyp) RT_WUR;

/*
 * Parses the one SIP response in buf[0..len) with the same rules, for the
 * responses a proxy reports to the agent (usage). The status line is
 * exactly "SIP/2.0 SP 3DIGIT SP Reason-Phrase CRLF" (code 100..699; the
 * phrase may be empty, no control characters but HTAB); msg->status and
 * msg->reason are set, and msg->method and msg->method_name are those of
 * the CSeq (the request answered; msg->ruri stays empty). Reasons as
 * rt_sip_parse's, with "not a response" and "bad status line" for the
 * first line.
 */
int rt_sip_parse_response(const char *buf, size_t len, struct rt_sip_msg *msg,
    const char **whyp) RT_WUR;

/* The index of the next header line with id after index prev (-1 to
 * start), or -1. */
int rt_sip_next(const struct rt_sip_msg *msg, enum rt_sip_hdr id, int prev);

/*
 * Splits a comma-separated header value (Via, Route, Record-Route, Path,
 * Contact, Security-*...) into elements: commas inside quoted strings and
 * inside <...> do not split. The whole value is checked first (balanced
 * quotes and brackets, no empty element: RT_ERR_BAD_INPUT before any call);
 * then fn is called for each element trimmed of SP/HTAB, and a non-zero
 * result of fn stops the walk and is returned.
 */
int rt_sip_split_list(struct rt_sip_str value,
    int (*fn)(void *arg, struct rt_sip_str elem), void *arg);

struct rt_sip_uri {
	struct rt_sip_str scheme;	/* "sip", "sips" or "tel" as written */
	struct rt_sip_str user;		/* tel: the number */
	struct rt_sip_str password;
	struct rt_sip_str host;		/* IPv6 with its brackets */
	struct rt_sip_str port_str;
	struct rt_sip_str params;	/* ";a=b;c", with the leading ';' */
	struct rt_sip_str headers;	/* "a=b&c=d", without the '?' */
	int port;			/* 0 when absent */
};

/*
 * Parses a sip:, sips: or tel: URI (RFC 3261 19.1, RFC 3966): at most one
 * '@', user and password characters per the grammar, %HH escapes checked
 * (not decoded), host a hostname, IPv4 or bracketed IPv6 address, port
 * 1..65535, params well formed. Other schemes, whitespace and anything
 * outside the grammar: RT_ERR_BAD_INPUT.
 */
int rt_sip_uri_parse(struct rt_sip_str s, struct rt_sip_uri *u) RT_WUR;

/*
 * Splits a name-addr or addr-spec header value (From, To, Contact, PAI,
 * Route...): *uri the URI without <>, *display the display name (the
 * contents of the quotes, escapes left as they are, or the unquoted
 * tokens; empty when none) and *params everything after the URI from its
 * first ';' (";tag=..."; empty when none), checked like rt_sip_param's
 * lists. Refused: unbalanced quotes or brackets, whitespace inside <>,
 * non-token display names, an addr-spec holding ',' or '?' (RFC 3261 20:
 * such a URI must be in <>), anything but params after the URI, a URI
 * without a scheme, and "*" (a Contact wildcard is for the caller to test
 * first). A list header's value goes through rt_sip_split_list first.
 */
int rt_sip_name_addr(struct rt_sip_str value, struct rt_sip_str *uri,
    struct rt_sip_str *display, struct rt_sip_str *params) RT_WUR;

/*
 * Finds parameter name (case-insensitive) in a ";a=b;c" list (the leading
 * ';' optional; SP/HTAB allowed around ';' and '='). Returns 0 with its
 * value in *val (empty for a flag; a quoted value without its quotes,
 * escapes left as they are), RT_ERR_NOT_FOUND, or RT_ERR_BAD_INPUT when
 * the list is malformed anywhere (empty parameter, bad characters,
 * unterminated quote) or names the parameter twice.
 */
int rt_sip_param(struct rt_sip_str params, const char *name,
    struct rt_sip_str *val) RT_WUR;

/*
 * Parses a Date header value (RFC 3261 20.17: rfc1123-date, always "GMT",
 * e.g. "Sat, 13 Nov 2010 23:29:00 GMT") to Unix time. Any weekday name is
 * accepted (it is not checked against the date); the layout, the month
 * name, the ranges (year 1970..9999, day within the month) and "GMT" are.
 */
int rt_sip_date_parse(struct rt_sip_str s, time_t *tp) RT_WUR;

/* Comparisons of an rt_sip_str with a C string: 1 when equal, else 0. */
int rt_sip_str_eq(struct rt_sip_str a, const char *b);	/* case-sensitive */
int rt_sip_str_ieq(struct rt_sip_str a, const char *b); /* ASCII case-insensitive */
/*
 * Copies s into out as a C string: RT_ERR_TOO_BIG if it does not fit in
 * cap bytes with its NUL, RT_ERR_BAD_INPUT if s holds a NUL byte (which
 * would cut it short); out is "" on error (when cap > 0).
 */
int rt_sip_str_copy(struct rt_sip_str s, char *out, size_t cap) RT_WUR;

#endif
