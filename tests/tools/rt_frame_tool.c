/*
 * rt_frame_tool: a broker peer that misbehaves on purpose. It dials a
 * roamtrust-broker over nng req0 with mutual TLS and sends the frame a
 * --mode asks for (a valid hello or ping, or a replayed, misaddressed,
 * stale, oversize, tampered or garbage one), so the integration tests can
 * check the broker refuses each and keeps serving.
 *
 * It prints exactly one line per frame sent, and nothing else on stdout:
 *   reply: TYPE [reason=TOKEN] [items=N]  a reply that verified
 *   reply: INVALID reason=TOKEN           a reply that did not
 *   no-reply                              nothing before --timeout-ms
 *   connect-failed: REASON                the dial failed; nothing sent
 * Replies are verified like any frame (rt_frame_verify) against --ca: the
 * broker's certificate is learnt from its Hello reply (or --peer-cert), so
 * a reply without a certificate before that is INVALID reason=cert_unknown.
 * Exit status: 0 when the tool ran as intended (the caller interprets the
 * lines), 1 on local errors (files unreadable), 2 on usage errors.
 */
#include <getopt.h>
#include <nng/nng.h>
#include <nng/protocol/reqrep0/req.h>
#include <nng/supplemental/tls/tls.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rt_cms.h"
#include "rt_codec.h"
#include "rt_file.h"
#include "rt_frame.h"
#include "rt_log.h"
#include "rt_msg.h"
#include "rt_x509.h"

#define EXIT_LOCAL 1
#define EXIT_USAGE 2
#define OVERSIZE (2 * 1024 * 1024)
#define GARBAGE_LEN 512
#define STALE_MS (10 * 60 * 1000)
#define REPLY_SKEW 300		/* seconds of clock skew allowed to replies */

struct options {
	const char *url, *ca, *key, *cert, *server_name, *to, *to2, *mode;
	const char *peer_cert;
	const char *agreements[RT_HELLO_MAX_AGREEMENTS];
	int nagreements;
	long count;
	long timeout_ms;
};

struct tool {
	struct options opt;
	nng_socket sock;
	struct rt_signer *signer;	/* NULL without --key/--cert or in no-cert */
	struct rt_trust *trust;		/* verifies the replies */
};

static const char usage_text[] =
    "usage: rt_frame_tool --url tls+tcp://HOST:PORT --ca CA.crt [--key K --cert C]\n"
    "         --server-name REALM --to REALM --mode MODE [--to2 REALM]\n"
    "         [--agreement ID]... [--peer-cert C] [--count N] [--timeout-ms T]\n"
    "modes: hello ping replay wrong-recipient stale oversize garbage tamper\n"
    "       no-cert raw-ping (all but garbage and no-cert need --key and --cert;\n"
    "       wrong-recipient needs --to2). ping, replay, wrong-recipient, stale\n"
    "       and tamper send a hello first, then their frame N times (replay: the\n"
    "       same ping bytes N+1 times).\n";

static int
usage(const char *why)
{
	if (why != NULL)
		fprintf(stderr, "rt_frame_tool: %s\n", why);
	fputs(usage_text, stderr);
	return EXIT_USAGE;
}

static int
parse_long(const char *s, long min, long max, long *out)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (*s == '\0' || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

/* Fills opt from argv; returns 0 or EXIT_USAGE (after saying why). */
static int
parse_args(int argc, char **argv, struct options *opt)
{
	static const struct option longopts[] = {
		{"url", required_argument, NULL, 'u'},
		{"ca", required_argument, NULL, 'a'},
		{"key", required_argument, NULL, 'k'},
		{"cert", required_argument, NULL, 'c'},
		{"server-name", required_argument, NULL, 's'},
		{"to", required_argument, NULL, 't'},
		{"to2", required_argument, NULL, '2'},
		{"mode", required_argument, NULL, 'm'},
		{"agreement", required_argument, NULL, 'g'},
		{"peer-cert", required_argument, NULL, 'p'},
		{"count", required_argument, NULL, 'n'},
		{"timeout-ms", required_argument, NULL, 'w'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0}
	};
	int ch;

	memset(opt, 0, sizeof(*opt));
	opt->count = 1;
	opt->timeout_ms = 2000;
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 'u':
			opt->url = optarg;
			break;
		case 'a':
			opt->ca = optarg;
			break;
		case 'k':
			opt->key = optarg;
			break;
		case 'c':
			opt->cert = optarg;
			break;
		case 's':
			opt->server_name = optarg;
			break;
		case 't':
			opt->to = optarg;
			break;
		case '2':
			opt->to2 = optarg;
			break;
		case 'm':
			opt->mode = optarg;
			break;
		case 'p':
			opt->peer_cert = optarg;
			break;
		case 'g':
			if (opt->nagreements >= RT_HELLO_MAX_AGREEMENTS ||
			    !rt_uuid_valid(optarg))
				return usage("--agreement takes a UUID (at most 256)");
			opt->agreements[opt->nagreements++] = optarg;
			break;
		case 'n':
			if (parse_long(optarg, 1, 100000, &opt->count) != 0)
				return usage("--count takes 1 to 100000");
			break;
		case 'w':
			if (parse_long(optarg, 1, 600000, &opt->timeout_ms) != 0)
				return usage("--timeout-ms takes 1 to 600000");
			break;
		case 'h':
			usage(NULL);
			exit(0);
		default:
			return usage(NULL);
		}
	}
	if (optind != argc)
		return usage("unexpected argument");
	if (opt->url == NULL || opt->ca == NULL || opt->server_name == NULL ||
	    opt->to == NULL || opt->mode == NULL)
		return usage("--url, --ca, --server-name, --to and --mode are required");
	if ((opt->key == NULL) != (opt->cert == NULL))
		return usage("--key and --cert go together");
	if (!rt_realm_valid(opt->to) || (opt->to2 != NULL && !rt_realm_valid(opt->to2)))
		return usage("--to and --to2 take a realm");
	return 0;
}

