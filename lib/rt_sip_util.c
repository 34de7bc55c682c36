/*
 * rt_sip_util: the parsers of header values the agent asks about: SIP and
 * tel URIs, name-addr / addr-spec, parameter lists and the Date header.
 * Zero-copy like rt_sip.c: results point into the caller's string.
 */
#include <arpa/inet.h>
#include <string.h>

#include "rt_sip.h"
#include "rt_sip_int.h"

static const struct rt_sip_str empty_str = {NULL, 0};

static struct rt_sip_str
str_make(const char *p, size_t len)
{
	struct rt_sip_str s = {len > 0 ? p : NULL, len};

	return s;
}

static void
trim(const char **pp, size_t *np)
{
	const char *p = *pp;
	size_t n = *np;

	while (n > 0 && sip_is(p[0], SIP_C_WS)) {
		p++;
		n--;
	}
	while (n > 0 && sip_is(p[n - 1], SIP_C_WS))
		n--;
	*pp = p;
	*np = n;
}

/* ---- parameter lists ---- */

/*
 * Walks the ";a=b;c" list in p[0..n), checking all of it. When name is not
 * NULL and appears once, *val is its value: 0. RT_ERR_NOT_FOUND when it
 * does not appear (or name is NULL and the list is well formed).
 */
static int
param_walk(const char *p, size_t n, const char *name, struct rt_sip_str *val)
{
	size_t name_len = name != NULL ? strlen(name) : 0, i = 0;
	int found = 0;

	while (i < n && sip_is(p[i], SIP_C_WS))
		i++;
	if (i == n)
		return RT_ERR_NOT_FOUND;
	if (p[i] == ';')
		i++;
	for (;;) {
		size_t ns, ne, vs, ve;

		while (i < n && sip_is(p[i], SIP_C_WS))
			i++;
		for (ns = i; i < n && sip_is(p[i], SIP_C_PARAM); i++)
			;
		if ((ne = i) == ns)
			return RT_ERR_BAD_INPUT;	/* empty name or bad character */
		while (i < n && sip_is(p[i], SIP_C_WS))
			i++;
		vs = ve = i;
		if (i < n && p[i] == '=') {
			for (i++; i < n && sip_is(p[i], SIP_C_WS); i++)
				;
			if (i < n && p[i] == '"') {
				for (vs = ++i; i < n && p[i] != '"'; i++)
					if (p[i] == '\\' && ++i == n)
						break;
				if (i >= n)
					return RT_ERR_BAD_INPUT;
				ve = i++;
			} else {
				for (vs = i; i < n && sip_is(p[i], SIP_C_PARAM); i++)
					;
				if ((ve = i) == vs)
					return RT_ERR_BAD_INPUT;
			}
			while (i < n && sip_is(p[i], SIP_C_WS))
				i++;
		}
		if (name != NULL && ne - ns == name_len &&
		    rt_sip_mem_ieq(p + ns, name, name_len)) {
			if (found)
				return RT_ERR_BAD_INPUT;	/* named twice */
			found = 1;
			*val = str_make(p + vs, ve - vs);
		}
		if (i == n)
			break;
		if (p[i] != ';')
			return RT_ERR_BAD_INPUT;
		i++;
	}
	return found ? 0 : RT_ERR_NOT_FOUND;
}

int
rt_sip_param(struct rt_sip_str params, const char *name, struct rt_sip_str *val)
{
	struct rt_sip_str v = empty_str;
	int r;

	*val = empty_str;
	if (name == NULL || *name == '\0' || (params.p == NULL && params.len > 0))
		return RT_ERR_BAD_INPUT;
	if ((r = param_walk(params.p, params.len, name, &v)) == 0)
		*val = v;
	return r;
}

/* A well-formed list, or nothing at all. */
static int
params_valid(const char *p, size_t n)
{
	return param_walk(p, n, NULL, NULL) == RT_ERR_NOT_FOUND;
}

/* ---- URIs ---- */

static int
chars_ok(const char *p, size_t n, uint16_t cls)
{
	for (size_t i = 0; i < n; i++)
		if (!sip_is(p[i], cls))
			return 0;
	return 1;
}

/* URI characters only, each '%' starting a %HH escape. */
static int
uric_ok(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (!sip_is(p[i], SIP_C_URIC))
			return 0;
		if (p[i] == '%' && (i + 2 >= n || !sip_is(p[i + 1], SIP_C_HEX) ||
		    !sip_is(p[i + 2], SIP_C_HEX)))
			return 0;
	}
	return 1;
}

