/*
 * Benchmark of rt_sip on one core: how many typical REGISTERs (sipp's,
 * with a digest Authorization, ~560 bytes) per second
 *   - rt_sip_parse alone (sip_parse_register),
 *   - rt_sip_parse plus what the agent reads next: To and Contact as
 *     name-addr, their URIs, the From tag (sip_parse_register_walk),
 * and the INVITE with SDP for scale. Each figure runs for BENCH_SECONDS
 * (default 2) and prints "bench: NAME VALUE msgs/s (MB/s)".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rt_codec.h"
#include "rt_log.h"
#include "rt_sip.h"

static const char register_msg[] =
    "REGISTER sip:visited.example SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 192.0.2.10:5061;branch=z9hG4bK-4242-1-2;rport\r\n"
    "From: <sip:alice@home.example>;tag=1\r\n"
    "To: <sip:alice@home.example>\r\n"
    "Call-ID: 1-4242@192.0.2.10\r\n"
    "CSeq: 2 REGISTER\r\n"
    "Contact: <sip:alice@192.0.2.10:5061;transport=udp>;expires=3600\r\n"
    "Authorization: Digest username=\"alice\",realm=\"home.example\","
    "nonce=\"5f2b1c0a9d8e7f6a\",uri=\"sip:visited.example\","
    "response=\"6629fae49393a05397450978507c4ef1\",algorithm=MD5,qop=auth,"
    "nc=00000001,cnonce=\"0a4f113b\"\r\n"
    "Max-Forwards: 70\r\n"
    "Expires: 3600\r\n"
    "User-Agent: sipp\r\n"
    "Content-Length: 0\r\n"
    "\r\n";

static const char invite_msg[] =
    "INVITE sip:service@192.0.2.20:5060 SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 192.0.2.10:5061;branch=z9hG4bK-4242-1-0\r\n"
    "From: sipp <sip:sipp@192.0.2.10:5061>;tag=4242SIPpTag001\r\n"
    "To: service <sip:service@192.0.2.20:5060>\r\n"
    "Call-ID: 1-4242@192.0.2.10\r\n"
    "CSeq: 1 INVITE\r\n"
    "Contact: sip:sipp@192.0.2.10:5061\r\n"
    "Max-Forwards: 70\r\n"
    "Subject: Performance Test\r\n"
    "Content-Type: application/sdp\r\n"
    "Content-Length: 131\r\n"
    "\r\n"
    "v=0\r\n"
    "o=user1 53655765 2353687637 IN IP4 192.0.2.10\r\n"
    "s=-\r\n"
    "c=IN IP4 192.0.2.10\r\n"
    "t=0 0\r\n"
    "m=audio 6000 RTP/AVP 0\r\n"
    "a=rtpmap:0 PCMU/8000\r\n";

static struct rt_sip_msg msg;

static int
parse_only(const char *m, size_t len)
{
	return rt_sip_parse(m, len, &msg, NULL);
}

static int
name_addr_uri(enum rt_sip_hdr id, struct rt_sip_uri *u, struct rt_sip_str *params)
{
	struct rt_sip_str uri, display;
	int r;

	if (msg.first[id] < 0)
		return RT_ERR_NOT_FOUND;
	if ((r = rt_sip_name_addr(msg.headers[msg.first[id]].value, &uri, &display,
	    params)) != 0)
		return r;
	return rt_sip_uri_parse(uri, u);
}

static int
parse_walk(const char *m, size_t len)
{
	struct rt_sip_uri u;
	struct rt_sip_str params, tag;
	int r;

	if ((r = rt_sip_parse(m, len, &msg, NULL)) != 0 ||
	    (r = name_addr_uri(RT_HDR_TO, &u, &params)) != 0 ||
	    (r = name_addr_uri(RT_HDR_CONTACT, &u, &params)) != 0 ||
	    (r = name_addr_uri(RT_HDR_FROM, &u, &params)) != 0)
		return r;
	return rt_sip_param(params, "tag", &tag);
}

static void
bench(const char *name, int (*fn)(const char *, size_t), const char *m,
    double seconds)
{
	size_t len = strlen(m);
	unsigned long n = 0;
	uint64_t start = rt_mono_ns(), now;
	double secs;

	do {
		for (int i = 0; i < 1000; i++) {
			if (fn(m, len) != 0) {
				fprintf(stderr, "bench_sip: %s failed\n", name);
				exit(1);
			}
		}
		n += 1000;
		now = rt_mono_ns();
	} while ((double)(now - start) < seconds * 1e9);
	secs = (double)(now - start) / 1e9;
	printf("bench: %s %.0f msgs/s (%.0f MB/s, %zu bytes)\n", name, n / secs,
	    n * (double)len / secs / 1e6, len);
}

int
main(void)
{
	const char *env = getenv("BENCH_SECONDS");
	double seconds = 2.0;

	if (env != NULL && atof(env) > 0)
		seconds = atof(env);
	rt_log_init("bench_sip", RT_LOG_STDERR, RT_LOG_ERR);
	bench("sip_parse_register", parse_only, register_msg, seconds);
	bench("sip_parse_register_walk", parse_walk, register_msg, seconds);
	bench("sip_parse_invite", parse_only, invite_msg, seconds);
	return 0;
}