/* Prints one line per frame; flushed so a test reading a pipe sees it. */
static void
say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void
say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

/* Loads the signer and the trust store; EXIT_LOCAL after saying why. */
static int
tool_load(struct tool *t, int with_signer)
{
	struct rt_trust_options topts = {0, 0, 0};
	const char *what = t->opt.ca;
	char realm[RT_REALM_MAX];
	X509 *peer = NULL;
	int r;

	if ((r = rt_trust_new(&topts, &t->trust)) != 0 ||
	    (r = rt_trust_load_ca(t->trust, t->opt.ca)) != 0)
		goto out;
	if (with_signer && t->opt.key != NULL) {
		what = t->opt.key;
		if ((r = rt_signer_load(t->opt.key, t->opt.cert, NULL, &t->signer)) != 0)
			goto out;
	}
	if (t->opt.peer_cert != NULL) {
		what = t->opt.peer_cert;
		if ((r = rt_cert_load(t->opt.peer_cert, &peer)) == 0)
			r = rt_trust_verify_cert(t->trust, peer, NULL, rt_time_now(),
			    realm);
	}
 out:
	X509_free(peer);
	if (r != 0) {
		fprintf(stderr, "rt_frame_tool: %s: %s\n", what, rt_strerror(r));
		return EXIT_LOCAL;
	}
	return 0;
}

/* The TLS configuration of the dialer; EXIT_LOCAL after saying why. */
static int
tls_config_make(struct tool *t, nng_tls_config **cfgp)
{
	struct rt_buf ca, cert, key;
	nng_tls_config *cfg = NULL;
	int r = EXIT_LOCAL, rv;

	rt_buf_init(&ca, RT_PEM_MAX);
	rt_buf_init(&cert, RT_PEM_MAX);
	rt_buf_init(&key, RT_PEM_MAX);
	rt_buf_set_secret(&key);
	if (rt_file_read(t->opt.ca, RT_PEM_MAX, &ca) != 0 ||
	    (t->signer != NULL && (rt_file_read(t->opt.cert, RT_PEM_MAX, &cert) != 0 ||
	    rt_file_read(t->opt.key, RT_PEM_MAX, &key) != 0))) {
		fprintf(stderr, "rt_frame_tool: cannot read the TLS files\n");
		goto out;
	}
	if ((rv = nng_tls_config_alloc(&cfg, NNG_TLS_MODE_CLIENT)) != 0 ||
	    (rv = nng_tls_config_ca_chain(cfg, rt_buf_str(&ca), NULL)) != 0 ||
	    (t->signer != NULL && (rv = nng_tls_config_own_cert(cfg,
	    rt_buf_str(&cert), rt_buf_str(&key), NULL)) != 0) ||
	    (rv = nng_tls_config_auth_mode(cfg, NNG_TLS_AUTH_MODE_REQUIRED)) != 0 ||
	    (rv = nng_tls_config_server_name(cfg, t->opt.server_name)) != 0) {
		fprintf(stderr, "rt_frame_tool: tls: %s\n", nng_strerror(rv));
		goto out;
	}
	*cfgp = cfg;
	cfg = NULL;
	r = 0;
 out:
	if (cfg != NULL)
		nng_tls_config_free(cfg);
	rt_buf_fini(&ca);
	rt_buf_fini(&cert);
	rt_buf_fini(&key);
	return r;
}

