/*
 * Digest credentials: the parser of Authorization values, the RFC 7616
 * response computation and the challenge text. Nonces live in rt_nonce.c.
 */
#include "rt_digest.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "rt_codec.h"
#include "rt_log.h"

#define PARAMS_MAX 64	/* auth-params in one value */

/*
 * OpenSSL 3 looks an algorithm up by name on every EVP_md5()/EVP_sha256()
 * use, which costs more than hashing a short string: fetch both once.
 */
static pthread_once_t digest_once = PTHREAD_ONCE_INIT;
static EVP_MD *digest_md[2];

static void
digest_fetch(void)
{
	digest_md[RT_DIGEST_MD5] = EVP_MD_fetch(NULL, "MD5", NULL);
	digest_md[RT_DIGEST_SHA256] = EVP_MD_fetch(NULL, "SHA2-256", NULL);
}

static size_t
alg_hex_len(enum rt_digest_alg alg)
{
	return alg == RT_DIGEST_SHA256 ? 64 : 32;
}

static int
alg_valid(enum rt_digest_alg alg)
{
	return alg == RT_DIGEST_MD5 || alg == RT_DIGEST_SHA256;
}

/* Hashes n strings joined by ':' into lowercase hex. */
static int
digest_join(enum rt_digest_alg alg, const char *const *parts, size_t n,
    char out[RT_DIGEST_HEX_MAX])
{
	EVP_MD_CTX *md_ctx = NULL;
	uint8_t md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	int r = RT_ERR_CRYPTO;

	out[0] = '\0';
	if (!alg_valid(alg))
		return RT_ERR_BAD_INPUT;
	pthread_once(&digest_once, digest_fetch);
	if (digest_md[alg] == NULL) {
		log_crypto(RT_LOG_ERR, "event=digest_unavailable alg=%s",
		    alg == RT_DIGEST_MD5 ? "MD5" : "SHA-256");
		return RT_ERR_CRYPTO;
	}
	if ((md_ctx = EVP_MD_CTX_new()) == NULL)
		return RT_ERR_NOMEM;
	if (EVP_DigestInit_ex(md_ctx, digest_md[alg], NULL) != 1)
		goto out;
	for (size_t i = 0; i < n; i++) {
		if ((i > 0 && EVP_DigestUpdate(md_ctx, ":", 1) != 1) ||
		    EVP_DigestUpdate(md_ctx, parts[i], strlen(parts[i])) != 1)
			goto out;
	}
	if (EVP_DigestFinal_ex(md_ctx, md, &mdlen) != 1 ||
	    2 * (size_t)mdlen != alg_hex_len(alg))
		goto out;
	rt_hex_encode(md, mdlen, out);
	r = 0;
 out:
	if (r == RT_ERR_CRYPTO)
		log_crypto(RT_LOG_ERR, "event=digest_failed");
	EVP_MD_CTX_free(md_ctx);
	OPENSSL_cleanse(md, sizeof(md));	/* may be an HA1 */
	return r;
}

int
rt_digest_hash(enum rt_digest_alg alg, const void *data, size_t len,
    char out[RT_DIGEST_HEX_MAX])
{
	uint8_t md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	out[0] = '\0';
	if (!alg_valid(alg) || (data == NULL && len > 0))
		return RT_ERR_BAD_INPUT;
	pthread_once(&digest_once, digest_fetch);
	if (digest_md[alg] == NULL ||
	    EVP_Digest(data != NULL ? data : "", len, md, &mdlen, digest_md[alg],
	    NULL) != 1 || 2 * (size_t)mdlen != alg_hex_len(alg)) {
		log_crypto(RT_LOG_ERR, "event=digest_failed");
		return RT_ERR_CRYPTO;
	}
	rt_hex_encode(md, mdlen, out);
	return 0;
}

int
rt_digest_ha1(enum rt_digest_alg alg, const char *username, const char *realm,
    const char *password, char out[RT_DIGEST_HEX_MAX])
{
	const char *parts[3] = {username, realm, password};

	out[0] = '\0';
	if (username == NULL || realm == NULL || password == NULL)
		return RT_ERR_BAD_INPUT;
	return digest_join(alg, parts, 3, out);
}

