#include "rt_fetch.h"

#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "rt_log.h"
#include "rt_x509.h"

#define FETCH_CONNECT_TIMEOUT_MS 5000L
#define FETCH_TOTAL_TIMEOUT_MS 15000L
#define FETCH_MAX_REDIRS 3L
#define FETCH_URL_MAX 8192
#define FETCH_USER_AGENT "roamtrust/1"

enum fetch_scheme {
	FETCH_HTTP,
	FETCH_HTTPS,
	FETCH_FILE
};

static const char *const fetch_scheme_names[] = {
	[FETCH_HTTP] = "http",
	[FETCH_HTTPS] = "https",
	[FETCH_FILE] = "file",
};

/* What the write callback needs, and why it stopped a transfer. */
struct fetch_ctx {
	CURL *curl;
	struct rt_buf *out;
	size_t received;	/* bytes of this fetch appended to out */
	size_t max;
	int is_http;
	int err;		/* set when the callback refused data */
};

static pthread_once_t fetch_once = PTHREAD_ONCE_INIT;
static CURLcode fetch_global_rc = CURLE_FAILED_INIT;

static void
fetch_global_init(void)
{
	fetch_global_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

/*
 * Copies url to out without the user:password@ of its authority, for logs.
 * Works on malformed URLs too: they are logged when refused.
 */
static void
url_strip_userinfo(const char *url, char *out, size_t cap)
{
	const char *auth, *end, *at;

	if (url == NULL) {
		snprintf(out, cap, "-");
		return;
	}
	auth = strstr(url, "://");
	auth = auth != NULL ? auth + 3 : url;
	end = auth + strcspn(auth, "/?#");
	at = memrchr(auth, '@', (size_t)(end - auth));
	if (at != NULL)
		snprintf(out, cap, "%.*s%s", (int)(auth - url), url, at + 1);
	else
		snprintf(out, cap, "%s", url);
}

static void
fetch_log_failure(const char *url, int r, long status, const char *detail)
{
	char plain[1024], url_esc[1100], detail_esc[CURL_ERROR_SIZE + 64];

	url_strip_userinfo(url, plain, sizeof(plain));
	rt_log_value(plain, url_esc, sizeof(url_esc));
	rt_log_value(detail != NULL && detail[0] != '\0' ? detail : "-",
	    detail_esc, sizeof(detail_esc));
	if (status > 0)
		log_warn("event=fetch_failed url=%s reason=%s status=%ld "
		    "detail=%s", url_esc, rt_errname(r), status, detail_esc);
	else
		log_warn("event=fetch_failed url=%s reason=%s detail=%s",
		    url_esc, rt_errname(r), detail_esc);
}

/*
 * Parses url with curl's own parser (the one the transfer will use) and
 * keeps it only for the schemes we allow. On success *parsedp is the parsed
 * URL (curl_url_cleanup).
 */
static int
fetch_parse_url(const char *url, CURLU **parsedp, enum fetch_scheme *schemep)
{
	CURLU *parsed = NULL;
	char *scheme = NULL;
	int r = RT_ERR_BAD_INPUT;

	*parsedp = NULL;
	if (url == NULL || strnlen(url, FETCH_URL_MAX + 1) > FETCH_URL_MAX)
		goto out;
	if ((parsed = curl_url()) == NULL) {
		r = RT_ERR_NOMEM;
		goto out;
	}
	/* any scheme parses, so that we, not the curl build, refuse it */
	if (curl_url_set(parsed, CURLUPART_URL, url,
	    CURLU_NON_SUPPORT_SCHEME) != CURLUE_OK ||
	    curl_url_get(parsed, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK)
		goto out;
	if (strcasecmp(scheme, "http") == 0)
		*schemep = FETCH_HTTP;
	else if (strcasecmp(scheme, "https") == 0)
		*schemep = FETCH_HTTPS;
	else if (strcasecmp(scheme, "file") == 0)
		*schemep = FETCH_FILE;
	else
		goto out;
	*parsedp = parsed;
	parsed = NULL;
	r = 0;
 out:
	curl_free(scheme);
	curl_url_cleanup(parsed);
	return r;
}

static size_t
fetch_write(char *data, size_t size, size_t nmemb, void *arg)
{
	struct fetch_ctx *ctx = arg;
	size_t n = size * nmemb;	/* size is always 1 */
	long status = 0;
	int r;

	if (ctx->is_http &&
	    curl_easy_getinfo(ctx->curl, CURLINFO_RESPONSE_CODE, &status) ==
	    CURLE_OK && (status < 200 || status > 299)) {
		/* an error page is not the document: stop at its first byte */
		ctx->err = RT_ERR_UNAVAILABLE;
		return 0;
	}
	/* Content-Length is checked by curl; chunked bodies only here */
	if (n > ctx->max - ctx->received) {
		ctx->err = RT_ERR_TOO_BIG;
		return 0;
	}
	if ((r = rt_buf_append(ctx->out, data, n)) != 0) {
		ctx->err = r;
		return 0;
	}
	ctx->received += n;
	return n;
}

static int
fetch_setopts(struct fetch_ctx *ctx, const char *url, enum fetch_scheme scheme,
    const struct rt_fetch_opts *opts, char *errbuf)
{
	CURL *curl = ctx->curl;
	const char *proto = fetch_scheme_names[scheme];
	long connect_ms = opts->connect_timeout_ms > 0 ?
	    opts->connect_timeout_ms : FETCH_CONNECT_TIMEOUT_MS;
	long total_ms = opts->total_timeout_ms > 0 ?
	    opts->total_timeout_ms : FETCH_TOTAL_TIMEOUT_MS;
	curl_off_t max_file = ctx->max > (size_t)INT64_MAX ?
	    (curl_off_t)INT64_MAX : (curl_off_t)ctx->max;

	/*
	 * Only the original scheme, for the first request and for redirects:
	 * an http server cannot send us to file:, https cannot downgrade.
	 */
	if (curl_easy_setopt(curl, CURLOPT_URL, url) != CURLE_OK ||
	    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, proto) != CURLE_OK ||
	    curl_easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS_STR, proto) !=
	    CURLE_OK ||
	    curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION,
	    scheme == FETCH_FILE ? 0L : 1L) != CURLE_OK ||
	    curl_easy_setopt(curl, CURLOPT_MAXREDIRS, FETCH_MAX_REDIRS) !=
	    CURLE_OK ||
	    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
	    curl_easy_setopt(curl, CURLOPT_USERAGENT, FETCH_USER_AGENT) !=
	    CURLE_OK ||
	    curl_easy_setopt(curl, CURLOPT_FAILONERROR, 0L) != CURLE_OK ||
	    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, connect_ms) !=
	    CURLE_OK ||
	    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, total_ms) != CURLE_OK ||
	    curl_easy_setopt(curl, CURLOPT_MAXFILESIZE_LARGE, max_file) !=
	    CURLE_OK ||
	    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, fetch_write) !=
	    CURLE_OK ||
	    curl_easy_setopt(curl, CURLOPT_WRITEDATA, ctx) != CURLE_OK ||
	    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf) != CURLE_OK ||
	    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 1L) != CURLE_OK ||
	    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 2L) != CURLE_OK)
		return RT_ERR_INTERNAL;
	if (opts->ca_file != NULL &&
	    curl_easy_setopt(curl, CURLOPT_CAINFO, opts->ca_file) != CURLE_OK)
		return RT_ERR_INTERNAL;
	/* "" turns proxies (and the environment's) off */
	if (scheme == FETCH_FILE &&
	    curl_easy_setopt(curl, CURLOPT_PROXY, "") != CURLE_OK)
		return RT_ERR_INTERNAL;
	return 0;
}

