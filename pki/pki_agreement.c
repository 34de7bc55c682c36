/*
 * roamtrust-pki agreement new|sign|verify, and `show` of a document.
 *
 * An agreement is written once (new), signed by each realm in turn (sign
 * adds a SignerInfo to A.xml.sig, embedding the signer certificate so that
 * stock `openssl cms -verify` checks the file alone) and is valid only
 * with both signatures (verify).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pki.h"
#include "pki_cli.h"
#include "rt_cms.h"
#include "rt_doc.h"
#include "rt_file.h"
#include "rt_log.h"
#include "rt_x509.h"

#define AGREEMENT_SKEW 300	/* seconds of clock skew tolerated on verify */
#define SIG_SUFFIX ".sig"

static const char *const agreement_units[] = {
	"second", "minute", "message", "event", "kilobyte", NULL
};

static int agreement_new(const struct pki_command *cmd, int argc, char **argv);
static int agreement_sign(const struct pki_command *cmd, int argc, char **argv);
static int agreement_verify(const struct pki_command *cmd, int argc, char **argv);

static const struct pki_command agreement_cmds[] = {
	{"agreement new", agreement_new,
	    "agreement new --home R1 --visited R2 --service NAME:UNIT:RATE_MINOR [...]\n"
	    "        --currency EUR [--days N] [--max-assertion SECONDS] --out A.xml\n"
	    "(UNIT: second minute message event kilobyte; RATE_MINOR: minor currency\n"
	    "units, e.g. cents, per UNIT)"},
	{"agreement sign", agreement_sign,
	    "agreement sign --key K --cert C [--passphrase-file F] A.xml"},
	{"agreement verify", agreement_verify,
	    "agreement verify --ca ca.crt [--crl crl.pem] A.xml"},
};

static int
parse_long(const char *s, long min, long max, long *vp)
{
	char *end;
	long v;

	if (s == NULL || *s == '\0')
		return RT_ERR_USAGE;
	v = strtol(s, &end, 10);
	if (*end != '\0' || v < min || v > max)
		return RT_ERR_USAGE;
	*vp = v;
	return 0;
}

