/*
 * The CA database of pki_int.h (index.txt, crlnumber), revocation and CRLs.
 */
#include <ctype.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "pki_int.h"
#include "rt_file.h"
#include "rt_log.h"
#include "rt_x509.h"

#define PKI_INDEX_MAX (64 * 1024 * 1024)
#define PKI_INDEX_ENTRIES_MAX 1000000
#define PKI_CRLNUMBER_MAX 128

static const struct {
	const char *name;
	int code;
} reasons[] = {
	{"unspecified", PKI_REASON_UNSPECIFIED},
	{"keyCompromise", PKI_REASON_KEY_COMPROMISE},
	{"cACompromise", PKI_REASON_CA_COMPROMISE},
	{"affiliationChanged", PKI_REASON_AFFILIATION_CHANGED},
	{"superseded", PKI_REASON_SUPERSEDED},
	{"cessationOfOperation", PKI_REASON_CESSATION_OF_OPERATION},
	{"certificateHold", PKI_REASON_CERTIFICATE_HOLD},
	{"removeFromCRL", PKI_REASON_REMOVE_FROM_CRL},
	{"privilegeWithdrawn", PKI_REASON_PRIVILEGE_WITHDRAWN},
	{"aACompromise", PKI_REASON_AA_COMPROMISE},
};

#define N_REASONS (sizeof(reasons) / sizeof(reasons[0]))

int
pki_reason_parse(const char *name, int *reasonp)
{
	/* Without case, so OpenSSL's spelling "CACompromise" works too. */
	for (size_t i = 0; i < N_REASONS; i++) {
		if (strcasecmp(name, reasons[i].name) == 0) {
			*reasonp = reasons[i].code;
			return 0;
		}
	}
	return RT_ERR_BAD_INPUT;
}

const char *
pki_reason_name(int reason)
{
	for (size_t i = 0; i < N_REASONS; i++)
		if (reasons[i].code == reason)
			return reasons[i].name;
	return "unknown";
}

int
pki_serial_normalize(const char *in, char out[PKI_SERIAL_HEX_MAX])
{
	char digits[PKI_SERIAL_HEX_MAX + 1];
	size_t n = 0;
	BIGNUM *bn = NULL;
	char *hex = NULL;
	int r = RT_ERR_BAD_INPUT;

	out[0] = '\0';
	if (strncasecmp(in, "0x", 2) == 0)
		in += 2;
	for (; *in != '\0'; in++) {
		if (*in == ':')
			continue;
		if (!isxdigit((unsigned char)*in) || n + 1 >= sizeof(digits))
			return RT_ERR_BAD_INPUT;
		digits[n++] = *in;
	}
	digits[n] = '\0';
	if (n == 0 || n > PKI_SERIAL_HEX_MAX - 1)
		return RT_ERR_BAD_INPUT;
	if (BN_hex2bn(&bn, digits) != (int)n || (hex = BN_bn2hex(bn)) == NULL)
		goto out;
	if (strlen(hex) >= PKI_SERIAL_HEX_MAX)
		goto out;
	memcpy(out, hex, strlen(hex) + 1);
	r = 0;
 out:
	OPENSSL_free(hex);
	BN_free(bn);
	return r;
}

int
pki_asn1_time_string(time_t t, char *out, size_t cap)
{
	ASN1_TIME *at = ASN1_TIME_set(NULL, t);
	int len, r = RT_ERR_BAD_INPUT;

	if (at == NULL)
		return RT_ERR_BAD_INPUT;
	len = ASN1_STRING_length(at);
	if (len > 0 && (size_t)len < cap) {
		memcpy(out, ASN1_STRING_get0_data(at), (size_t)len);
		out[len] = '\0';
		r = 0;
	}
	ASN1_TIME_free(at);
	return r;
}

void
pki_index_fini(struct pki_index *index)
{
	if (index == NULL)
		return;
	free(index->entries);
	memset(index, 0, sizeof(*index));
}

