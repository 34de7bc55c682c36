/*
 * libFuzzer target: what a broker does with the bytes of a frame from the
 * network: rt_frame_parse, then rt_frame_verify against a trust store
 * holding only a CA made here (so no signature can verify: abort() if one
 * does), then, as an authenticated but hostile peer could make us do,
 * rt_msg_parse and the matching _from_xml on every item.
 *
 * The audience and time checks come before the signature in
 * rt_frame_verify; the target addresses each frame to whatever it names
 * and accepts any time, so the fuzzer reaches the CMS code behind them.
 */
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pki.h"
#include "rt_frame.h"
#include "rt_log.h"
#include "rt_msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* About a century either way: no timestamp is refused as stale. */
#define ANY_TIME (100L * 366 * 86400)

static struct rt_trust *trust;

static int
remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (flag == FTW_DP)
		rmdir(path);
	else
		unlink(path);
	return 0;
}

/* A fresh CA in a temporary folder, its certificate kept as our anchor. */
static int
make_trust(void)
{
	struct rt_trust_options opts = {0, 0, 0};
	struct pki_ca_init_opts ca_opts = {0};
	struct pki_ca *ca = NULL;
	const char *tmp = getenv("TMPDIR");
	char dir[512];
	int r;

	snprintf(dir, sizeof(dir), "%s/rt-fuzz-frame-XXXXXX",
	    tmp != NULL && *tmp != '\0' ? tmp : "/tmp");
	if (mkdtemp(dir) == NULL)
		return RT_ERR_IO;
	ca_opts.dir = dir;
	ca_opts.name = "Fuzz Federation";
	if ((r = pki_ca_init(&ca_opts)) == 0 &&
	    (r = pki_ca_open(dir, NULL, &ca)) == 0 &&
	    (r = rt_trust_new(&opts, &trust)) == 0)
		r = rt_trust_add_ca(trust, pki_ca_cert(ca));
	pki_ca_close(ca);
	nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
	return r;
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	rt_log_init("fuzz_frame", RT_LOG_STDERR, RT_LOG_NONE);
	if (rt_xml_init() != 0 || make_trust() != 0) {
		fprintf(stderr, "fuzz_frame: setup failed\n");
		exit(1);
	}
	return 0;
}

/* What we encode from a hello we decoded must itself be a valid hello. */
static void
hello_again(const struct rt_hello *h)
{
	struct rt_buf xml;
	enum rt_msg_type type;
	xmlDocPtr doc = NULL;

	rt_buf_init(&xml, RT_XML_MAX);
	if (rt_hello_encode(h, &xml) == 0) {
		if (rt_msg_parse(xml.data, xml.len, &type, &doc) != 0 ||
		    type != RT_MSG_HELLO)
			abort();
		xmlFreeDoc(doc);
	}
	rt_buf_fini(&xml);
}

static void
decode_item(const struct rt_frame_item *item)
{
	static struct rt_hello hello;	/* 10 KB: off the stack */
	struct rt_refusal refusal;
	enum rt_msg_type type;
	xmlDocPtr doc = NULL;
	X509_CRL *crl = NULL;
	uint64_t ms;

	if (rt_msg_parse(item->data, item->len, &type, &doc) != 0)
		return;
	switch (type) {
	case RT_MSG_HELLO:
		if (rt_hello_from_xml(doc, &hello) == 0)
			hello_again(&hello);
		break;
	case RT_MSG_PING:
	case RT_MSG_PONG:
		(void)!rt_ping_from_xml(doc, &ms);
		break;
	case RT_MSG_CRL_PUSH:
		if (rt_crl_push_from_xml(doc, &crl) == 0) {
			/* no CRL the fuzzer can make is signed by our CA */
			if (rt_trust_set_crl(trust, crl, 0) == 0)
				abort();
			X509_CRL_free(crl);
		}
		break;
	case RT_MSG_REFUSAL:
		(void)!rt_refusal_from_xml(doc, &refusal);
		break;
	default:
		break;
	}
	xmlFreeDoc(doc);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct rt_frame frame;	/* 6 KB of items: off the stack */
	struct rt_frame_check check = {0};

	if (rt_frame_parse(data, size, 0, &frame) != 0)
		return 0;
	check.trust = trust;
	check.self_realm = frame.recipient;
	check.skew = ANY_TIME;
	if (rt_frame_verify(&check, &frame) == 0)
		abort();	/* nothing was signed by a key of our CA */
	for (int i = 0; i < frame.nitems; i++)
		decode_item(&frame.items[i]);
	return 0;
}
