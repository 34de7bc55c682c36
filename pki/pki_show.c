/*
 * `roamtrust-pki show`: a short, operator-friendly summary of whatever
 * PKI file an operator holds (certificate, CSR, CRL, CMS signature), so
 * nobody has to remember which `openssl ... -text` flag applies. It
 * describes; it does not verify (that is `verify`). Text taken from the
 * file is escaped before it reaches the terminal.
 */
#include <openssl/cms.h>
#include <openssl/ec.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <string.h>

#include "pki_int.h"
#include "rt_codec.h"
#include "rt_file.h"
#include "rt_log.h"

#define SHOW_FILE_MAX RT_CRL_MAX
#define SHOW_PEM_BLOCKS_MAX 64

enum show_kind {
	SHOW_UNKNOWN,
	SHOW_CERT,
	SHOW_CSR,
	SHOW_CRL,
	SHOW_CMS
};

/* Prints len bytes of s, with control and non-ASCII bytes as \xNN. */
static void
put_safe(FILE *out, const unsigned char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (s[i] < 0x20 || s[i] >= 0x7f || s[i] == '\\')
			fprintf(out, "\\x%02x", s[i]);
		else
			fputc(s[i], out);
	}
}

static void
put_name(FILE *out, const char *label, const X509_NAME *name)
{
	BIO *bio = BIO_new(BIO_s_mem());
	BUF_MEM *mem;

	fprintf(out, "  %-14s", label);
	if (bio != NULL && X509_NAME_print_ex(bio, name, 0,
	    XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) >= 0) {
		BIO_get_mem_ptr(bio, &mem);
		put_safe(out, (const unsigned char *)mem->data, mem->length);
	}
	fputc('\n', out);
	BIO_free(bio);
}

static void
put_time(FILE *out, const ASN1_TIME *t)
{
	char s[RT_TIME_STR_LEN + 1];
	time_t u;

	if (t == NULL || rt_asn1_time_to_unix(t, &u) != 0) {
		fputs("(none)", out);
		return;
	}
	rt_time_format(u, s);
	fputs(s, out);
}

static void
put_serial(FILE *out, const ASN1_INTEGER *serial)
{
	BIGNUM *bn = ASN1_INTEGER_to_BN(serial, NULL);
	char *hex = bn != NULL ? BN_bn2hex(bn) : NULL;

	fputs(hex != NULL ? hex : "?", out);
	OPENSSL_free(hex);
	BN_free(bn);
}

static void
put_decimal(FILE *out, const ASN1_INTEGER *v)
{
	BIGNUM *bn = v != NULL ? ASN1_INTEGER_to_BN(v, NULL) : NULL;
	char *dec = bn != NULL ? BN_bn2dec(bn) : NULL;

	fputs(dec != NULL ? dec : "(none)", out);
	OPENSSL_free(dec);
	BN_free(bn);
}

static void
put_key(FILE *out, EVP_PKEY *key)
{
	char group[64];
	size_t len = 0;

	fprintf(out, "  %-14s", "key:");
	if (key == NULL) {
		fputs("(unreadable)\n", out);
		return;
	}
	if (EVP_PKEY_is_a(key, "EC") &&
	    EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME,
	    group, sizeof(group), &len) == 1) {
		const char *nist = EC_curve_nid2nist(OBJ_txt2nid(group));

		fprintf(out, "EC %s", nist != NULL ? nist : group);
	} else
		fprintf(out, "%s %d bits", EVP_PKEY_get0_type_name(key),
		    EVP_PKEY_get_bits(key));
	fputs(rt_key_check(key) == 0 ? "\n" : " (refused: realm keys are EC P-256)\n",
	    out);
	ERR_clear_error();
}

static void
put_dns_names(FILE *out, const char *label, GENERAL_NAMES *names)
{
	int n = 0;

	fprintf(out, "  %-14s", label);
	for (int i = 0; i < sk_GENERAL_NAME_num(names); i++) {
		GENERAL_NAME *gn = sk_GENERAL_NAME_value(names, i);
		const char *type = NULL;
		ASN1_STRING *s = NULL;

		if (gn->type == GEN_DNS) {
			type = "";	/* a realm, as operators write it */
			s = gn->d.dNSName;
		} else if (gn->type == GEN_URI) {
			type = "URI:";
			s = gn->d.uniformResourceIdentifier;
		} else if (gn->type == GEN_EMAIL) {
			type = "email:";
			s = gn->d.rfc822Name;
		}
		fputs(n++ ? ", " : "", out);
		if (s == NULL) {
			fputs("(other name)", out);
			continue;
		}
		fputs(type, out);
		put_safe(out, ASN1_STRING_get0_data(s), (size_t)ASN1_STRING_length(s));
	}
	fputs(n ? "\n" : "(none)\n", out);
}