static int
index_grow(struct pki_index *index)
{
	struct pki_index_entry *entries;
	size_t cap;

	if (index->len < index->cap)
		return 0;
	if (index->cap >= PKI_INDEX_ENTRIES_MAX)
		return RT_ERR_TOO_BIG;
	cap = index->cap ? index->cap * 2 : 64;
	if ((entries = realloc(index->entries, cap * sizeof(*entries))) == NULL)
		return RT_ERR_NOMEM;
	index->entries = entries;
	index->cap = cap;
	return 0;
}

/* Copies field into out (cap bytes); 0 or RT_ERR_BAD_INPUT when too long. */
static int
field_copy(const char *field, char *out, size_t cap)
{
	size_t len = strlen(field);

	if (len >= cap)
		return RT_ERR_BAD_INPUT;
	memcpy(out, field, len + 1);
	return 0;
}

static int
index_parse_line(char *line, struct pki_index_entry *e)
{
	char *fields[6];
	int n = 0;
	ASN1_TIME *t = NULL;
	int ok;

	for (char *p = line;; p++) {
		if (n == 6)
			return RT_ERR_BAD_INPUT;
		fields[n++] = p;
		if ((p = strchr(p, '\t')) == NULL)
			break;
		*p = '\0';
	}
	if (n != 6 || strlen(fields[0]) != 1 || strchr("VRE", fields[0][0]) == NULL)
		return RT_ERR_BAD_INPUT;
	memset(e, 0, sizeof(*e));
	e->status = fields[0][0];
	if (field_copy(fields[1], e->expiry, sizeof(e->expiry)) != 0 ||
	    field_copy(fields[2], e->revocation, sizeof(e->revocation)) != 0 ||
	    pki_serial_normalize(fields[3], e->serial) != 0 ||
	    field_copy(fields[5], e->subject, sizeof(e->subject)) != 0)
		return RT_ERR_BAD_INPUT;
	if ((t = ASN1_TIME_new()) == NULL)
		return RT_ERR_NOMEM;
	ok = ASN1_TIME_set_string(t, e->expiry) == 1;
	ASN1_TIME_free(t);
	if (!ok || (e->status == 'R') != (e->revocation[0] != '\0'))
		return RT_ERR_BAD_INPUT;
	return 0;
}

int
pki_index_load(struct pki_ca *ca, struct pki_index *index)
{
	char path[PATH_MAX];
	struct rt_buf buf;
	char *line, *next;
	int lineno = 0, r;

	memset(index, 0, sizeof(*index));
	rt_buf_init(&buf, PKI_INDEX_MAX);
	if ((r = pki_ca_path(ca, PKI_INDEX, path)) != 0)
		goto out;
	if ((r = rt_file_read(path, PKI_INDEX_MAX, &buf)) != 0) {
		if (r == RT_ERR_NOT_FOUND)
			r = 0;
		goto out;
	}
	for (line = (char *)buf.data; line != NULL && *line != '\0'; line = next) {
		lineno++;
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if (*line == '\0')
			continue;
		if ((r = index_grow(index)) != 0)
			goto out;
		if ((r = index_parse_line(line, &index->entries[index->len])) != 0) {
			log_err("event=index_bad path=%s line=%d", path, lineno);
			goto out;
		}
		index->len++;
	}
	r = 0;
 out:
	if (r != 0)
		pki_index_fini(index);
	rt_buf_fini(&buf);
	return r;
}

int
pki_index_save(struct pki_ca *ca, const struct pki_index *index)
{
	char path[PATH_MAX];
	struct rt_buf buf;
	int r;

	rt_buf_init(&buf, PKI_INDEX_MAX);
	if ((r = pki_ca_path(ca, PKI_INDEX, path)) != 0)
		goto out;
	for (size_t i = 0; i < index->len; i++) {
		const struct pki_index_entry *e = &index->entries[i];

		if ((r = rt_buf_printf(&buf, "%c\t%s\t%s\t%s\tunknown\t%s\n",
		    e->status, e->expiry, e->revocation, e->serial, e->subject)) != 0)
			goto out;
	}
	r = rt_file_write(path, buf.data != NULL ? buf.data : (const uint8_t *)"",
	    buf.len, 0644, 0);
 out:
	rt_buf_fini(&buf);
	return r;
}