/* Copies hex of exactly alg's length, lowercased, into out. */
static int
hex_normalize(enum rt_digest_alg alg, const char *in, char out[RT_DIGEST_HEX_MAX])
{
	size_t n = alg_hex_len(alg), i;

	for (i = 0; i < n && in[i] != '\0'; i++) {
		char ch = in[i];

		if (ch >= 'A' && ch <= 'F')
			ch = (char)(ch - 'A' + 'a');
		else if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f')))
			return RT_ERR_BAD_INPUT;
		out[i] = ch;
	}
	out[i] = '\0';
	return i == n && in[i] == '\0' ? 0 : RT_ERR_BAD_INPUT;
}

int
rt_digest_response(enum rt_digest_alg alg, const char *ha1,
    const struct rt_digest_creds *c, const char *method, const char *body_hash,
    char out[RT_DIGEST_HEX_MAX])
{
	char ha1_hex[RT_DIGEST_HEX_MAX], ha2[RT_DIGEST_HEX_MAX];
	char body_hex[RT_DIGEST_HEX_MAX];
	const char *parts[6];
	int auth_int, r;

	out[0] = '\0';
	ha1_hex[0] = '\0';
	if (!alg_valid(alg) || ha1 == NULL || c == NULL || method == NULL ||
	    method[0] == '\0') {
		r = RT_ERR_BAD_INPUT;
		goto out;
	}
	if ((r = hex_normalize(alg, ha1, ha1_hex)) != 0)
		goto out;
	/* c may come from elsewhere than rt_digest_parse: bound its strings. */
	if (memchr(c->nonce, '\0', sizeof(c->nonce)) == NULL ||
	    memchr(c->uri, '\0', sizeof(c->uri)) == NULL ||
	    memchr(c->cnonce, '\0', sizeof(c->cnonce)) == NULL ||
	    memchr(c->qop, '\0', sizeof(c->qop)) == NULL ||
	    memchr(c->nc, '\0', sizeof(c->nc)) == NULL) {
		r = RT_ERR_BAD_INPUT;
		goto out;
	}
	auth_int = strcmp(c->qop, "auth-int") == 0;
	if (c->qop[0] != '\0' && !auth_int && strcmp(c->qop, "auth") != 0) {
		r = RT_ERR_BAD_INPUT;
		goto out;
	}
	/* HA2 = H(method ":" uri [":" H(body)]) */
	parts[0] = method;
	parts[1] = c->uri;
	if (auth_int) {
		if (body_hash == NULL ||
		    (r = hex_normalize(alg, body_hash, body_hex)) != 0) {
			r = RT_ERR_BAD_INPUT;
			goto out;
		}
		parts[2] = body_hex;
	}
	if ((r = digest_join(alg, parts, auth_int ? 3 : 2, ha2)) != 0)
		goto out;
	parts[0] = ha1_hex;
	parts[1] = c->nonce;
	if (c->qop[0] == '\0') {
		/* RFC 2069 form, kept by RFC 2617 3.2.2.1 */
		parts[2] = ha2;
		r = digest_join(alg, parts, 3, out);
		goto out;
	}
	if (c->nc[0] == '\0' || c->cnonce[0] == '\0') {
		r = RT_ERR_BAD_INPUT;
		goto out;
	}
	parts[2] = c->nc;
	parts[3] = c->cnonce;
	parts[4] = c->qop;
	parts[5] = ha2;
	r = digest_join(alg, parts, 6, out);
 out:
	OPENSSL_cleanse(ha1_hex, sizeof(ha1_hex));
	return r;
}

int
rt_digest_verify(const char *ha1, const struct rt_digest_creds *c,
    const char *method, const char *body_hash)
{
	char expected[RT_DIGEST_HEX_MAX], got[RT_DIGEST_HEX_MAX];
	int r;

	if (c == NULL)
		return RT_ERR_BAD_INPUT;
	if ((r = rt_digest_response(c->alg, ha1, c, method, body_hash,
	    expected)) != 0)
		goto out;
	/* The length and form of what the client sent are not secret. */
	if (hex_normalize(c->alg, c->response, got) != 0) {
		r = RT_ERR_DENIED;
		goto out;
	}
	r = rt_ct_equal(expected, got, alg_hex_len(c->alg)) ? 0 : RT_ERR_DENIED;
 out:
	OPENSSL_cleanse(expected, sizeof(expected));
	return r;
}

/* Parsing. */

struct digest_field {
	const char *name;
	size_t offset;
	size_t size;
	const char *too_long;	/* the reason when it does not fit */
};

#define FIELD(f) {#f, offsetof(struct rt_digest_creds, f), \
	sizeof(((struct rt_digest_creds *)0)->f), #f " too long"}
