/*
 * rt_usage_tool: an agent, as far as the broker's ledger can tell, for the
 * integration tests. It talks to a broker's agent socket (nng req0,
 * ipc://) like roamtrust-agent does:
 *
 *   rt_usage_tool auth URL REALM USER PUBLIC_ID [SERVICE...]
 *       reads the password on stdin, sends the AuthRequest a UA's digest
 *       answer would make, prints "assertion ID" (exit 0) or
 *       "refused RESULT" (exit 1);
 *   rt_usage_tool submit URL --count N [--per K] --home H --visited V
 *       --agreement ID --assertion ID [--subscriber URI] [--service S]
 *       [--unit U] [--bad-every M] [--acked FILE] [--retry SECONDS]
 *       submits N records in UsageSubmits of K, each one again until it
 *       is answered (a broker that is down or refuses gets it again later,
 *       as an agent's spool would), writes the id of every record the
 *       broker acknowledged as stored to FILE (one a line, flushed before
 *       the next submit), and prints "submitted N stored S rejected R".
 *       Every M-th record names service "video" (not in the agreement).
 *
 * Exit status: 0 done; 1 an answer that makes no sense, or no answer for
 * --retry seconds; 2 usage.
 */
#include <getopt.h>
#include <nng/nng.h>
#include <nng/protocol/reqrep0/req.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rt_codec.h"
#include "rt_digest.h"
#include "rt_log.h"
#include "rt_msg.h"

#define TIMEOUT_MS 10000

static int
open_socket(const char *url, nng_socket *sock)
{
	if (nng_req0_open(sock) != 0 ||
	    nng_socket_set_ms(*sock, NNG_OPT_RECVTIMEO, TIMEOUT_MS) != 0 ||
	    nng_socket_set_ms(*sock, NNG_OPT_SENDTIMEO, TIMEOUT_MS) != 0 ||
	    nng_socket_set_ms(*sock, NNG_OPT_REQ_RESENDTIME, NNG_DURATION_INFINITE) != 0 ||
	    nng_socket_set_size(*sock, NNG_OPT_RECVMAXSZ, RT_XML_MAX) != 0 ||
	    nng_dial(*sock, url, NULL, NNG_FLAG_NONBLOCK) != 0) {
		fprintf(stderr, "rt_usage_tool: cannot dial %s\n", url);
		return 1;
	}
	return 0;
}

/* One request, its answer parsed: 0, or 1 when none came. */
static int
call(nng_socket sock, const struct rt_buf *xml, enum rt_msg_type *type, xmlDocPtr *doc)
{
	nng_msg *msg = NULL;
	int r;

	*doc = NULL;
	if (nng_msg_alloc(&msg, 0) != 0 || nng_msg_append(msg, xml->data, xml->len) != 0 ||
	    nng_sendmsg(sock, msg, 0) != 0) {
		nng_msg_free(msg);
		return 1;
	}
	if (nng_recvmsg(sock, &msg, 0) != 0)
		return 1;
	r = rt_msg_parse(nng_msg_body(msg), nng_msg_len(msg), type, doc);
	nng_msg_free(msg);
	return r != 0;
}

