/*
 * libFuzzer target: what the agent and the home broker do with the value
 * of an Authorization header from a roaming UA: rt_digest_parse, then, on
 * success, the response for a fixed HA1 (as the home broker would),
 * rt_digest_verify, the nonce check of the agent, and a challenge built
 * from the parsed realm, nonce and opaque. Memory safety, plus the few
 * invariants a parsed credential must hold (abort() if one does not).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rt_digest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NOW 1790000000L
#define CLIENT "udp:192.0.2.1:5060|home.example"

/* alice:home.example:s3cret */
static const char *const ha1s[2] = {
	"5f5790a36dacee04ff2b1d305f251df6",
	"0b2c004de9644f49961aad1b64bb129c53da985acb1dd2a46a40db34bea451bc",
};

static struct rt_nonce_ctx *nonces;	/* one for the run, like the agent's */

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rt_digest_creds c;
	char out[RT_DIGEST_HEX_MAX], body_hash[RT_DIGEST_HEX_MAX];
	struct rt_buf challenge;
	const char *why = NULL;
	size_t want;
	int r;

	if (nonces == NULL && rt_nonce_ctx_new(300, 600, 64, &nonces) != 0)
		abort();
	if (rt_digest_parse((const char *)data, size, &c, &why) != 0) {
		if (why == NULL || c.username[0] != '\0')
			abort();
		return 0;
	}
	want = c.alg == RT_DIGEST_SHA256 ? 64 : 32;
	if (why != NULL || strlen(c.response) != want || c.username[0] == '\0' ||
	    (c.qop[0] != '\0' && strcmp(c.qop, "auth") != 0 &&
	    strcmp(c.qop, "auth-int") != 0) ||
	    (c.qop[0] != '\0' && strlen(c.nc) != 8))
		abort();
	if (rt_digest_hash(c.alg, data, size, body_hash) != 0 ||
	    rt_digest_response(c.alg, ha1s[c.alg], &c, "REGISTER", body_hash,
	    out) != 0 || strlen(out) != want)
		abort();
	r = rt_digest_verify(ha1s[c.alg], &c, "REGISTER", body_hash);
	if (r != 0 && r != RT_ERR_DENIED)
		abort();
	r = rt_nonce_check(nonces, c.nonce, CLIENT, NOW);
	if (r == 0)
		abort();	/* nobody made it a nonce of ours */
	rt_buf_init(&challenge, 4096);
	(void)!rt_digest_challenge(c.alg, c.realm, c.nonce,
	    c.opaque[0] != '\0' ? c.opaque : NULL, r == RT_ERR_EXPIRED,
	    c.qop[0] != '\0', &challenge);
	rt_buf_fini(&challenge);
	return 0;
}