static const struct digest_field digest_fields[] = {
	FIELD(username), FIELD(realm), FIELD(nonce), FIELD(uri),
	FIELD(response), FIELD(algorithm), FIELD(cnonce), FIELD(qop),
	FIELD(nc), FIELD(opaque),
};
#undef FIELD

/* Bit i stands for digest_fields[i]. */
enum {
	SEEN_USERNAME = 1 << 0,
	SEEN_REALM = 1 << 1,
	SEEN_NONCE = 1 << 2,
	SEEN_URI = 1 << 3,
	SEEN_RESPONSE = 1 << 4,
	SEEN_ALGORITHM = 1 << 5,
	SEEN_CNONCE = 1 << 6,
	SEEN_QOP = 1 << 7,
	SEEN_NC = 1 << 8,
	SEEN_OPAQUE = 1 << 9,
	SEEN_USERNAME_EXT = 1 << 10,	/* username* (RFC 7616 3.4.4) */
};

struct digest_parser {
	const char *p;
	const char *end;
	const char *why;
};

/* RFC 7230 tchar. */
static int
is_tchar(unsigned char ch)
{
	if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	    (ch >= '0' && ch <= '9'))
		return 1;
	return ch != '\0' && strchr("!#$%&'*+-.^_`|~", ch) != NULL;
}

static int
is_ctl(unsigned char ch)
{
	return (ch < 0x20 && ch != '\t') || ch == 0x7f;
}

static void
skip_ows(struct digest_parser *ps)
{
	while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t'))
		ps->p++;
}

static int
fail(struct digest_parser *ps, int r, const char *why)
{
	ps->why = why;
	return r;
}

/*
 * Reads a value, quoted (unescaping quoted-pairs) or not, into dst of
 * size cap (dst NULL: validate only). Sets *toolong when it did not fit.
 */
static int
read_value(struct digest_parser *ps, char *dst, size_t cap, int *toolong)
{
	size_t n = 0;

	*toolong = 0;
	if (ps->p < ps->end && *ps->p == '"') {
		for (ps->p++;; ps->p++) {
			unsigned char ch;

			if (ps->p >= ps->end)
				return fail(ps, RT_ERR_BAD_INPUT,
				    "unterminated quoted string");
			ch = (unsigned char)*ps->p;
			if (ch == '"')
				break;
			if (ch == '\\') {
				if (++ps->p >= ps->end)
					return fail(ps, RT_ERR_BAD_INPUT,
					    "unterminated quoted string");
				ch = (unsigned char)*ps->p;
			}
			if (is_ctl(ch))
				return fail(ps, RT_ERR_BAD_INPUT,
				    "control character");
			if (dst != NULL && n + 1 < cap)
				dst[n] = (char)ch;
			else
				*toolong = 1;
			n++;
		}
		ps->p++;	/* the closing quote */
	} else {
		for (; ps->p < ps->end; ps->p++) {
			unsigned char ch = (unsigned char)*ps->p;

			if (ch == ' ' || ch == '\t' || ch == ',')
				break;
			if (is_ctl(ch))
				return fail(ps, RT_ERR_BAD_INPUT,
				    "control character");
			if (ch == '"' || ch == '\\' || ch >= 0x80)
				return fail(ps, RT_ERR_BAD_INPUT,
				    "bad character in unquoted value");
			if (dst != NULL && n + 1 < cap)
				dst[n] = (char)ch;
			else
				*toolong = 1;
			n++;
		}
		if (n == 0)
			return fail(ps, RT_ERR_BAD_INPUT, "empty unquoted value");
	}
	if (dst != NULL)
		dst[*toolong ? 0 : n] = '\0';
	return 0;
}

static int
name_is(const char *name, size_t len, const char *want)
{
	return strlen(want) == len && strncasecmp(name, want, len) == 0;
}

