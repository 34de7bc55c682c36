/*
 * libFuzzer target: what the agent does with one POST /v1/check, without
 * the HTTP layer: the transport and source address of the query string,
 * and the raw SIP request of the body, through agent_check_new and
 * agent_check_run, on the agent of fuzz_agent.h, made once and never
 * started (no broker: an authentication that gets that far is a 503). Two
 * roamers are registered (one from a store-and-forward address), so the
 * policy of registered requests runs as well as the challenge.
 * fuzz_agent_http.c drives the same agent through its HTTP server.
 *
 * Input: an 8-byte header, then the SIP request.
 *   byte 0      low nibble: transport (udp tcp tls sctp ws wss, modulo);
 *               high nibble: how many times the request is checked (1..3,
 *               modulo), so replays and bans are reached
 *   bytes 1-4   source IPv4 address (192.0.2.10 is alice's flow)
 *   bytes 5-6   source port, big-endian (0 means 5060)
 *   byte 7      clock: the checks run at T0 + 4 * byte seconds (nonces
 *               go stale after 300, alice's assertion ends at 600)
 * Each "@NONCE@" in the request becomes a nonce of ours for that flow and
 * home.example, made at the time of the checks, so the fuzzer gets past
 * the nonce check to the digest-uri, security agreement and broker paths;
 * each "@OLDNONCE@" one made a second more than its lifetime earlier (up
 * to 8 in all). The failure limiters start empty for each input, with
 * small limits, and so does the table of requests awaiting a usage report.
 *
 * Asserted (abort() otherwise): every check finishes at once with one of
 * the verdicts the proxy understands, its body made of printable lines
 * ending in CRLF (nothing the proxy could read as another header), and
 * no allow without our PAI except for ACK, CANCEL, a request with
 * Privacy: id toward a domain outside the trust domain, requests whose
 * From (To for REGISTER) names one of our realms, and requests of the
 * configured store-and-forward server (which keep the PAI they carry);
 * our PAI only for a From AOR bound on the request's flow, and its own.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_agent.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define HEADER_LEN 8
#define MAGIC "@NONCE@"
#define MAGIC_OLD "@OLDNONCE@"
#define MAGIC_MAX 8

static struct agent *agent;
static char *request;	/* the body after substitution */

static const char *const protos[] = {"udp", "tcp", "tls", "sctp", "ws", "wss"};

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	agent = fuzz_agent_new("fuzz_agent_check");
	if ((request = malloc(RT_SIP_MAX_MSG + MAGIC_MAX * RT_NONCE_LEN + 1)) == NULL)
		abort();
	return 0;
}

static int
at(const char *body, size_t len, size_t in, const char *magic)
{
	return len - in >= strlen(magic) && memcmp(body + in, magic, strlen(magic)) == 0;
}

/* Copies body into request, each marker (up to MAGIC_MAX) made a nonce
 * for flow, fresh at now or just stale. */
static size_t
substitute(const char *body, size_t len, const char *flow, time_t now)
{
	char client[AGENT_FLOW_MAX + sizeof(HOME) + 1], nonce[RT_NONCE_LEN + 1];
	size_t in = 0, out = 0;
	int n = 0, old;

	snprintf(client, sizeof(client), "%s|%s", flow, HOME);
	while (in < len) {
		if (n < MAGIC_MAX && ((old = at(body, len, in, MAGIC_OLD)) ||
		    at(body, len, in, MAGIC))) {
			if (rt_nonce_make(agent->nonces, client,
			    old ? now - NONCE_LIFETIME - 1 : now, nonce, sizeof(nonce)) != 0)
				abort();
			memcpy(request + out, nonce, RT_NONCE_LEN);
			out += RT_NONCE_LEN;
			in += strlen(old ? MAGIC_OLD : MAGIC);
			n++;
		} else
			request[out++] = body[in++];
	}
	return out;
}

/* The body is lines of printable text, each ending in CRLF. */
static void
check_body(const struct agent_check *c)
{
	const char *s = rt_buf_str(&c->body);

	if (strlen(s) != c->body.len || !fuzz_agent_lines_ok(s, c->body.len))
		abort();
}

/* Whether the header that makes a request local (To of a REGISTER, else
 * From) names one of our realms. */
static int
names_local(const struct agent_check *c)
{
	enum rt_sip_hdr id = c->msg.method == RT_SIP_REGISTER ? RT_HDR_TO : RT_HDR_FROM;
	char value[RT_SIP_MAX_LINE + 1];
	int i = c->msg.first[id];

	if (i < 0 || rt_sip_str_copy(c->msg.headers[i].value, value, sizeof(value)) != 0)
		return 0;
	return strcasestr(value, "@visited.example") != NULL ||
	    strcasestr(value, "@local.example") != NULL;
}

