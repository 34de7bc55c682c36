/*
 * rt_fetch: fetching a CRL (or any small document) by URL with libcurl.
 *
 * Brokers fetch the federation CRL at start and every refresh interval from
 * configured http, https or file URLs. A fetch is bounded in size and time
 * and refuses more than it needs: no scheme but those three, redirects (at
 * most 3) only to the scheme of the original URL, so an http server cannot
 * send us to file:// or ftp:// and a file: URL never leaves the file system.
 * https verifies the peer and its host name. The standard proxy variables
 * (http_proxy, https_proxy, no_proxy, ...) are honoured, as operators may
 * need them; never for file:.
 *
 * Each call uses its own curl handle, so calls from several threads are
 * safe; curl is initialised once, no signals are used (CURLOPT_NOSIGNAL).
 * A failed fetch logs one line, event=fetch_failed url=... reason=..., with
 * any user:password@ removed from the URL. The fetched bytes are not
 * trusted: rt_fetch_crl only parses them, the caller checks the signature
 * (rt_trust_set_crl).
 */
#ifndef RT_FETCH_H
#define RT_FETCH_H

#include <openssl/x509.h>
#include <stddef.h>

#include "rt_buf.h"
#include "rt_err.h"

struct rt_fetch_opts {
	long connect_timeout_ms;   /* 0 = 5000 */
	long total_timeout_ms;     /* 0 = 15000 */
	size_t max_size;           /* 0 = RT_CRL_MAX (8 MiB, from rt_x509.h) */
	const char *ca_file;       /* CA bundle for https, NULL = system default */
};

/*
 * Fetches url into out (appended; on failure out is left as it was). opts
 * may be NULL (all defaults). Returns 0 or:
 *   RT_ERR_BAD_INPUT    url malformed, or a scheme other than http, https,
 *                       file
 *   RT_ERR_TOO_BIG      more than max_size bytes arrived or were announced
 *                       (Content-Length), or out's own cap was reached
 *   RT_ERR_TIMEOUT      connect or total timeout
 *   RT_ERR_NOT_FOUND    HTTP 404, or no such file
 *   RT_ERR_UNAVAILABLE  another HTTP status >= 400 (or a final status that
 *                       is not 2xx), connection refused, DNS failure
 *   RT_ERR_DENIED       a redirect to another scheme, or more than 3
 *   RT_ERR_NOMEM, RT_ERR_IO (anything else: TLS failure, reset, ...)
 */
int rt_fetch(const char *url, const struct rt_fetch_opts *opts,
    struct rt_buf *out) RT_WUR;

/*
 * rt_fetch, then rt_crl_parse (PEM or DER). Returns 0 and a new CRL in
 * *crlp (X509_CRL_free), or rt_fetch's errors, or RT_ERR_CRL_BAD when the
 * bytes are not a CRL (an empty body included), with *crlp == NULL.
 */
int rt_fetch_crl(const char *url, const struct rt_fetch_opts *opts,
    X509_CRL **crlp) RT_WUR;

#endif