/* NAME:UNIT:RATE_MINOR */
static int
parse_service(const char *spec, struct rt_agreement_service *svc)
{
	const char *c1 = strchr(spec, ':'), *c2;
	size_t nlen, ulen;
	long rate;
	int unit_ok = 0;

	if (c1 == NULL || (c2 = strchr(c1 + 1, ':')) == NULL)
		return RT_ERR_USAGE;
	nlen = (size_t)(c1 - spec);
	ulen = (size_t)(c2 - c1 - 1);
	if (nlen == 0 || nlen >= sizeof(svc->name) || ulen == 0 ||
	    ulen >= sizeof(svc->unit))
		return RT_ERR_USAGE;
	memcpy(svc->name, spec, nlen);
	svc->name[nlen] = '\0';
	memcpy(svc->unit, c1 + 1, ulen);
	svc->unit[ulen] = '\0';
	if (svc->name[0] < 'a' || svc->name[0] > 'z')
		return RT_ERR_USAGE;
	for (const char *p = svc->name; *p != '\0'; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-'))
			return RT_ERR_USAGE;
	for (int i = 0; agreement_units[i] != NULL; i++)
		if (strcmp(agreement_units[i], svc->unit) == 0)
			unit_ok = 1;
	if (!unit_ok || parse_long(c2 + 1, 0, 100000000, &rate) != 0)
		return RT_ERR_USAGE;
	svc->rate = (uint32_t)rate;
	return 0;
}

static int
currency_valid(const char *s)
{
	if (strlen(s) != 3)
		return 0;
	for (int i = 0; i < 3; i++)
		if (s[i] < 'A' || s[i] > 'Z')
			return 0;
	return 1;
}

static int
agreement_new(const struct pki_command *cmd, int argc, char **argv)
{
	static const struct option opts[] = {
		{"home", required_argument, NULL, 'H'},
		{"visited", required_argument, NULL, 'v'},
		{"service", required_argument, NULL, 's'},
		{"currency", required_argument, NULL, 'c'},
		{"days", required_argument, NULL, 'd'},
		{"max-assertion", required_argument, NULL, 'm'},
		{"out", required_argument, NULL, 'o'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0}
	};
	struct rt_agreement a;
	struct rt_buf xml;
	const char *out = NULL;
	long days = 365, max_assertion = 3600;
	xmlDocPtr doc = NULL;
	time_t now = rt_time_now();
	int c, r, rc = 1, status = 0;

	memset(&a, 0, sizeof(a));
	rt_buf_init(&xml, RT_XML_MAX);
	while ((c = pki_cli_next_opt(cmd, argc, argv, opts, &status)) != -1) {
		switch (c) {
		case 'H':
		case 'v':
			if (strlen(optarg) >= RT_REALM_MAX || !rt_realm_valid(optarg))
				return pki_cli_fail(cmd, "'%s' is not a valid realm (DNS name)", optarg);
			strcpy(c == 'H' ? a.home : a.visited, optarg);
			break;
		case 's':
			if (a.nservices >= RT_SERVICES_MAX)
				return pki_cli_fail(cmd, "at most %d services", RT_SERVICES_MAX);
			if (parse_service(optarg, &a.services[a.nservices]) != 0)
				return pki_cli_fail(cmd, "bad --service '%s' (NAME:UNIT:RATE_MINOR)", optarg);
			if (rt_agreement_service(&a, a.services[a.nservices].name) != NULL)
				return pki_cli_fail(cmd, "service '%s' listed twice", optarg);
			a.nservices++;
			break;
		case 'c':
			if (!currency_valid(optarg))
				return pki_cli_fail(cmd, "'%s' is not an ISO 4217 currency code", optarg);
			memcpy(a.currency, optarg, 4);
			break;
		case 'd':
			if (parse_long(optarg, 1, 36500, &days) != 0)
				return pki_cli_fail(cmd, "bad --days '%s'", optarg);
			break;
		case 'm':
			if (parse_long(optarg, 60, 604800, &max_assertion) != 0)
				return pki_cli_fail(cmd, "bad --max-assertion '%s' (60..604800 seconds)", optarg);
			break;
		case 'o':
			out = optarg;
			break;
		default:
			return status;
		}
	}
	if (optind != argc || out == NULL || a.home[0] == '\0' ||
	    a.visited[0] == '\0' || a.nservices == 0 || a.currency[0] == '\0')
		return pki_cli_usage_error(cmd,
		    "--home, --visited, --service, --currency and --out are required");
	if (strcmp(a.home, a.visited) == 0)
		return pki_cli_fail(cmd, "home and visited are the same realm (%s)", a.home);
	if ((r = rt_uuid_v4(a.id)) != 0)
		goto out;
	a.max_assertion = (uint32_t)max_assertion;
	a.not_before = now;
	a.not_on_or_after = now + days * 86400;
	/* Check our own output against the schema before anyone signs it. */
	if ((r = rt_agreement_encode(&a, &xml)) != 0 ||
	    (r = rt_doc_parse_verified("RoamingAgreement", xml.data, xml.len, 0,
	    &doc)) != 0)
		goto out;
	if ((r = rt_file_write(out, xml.data, xml.len, 0644, 1)) != 0)
		goto out;
	printf("agreement %s written to %s: %s may roam into %s; sign it with both realm keys\n",
	    a.id, out, a.home, a.visited);
	rc = 0;
 out:
	if (rc != 0)
		pki_cli_fail(cmd, "%s", rt_strerror(r));
	xmlFreeDoc(doc);
	rt_buf_fini(&xml);
	return rc;
}

static int
sig_path(const char *path, char *out, size_t cap)
{
	if ((size_t)snprintf(out, cap, "%s%s", path, SIG_SUFFIX) >= cap)
		return RT_ERR_TOO_BIG;
	return 0;
}

static int
agreement_sign(const struct pki_command *cmd, int argc, char **argv)
{
	static const struct option opts[] = {
		{"key", required_argument, NULL, 'k'},
		{"cert", required_argument, NULL, 'c'},
		{"passphrase-file", required_argument, NULL, 'p'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0}
	};
	const char *key = NULL, *cert = NULL, *passfile = NULL, *path;
	struct rt_buf xml, oldsig, newsig, pass;
	struct rt_signer *signer = NULL;
	struct rt_agreement a;
	char sigfile[4096];
	xmlDocPtr doc = NULL;
	int c, r, rc = 1, status = 0;

	rt_buf_init(&xml, RT_XML_MAX);
	rt_buf_init(&oldsig, RT_CMS_SIG_MAX);
	rt_buf_init(&newsig, RT_CMS_SIG_MAX);
	rt_buf_init(&pass, 1024);
	while ((c = pki_cli_next_opt(cmd, argc, argv, opts, &status)) != -1) {
		switch (c) {
		case 'k':
			key = optarg;
			break;
		case 'c':
			cert = optarg;
			break;
		case 'p':
			passfile = optarg;
			break;
		default:
			return status;
		}
	}
	if (key == NULL || cert == NULL || optind != argc - 1)
		return pki_cli_usage_error(cmd, "--key, --cert and one agreement file are required");
	path = argv[optind];
	if ((r = sig_path(path, sigfile, sizeof(sigfile))) != 0 ||
	    (passfile != NULL && (r = rt_passphrase_load(passfile, &pass)) != 0) ||
	    (r = rt_signer_load(key, cert, passfile ? rt_buf_str(&pass) : NULL,
	    &signer)) != 0 ||
	    (r = rt_file_read(path, RT_XML_MAX, &xml)) != 0)
		goto out;
	r = rt_file_read(sigfile, RT_CMS_SIG_MAX, &oldsig);
	if (r == RT_ERR_NOT_FOUND)
		r = rt_cms_sign(signer, xml.data, xml.len, RT_CMS_EMBED_CERT, &newsig);
	else if (r == 0)
		r = rt_cms_add_signer(signer, xml.data, xml.len, oldsig.data,
		    oldsig.len, RT_CMS_EMBED_CERT, &newsig);
	if (r == RT_ERR_EXISTS) {
		pki_cli_fail(cmd, "%s has already signed %s", signer->realm, path);
		goto done;
	}
	if (r == RT_ERR_SIG_BAD) {
		pki_cli_fail(cmd, "%s does not match %s: the agreement was changed "
		    "after it was signed", sigfile, path);
		goto done;
	}
	if (r != 0)
		goto out;
	/* The signature now covers exactly these bytes: read what we sign. */
	if ((r = rt_doc_parse_verified("RoamingAgreement", xml.data, xml.len, 0,
	    &doc)) != 0 || (r = rt_agreement_from_xml(doc, &a)) != 0)
		goto out;
	if (strcmp(signer->realm, a.home) != 0 && strcmp(signer->realm, a.visited) != 0) {
		pki_cli_fail(cmd, "%s is not a party to this agreement (home %s, "
		    "visited %s)", signer->realm, a.home, a.visited);
		goto done;
	}
	if ((r = rt_file_write(sigfile, newsig.data, newsig.len, 0644, 0)) != 0)
		goto out;
	printf("%s signed agreement %s (%s)\n", signer->realm, a.id, sigfile);
	rc = 0;
 out:
	if (rc != 0)
		pki_cli_fail(cmd, "%s", rt_strerror(r));
 done:
	xmlFreeDoc(doc);
	rt_signer_free(signer);
	rt_buf_fini(&xml);
	rt_buf_fini(&oldsig);
	rt_buf_fini(&newsig);
	rt_buf_fini(&pass);
	return rc;
}

static void
print_agreement(const struct rt_agreement *a)
{
	char nb[RT_TIME_STR_LEN + 1], na[RT_TIME_STR_LEN + 1];

	rt_time_format(a->not_before, nb);
	rt_time_format(a->not_on_or_after, na);
	printf("agreement %s\n  home:      %s\n  visited:   %s\n  currency:  %s\n",
	    a->id, a->home, a->visited, a->currency);
	for (int i = 0; i < a->nservices; i++)
		printf("  service:   %s, %u minor units per %s\n", a->services[i].name,
		    a->services[i].rate, a->services[i].unit);
	printf("  assertion: at most %u s\n  valid:     %s to %s\n",
	    a->max_assertion, nb, na);
}

/*
 * After a refusal for its signers: say who signed and who is missing. The
 * signature verified (that is how we got this far), so the bytes may be read.
 */
static void
explain_signers(const struct rt_doc_ctx *ctx, const struct rt_buf *xml,
    const struct rt_buf *sig)
{
	struct rt_cms_signers signers;
	struct rt_agreement a;
	xmlDocPtr doc = NULL;

	if (rt_cms_verify(ctx->trust, xml->data, xml->len, sig->data, sig->len,
	    ctx->now, &signers) != 0 ||
	    rt_doc_parse_verified("RoamingAgreement", xml->data, xml->len, 0,
	    &doc) != 0 || rt_agreement_from_xml(doc, &a) != 0) {
		xmlFreeDoc(doc);
		return;
	}
	for (int i = 0; i < signers.count; i++)
		printf("signed by: %s%s\n", signers.realm[i],
		    strcmp(signers.realm[i], a.home) != 0 &&
		    strcmp(signers.realm[i], a.visited) != 0 ? " (not a party!)" : "");
	if (!rt_cms_signed_by(&signers, a.home))
		printf("missing:   %s (home) has not signed\n", a.home);
	if (!rt_cms_signed_by(&signers, a.visited))
		printf("missing:   %s (visited) has not signed\n", a.visited);
	xmlFreeDoc(doc);
}

static int
agreement_verify(const struct pki_command *cmd, int argc, char **argv)
{
	static const struct option opts[] = {
		{"ca", required_argument, NULL, 'a'},
		{"crl", required_argument, NULL, 'l'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0}
	};
	struct rt_trust_options topts = {0, 0, 0};
	const char *ca = NULL, *crl = NULL, *path;
	struct rt_trust *trust = NULL;
	struct rt_buf xml, sig;
	struct rt_agreement a;
	struct rt_doc_ctx ctx;
	char sigfile[4096];
	int c, r, rc = 1, status = 0;

	rt_buf_init(&xml, RT_XML_MAX);
	rt_buf_init(&sig, RT_CMS_SIG_MAX);
	while ((c = pki_cli_next_opt(cmd, argc, argv, opts, &status)) != -1) {
		switch (c) {
		case 'a':
			ca = optarg;
			break;
		case 'l':
			crl = optarg;
			break;
		default:
			return status;
		}
	}
	if (ca == NULL || optind != argc - 1)
		return pki_cli_usage_error(cmd, "--ca and one agreement file are required");
	path = argv[optind];
	topts.require_crl = crl != NULL;
	memset(&ctx, 0, sizeof(ctx));
	ctx.now = rt_time_now();
	ctx.skew = AGREEMENT_SKEW;
	if ((r = sig_path(path, sigfile, sizeof(sigfile))) != 0 ||
	    (r = rt_trust_new(&topts, &trust)) != 0 ||
	    (r = rt_trust_load_ca(trust, ca)) != 0 ||
	    (crl != NULL && (r = rt_trust_load_crl(trust, crl, ctx.now)) != 0) ||
	    (r = rt_file_read(path, RT_XML_MAX, &xml)) != 0)
		goto out;
	if ((r = rt_file_read(sigfile, RT_CMS_SIG_MAX, &sig)) == RT_ERR_NOT_FOUND)
		r = RT_ERR_SIG_MISSING;
	if (r != 0)
		goto out;
	ctx.trust = trust;
	if ((r = rt_agreement_decode(&ctx, xml.data, xml.len, sig.data, sig.len,
	    &a)) != 0) {
		if (r == RT_ERR_SIGNERS || r == RT_ERR_REALM)
			explain_signers(&ctx, &xml, &sig);
		goto out;
	}
	print_agreement(&a);
	printf("ok: signed by %s and %s\n", a.home, a.visited);
	rc = 0;
 out:
	if (rc != 0)
		printf("invalid: %s\n", rt_strerror(r));
	rt_trust_free(trust);
	rt_buf_fini(&xml);
	rt_buf_fini(&sig);
	return rc;
}

int
pki_agreement_main(int argc, char **argv)
{
	static const struct pki_command group = {"agreement", NULL,
	    "agreement new|sign|verify ... (each takes --help)"};

	if (argc < 2)
		return pki_cli_usage_error(&group, "new, sign or verify?");
	for (size_t i = 0; i < sizeof(agreement_cmds) / sizeof(agreement_cmds[0]); i++) {
		if (strcmp(agreement_cmds[i].name + strlen("agreement "), argv[1]) == 0) {
			optind = 1;
			return agreement_cmds[i].run(&agreement_cmds[i], argc - 1, argv + 1);
		}
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		for (size_t i = 0; i < sizeof(agreement_cmds) / sizeof(agreement_cmds[0]); i++)
			printf("usage: %s %s\n", PKI_PROG, agreement_cmds[i].usage);
		return 0;
	}
	return pki_cli_usage_error(&group, "unknown command '%s'", argv[1]);
}

int
pki_show_document(const char *path)
{
	struct rt_buf xml;
	xmlDocPtr doc = NULL;
	char sigfile[4096];
	int r;

	rt_buf_init(&xml, RT_XML_MAX);
	if ((r = rt_file_read(path, RT_XML_MAX, &xml)) != 0 ||
	    (r = rt_doc_parse_verified(NULL, xml.data, xml.len, 0, &doc)) != 0) {
		rt_buf_fini(&xml);
		return r;
	}
	printf("%s: %s, valid against the roamtrust schema (its signature is not "
	    "checked by show)\n", path, rt_xml_root_name(doc));
	if (strcmp(rt_xml_root_name(doc), "RoamingAgreement") == 0) {
		struct rt_agreement a;

		if (rt_agreement_from_xml(doc, &a) == 0)
			print_agreement(&a);
	}
	if (sig_path(path, sigfile, sizeof(sigfile)) == 0 && rt_file_exists(sigfile))
		printf("signature: %s (roamtrust-pki show %s lists its signers)\n",
		    sigfile, sigfile);
	else
		printf("signature: none\n");
	xmlFreeDoc(doc);
	rt_buf_fini(&xml);
	return 0;
}