static void
put_eku(FILE *out, X509 *cert)
{
	EXTENDED_KEY_USAGE *eku = X509_get_ext_d2i(cert, NID_ext_key_usage, NULL, NULL);

	fprintf(out, "  %-14s", "EKU:");
	for (int i = 0; i < sk_ASN1_OBJECT_num(eku); i++) {
		const ASN1_OBJECT *obj = sk_ASN1_OBJECT_value(eku, i);
		int nid = OBJ_obj2nid(obj);
		char txt[80];

		/* the short names operators type: serverAuth, clientAuth */
		if (nid != NID_undef)
			snprintf(txt, sizeof(txt), "%s", OBJ_nid2sn(nid));
		else
			OBJ_obj2txt(txt, sizeof(txt), obj, 1);
		fprintf(out, "%s%s", i ? ", " : "", txt);
	}
	fputs(eku != NULL ? "\n" : "(any)\n", out);
	EXTENDED_KEY_USAGE_free(eku);
}

static void
put_key_usage(FILE *out, X509 *cert)
{
	static const struct {
		uint32_t bit;
		const char *name;
	} bits[] = {
		{KU_DIGITAL_SIGNATURE, "digitalSignature"},
		{KU_NON_REPUDIATION, "nonRepudiation"},
		{KU_KEY_ENCIPHERMENT, "keyEncipherment"},
		{KU_DATA_ENCIPHERMENT, "dataEncipherment"},
		{KU_KEY_AGREEMENT, "keyAgreement"},
		{KU_KEY_CERT_SIGN, "keyCertSign"},
		{KU_CRL_SIGN, "cRLSign"},
	};
	uint32_t ku = X509_get_key_usage(cert);
	int n = 0;

	fprintf(out, "  %-14s", "key usage:");
	if (ku == UINT32_MAX) {
		fputs("(any)\n", out);
		return;
	}
	for (size_t i = 0; i < sizeof(bits) / sizeof(bits[0]); i++)
		if (ku & bits[i].bit)
			fprintf(out, "%s%s", n++ ? ", " : "", bits[i].name);
	fputc('\n', out);
}

static void
put_cdp(FILE *out, X509 *cert)
{
	CRL_DIST_POINTS *points = X509_get_ext_d2i(cert,
	    NID_crl_distribution_points, NULL, NULL);

	for (int i = 0; i < sk_DIST_POINT_num(points); i++) {
		DIST_POINT *dp = sk_DIST_POINT_value(points, i);

		if (dp->distpoint != NULL && dp->distpoint->type == 0)
			put_dns_names(out, "CRL URL:", dp->distpoint->name.fullname);
	}
	if (points == NULL)
		fprintf(out, "  %-14s(none)\n", "CRL URL:");
	CRL_DIST_POINTS_free(points);
}

static void
show_cert(FILE *out, X509 *cert)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	GENERAL_NAMES *san = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
	time_t nb = 0, na = 0, now = rt_time_now();
	long pathlen;
	int ca = X509_check_ca(cert);

	fputs(ca ? "CA certificate\n" : "certificate\n", out);
	put_name(out, "subject:", X509_get_subject_name(cert));
	put_dns_names(out, ca ? "SAN:" : "realm (SAN):", san);
	put_name(out, "issuer:", X509_get_issuer_name(cert));
	fprintf(out, "  %-14s", "serial:");
	put_serial(out, X509_get0_serialNumber(cert));
	fprintf(out, "\n  %-14s", "valid:");
	put_time(out, X509_get0_notBefore(cert));
	fputs(" .. ", out);
	put_time(out, X509_get0_notAfter(cert));
	if (rt_asn1_time_to_unix(X509_get0_notBefore(cert), &nb) == 0 &&
	    rt_asn1_time_to_unix(X509_get0_notAfter(cert), &na) == 0)
		fputs(now < nb ? " (not yet valid)" : now >= na ? " (expired)" : "", out);
	fputc('\n', out);
	put_key(out, X509_get0_pubkey(cert));
	pathlen = X509_get_pathlen(cert);
	if (ca && pathlen >= 0)
		fprintf(out, "  %-14syes, path length %ld\n", "CA:", pathlen);
	else
		fprintf(out, "  %-14s%s\n", "CA:", ca ? "yes" : "no");
	put_key_usage(out, cert);
	put_eku(out, cert);
	put_cdp(out, cert);
	if (X509_digest(cert, EVP_sha256(), md, &mdlen) == 1) {
		fprintf(out, "  %-14s", "SHA-256:");
		for (unsigned int i = 0; i < mdlen; i++)
			fprintf(out, "%s%02X", i ? ":" : "", md[i]);
		fputc('\n', out);
	}
	GENERAL_NAMES_free(san);
	ERR_clear_error();
}