static int
cmd_auth(int argc, char **argv)
{
	struct rt_auth_request req;
	struct rt_auth_response resp;
	struct rt_digest_creds c;
	char password[256], ha1[RT_DIGEST_HEX_MAX];
	uint8_t nonce[16];
	enum rt_msg_type type;
	xmlDocPtr doc = NULL;
	struct rt_buf xml;
	nng_socket sock;
	int r = 1;

	if (argc < 5)
		return 2;
	if (fgets(password, sizeof(password), stdin) == NULL)
		return 2;
	password[strcspn(password, "\r\n")] = '\0';
	memset(&req, 0, sizeof(req));
	memset(&c, 0, sizeof(c));
	snprintf(req.digest_realm, sizeof(req.digest_realm), "%s", argv[1]);
	snprintf(req.username, sizeof(req.username), "%s", argv[2]);
	snprintf(req.public_id, sizeof(req.public_id), "%s", argv[3]);
	snprintf(req.method, sizeof(req.method), "REGISTER");
	snprintf(req.uri, sizeof(req.uri), "sip:%s", argv[1]);
	if (rt_random_bytes(nonce, sizeof(nonce)) != 0)
		return 1;
	rt_hex_encode(nonce, sizeof(nonce), req.nonce);
	snprintf(req.algorithm, sizeof(req.algorithm), "SHA-256");
	snprintf(req.qop, sizeof(req.qop), "auth");
	snprintf(req.nc, sizeof(req.nc), "00000001");
	snprintf(req.cnonce, sizeof(req.cnonce), "c0ffee");
	for (int i = 4; i < argc && req.nservices < RT_SERVICES_MAX; i++)
		snprintf(req.services[req.nservices++], RT_SERVICE_MAX, "%s", argv[i]);
	snprintf(c.username, sizeof(c.username), "%s", req.username);
	snprintf(c.realm, sizeof(c.realm), "%s", req.digest_realm);
	snprintf(c.nonce, sizeof(c.nonce), "%s", req.nonce);
	snprintf(c.uri, sizeof(c.uri), "%s", req.uri);
	snprintf(c.qop, sizeof(c.qop), "auth");
	snprintf(c.nc, sizeof(c.nc), "00000001");
	snprintf(c.cnonce, sizeof(c.cnonce), "c0ffee");
	c.alg = RT_DIGEST_SHA256;
	if (rt_digest_ha1(RT_DIGEST_SHA256, req.username, req.digest_realm, password,
	    ha1) != 0 ||
	    rt_digest_response(RT_DIGEST_SHA256, ha1, &c, "REGISTER", NULL,
	    req.response) != 0)
		return 1;
	rt_buf_init(&xml, RT_XML_MAX);
	if (rt_auth_request_encode(&req, &xml) != 0 || open_socket(argv[0], &sock) != 0)
		goto out;
	if (call(sock, &xml, &type, &doc) != 0 || type != RT_MSG_AUTH_RESPONSE ||
	    rt_auth_response_from_xml(doc, &resp) != 0)
		printf("no answer\n");
	else if (resp.result != RT_AUTH_OK || !resp.has_assertion)
		printf("refused %s\n", rt_auth_result_name(resp.result));
	else {
		printf("assertion %s\n", resp.assertion.id);
		r = 0;
	}
	xmlFreeDoc(doc);
	nng_close(sock);
 out:
	rt_buf_fini(&xml);
	return r;
}

struct submit_opts {
	const char *url, *home, *visited, *agreement, *assertion, *subscriber;
	const char *service, *unit, *acked;
	long count, per, bad_every, retry;
};

static void
record_make(const struct submit_opts *o, long i, struct rt_usage_record *u)
{
	time_t now = rt_time_now();

	memset(u, 0, sizeof(*u));
	if (rt_uuid_v7(rt_time_now_ms(), u->id) != 0)
		abort();
	snprintf(u->agreement_ref, sizeof(u->agreement_ref), "%s", o->agreement);
	snprintf(u->assertion_ref, sizeof(u->assertion_ref), "%s", o->assertion);
	snprintf(u->subscriber, sizeof(u->subscriber), "%s", o->subscriber);
	snprintf(u->home, sizeof(u->home), "%s", o->home);
	snprintf(u->visited, sizeof(u->visited), "%s", o->visited);
	snprintf(u->service, sizeof(u->service), "%s",
	    o->bad_every > 0 && (i + 1) % o->bad_every == 0 ? "video" : o->service);
	snprintf(u->call_id, sizeof(u->call_id), "it-%ld@ua.%s", i, o->visited);
	snprintf(u->unit, sizeof(u->unit), "%s", o->unit);
	/* a call that began after the test's agreement did (skew aside) */
	u->start = now - 40;
	u->end = now - 5;
	u->quantity = strcmp(o->unit, "second") == 0 ? 35 : 1;
}

/* Sends one submit until it is answered; counts its outcome. */
static int
submit_one(const struct submit_opts *o, nng_socket sock, const struct rt_usage_record *recs,
    size_t n, FILE *acked, long *stored, long *rejected)
{
	struct rt_usage_submit_ack *ack = calloc(1, sizeof(*ack));
	uint64_t until = rt_mono_ns() + (uint64_t)o->retry * 1000000000ULL;
	enum rt_msg_type type = RT_MSG_UNKNOWN;
	xmlDocPtr doc = NULL;
	struct rt_buf xml;
	int r = 1;

	rt_buf_init(&xml, RT_XML_MAX);
	if (ack == NULL || rt_usage_submit_encode(recs, n, &xml) != 0)
		goto out;
	for (;;) {
		if (call(sock, &xml, &type, &doc) == 0 && type == RT_MSG_USAGE_SUBMIT_ACK)
			break;
		xmlFreeDoc(doc);
		doc = NULL;
		if (rt_mono_ns() > until) {
			fprintf(stderr, "rt_usage_tool: no acknowledgement for %ld s\n",
			    o->retry);
			goto out;
		}
		usleep(200000);
	}
	if (rt_usage_submit_ack_from_xml(doc, ack) != 0 ||
	    ack->stored + ack->nrejected != n) {
		fprintf(stderr, "rt_usage_tool: an acknowledgement that does not add up\n");
		goto out;
	}
	for (size_t i = 0; i < n && acked != NULL; i++) {
		int refused = 0;

		for (size_t k = 0; k < ack->nrejected && !refused; k++)
			refused = strcmp(ack->rejected[k].ref, recs[i].id) == 0;
		if (!refused)
			fprintf(acked, "%s\n", recs[i].id);
	}
	if (acked != NULL)
		fflush(acked);
	*stored += ack->stored;
	*rejected += (long)ack->nrejected;
	r = 0;
 out:
	xmlFreeDoc(doc);
	rt_buf_fini(&xml);
	free(ack);
	return r;
}