/* hostname or IPv4: non-empty labels of alphanum and '-', not at a label's
 * ends; one trailing dot allowed. */
static int
hostname_ok(const char *p, size_t n)
{
	size_t label = 0;

	if (n == 0 || n > 255 || !chars_ok(p, n, SIP_C_HOST))
		return 0;
	for (size_t i = 0; i < n; i++) {
		if (p[i] == '.') {
			if (label == 0 || p[i - 1] == '-')
				return 0;
			label = 0;
		} else {
			if (label == 0 && p[i] == '-')
				return 0;
			label++;
		}
	}
	return label == 0 ? n > 1 : p[n - 1] != '-';
}

/* "[v6address]", checked by inet_pton. */
static int
ipv6_ok(const char *p, size_t n)
{
	struct in6_addr addr;
	char tmp[64];

	if (n < 4 || n - 2 >= sizeof(tmp) || p[0] != '[' || p[n - 1] != ']')
		return 0;
	for (size_t i = 1; i < n - 1; i++)
		if (!sip_is(p[i], SIP_C_HEX) && p[i] != ':' && p[i] != '.')
			return 0;
	memcpy(tmp, p + 1, n - 2);
	tmp[n - 2] = '\0';
	return inet_pton(AF_INET6, tmp, &addr) == 1;
}

/* ?headers: hname "=" hvalue *( "&" hname "=" hvalue ) */
static int
uri_headers_ok(const char *p, size_t n)
{
	size_t start = 0;

	if (n == 0 || !chars_ok(p, n, SIP_C_HNV))
		return 0;
	for (size_t i = 0; i <= n; i++) {
		if (i < n && p[i] != '&')
			continue;
		const char *eq = memchr(p + start, '=', i - start);

		if (eq == NULL || eq == p + start)
			return 0;
		start = i + 1;
	}
	return 1;
}

/* What follows "sip:" / "sips:". */
static int
sip_uri(const char *p, size_t n, struct rt_sip_uri *u)
{
	const char *at = NULL, *hp, *colon;
	size_t i, hn, hostport_end;

	if (!uric_ok(p, n))
		return RT_ERR_BAD_INPUT;
	for (i = 0; i < n; i++) {
		if (p[i] == '@') {
			if (at != NULL)
				return RT_ERR_BAD_INPUT;	/* one '@' at most */
			at = p + i;
		}
	}
	hp = p;
	if (at != NULL) {
		size_t ui = (size_t)(at - p);

		colon = memchr(p, ':', ui);
		u->user = str_make(p, colon != NULL ? (size_t)(colon - p) : ui);
		if (u->user.len == 0 || !chars_ok(p, u->user.len, SIP_C_USER))
			return RT_ERR_BAD_INPUT;
		if (colon != NULL) {
			u->password = str_make(colon + 1, ui - u->user.len - 1);
			if (!chars_ok(colon + 1, u->password.len, SIP_C_PASS))
				return RT_ERR_BAD_INPUT;
		}
		hp = at + 1;
	}
	hn = n - (size_t)(hp - p);
	for (hostport_end = 0; hostport_end < hn; hostport_end++)
		if (hp[hostport_end] == ';' || hp[hostport_end] == '?')
			break;
	/* host [":" port] */
	if (hostport_end > 0 && hp[0] == '[') {
		const char *rb = memchr(hp, ']', hostport_end);

		if (rb == NULL || !ipv6_ok(hp, (size_t)(rb - hp) + 1))
			return RT_ERR_BAD_INPUT;
		u->host = str_make(hp, (size_t)(rb - hp) + 1);
	} else {
		colon = memchr(hp, ':', hostport_end);
		u->host = str_make(hp, colon != NULL ? (size_t)(colon - hp) :
		    hostport_end);
		if (!hostname_ok(hp, u->host.len))
			return RT_ERR_BAD_INPUT;
	}
	if (u->host.len < hostport_end) {
		unsigned long port = 0;
		size_t k, plen = hostport_end - u->host.len - 1;

		if (hp[u->host.len] != ':' || plen == 0 || plen > 5)
			return RT_ERR_BAD_INPUT;
		for (k = u->host.len + 1; k < hostport_end; k++) {
			if (!sip_is(hp[k], SIP_C_DIGIT))
				return RT_ERR_BAD_INPUT;
			port = port * 10 + (unsigned long)(hp[k] - '0');
		}
		if (port == 0 || port > 65535)
			return RT_ERR_BAD_INPUT;
		u->port_str = str_make(hp + u->host.len + 1, plen);
		u->port = (int)port;
	}
	/* ;params up to '?', then ?headers */
	i = hostport_end;
	if (i < hn && hp[i] == ';') {
		const char *q = memchr(hp + i, '?', hn - i);
		size_t pend = q != NULL ? (size_t)(q - hp) : hn;

		u->params = str_make(hp + i, pend - i);
		if (!params_valid(u->params.p, u->params.len))
			return RT_ERR_BAD_INPUT;
		i = pend;
	}
	if (i < hn) {	/* hp[i] == '?' */
		u->headers = str_make(hp + i + 1, hn - i - 1);
		if (!uri_headers_ok(hp + i + 1, hn - i - 1))
			return RT_ERR_BAD_INPUT;
	}
	return 0;
}