static void
show_csr(FILE *out, X509_REQ *csr)
{
	STACK_OF(X509_EXTENSION) *exts = X509_REQ_get_extensions(csr);
	GENERAL_NAMES *san = NULL;
	EVP_PKEY *key = X509_REQ_get0_pubkey(csr);
	char realm[RT_REALM_MAX];

	if (exts != NULL)
		san = X509V3_get_d2i(exts, NID_subject_alt_name, NULL, NULL);
	fputs("certificate signing request\n", out);
	put_name(out, "subject:", X509_REQ_get_subject_name(csr));
	put_dns_names(out, "SAN:", san);
	if (pki_request_realm(csr, realm, sizeof(realm)) == 0)
		fprintf(out, "  %-14s%s%s\n", "realm:", realm[0] ? realm : "(none)",
		    realm[0] && !rt_realm_valid(realm) ? " (not a valid DNS name)" : "");
	else
		fprintf(out, "  %-14s(names disagree)\n", "realm:");
	put_key(out, key);
	fprintf(out, "  %-14s%s\n", "signature:",
	    key != NULL && X509_REQ_verify(csr, key) == 1 ? "ok" : "BAD");
	GENERAL_NAMES_free(san);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	ERR_clear_error();
}

static void
show_crl(FILE *out, X509_CRL *crl)
{
	STACK_OF(X509_REVOKED) *revoked = X509_CRL_get_REVOKED(crl);
	ASN1_INTEGER *number = X509_CRL_get_ext_d2i(crl, NID_crl_number, NULL, NULL);
	time_t next = 0;
	int n = sk_X509_REVOKED_num(revoked);

	fputs("CRL\n", out);
	put_name(out, "issuer:", X509_CRL_get_issuer(crl));
	fprintf(out, "  %-14s", "number:");
	put_decimal(out, number);
	fprintf(out, "\n  %-14s", "last update:");
	put_time(out, X509_CRL_get0_lastUpdate(crl));
	fprintf(out, "\n  %-14s", "next update:");
	put_time(out, X509_CRL_get0_nextUpdate(crl));
	if (rt_asn1_time_to_unix(X509_CRL_get0_nextUpdate(crl), &next) == 0 &&
	    next < rt_time_now())
		fputs(" (expired)", out);
	fprintf(out, "\n  %-14s%d\n", "revoked:", n < 0 ? 0 : n);
	for (int i = 0; i < n; i++) {
		X509_REVOKED *rev = sk_X509_REVOKED_value(revoked, i);
		ASN1_ENUMERATED *code = X509_REVOKED_get_ext_d2i(rev, NID_crl_reason,
		    NULL, NULL);

		fputs("    ", out);
		put_serial(out, X509_REVOKED_get0_serialNumber(rev));
		fputs("  ", out);
		put_time(out, X509_REVOKED_get0_revocationDate(rev));
		fprintf(out, "  %s\n", code != NULL ?
		    pki_reason_name((int)ASN1_ENUMERATED_get(code)) : "unspecified");
		ASN1_ENUMERATED_free(code);
	}
	ASN1_INTEGER_free(number);
	ERR_clear_error();
}

/* The signing time attribute of si, or 0. */
static time_t
signing_time(CMS_SignerInfo *si)
{
	int idx = CMS_signed_get_attr_by_NID(si, NID_pkcs9_signingTime, -1);
	X509_ATTRIBUTE *attr = idx >= 0 ? CMS_signed_get_attr(si, idx) : NULL;
	ASN1_TYPE *type = attr != NULL ? X509_ATTRIBUTE_get0_type(attr, 0) : NULL;
	time_t t = 0;

	if (type != NULL && (type->type == V_ASN1_UTCTIME ||
	    type->type == V_ASN1_GENERALIZEDTIME) &&
	    rt_asn1_time_to_unix(type->value.utctime, &t) != 0)
		t = 0;
	return t;
}