/* An allow with our PAI: the From AOR is bound on the request's flow,
 * and the PAI is its assertion's (put_binding's: the AOR). */
static void
check_bound_aor(const struct agent_check *c, const char *body)
{
	char aor[RT_URI_MAX], realm[RT_REALM_MAX], want[RT_URI_MAX + 32];
	struct agent_binding *b = malloc(sizeof(*b));

	if (b == NULL || agent_header_aor(&c->msg, RT_HDR_FROM, aor, sizeof(aor), realm,
	    sizeof(realm), NULL) != 0 ||
	    agent_bindings_get(agent->bindings, c->flow, aor, NULL, b) != 0)
		abort();
	snprintf(want, sizeof(want), "P-Asserted-Identity: <%s>\r\n", aor);
	if (strcmp(body, want) != 0 || strcmp(b->assertion.public_id, aor) != 0)
		abort();
	free(b);
}

static void
check_verdict(const struct agent_check *c)
{
	const char *body = rt_buf_str(&c->body);
	int ack_or_cancel = c->status == 200 && (c->msg.method == RT_SIP_ACK ||
	    c->msg.method == RT_SIP_CANCEL);

	switch (c->status) {
	case 200:
		/* an allow: our PAI of a registered roamer, or nothing for what
		 * is not the agent's (ACK, CANCEL, a subscriber of ours) */
		if (strcmp(c->reason, "allowed") == 0) {
			if (c->body.len == 0 ? !ack_or_cancel :
			    strncmp(body, "P-Asserted-Identity: <sip:", 26) != 0)
				abort();
			if (c->body.len != 0)
				check_bound_aor(c, body);
		} else if (strcmp(c->reason, "local") == 0) {
			if (c->body.len != 0 || (!ack_or_cancel && !names_local(c)))
				abort();
		} else if (strcmp(c->reason, "private") == 0) {
			/* Privacy: id beyond the trust domain: no identity at all */
			if (c->body.len != 0 || c->msg.first[RT_HDR_PRIVACY] < 0)
				abort();
		} else if (strcmp(c->reason, "store_and_forward") == 0) {
			/* only our store-and-forward server, its own PAI lines */
			if (strcmp(c->src, SAF_SRC) != 0 || (c->body.len != 0 &&
			    strncmp(body, "P-Asserted-Identity: ", 21) != 0))
				abort();
		} else
			abort();	/* registered: not without a broker */
		break;
	case 401:
		if (strncmp(body, "Unauthorized\r\nWWW-Authenticate: Digest ", 39) != 0)
			abort();
		break;
	case 407:
		if (strncmp(body, "Proxy Authentication Required\r\n"
		    "Proxy-Authenticate: Digest ", 58) != 0)
			abort();
		break;
	case 503:
		if (strcmp(body, "Service Unavailable\r\nRetry-After: 5\r\n") != 0)
			abort();
		break;
	case 400:
	case 403:
	case 500:
		if (c->body.len == 0)
			abort();
		break;
	default:
		abort();
	}
	check_body(c);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char src[16], flow[AGENT_FLOW_MAX];
	const char *proto;
	time_t now;
	int port, runs;
	size_t len;

	if (size < HEADER_LEN || size - HEADER_LEN > RT_SIP_MAX_MSG)
		return 0;
	proto = protos[(data[0] & 0x0f) % (sizeof(protos) / sizeof(protos[0]))];
	runs = 1 + (data[0] >> 4) % 3;
	snprintf(src, sizeof(src), "%u.%u.%u.%u", data[1], data[2], data[3], data[4]);
	port = data[5] << 8 | data[6];
	if (port == 0)
		port = 5060;
	snprintf(flow, sizeof(flow), "%s:%s:%d", proto, src, port);
	now = T0 + 4L * data[7];
	rt_time_set_now(now);
	len = substitute((const char *)data + HEADER_LEN, size - HEADER_LEN, flow, now);
	fuzz_agent_reset(agent);
	for (int i = 0; i < runs; i++) {
		struct agent_check *c = NULL;

		if (agent_check_new(agent, proto, src, port, request, len, &c) != 0) {
			if (len <= RT_SIP_MAX_MSG)
				abort();
			break;
		}
		if (agent_check_run(c) != 0)
			abort();	/* no broker: never later */
		check_verdict(c);
		agent_check_free(c);
	}
	rt_time_set_now(T0);
	return 0;
}