/* RFC 3966, the parts we need: number [;params], no '?' or '@'. */
static int
tel_uri(const char *p, size_t n, struct rt_sip_uri *u)
{
	size_t i = 0, digits = 0;

	if (n > 0 && p[0] == '+')
		i++;
	for (; i < n && p[i] != ';'; i++) {
		if (sip_is(p[i], SIP_C_HEX) || p[i] == '*' || p[i] == '#')
			digits++;
		else if (p[i] != '-' && p[i] != '.' && p[i] != '(' && p[i] != ')')
			return RT_ERR_BAD_INPUT;
	}
	if (digits == 0)
		return RT_ERR_BAD_INPUT;
	u->user = str_make(p, i);
	if (i < n) {
		if (!uric_ok(p + i, n - i) || memchr(p + i, '?', n - i) ||
		    memchr(p + i, '@', n - i))
			return RT_ERR_BAD_INPUT;
		u->params = str_make(p + i, n - i);
		if (!params_valid(p + i, n - i))
			return RT_ERR_BAD_INPUT;
	}
	return 0;
}

int
rt_sip_uri_parse(struct rt_sip_str s, struct rt_sip_uri *u)
{
	size_t k = 0;
	int r = RT_ERR_BAD_INPUT;

	memset(u, 0, sizeof(*u));
	if (s.p == NULL || s.len == 0)
		goto out;
	while (k < s.len && s.p[k] != ':')
		k++;
	if (k == s.len)
		goto out;
	u->scheme = str_make(s.p, k);
	if ((k == 3 && rt_sip_mem_ieq(s.p, "sip", 3)) ||
	    (k == 4 && rt_sip_mem_ieq(s.p, "sips", 4)))
		r = sip_uri(s.p + k + 1, s.len - k - 1, u);
	else if (k == 3 && rt_sip_mem_ieq(s.p, "tel", 3))
		r = tel_uri(s.p + k + 1, s.len - k - 1, u);
 out:
	if (r != 0)
		memset(u, 0, sizeof(*u));
	return r;
}

/* ---- name-addr / addr-spec ---- */

/* scheme ":" and something: enough to call it a URI here. */
static int
has_scheme(const char *p, size_t n)
{
	size_t i = 1;

	if (n == 0 || !sip_is(p[0], SIP_C_ALPHA))
		return 0;
	while (i < n && (sip_is(p[i], SIP_C_ALPHA | SIP_C_DIGIT) || p[i] == '+' ||
	    p[i] == '-' || p[i] == '.'))
		i++;
	return i < n - 1 && p[i] == ':';
}

int
rt_sip_name_addr(struct rt_sip_str value, struct rt_sip_str *uri,
    struct rt_sip_str *display, struct rt_sip_str *params)
{
	const char *p = value.p, *lt, *gt;
	size_t n = value.len, i = 0, ustart, uend;