struct pki_index_entry *
pki_index_find(struct pki_index *index, const char *serial)
{
	for (size_t i = 0; i < index->len; i++)
		if (strcmp(index->entries[i].serial, serial) == 0)
			return &index->entries[i];
	return NULL;
}

int
pki_index_add_cert(struct pki_index *index, X509 *cert, const char *realm)
{
	const ASN1_TIME *na = X509_get0_notAfter(cert);
	struct pki_index_entry *e;
	int r, len;

	if ((r = index_grow(index)) != 0)
		return r;
	e = &index->entries[index->len];
	memset(e, 0, sizeof(*e));
	e->status = 'V';
	len = ASN1_STRING_length(na);
	if (len <= 0 || (size_t)len >= sizeof(e->expiry))
		return RT_ERR_BAD_INPUT;
	memcpy(e->expiry, ASN1_STRING_get0_data(na), (size_t)len);
	if ((r = rt_cert_serial_hex(cert, e->serial, sizeof(e->serial))) != 0)
		return r;
	if (snprintf(e->subject, sizeof(e->subject), "/CN=%s", realm) >=
	    (int)sizeof(e->subject))
		return RT_ERR_BAD_INPUT;
	index->len++;
	return 0;
}

int
pki_ca_revoke(struct pki_ca *ca, const char *serial_hex, int reason,
    time_t when)
{
	struct pki_index index = {0};
	struct pki_index_entry *e;
	char serial[PKI_SERIAL_HEX_MAX], date[20];
	int lock = -1, r;

	if ((r = pki_serial_normalize(serial_hex, serial)) != 0)
		return r;
	if (strcmp(pki_reason_name(reason), "unknown") == 0)
		return RT_ERR_BAD_INPUT;
	if ((r = pki_asn1_time_string(when, date, sizeof(date))) != 0)
		return r;
	if ((lock = pki_ca_lock(ca)) < 0)
		return lock;
	if ((r = pki_index_load(ca, &index)) != 0)
		goto out;
	if ((e = pki_index_find(&index, serial)) == NULL) {
		log_warn("event=revoke_refused serial=%s reason=unknown_serial", serial);
		r = RT_ERR_NOT_FOUND;
		goto out;
	}
	if (e->status == 'R') {
		log_warn("event=revoke_refused serial=%s reason=already_revoked", serial);
		r = RT_ERR_EXISTS;
		goto out;
	}
	e->status = 'R';
	snprintf(e->revocation, sizeof(e->revocation), "%s,%s", date,
	    pki_reason_name(reason));
	if ((r = pki_index_save(ca, &index)) != 0)
		goto out;
	log_info("event=cert_revoked serial=%s reason=%s", serial,
	    pki_reason_name(reason));
 out:
	rt_file_unlock(lock);
	pki_index_fini(&index);
	return r;
}

int
pki_ca_revoke_cert(struct pki_ca *ca, X509 *cert, int reason, time_t when)
{
	char serial[PKI_SERIAL_HEX_MAX];
	EVP_PKEY *pub = X509_get0_pubkey(ca->cert);
	int r;

	if (X509_check_issued(ca->cert, cert) != X509_V_OK || pub == NULL ||
	    X509_verify(cert, pub) != 1) {
		ERR_clear_error();
		log_warn("event=revoke_refused reason=\"not issued by this CA\"");
		return RT_ERR_CERT_UNTRUSTED;
	}
	if ((r = rt_cert_serial_hex(cert, serial, sizeof(serial))) != 0)
		return r;
	return pki_ca_revoke(ca, serial, reason, when);
}