/* One auth-param: name, '=', value, stored when it is one of ours. */
static int
read_param(struct digest_parser *ps, struct rt_digest_creds *c,
    unsigned *seen, const char *names[], size_t namelens[], size_t *nnames)
{
	const char *name = ps->p;
	size_t namelen, i;
	char userhash[8];
	int toolong, r;

	while (ps->p < ps->end && is_tchar((unsigned char)*ps->p))
		ps->p++;
	if ((namelen = (size_t)(ps->p - name)) == 0)
		return fail(ps, RT_ERR_BAD_INPUT,
		    ps->p < ps->end && is_ctl((unsigned char)*ps->p) ?
		    "control character" : "bad parameter name");
	for (i = 0; i < *nnames; i++) {
		if (namelens[i] == namelen &&
		    strncasecmp(names[i], name, namelen) == 0)
			return fail(ps, RT_ERR_BAD_INPUT, "duplicate parameter");
	}
	if (*nnames == PARAMS_MAX)
		return fail(ps, RT_ERR_TOO_BIG, "too many parameters");
	names[*nnames] = name;
	namelens[(*nnames)++] = namelen;
	skip_ows(ps);
	if (ps->p >= ps->end || *ps->p != '=')
		return fail(ps, RT_ERR_BAD_INPUT, "expected '=' after parameter name");
	ps->p++;
	skip_ows(ps);
	for (i = 0; i < sizeof(digest_fields) / sizeof(digest_fields[0]); i++) {
		const struct digest_field *f = &digest_fields[i];

		if (!name_is(name, namelen, f->name))
			continue;
		if ((r = read_value(ps, (char *)c + f->offset, f->size,
		    &toolong)) != 0)
			return r;
		if (toolong)
			return fail(ps, RT_ERR_TOO_BIG, f->too_long);
		*seen |= 1u << i;
		return 0;
	}
	if (name_is(name, namelen, "userhash")) {
		if ((r = read_value(ps, userhash, sizeof(userhash), &toolong)) != 0)
			return r;
		if (toolong || strcasecmp(userhash, "false") != 0)
			return fail(ps, RT_ERR_BAD_INPUT, "userhash not supported");
		return 0;
	}
	if (name_is(name, namelen, "username*"))
		*seen |= SEEN_USERNAME_EXT;
	return read_value(ps, NULL, 0, &toolong);
}

static int
all_hex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f') ||
		    (s[i] >= 'A' && s[i] <= 'F')))
			return 0;
	}
	return 1;
}

static int
has_suffix_ci(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);

	return n >= k && strcasecmp(s + n - k, suffix) == 0;
}

/* The rules that span parameters, once all are read. */
static int
check_creds(struct digest_parser *ps, struct rt_digest_creds *c, unsigned seen)
{
	size_t want;

	if (!(seen & SEEN_ALGORITHM) || strcasecmp(c->algorithm, "MD5") == 0)
		c->alg = RT_DIGEST_MD5;
	else if (strcasecmp(c->algorithm, "SHA-256") == 0)
		c->alg = RT_DIGEST_SHA256;
	else if (has_suffix_ci(c->algorithm, "-sess"))
		return fail(ps, RT_ERR_BAD_INPUT,
		    "session algorithms (-sess) not supported");
	else if (strcasecmp(c->algorithm, "SHA-512-256") == 0)
		return fail(ps, RT_ERR_BAD_INPUT, "SHA-512-256 not supported");
	else
		return fail(ps, RT_ERR_BAD_INPUT, "unknown algorithm");
	if (c->username[0] == '\0')
		return fail(ps, RT_ERR_BAD_INPUT, (seen & SEEN_USERNAME_EXT) ?
		    "username* not supported" : "missing username");
	if (c->realm[0] == '\0')
		return fail(ps, RT_ERR_BAD_INPUT, "missing realm");
	if (c->nonce[0] == '\0')
		return fail(ps, RT_ERR_BAD_INPUT, "missing nonce");
	if (c->uri[0] == '\0')
		return fail(ps, RT_ERR_BAD_INPUT, "missing uri");
	if (c->response[0] == '\0')
		return fail(ps, RT_ERR_BAD_INPUT, "missing response");
	if ((seen & SEEN_QOP) && strcmp(c->qop, "auth") != 0 &&
	    strcmp(c->qop, "auth-int") != 0)
		return fail(ps, RT_ERR_BAD_INPUT, "qop must be auth or auth-int");
	if ((seen & SEEN_QOP) && c->cnonce[0] == '\0')
		return fail(ps, RT_ERR_BAD_INPUT, "qop without cnonce");
	if ((seen & SEEN_QOP) && !(seen & SEEN_NC))
		return fail(ps, RT_ERR_BAD_INPUT, "qop without nc");
	if ((seen & SEEN_NC) && (strlen(c->nc) != 8 || !all_hex(c->nc, 8)))
		return fail(ps, RT_ERR_BAD_INPUT, "nc must be 8 hex digits");
	want = alg_hex_len(c->alg);
	if (strlen(c->response) != want || !all_hex(c->response, want))
		return fail(ps, RT_ERR_BAD_INPUT, c->alg == RT_DIGEST_MD5 ?
		    "response must be 32 hex digits (MD5)" :
		    "response must be 64 hex digits (SHA-256)");
	return 0;
}