static int
cmd_submit(int argc, char **argv)
{
	static const struct option opts[] = {
		{"count", required_argument, NULL, 'n'},
		{"per", required_argument, NULL, 'k'},
		{"home", required_argument, NULL, 'H'},
		{"visited", required_argument, NULL, 'V'},
		{"agreement", required_argument, NULL, 'g'},
		{"assertion", required_argument, NULL, 'a'},
		{"subscriber", required_argument, NULL, 's'},
		{"service", required_argument, NULL, 'S'},
		{"unit", required_argument, NULL, 'u'},
		{"bad-every", required_argument, NULL, 'b'},
		{"acked", required_argument, NULL, 'A'},
		{"retry", required_argument, NULL, 'r'},
		{NULL, 0, NULL, 0}
	};
	struct submit_opts o = {NULL, NULL, NULL, NULL, NULL, NULL, "voice", "second",
	    NULL, 0, 100, 0, 30};
	struct rt_usage_record *recs;
	long stored = 0, rejected = 0, sent = 0;
	nng_socket sock;
	FILE *acked = NULL;
	int c, r = 0;

	if (argc < 2)
		return 2;
	o.url = argv[1];
	optind = 2;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'n': o.count = atol(optarg); break;
		case 'k': o.per = atol(optarg); break;
		case 'H': o.home = optarg; break;
		case 'V': o.visited = optarg; break;
		case 'g': o.agreement = optarg; break;
		case 'a': o.assertion = optarg; break;
		case 's': o.subscriber = optarg; break;
		case 'S': o.service = optarg; break;
		case 'u': o.unit = optarg; break;
		case 'b': o.bad_every = atol(optarg); break;
		case 'A': o.acked = optarg; break;
		case 'r': o.retry = atol(optarg); break;
		default: return 2;
		}
	}
	if (o.count <= 0 || o.per <= 0 || o.per > RT_BATCH_MAX || o.home == NULL ||
	    o.visited == NULL || o.agreement == NULL || o.assertion == NULL)
		return 2;
	if (o.subscriber == NULL)
		o.subscriber = "sip:alice@home.example";
	if ((recs = calloc((size_t)o.per, sizeof(*recs))) == NULL)
		return 1;
	if (o.acked != NULL && (acked = fopen(o.acked, "a")) == NULL) {
		free(recs);
		return 1;
	}
	if (open_socket(o.url, &sock) != 0) {
		free(recs);
		if (acked != NULL)
			fclose(acked);
		return 1;
	}
	while (sent < o.count && r == 0) {
		size_t n = (size_t)(o.count - sent < o.per ? o.count - sent : o.per);

		for (size_t i = 0; i < n; i++)
			record_make(&o, sent + (long)i, &recs[i]);
		r = submit_one(&o, sock, recs, n, acked, &stored, &rejected);
		sent += (long)n;
	}
	printf("submitted %ld stored %ld rejected %ld\n", sent, stored, rejected);
	nng_close(sock);
	if (acked != NULL)
		fclose(acked);
	free(recs);
	return r;
}

int
main(int argc, char **argv)
{
	int r = 2;

	rt_log_init("rt_usage_tool", RT_LOG_STDERR, RT_LOG_ERR);
	if (rt_xml_init() != 0)
		return 1;
	if (argc >= 2 && strcmp(argv[1], "auth") == 0)
		r = cmd_auth(argc - 2, argv + 2);
	else if (argc >= 2 && strcmp(argv[1], "submit") == 0)
		r = cmd_submit(argc - 1, argv + 1);
	if (r == 2)
		fprintf(stderr, "usage: rt_usage_tool auth URL REALM USER PUBLIC_ID "
		    "[SERVICE...] < password\n"
		    "       rt_usage_tool submit URL --count N [--per K] --home H "
		    "--visited V --agreement ID --assertion ID [--subscriber URI]\n"
		    "           [--service S] [--unit U] [--bad-every M] [--acked FILE] "
		    "[--retry SECONDS]\n");
	return r;
}