/*
 * Opens the socket and dials synchronously, so a refused TLS handshake is
 * seen here. Returns 0, -1 after printing connect-failed, or an exit code.
 */
static int
tool_connect(struct tool *t)
{
	nng_tls_config *cfg = NULL;
	nng_dialer dialer;
	int r, rv;

	if ((rv = nng_req0_open(&t->sock)) != 0) {
		fprintf(stderr, "rt_frame_tool: socket: %s\n", nng_strerror(rv));
		return EXIT_LOCAL;
	}
	if ((rv = nng_socket_set_size(t->sock, NNG_OPT_RECVMAXSZ, RT_FRAME_MAX)) != 0 ||
	    (rv = nng_socket_set_ms(t->sock, NNG_OPT_RECVTIMEO,
	    (nng_duration)t->opt.timeout_ms)) != 0 ||
	    (rv = nng_socket_set_ms(t->sock, NNG_OPT_SENDTIMEO,
	    (nng_duration)t->opt.timeout_ms)) != 0) {
		fprintf(stderr, "rt_frame_tool: socket options: %s\n", nng_strerror(rv));
		return EXIT_LOCAL;
	}
	if ((rv = nng_dialer_create(&dialer, t->sock, t->opt.url)) != 0) {
		fprintf(stderr, "rt_frame_tool: %s: %s\n", t->opt.url, nng_strerror(rv));
		return EXIT_USAGE;
	}
	if ((r = tls_config_make(t, &cfg)) != 0)
		return r;
	rv = nng_dialer_set_ptr(dialer, NNG_OPT_TLS_CONFIG, cfg);
	nng_tls_config_free(cfg);	/* the dialer holds its own reference */
	if (rv != 0) {
		fprintf(stderr, "rt_frame_tool: %s: %s\n", t->opt.url, nng_strerror(rv));
		return EXIT_USAGE;
	}
	if ((rv = nng_dialer_start(dialer, 0)) != 0) {
		say("connect-failed: %s", nng_strerror(rv));
		return -1;
	}
	return 0;
}

/* Checks a reply to the request sent_id and prints its line. */
static void
report_reply(struct tool *t, const uint8_t *data, size_t len,
    const uint8_t *sent_id)
{
	struct rt_frame_check check = {t->trust, NULL, "", 0, REPLY_SKEW};
	static struct rt_frame frame;	/* 6 KB of items: off the stack */
	struct rt_refusal refusal;
	enum rt_msg_type type;
	xmlDocPtr doc = NULL;
	char extra[64] = "", items[32] = "";
	int r;

	if (t->signer != NULL)
		check.self_realm = t->signer->realm;
	if ((r = rt_frame_parse(data, len, 0, &frame)) != 0 ||
	    (r = rt_frame_verify(&check, &frame)) != 0) {
		say("reply: INVALID reason=%s", rt_errname(r));
		return;
	}
	if (frame.kind != RT_FRAME_REPLY) {
		say("reply: INVALID reason=not_a_reply");
		return;
	}
	if (sent_id != NULL && memcmp(frame.ref, sent_id, RT_FRAME_ID_LEN) != 0) {
		say("reply: INVALID reason=wrong_ref");
		return;
	}
	if (strcmp(frame.sender, t->opt.to) != 0) {
		say("reply: INVALID reason=%s", rt_errname(RT_ERR_REALM));
		return;
	}
	if ((r = rt_msg_parse(frame.items[0].data, frame.items[0].len, &type,
	    &doc)) != 0) {
		say("reply: INVALID reason=%s", rt_errname(r));
		return;
	}
	if (type == RT_MSG_REFUSAL) {
		if ((r = rt_refusal_from_xml(doc, &refusal)) != 0) {
			xmlFreeDoc(doc);
			say("reply: INVALID reason=%s", rt_errname(r));
			return;
		}
		snprintf(extra, sizeof(extra), " reason=%s", refusal.reason);
	}
	xmlFreeDoc(doc);
	if (frame.nitems > 1)
		snprintf(items, sizeof(items), " items=%d", frame.nitems);
	say("reply: %s%s%s", rt_msg_name(type), extra, items);
}