int
rt_digest_parse(const char *value, size_t len, struct rt_digest_creds *c,
    const char **whyp)
{
	struct digest_parser ps = {value, value + len, NULL};
	const char *names[PARAMS_MAX];
	size_t namelens[PARAMS_MAX], nnames = 0;
	const char *scheme;
	unsigned seen = 0;
	int r = RT_ERR_BAD_INPUT;

	memset(c, 0, sizeof(*c));
	if (whyp != NULL)
		*whyp = NULL;
	if (value == NULL) {
		ps.why = "no value";
		goto out;
	}
	if (len > RT_DIGEST_VALUE_MAX) {
		r = fail(&ps, RT_ERR_TOO_BIG, "value over 4 KiB");
		goto out;
	}
	skip_ows(&ps);
	scheme = ps.p;
	while (ps.p < ps.end && is_tchar((unsigned char)*ps.p))
		ps.p++;
	if (!name_is(scheme, (size_t)(ps.p - scheme), "Digest")) {
		ps.why = "scheme is not Digest";
		goto out;
	}
	if (ps.p < ps.end && *ps.p != ' ' && *ps.p != '\t') {
		ps.why = is_ctl((unsigned char)*ps.p) ? "control character" :
		    "scheme is not Digest";
		goto out;
	}
	/* Bounded: every turn consumes at least one byte or leaves. */
	for (;;) {
		while (ps.p < ps.end && (*ps.p == ' ' || *ps.p == '\t' ||
		    *ps.p == ','))
			ps.p++;	/* empty list elements (RFC 7230 7) */
		if (ps.p >= ps.end)
			break;
		if ((r = read_param(&ps, c, &seen, names, namelens, &nnames)) != 0)
			goto out;
		skip_ows(&ps);
		if (ps.p < ps.end && *ps.p != ',') {
			r = fail(&ps, RT_ERR_BAD_INPUT, is_ctl((unsigned char)*ps.p) ?
			    "control character" : "expected ',' between parameters");
			goto out;
		}
	}
	r = check_creds(&ps, c, seen);
 out:
	if (r != 0) {
		memset(c, 0, sizeof(*c));
		if (whyp != NULL)
			*whyp = ps.why != NULL ? ps.why : "malformed credentials";
	}
	return r;
}

/* Challenges. */

/* Appends "name=\"value\"" with value escaped; refuses control bytes. */
static int
append_quoted(struct rt_buf *out, const char *name, const char *value)
{
	int r;

	if ((r = rt_buf_printf(out, "%s=\"", name)) != 0)
		return r;
	for (const unsigned char *s = (const unsigned char *)value; *s; s++) {
		if (is_ctl(*s) || *s == '\t')
			return RT_ERR_BAD_INPUT;
		if ((*s == '"' || *s == '\\') && (r = rt_buf_append_u8(out, '\\')) != 0)
			return r;
		if ((r = rt_buf_append_u8(out, *s)) != 0)
			return r;
	}
	return rt_buf_append_u8(out, '"');
}

int
rt_digest_challenge(enum rt_digest_alg alg, const char *realm,
    const char *nonce, const char *opaque, int stale, int auth_int,
    struct rt_buf *out)
{
	size_t start = out->len;
	int r;

	if (!alg_valid(alg) || realm == NULL || realm[0] == '\0' ||
	    nonce == NULL || nonce[0] == '\0')
		return RT_ERR_BAD_INPUT;
	if ((r = rt_buf_append_str(out, "Digest ")) != 0 ||
	    (r = append_quoted(out, "realm", realm)) != 0 ||
	    (r = rt_buf_append_str(out, ", ")) != 0 ||
	    (r = append_quoted(out, "nonce", nonce)) != 0)
		goto out;
	if (opaque != NULL && ((r = rt_buf_append_str(out, ", ")) != 0 ||
	    (r = append_quoted(out, "opaque", opaque)) != 0))
		goto out;
	if ((r = rt_buf_printf(out, ", algorithm=%s, qop=\"%s\"%s",
	    alg == RT_DIGEST_SHA256 ? "SHA-256" : "MD5",
	    auth_int ? "auth,auth-int" : "auth", stale ? ", stale=true" : "")) != 0)
		goto out;
 out:
	if (r != 0) {
		out->len = start;
		if (out->data != NULL)
			out->data[start] = '\0';
	}
	return r;
}