static void
show_signer(FILE *out, int n, CMS_SignerInfo *si, STACK_OF(X509) *certs)
{
	ASN1_OCTET_STRING *keyid = NULL;
	X509_NAME *issuer = NULL;
	ASN1_INTEGER *sno = NULL;
	X509_ALGOR *dig = NULL, *sig = NULL;
	const ASN1_OBJECT *obj;
	X509 *cert = NULL;
	char realm[RT_REALM_MAX], txt[80];
	time_t t = signing_time(si);

	fprintf(out, "  signer %d\n", n);
	for (int i = 0; i < sk_X509_num(certs); i++)
		if (CMS_SignerInfo_cert_cmp(si, sk_X509_value(certs, i)) == 0)
			cert = sk_X509_value(certs, i);
	if (cert != NULL && rt_cert_realm(cert, realm, sizeof(realm)) == 0)
		fprintf(out, "    %-12s%s\n", "realm:", realm);
	else if (cert != NULL)
		fprintf(out, "    %-12s(certificate names no single realm)\n", "realm:");
	else
		fprintf(out, "    %-12s(certificate not embedded)\n", "realm:");
	if (CMS_SignerInfo_get0_signer_id(si, &keyid, &issuer, &sno) == 1) {
		if (issuer != NULL) {
			fprintf(out, "    %-12s", "serial:");
			put_serial(out, sno);
			fputc('\n', out);
			put_name(out, "  issuer:", issuer);
		} else if (keyid != NULL) {
			fprintf(out, "    %-12s", "key id:");
			for (int i = 0; i < ASN1_STRING_length(keyid); i++)
				fprintf(out, "%s%02X", i ? ":" : "",
				    ASN1_STRING_get0_data(keyid)[i]);
			fputc('\n', out);
		}
	}
	CMS_SignerInfo_get0_algs(si, NULL, NULL, &dig, &sig);
	if (dig != NULL && sig != NULL) {
		X509_ALGOR_get0(&obj, NULL, NULL, sig);
		OBJ_obj2txt(txt, sizeof(txt), obj, 0);
		fprintf(out, "    %-12s%s", "algorithm:", txt);
		X509_ALGOR_get0(&obj, NULL, NULL, dig);
		OBJ_obj2txt(txt, sizeof(txt), obj, 0);
		fprintf(out, " (digest %s)\n", txt);
	}
	fprintf(out, "    %-12s", "signed at:");
	if (t != 0) {
		char s[RT_TIME_STR_LEN + 1];

		rt_time_format(t, s);
		fprintf(out, "%s\n", s);
	} else
		fputs("(no signing time)\n", out);
}

static int
show_cms(FILE *out, CMS_ContentInfo *cms)
{
	STACK_OF(CMS_SignerInfo) *signers;
	STACK_OF(X509) *certs = NULL;
	ASN1_OCTET_STRING **content;
	char txt[80];

	if (OBJ_obj2nid(CMS_get0_type(cms)) != NID_pkcs7_signed)
		return RT_ERR_TYPE;
	signers = CMS_get0_SignerInfos(cms);
	certs = CMS_get1_certs(cms);
	content = CMS_get0_content(cms);
	OBJ_obj2txt(txt, sizeof(txt), CMS_get0_eContentType(cms), 0);
	fputs("CMS signature (SignedData)\n", out);
	fprintf(out, "  %-14s%s, %s\n", "content:", txt,
	    content == NULL || *content == NULL ? "detached" : "embedded");
	fprintf(out, "  %-14s%d embedded\n", "certificates:",
	    certs != NULL ? sk_X509_num(certs) : 0);
	for (int i = 0; i < sk_X509_num(certs); i++) {
		char realm[RT_REALM_MAX];

		if (rt_cert_realm(sk_X509_value(certs, i), realm, sizeof(realm)) == 0)
			fprintf(out, "    %s\n", realm);
	}
	for (int i = 0; i < sk_CMS_SignerInfo_num(signers); i++)
		show_signer(out, i + 1, sk_CMS_SignerInfo_value(signers, i), certs);
	if (sk_CMS_SignerInfo_num(signers) <= 0)
		fputs("  (no signers)\n", out);
	sk_X509_pop_free(certs, X509_free);
	ERR_clear_error();
	return 0;
}