	*uri = *display = *params = empty_str;
	if (p == NULL)
		return RT_ERR_BAD_INPUT;
	trim(&p, &n);
	if (n == 0)
		return RT_ERR_BAD_INPUT;
	if (p[0] == '"') {
		for (i = 1; i < n && p[i] != '"'; i++)
			if (p[i] == '\\' && ++i == n)
				break;
		if (i >= n)
			return RT_ERR_BAD_INPUT;	/* unterminated quote */
		*display = str_make(p + 1, i - 1);
		for (i++; i < n && sip_is(p[i], SIP_C_WS); i++)
			;
		if (i == n || p[i] != '<')
			return RT_ERR_BAD_INPUT;
		lt = p + i;
	} else if ((lt = memchr(p, '<', n)) != NULL) {
		const char *d = p;
		size_t dn = (size_t)(lt - p);

		if (!chars_ok(d, dn, SIP_C_TOKEN | SIP_C_WS))
			return RT_ERR_BAD_INPUT;	/* RFC 4475 baddn */
		trim(&d, &dn);
		*display = str_make(d, dn);
	}
	if (lt != NULL) {
		ustart = (size_t)(lt - p) + 1;
		if ((gt = memchr(lt, '>', n - (size_t)(lt - p))) == NULL)
			return RT_ERR_BAD_INPUT;
		uend = (size_t)(gt - p);
		for (i = ustart; i < uend; i++)
			if (sip_is(p[i], SIP_C_WS) || p[i] == '<' || p[i] == '"')
				return RT_ERR_BAD_INPUT;	/* RFC 4475 badaspec */
		for (i = uend + 1; i < n && sip_is(p[i], SIP_C_WS); i++)
			;
		if (i < n && p[i] != ';')
			return RT_ERR_BAD_INPUT;
	} else {
		/* addr-spec: a ';' starts the header's params, and a URI with
		 * ',', '?' or ';' of its own would have needed <> */
		ustart = 0;
		for (i = 0; i < n && p[i] != ';' && !sip_is(p[i], SIP_C_WS); i++)
			if (p[i] == ',' || p[i] == '?' || p[i] == '>' || p[i] == '"')
				return RT_ERR_BAD_INPUT;	/* RFC 4475 regbadct */
		uend = i;
		while (i < n && sip_is(p[i], SIP_C_WS))
			i++;
		if (i < n && p[i] != ';')
			return RT_ERR_BAD_INPUT;
	}
	if (!has_scheme(p + ustart, uend - ustart))
		return RT_ERR_BAD_INPUT;
	if (i < n && !params_valid(p + i, n - i))
		return RT_ERR_BAD_INPUT;
	*uri = str_make(p + ustart, uend - ustart);
	*params = str_make(p + i, n - i);
	return 0;
}

/* ---- Date ---- */

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant). */
static long long
days_from_civil(long long y, int m, int d)
{
	long long era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static int
two_digits(const char *p, int *vp)
{
	if (!sip_is(p[0], SIP_C_DIGIT) || !sip_is(p[1], SIP_C_DIGIT))
		return -1;
	*vp = (p[0] - '0') * 10 + (p[1] - '0');
	return 0;
}

/* "Sun, 06 Nov 1994 08:49:37 GMT" */
int
rt_sip_date_parse(struct rt_sip_str s, time_t *tp)
{
	static const char wkdays[] = "MonTueWedThuFriSatSun";
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	const char *p = s.p;
	int day, month = -1, year, hh, mm, ss, c1, c2, wk = -1;
	long long t;

	*tp = 0;
	if (p == NULL || s.len != 29 || p[3] != ',' || p[4] != ' ' ||
	    p[7] != ' ' || p[11] != ' ' || p[16] != ' ' || p[19] != ':' ||
	    p[22] != ':' || p[25] != ' ' || memcmp(p + 26, "GMT", 3) != 0)
		return RT_ERR_BAD_INPUT;
	for (int k = 0; k < 7; k++)
		if (memcmp(p, wkdays + 3 * k, 3) == 0)
			wk = k;
	for (int k = 0; k < 12; k++)
		if (memcmp(p + 8, months + 3 * k, 3) == 0)
			month = k + 1;
	if (wk < 0 || month < 0 || two_digits(p + 5, &day) != 0 ||
	    two_digits(p + 12, &c1) != 0 || two_digits(p + 14, &c2) != 0 ||
	    two_digits(p + 17, &hh) != 0 || two_digits(p + 20, &mm) != 0 ||
	    two_digits(p + 23, &ss) != 0)
		return RT_ERR_BAD_INPUT;
	year = c1 * 100 + c2;
	if (year < 1970 || day < 1 || day > mdays[month - 1] || hh > 23 ||
	    mm > 59 || ss > 60)
		return RT_ERR_BAD_INPUT;
	if (month == 2 && day == 29 &&
	    !(year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)))
		return RT_ERR_BAD_INPUT;
	t = days_from_civil(year, month, day) * 86400LL + hh * 3600LL +
	    mm * 60LL + ss;
	if ((long long)(time_t)t != t)
		return RT_ERR_BAD_INPUT;	/* a 32-bit time_t */
	*tp = (time_t)t;
	return 0;
}