/* A file: URL curl could not read: missing, or there but unreadable. */
static int
fetch_file_error(CURLU *parsed)
{
	char *path = NULL;
	struct stat st;
	int r = RT_ERR_IO;

	if (curl_url_get(parsed, CURLUPART_PATH, &path, CURLU_URLDECODE) ==
	    CURLUE_OK && stat(path, &st) != 0 &&
	    (errno == ENOENT || errno == ENOTDIR))
		r = RT_ERR_NOT_FOUND;
	curl_free(path);
	return r;
}

static int
fetch_curl_error(CURLcode rc, CURLU *parsed, enum fetch_scheme scheme)
{
	switch (rc) {
	case CURLE_OK:
		return 0;
	case CURLE_UNSUPPORTED_PROTOCOL:
		/* the first URL's scheme was checked: a redirect elsewhere */
	case CURLE_TOO_MANY_REDIRECTS:
		return RT_ERR_DENIED;
	case CURLE_URL_MALFORMAT:
		return RT_ERR_BAD_INPUT;
	case CURLE_OPERATION_TIMEDOUT:
		return RT_ERR_TIMEOUT;
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
		return RT_ERR_UNAVAILABLE;
	case CURLE_FILESIZE_EXCEEDED:
		return RT_ERR_TOO_BIG;
	case CURLE_FILE_COULDNT_READ_FILE:
		return scheme == FETCH_FILE ? fetch_file_error(parsed) : RT_ERR_IO;
	case CURLE_OUT_OF_MEMORY:
		return RT_ERR_NOMEM;
	default:
		return RT_ERR_IO;
	}
}