/* Sends one frame and prints what came back. sent_id NULL: not ours. */
static int
exchange(struct tool *t, const uint8_t *wire, size_t len, const uint8_t *sent_id)
{
	void *reply = NULL;
	size_t reply_len = 0;
	int rv;

	if ((rv = nng_send(t->sock, (void *)(uintptr_t)wire, len, 0)) != 0) {
		fprintf(stderr, "rt_frame_tool: send: %s\n", nng_strerror(rv));
		say("no-reply");
		return 0;
	}
	if ((rv = nng_recv(t->sock, &reply, &reply_len, NNG_FLAG_ALLOC)) != 0) {
		if (rv != NNG_ETIMEDOUT)
			fprintf(stderr, "rt_frame_tool: receive: %s\n", nng_strerror(rv));
		say("no-reply");
		return 0;
	}
	report_reply(t, reply, reply_len, sent_id);
	nng_free(reply, reply_len);
	return 0;
}

/* Builds a request of one item (xml) from our signer into wire. */
static int
build_request(struct tool *t, const char *recipient, const struct rt_buf *xml,
    int embed_cert, uint64_t timestamp_ms, struct rt_buf *wire, uint8_t *idp)
{
	struct rt_frame_item item = {1, xml->data, xml->len};
	struct rt_frame_out fo = {RT_FRAME_REQUEST, NULL, recipient, &item, 1,
	    embed_cert, timestamp_ms};
	int r;

	rt_buf_reset(wire);
	if ((r = rt_frame_build(t->signer, &fo, wire, idp)) != 0)
		fprintf(stderr, "rt_frame_tool: build: %s\n", rt_strerror(r));
	return r;
}

static int
send_hello(struct tool *t)
{
	static struct rt_hello hello;	/* 10 KB: off the stack */
	struct rt_realm_descriptor *d = &hello.descriptor;
	struct rt_buf xml, wire;
	uint8_t id[RT_FRAME_ID_LEN];
	time_t now = rt_time_now();
	int r;

	memset(&hello, 0, sizeof(hello));
	snprintf(d->realm, sizeof(d->realm), "%s", t->signer->realm);
	d->serial = (uint64_t)now;
	snprintf(d->endpoints[0], sizeof(d->endpoints[0]), "tls+tcp://127.0.0.1:1");
	d->nendpoints = 1;
	d->issued_at = now;
	d->not_on_or_after = now + 3600;
	for (int i = 0; i < t->opt.nagreements; i++)
		snprintf(hello.agreements[i], sizeof(hello.agreements[i]), "%s",
		    t->opt.agreements[i]);
	hello.nagreements = t->opt.nagreements;
	rt_buf_init(&xml, RT_XML_MAX);
	rt_buf_init(&wire, RT_FRAME_MAX);
	if ((r = rt_hello_encode(&hello, &xml)) == 0 &&
	    (r = build_request(t, t->opt.to, &xml, 1, 0, &wire, id)) == 0)
		r = exchange(t, wire.data, wire.len, id);
	rt_buf_fini(&xml);
	rt_buf_fini(&wire);
	return r;
}

enum ping_kind { PING_VALID, PING_STALE, PING_TAMPER };

/*
 * Sends a ping to recipient (a new frame each time), or with sends > 1
 * the same frame bytes that many times.
 */
static int
send_ping(struct tool *t, const char *recipient, enum ping_kind kind, long sends)
{
	struct rt_buf xml, wire;
	uint8_t id[RT_FRAME_ID_LEN];
	uint64_t now_ms = rt_time_now_ms();
	uint64_t ts = kind == PING_STALE ? now_ms - STALE_MS : now_ms;
	int r;

	rt_buf_init(&xml, RT_XML_MAX);
	rt_buf_init(&wire, RT_FRAME_MAX);
	if ((r = rt_ping_encode(RT_MSG_PING, now_ms, &xml)) != 0 ||
	    (r = build_request(t, recipient, &xml, 0, ts, &wire, id)) != 0)
		goto out;
	if (kind == PING_TAMPER) {
		struct rt_frame frame;

		/* one bit of the item's payload, after signing */
		if ((r = rt_frame_parse(wire.data, wire.len, 0, &frame)) != 0)
			goto out;
		wire.data[frame.items[0].data - wire.data + frame.items[0].len / 2] ^= 0x01;
	}
	for (long i = 0; i < sends && r == 0; i++)
		r = exchange(t, wire.data, wire.len, id);
 out:
	rt_buf_fini(&xml);
	rt_buf_fini(&wire);
	return r;
}