/* "time[,reason]" of an index entry into a CRL entry. */
static int
crl_entry(const struct pki_index_entry *e, X509_REVOKED **revp)
{
	char date[48];
	const char *comma;
	X509_REVOKED *rev = NULL;
	ASN1_TIME *t = NULL;
	ASN1_INTEGER *serial = NULL;
	ASN1_ENUMERATED *code = NULL;
	BIGNUM *bn = NULL;
	int reason = PKI_REASON_UNSPECIFIED, r = RT_ERR_BAD_INPUT;

	*revp = NULL;
	snprintf(date, sizeof(date), "%s", e->revocation);
	if ((comma = strchr(e->revocation, ',')) != NULL) {
		date[comma - e->revocation] = '\0';
		if (pki_reason_parse(comma + 1, &reason) != 0)
			goto out;
	}
	if ((t = ASN1_TIME_new()) == NULL || ASN1_TIME_set_string(t, date) != 1)
		goto out;
	if (BN_hex2bn(&bn, e->serial) == 0 ||
	    (serial = BN_to_ASN1_INTEGER(bn, NULL)) == NULL)
		goto out;
	r = RT_ERR_NOMEM;
	if ((rev = X509_REVOKED_new()) == NULL ||
	    X509_REVOKED_set_serialNumber(rev, serial) != 1 ||
	    X509_REVOKED_set_revocationDate(rev, t) != 1)
		goto out;
	/* RFC 5280 5.3.1: absent rather than unspecified (0). */
	if (reason != PKI_REASON_UNSPECIFIED) {
		if ((code = ASN1_ENUMERATED_new()) == NULL ||
		    ASN1_ENUMERATED_set(code, reason) != 1 ||
		    X509_REVOKED_add1_ext_i2d(rev, NID_crl_reason, code, 0, 0) != 1)
			goto out;
	}
	*revp = rev;
	rev = NULL;
	r = 0;
 out:
	if (r == RT_ERR_BAD_INPUT)
		log_err("event=index_bad serial=%s reason=\"bad revocation field\"",
		    e->serial);
	ASN1_ENUMERATED_free(code);
	ASN1_INTEGER_free(serial);
	BN_free(bn);
	ASN1_TIME_free(t);
	X509_REVOKED_free(rev);
	return r;
}

/* Reads crlnumber (hex; missing means 1). */
static int
crlnumber_load(struct pki_ca *ca, BIGNUM **bnp)
{
	char path[PATH_MAX];
	struct rt_buf buf;
	size_t n;
	int r;

	*bnp = NULL;
	rt_buf_init(&buf, PKI_CRLNUMBER_MAX);
	if ((r = pki_ca_path(ca, PKI_CRLNUMBER, path)) != 0)
		goto out;
	if ((r = rt_file_read(path, PKI_CRLNUMBER_MAX, &buf)) != 0 &&
	    r != RT_ERR_NOT_FOUND)
		goto out;
	while (buf.len > 0 && isspace(buf.data[buf.len - 1]))
		buf.data[--buf.len] = '\0';
	if (buf.len == 0) {
		r = RT_ERR_NOMEM;
		if ((*bnp = BN_new()) != NULL && BN_one(*bnp))
			r = 0;
		goto out;
	}
	for (n = 0; n < buf.len && isxdigit(buf.data[n]); n++)
		;
	if (n != buf.len || n > 40 ||
	    BN_hex2bn(bnp, (const char *)buf.data) != (int)n) {
		log_err("event=crlnumber_bad path=%s", path);
		r = RT_ERR_BAD_INPUT;
		goto out;
	}
	r = 0;
 out:
	if (r != 0) {
		BN_free(*bnp);
		*bnp = NULL;
	}
	rt_buf_fini(&buf);
	return r;
}

static int
crlnumber_save(struct pki_ca *ca, const BIGNUM *bn)
{
	char path[PATH_MAX], line[64];
	char *hex = NULL;
	int r = RT_ERR_NOMEM, n;

	if ((hex = BN_bn2hex(bn)) == NULL)
		return RT_ERR_NOMEM;
	n = snprintf(line, sizeof(line), "%s\n", hex);
	if (n < 0 || n >= (int)sizeof(line))
		r = RT_ERR_TOO_BIG;
	else if ((r = pki_ca_path(ca, PKI_CRLNUMBER, path)) == 0)
		r = rt_file_write(path, line, (size_t)n, 0644, 0);
	OPENSSL_free(hex);
	return r;
}