/* Decodes der as kind (or, for SHOW_UNKNOWN, whatever it is) and shows it. */
static int
show_der(FILE *out, const unsigned char *der, long len, enum show_kind kind)
{
	static const enum show_kind order[] = {SHOW_CERT, SHOW_CRL, SHOW_CSR, SHOW_CMS};
	int r = RT_ERR_TYPE;

	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		const unsigned char *p = der;
		void *obj = NULL;

		if (kind != SHOW_UNKNOWN && kind != order[i])
			continue;
		switch (order[i]) {
		case SHOW_CERT:
			obj = d2i_X509(NULL, &p, len);
			break;
		case SHOW_CRL:
			obj = d2i_X509_CRL(NULL, &p, len);
			break;
		case SHOW_CSR:
			obj = d2i_X509_REQ(NULL, &p, len);
			break;
		case SHOW_CMS:
			obj = d2i_CMS_ContentInfo(NULL, &p, len);
			break;
		case SHOW_UNKNOWN:
			break;
		}
		if (obj != NULL && p == der + len) {
			r = 0;
			switch (order[i]) {
			case SHOW_CERT:
				show_cert(out, obj);
				break;
			case SHOW_CRL:
				show_crl(out, obj);
				break;
			case SHOW_CSR:
				show_csr(out, obj);
				break;
			case SHOW_CMS:
				r = show_cms(out, obj);
				break;
			case SHOW_UNKNOWN:
				break;
			}
		}
		switch (order[i]) {
		case SHOW_CERT:
			X509_free(obj);
			break;
		case SHOW_CRL:
			X509_CRL_free(obj);
			break;
		case SHOW_CSR:
			X509_REQ_free(obj);
			break;
		case SHOW_CMS:
			CMS_ContentInfo_free(obj);
			break;
		case SHOW_UNKNOWN:
			break;
		}
		if (r == 0)
			break;
	}
	ERR_clear_error();
	return r;
}

static enum show_kind
pem_kind(const char *label)
{
	if (strcmp(label, "CERTIFICATE") == 0 ||
	    strcmp(label, "X509 CERTIFICATE") == 0 ||
	    strcmp(label, "TRUSTED CERTIFICATE") == 0)
		return SHOW_CERT;
	if (strcmp(label, "CERTIFICATE REQUEST") == 0 ||
	    strcmp(label, "NEW CERTIFICATE REQUEST") == 0)
		return SHOW_CSR;
	if (strcmp(label, "X509 CRL") == 0)
		return SHOW_CRL;
	if (strcmp(label, "CMS") == 0 || strcmp(label, "PKCS7") == 0)
		return SHOW_CMS;
	return SHOW_UNKNOWN;
}

/* Every PEM block of buf, one after another (a bundle shows each). */
static int
show_pem(FILE *out, const struct rt_buf *buf)
{
	BIO *bio = BIO_new_mem_buf(buf->data, (int)buf->len);
	int shown = 0, r = 0;

	if (bio == NULL)
		return RT_ERR_NOMEM;
	for (int i = 0; i < SHOW_PEM_BLOCKS_MAX; i++) {
		char *label = NULL, *header = NULL;
		unsigned char *der = NULL;
		long len = 0;
		enum show_kind kind;

		if (PEM_read_bio(bio, &label, &header, &der, &len) != 1)
			break;
		kind = pem_kind(label);
		if (kind == SHOW_UNKNOWN) {
			/* a private key, say: name it, never print it */
			fprintf(out, "%sPEM block \"", shown ? "\n" : "");
			put_safe(out, (const unsigned char *)label, strlen(label));
			fputs("\" (not shown)\n", out);
		} else {
			if (shown)
				fputc('\n', out);
			if ((r = show_der(out, der, len, kind)) != 0)
				fputs("(unreadable block)\n", out);
		}
		shown++;
		OPENSSL_free(label);
		OPENSSL_free(header);
		OPENSSL_clear_free(der, (size_t)len);
		if (r != 0)
			break;
	}
	ERR_clear_error();
	BIO_free(bio);
	if (r == 0 && shown == 0)
		r = RT_ERR_TYPE;
	return r;
}

int
pki_show(const char *path, FILE *out)
{
	struct rt_buf buf;
	size_t i = 0;
	int r;

	rt_buf_init(&buf, SHOW_FILE_MAX);
	if ((r = rt_file_read(path, SHOW_FILE_MAX, &buf)) != 0)
		goto out;
	if (buf.len >= 3 && memcmp(buf.data, "\xef\xbb\xbf", 3) == 0)
		i = 3;	/* UTF-8 byte order mark */
	while (i < buf.len && (buf.data[i] == ' ' || buf.data[i] == '\t' ||
	    buf.data[i] == '\r' || buf.data[i] == '\n'))
		i++;
	if (buf.len - i >= 10 && memcmp(buf.data + i, "-----BEGIN", 10) == 0)
		r = show_pem(out, &buf);
	else if (i < buf.len && buf.data[i] == '<') {
		rt_buf_fini(&buf);
		return pki_show_document(path);
	} else
		r = show_der(out, buf.data, (long)buf.len, SHOW_UNKNOWN);
 out:
	rt_buf_fini(&buf);
	return r;
}