/* A frame of a valid header (from a real ping) padded with junk to len. */
static int
send_junk(struct tool *t, int keep_header, size_t len)
{
	struct rt_buf xml, wire;
	struct rt_frame frame;
	size_t header = 0;
	int r = 0;

	rt_buf_init(&xml, RT_XML_MAX);
	rt_buf_init(&wire, OVERSIZE);
	if (keep_header) {
		if ((r = rt_ping_encode(RT_MSG_PING, rt_time_now_ms(), &xml)) != 0 ||
		    (r = build_request(t, t->opt.to, &xml, 0, 0, &wire, NULL)) != 0 ||
		    (r = rt_frame_parse(wire.data, wire.len, 0, &frame)) != 0)
			goto out;
		header = (size_t)(frame.items[0].data - wire.data);
		wire.len = header;
	}
	if ((r = rt_buf_reserve(&wire, len - header)) != 0 ||
	    (r = rt_random_bytes(wire.data + header, len - header)) != 0)
		goto out;
	wire.len = len;
	r = exchange(t, wire.data, wire.len, NULL);
 out:
	rt_buf_fini(&xml);
	rt_buf_fini(&wire);
	if (r != 0)
		fprintf(stderr, "rt_frame_tool: junk: %s\n", rt_strerror(r));
	return r;
}

/* Runs the mode after the connection is up; 0 or RT_ERR_*. */
static int
run_mode(struct tool *t)
{
	const char *mode = t->opt.mode;
	long n = t->opt.count;
	int r = 0;

	if (strcmp(mode, "hello") == 0) {
		for (long i = 0; i < n && r == 0; i++)
			r = send_hello(t);
		return r;
	}
	if (strcmp(mode, "oversize") == 0) {
		for (long i = 0; i < n && r == 0; i++)
			r = send_junk(t, 1, OVERSIZE);
		return r;
	}
	if (strcmp(mode, "garbage") == 0 || strcmp(mode, "no-cert") == 0) {
		for (long i = 0; i < n && r == 0; i++)
			r = send_junk(t, 0, GARBAGE_LEN);
		return r;
	}
	if (strcmp(mode, "raw-ping") == 0) {
		for (long i = 0; i < n && r == 0; i++)
			r = send_ping(t, t->opt.to, PING_VALID, 1);
		return r;
	}
	if ((r = send_hello(t)) != 0)
		return r;
	if (strcmp(mode, "replay") == 0)
		return send_ping(t, t->opt.to, PING_VALID, n + 1);
	for (long i = 0; i < n && r == 0; i++) {
		if (strcmp(mode, "ping") == 0)
			r = send_ping(t, t->opt.to, PING_VALID, 1);
		else if (strcmp(mode, "wrong-recipient") == 0)
			r = send_ping(t, t->opt.to2, PING_VALID, 1);
		else if (strcmp(mode, "stale") == 0)
			r = send_ping(t, t->opt.to, PING_STALE, 1);
		else
			r = send_ping(t, t->opt.to, PING_TAMPER, 1);
	}
	return r;
}

/* Whether mode is known; *signsp tells whether it needs a signer. */
static int
mode_known(const char *mode, int *signsp)
{
	static const char *const signing[] = {"hello", "ping", "replay",
	    "wrong-recipient", "stale", "oversize", "tamper", "raw-ping", NULL};

	*signsp = 1;
	for (int i = 0; signing[i] != NULL; i++)
		if (strcmp(mode, signing[i]) == 0)
			return 1;
	*signsp = 0;
	return strcmp(mode, "garbage") == 0 || strcmp(mode, "no-cert") == 0;
}

int
main(int argc, char **argv)
{
	struct tool t;
	int signs, status;

	memset(&t, 0, sizeof(t));
	if ((status = parse_args(argc, argv, &t.opt)) != 0)
		return status;
	if (!mode_known(t.opt.mode, &signs))
		return usage("unknown --mode");
	if (signs && t.opt.key == NULL)
		return usage("this mode signs frames: --key and --cert are required");
	if (strcmp(t.opt.mode, "wrong-recipient") == 0 && t.opt.to2 == NULL)
		return usage("wrong-recipient needs --to2");
	rt_log_init("rt_frame_tool", RT_LOG_STDERR, RT_LOG_ERR);
	if (rt_xml_init() != 0)
		return EXIT_LOCAL;
	/* no-cert: TLS without a client certificate, whatever was given */
	if ((status = tool_load(&t, strcmp(t.opt.mode, "no-cert") != 0)) != 0)
		goto out;
	if ((status = tool_connect(&t)) != 0) {
		if (status < 0)
			status = 0;	/* connect-failed is a result, not an error */
		goto out;
	}
	status = run_mode(&t) == 0 ? 0 : EXIT_LOCAL;
 out:
	/*
	 * The socket is left to process exit: with nng 1.5.2, nng_close hangs
	 * in about half the runs that leave a TLS redial or an unsendable
	 * request in flight (oversize: the broker drops the pipe and req0
	 * sends again on the next one), and nng_fini after it can panic.
	 */
	rt_signer_free(t.signer);
	rt_trust_free(t.trust);
	return status;
}