/* Everything of the CRL but its entries and signature. */
static int
crl_header(struct pki_ca *ca, X509_CRL *crl, const BIGNUM *number,
    time_t last_update, time_t next_update)
{
	ASN1_TIME *last = NULL, *next = NULL;
	ASN1_INTEGER *num = NULL;
	X509_EXTENSION *akid = NULL;
	X509V3_CTX ctx;
	int r = RT_ERR_CRYPTO;

	if ((last = ASN1_TIME_set(NULL, last_update)) == NULL ||
	    (next = ASN1_TIME_set(NULL, next_update)) == NULL ||
	    (num = BN_to_ASN1_INTEGER(number, NULL)) == NULL)
		goto out;
	if (X509_CRL_set_version(crl, X509_CRL_VERSION_2) != 1 ||
	    X509_CRL_set_issuer_name(crl, X509_get_subject_name(ca->cert)) != 1 ||
	    X509_CRL_set1_lastUpdate(crl, last) != 1 ||
	    X509_CRL_set1_nextUpdate(crl, next) != 1)
		goto out;
	X509V3_set_ctx(&ctx, ca->cert, NULL, NULL, crl, 0);
	if ((akid = X509V3_EXT_nconf_nid(NULL, &ctx, NID_authority_key_identifier,
	    "keyid:always")) == NULL ||
	    X509_CRL_add_ext(crl, akid, -1) != 1 ||
	    X509_CRL_add1_ext_i2d(crl, NID_crl_number, num, 0, 0) != 1)
		goto out;
	r = 0;
 out:
	if (r != 0)
		log_crypto(RT_LOG_ERR, "event=crl_build_failed");
	X509_EXTENSION_free(akid);
	ASN1_INTEGER_free(num);
	ASN1_TIME_free(next);
	ASN1_TIME_free(last);
	return r;
}

int
pki_ca_crl(struct pki_ca *ca, time_t last_update, time_t next_update,
    X509_CRL **crlp)
{
	struct pki_index index = {0};
	X509_CRL *crl = NULL;
	X509_REVOKED *rev = NULL;
	BIGNUM *number = NULL;
	int lock = -1, r;

	*crlp = NULL;
	if (next_update <= last_update)
		return RT_ERR_BAD_INPUT;
	if ((lock = pki_ca_lock(ca)) < 0)
		return lock;
	if ((r = pki_index_load(ca, &index)) != 0 ||
	    (r = crlnumber_load(ca, &number)) != 0)
		goto out;
	if ((crl = X509_CRL_new()) == NULL) {
		r = RT_ERR_NOMEM;
		goto out;
	}
	if ((r = crl_header(ca, crl, number, last_update, next_update)) != 0)
		goto out;
	for (size_t i = 0; i < index.len; i++) {
		if (index.entries[i].status != 'R')
			continue;
		if ((r = crl_entry(&index.entries[i], &rev)) != 0)
			goto out;
		if (X509_CRL_add0_revoked(crl, rev) != 1) {
			r = RT_ERR_NOMEM;
			goto out;
		}
		rev = NULL;
	}
	if (X509_CRL_sort(crl) != 1 ||
	    X509_CRL_sign(crl, ca->key, EVP_sha256()) <= 0) {
		log_crypto(RT_LOG_ERR, "event=crl_sign_failed");
		r = RT_ERR_CRYPTO;
		goto out;
	}
	/* Numbers are never reused, even if the caller fails to publish. */
	if (!BN_add_word(number, 1)) {
		r = RT_ERR_NOMEM;
		goto out;
	}
	if ((r = crlnumber_save(ca, number)) != 0)
		goto out;
	*crlp = crl;
	crl = NULL;
	r = 0;
 out:
	rt_file_unlock(lock);
	X509_REVOKED_free(rev);
	X509_CRL_free(crl);
	BN_free(number);
	pki_index_fini(&index);
	return r;
}