/*
 * What a finished transfer amounts to, and a detail for the log line. An
 * HTTP error status wins over whatever curl made of the body after it.
 */
static int
fetch_result(const struct fetch_ctx *ctx, CURLcode rc, long status,
    CURLU *parsed, enum fetch_scheme scheme, const char *errbuf,
    char *detail, size_t cap)
{
	int r;

	if (status >= 400 ||
	    (ctx->is_http && rc == CURLE_OK && (status < 200 || status > 299)) ||
	    (rc == CURLE_WRITE_ERROR && ctx->err == RT_ERR_UNAVAILABLE)) {
		snprintf(detail, cap, "HTTP status %ld", status);
		return status == 404 ? RT_ERR_NOT_FOUND : RT_ERR_UNAVAILABLE;
	}
	if (rc == CURLE_WRITE_ERROR && ctx->err != 0) {
		snprintf(detail, cap, "%s", ctx->err == RT_ERR_TOO_BIG ?
		    "over the size cap" : rt_strerror(ctx->err));
		return ctx->err;
	}
	if (rc == CURLE_OK)
		return 0;
	r = fetch_curl_error(rc, parsed, scheme);
	snprintf(detail, cap, "%s%s", r == RT_ERR_DENIED ? "redirect refused: " :
	    "", errbuf[0] != '\0' ? errbuf : curl_easy_strerror(rc));
	return r;
}

int
rt_fetch(const char *url, const struct rt_fetch_opts *opts, struct rt_buf *out)
{
	static const struct rt_fetch_opts defaults;
	struct fetch_ctx ctx;
	char errbuf[CURL_ERROR_SIZE];
	char detail[CURL_ERROR_SIZE + 32];
	CURLU *parsed = NULL;
	CURLcode rc = CURLE_OK;
	enum fetch_scheme scheme = FETCH_HTTP;
	size_t start = out->len;
	long status = 0;
	int r = RT_ERR_INTERNAL;

	memset(&ctx, 0, sizeof(ctx));
	errbuf[0] = detail[0] = '\0';
	if (opts == NULL)
		opts = &defaults;
	if ((r = fetch_parse_url(url, &parsed, &scheme)) != 0) {
		snprintf(detail, sizeof(detail), "malformed URL or scheme "
		    "other than http, https, file");
		goto out;
	}
	if (pthread_once(&fetch_once, fetch_global_init) != 0 ||
	    fetch_global_rc != CURLE_OK) {
		r = RT_ERR_INTERNAL;
		goto out;
	}
	if ((ctx.curl = curl_easy_init()) == NULL) {
		r = RT_ERR_NOMEM;
		goto out;
	}
	ctx.out = out;
	ctx.max = opts->max_size > 0 ? opts->max_size : RT_CRL_MAX;
	ctx.is_http = scheme != FETCH_FILE;
	if ((r = fetch_setopts(&ctx, url, scheme, opts, errbuf)) != 0)
		goto out;
	rc = curl_easy_perform(ctx.curl);
	if (ctx.is_http &&
	    curl_easy_getinfo(ctx.curl, CURLINFO_RESPONSE_CODE, &status) !=
	    CURLE_OK)
		status = 0;
	r = fetch_result(&ctx, rc, status, parsed, scheme, errbuf, detail,
	    sizeof(detail));
 out:
	if (r != 0) {
		/* a failed fetch leaves no partial document behind */
		if (out->data != NULL && out->len > start) {
			out->len = start;
			out->data[start] = '\0';
		}
		fetch_log_failure(url, r, status, detail);
	}
	curl_easy_cleanup(ctx.curl);
	curl_url_cleanup(parsed);
	return r;
}

int
rt_fetch_crl(const char *url, const struct rt_fetch_opts *opts, X509_CRL **crlp)
{
	struct rt_buf buf;
	size_t max = opts != NULL && opts->max_size > 0 ?
	    opts->max_size : RT_CRL_MAX;
	int r;

	*crlp = NULL;
	rt_buf_init(&buf, max);
	if ((r = rt_fetch(url, opts, &buf)) != 0)
		goto out;
	r = buf.len == 0 ? RT_ERR_CRL_BAD : rt_crl_parse(buf.data, buf.len, crlp);
	if (r != 0)
		fetch_log_failure(url, r, 0, "not a CRL");
 out:
	rt_buf_fini(&buf);
	return r;
}
