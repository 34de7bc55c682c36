/*
 * Shared by the rt_sip unit tests (test_sip, test_sip_util,
 * test_sip_torture, test_sip_torture_app): parsing a message template whose
 * "@CL@" stands for its body's length, and assertions on rt_sip_str values
 * that fail the calling cmocka test with both strings shown.
 */
#ifndef HELPER_SIP_H
#define HELPER_SIP_H

#include <stddef.h>

#include "rt_sip.h"

/* The SDP body of the RFC 4475 messages, 150 bytes with 9-byte addresses. */
#define SDP(ip1, ip2) "v=0\r\no=mhandley 29739 7272939 IN IP4 " ip1 "\r\n" \
	"s=-\r\nc=IN IP4 " ip2 "\r\nt=0 0\r\nm=audio 49217 RTP/AVP 0 12\r\n" \
	"m=video 3227 RTP/AVP 31\r\na=rtpmap:31 LPC\r\n"

struct sip_parsed {
	char buf[16384];
	size_t len;
	struct rt_sip_msg msg;
	const char *why;
	int r;
};

/* The last message sip_run parsed. */
extern struct sip_parsed sip_p;

/* Copies tmpl[0..len) into sip_p.buf with each "@CL@" replaced by the
 * length of the body (what follows the first CRLF CRLF), and parses it. */
struct sip_parsed *sip_run_len(const char *tmpl, size_t len);
struct sip_parsed *sip_run(const char *tmpl);
/* Fails the test unless p (what sip_run returned) parsed. */
void sip_assert_ok(const char *name, const struct sip_parsed *p);
/* Fails the test unless s holds exactly want. */
void sip_assert_str(struct rt_sip_str s, const char *want);
/* The value of the first header id of sip_p (which must be there). */
struct rt_sip_str sip_value_of(enum rt_sip_hdr id);
/* Checks the first header id of sip_p as a name-addr: URI, display name
 * and, when param is not NULL, that param's value. */
void sip_check_name_addr(enum rt_sip_hdr id, const char *uri,
    const char *display, const char *param, const char *param_value);

#endif
