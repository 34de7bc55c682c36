/*
 * The CA subcommands of roamtrust-pki: init, request, issue, revoke, crl.
 * Each parses its options, calls the pki_* module that does the work and
 * turns the result into the operator's one line.
 */
#include <getopt.h>
#include <openssl/bn.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "pki_cli.h"
#include "rt_codec.h"
#include "rt_file.h"
#include "rt_x509.h"

int
pki_cmd_init(const struct pki_command *cmd, int argc, char **argv)
{
	static const struct option longopts[] = {
		{"dir", required_argument, NULL, 'd'},
		{"name", required_argument, NULL, 'n'},
		{"days", required_argument, NULL, 'D'},
		{"crl-url", required_argument, NULL, 'u'},
		{"passphrase-file", required_argument, NULL, 'p'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct pki_ca_init_opts opts = {0};
	const char *pass_path = NULL;
	struct rt_buf pass;
	struct pki_ca *ca = NULL;
	char expires[RT_TIME_STR_LEN + 1];
	time_t not_after = 0;
	int c, status = 0, r;

	while ((c = pki_cli_next_opt(cmd, argc, argv, longopts, &status)) != -1) {
		switch (c) {
		case 'd':
			opts.dir = optarg;
			break;
		case 'n':
			opts.name = optarg;
			break;
		case 'D':
			if (pki_cli_parse_days(cmd, optarg, &opts.days, &status) != 0)
				return status;
			break;
		case 'u':
			opts.crl_url = optarg;
			break;
		case 'p':
			pass_path = optarg;
			break;
		default:
			return status;
		}
	}
	if (optind != argc)
		return pki_cli_usage_error(cmd, "unexpected argument %s", argv[optind]);
	if (opts.dir == NULL || opts.name == NULL)
		return pki_cli_usage_error(cmd, "--dir and --name are required");
	if (!pki_ca_name_valid(opts.name))
		return pki_cli_usage_error(cmd, "--name must be 1 to 64 characters of text");
	if (opts.crl_url != NULL && !pki_url_valid(opts.crl_url))
		return pki_cli_usage_error(cmd, "--crl-url must be a URL such as http://crl.example/federation.crl");
	rt_buf_init(&pass, 4096);
	if (pki_cli_load_passphrase(cmd, pass_path, &pass) != 0) {
		rt_buf_fini(&pass);
		return EXIT_FAILURE;
	}
	opts.passphrase = pass_path != NULL ? rt_buf_str(&pass) : NULL;
	r = pki_ca_init(&opts);
	/* Read it back, as issue will: proves the passphrase round trip. */
	if (r == 0)
		r = pki_ca_open(opts.dir, opts.passphrase, &ca);
	rt_buf_fini(&pass);
	if (r == RT_ERR_EXISTS)
		return pki_cli_fail(cmd, "%s/ca.key exists: refusing to overwrite a CA", opts.dir);
	if (r != 0)
		return pki_cli_fail(cmd, "%s: %s", opts.dir, rt_strerror(r));
	if (rt_cert_not_after(pki_ca_cert(ca), &not_after) != 0)
		not_after = 0;
	rt_time_format(not_after, expires);
	printf("created CA \"%s\" in %s (expires %s, key %s)\n", opts.name,
	    opts.dir, expires, pass_path != NULL ? "encrypted" : "not encrypted");
	pki_ca_close(ca);
	return 0;
}

int
pki_cmd_request(const struct pki_command *cmd, int argc, char **argv)
{
	static const struct option longopts[] = {
		{"realm", required_argument, NULL, 'r'},
		{"out", required_argument, NULL, 'o'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *realm = NULL, *dir = NULL;
	char key_path[4096], csr_path[4096];
	EVP_PKEY *key = NULL;
	X509_REQ *csr = NULL;
	int c, status = 0, r, ret = EXIT_FAILURE;

	while ((c = pki_cli_next_opt(cmd, argc, argv, longopts, &status)) != -1) {
		switch (c) {
		case 'r':
			realm = optarg;
			break;
		case 'o':
			dir = optarg;
			break;
		default:
			return status;
		}
	}
	if (optind != argc)
		return pki_cli_usage_error(cmd, "unexpected argument %s", argv[optind]);
	if (realm == NULL || dir == NULL)
		return pki_cli_usage_error(cmd, "--realm and --out are required");
	if (!rt_realm_valid(realm))
		return pki_cli_fail(cmd, "%s: " PKI_REALM_RULE, realm);
	if (snprintf(key_path, sizeof(key_path), "%s/%s.key", dir, realm) >=
	    (int)sizeof(key_path) ||
	    snprintf(csr_path, sizeof(csr_path), "%s/%s.csr", dir, realm) >=
	    (int)sizeof(csr_path))
		return pki_cli_fail(cmd, "%s: path too long", dir);
	if ((r = rt_dir_ensure(dir, 0700)) != 0)
		return pki_cli_fail(cmd, "%s: %s", dir, rt_strerror(r));
	if (rt_file_exists(key_path))
		return pki_cli_fail(cmd, "%s exists: refusing to overwrite a key", key_path);
	if ((r = rt_key_generate(&key)) != 0 ||
	    (r = pki_request_new(realm, key, &csr)) != 0) {
		pki_cli_fail(cmd, "%s", rt_strerror(r));
		goto out;
	}
	if ((r = rt_key_write(key_path, key, NULL, 1)) != 0) {
		if (r == RT_ERR_EXISTS)
			pki_cli_fail(cmd, "%s exists: refusing to overwrite a key", key_path);
		else
			pki_cli_fail(cmd, "%s: %s", key_path, rt_strerror(r));
		goto out;
	}
	if ((r = pki_request_write(csr_path, csr)) != 0) {
		unlink(key_path);
		pki_cli_fail(cmd, "%s: %s", csr_path, rt_strerror(r));
		goto out;
	}
	printf("wrote %s (private, keep it) and %s (send it to the CA)\n",
	    key_path, csr_path);
	ret = 0;
 out:
	X509_REQ_free(csr);
	EVP_PKEY_free(key);
	return ret;
}

/* The operator's message for a CSR that issue refused. */
static int
issue_refused(const struct pki_command *cmd, X509_REQ *csr, const char *realm, int r)
{
	char named[RT_REALM_MAX];

	switch (r) {
	case RT_ERR_BAD_NAME:
		return pki_cli_fail(cmd, "%s: " PKI_REALM_RULE, realm);
	case RT_ERR_WEAK_KEY:
		return pki_cli_fail(cmd, "weak key: the CSR's key is not ECDSA P-256 (%s %d bits)",
		    X509_REQ_get0_pubkey(csr) != NULL ?
		    EVP_PKEY_get0_type_name(X509_REQ_get0_pubkey(csr)) : "none",
		    X509_REQ_get0_pubkey(csr) != NULL ?
		    EVP_PKEY_get_bits(X509_REQ_get0_pubkey(csr)) : 0);
	case RT_ERR_SIG_BAD:
		return pki_cli_fail(cmd, "the CSR's signature does not verify");
	case RT_ERR_REALM:
		if (pki_request_realm(csr, named, sizeof(named)) == 0)
			return pki_cli_fail(cmd, "the CSR names realm %s, not %s", named, realm);
		return pki_cli_fail(cmd, "the CSR names more than one realm");
	default:
		return pki_cli_fail(cmd, "%s (-v for details)", rt_strerror(r));
	}
}

int
pki_cmd_issue(const struct pki_command *cmd, int argc, char **argv)
{
	static const struct option longopts[] = {
		{"dir", required_argument, NULL, 'd'},
		{"csr", required_argument, NULL, 'c'},
		{"realm", required_argument, NULL, 'r'},
		{"days", required_argument, NULL, 'D'},
		{"out", required_argument, NULL, 'o'},
		{"passphrase-file", required_argument, NULL, 'p'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *dir = NULL, *csr_path = NULL, *realm = NULL, *out = NULL;
	const char *pass_path = NULL;
	struct pki_ca *ca = NULL;
	X509_REQ *csr = NULL;
	X509 *cert = NULL;
	char serial[PKI_SERIAL_HEX_MAX], expires[RT_TIME_STR_LEN + 1];
	time_t now = rt_time_now(), not_after;
	int days = PKI_CERT_DAYS_DEFAULT, c, status = 0, r, ret = EXIT_FAILURE;

	while ((c = pki_cli_next_opt(cmd, argc, argv, longopts, &status)) != -1) {
		switch (c) {
		case 'd':
			dir = optarg;
			break;
		case 'c':
			csr_path = optarg;
			break;
		case 'r':
			realm = optarg;
			break;
		case 'D':
			if (pki_cli_parse_days(cmd, optarg, &days, &status) != 0)
				return status;
			break;
		case 'o':
			out = optarg;
			break;
		case 'p':
			pass_path = optarg;
			break;
		default:
			return status;
		}
	}
	if (optind != argc)
		return pki_cli_usage_error(cmd, "unexpected argument %s", argv[optind]);
	if (dir == NULL || csr_path == NULL || realm == NULL || out == NULL)
		return pki_cli_usage_error(cmd, "--dir, --csr, --realm and --out are required");
	if (!rt_realm_valid(realm))
		return pki_cli_fail(cmd, "%s: " PKI_REALM_RULE, realm);
	if ((r = pki_request_load(csr_path, &csr)) != 0)
		return pki_cli_fail(cmd, "%s: %s", csr_path,
		    r == RT_ERR_BAD_INPUT ? "not a CSR (PEM or DER)" : rt_strerror(r));
	if (pki_cli_open_ca(cmd, dir, pass_path, &ca) != 0)
		goto out;
	if ((r = pki_ca_issue(ca, csr, realm, now - PKI_CLOCK_SKEW,
	    now + (time_t)days * 86400, &cert)) != 0) {
		issue_refused(cmd, csr, realm, r);
		goto out;
	}
	if ((r = rt_cert_serial_hex(cert, serial, sizeof(serial))) != 0 ||
	    (r = rt_cert_not_after(cert, &not_after)) != 0) {
		pki_cli_fail(cmd, "%s", rt_strerror(r));
		goto out;
	}
	if ((r = rt_cert_write(out, cert)) != 0) {
		pki_cli_fail(cmd, "%s: %s (serial %s is recorded as issued)", out,
		    rt_strerror(r), serial);
		goto out;
	}
	rt_time_format(not_after, expires);
	printf("issued serial %s for realm %s, expires %s: %s\n", serial, realm,
	    expires, out);
	ret = 0;
 out:
	X509_free(cert);
	X509_REQ_free(csr);
	pki_ca_close(ca);
	return ret;
}

int
pki_cmd_revoke(const struct pki_command *cmd, int argc, char **argv)
{
	static const struct option longopts[] = {
		{"dir", required_argument, NULL, 'd'},
		{"cert", required_argument, NULL, 'c'},
		{"serial", required_argument, NULL, 's'},
		{"reason", required_argument, NULL, 'r'},
		{"passphrase-file", required_argument, NULL, 'p'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *dir = NULL, *cert_path = NULL, *serial_arg = NULL;
	const char *pass_path = NULL, *reason_name = "unspecified";
	char serial[PKI_SERIAL_HEX_MAX];
	struct pki_ca *ca = NULL;
	X509 *cert = NULL;
	int reason = PKI_REASON_UNSPECIFIED, c, status = 0, r, ret = EXIT_FAILURE;

	while ((c = pki_cli_next_opt(cmd, argc, argv, longopts, &status)) != -1) {
		switch (c) {
		case 'd':
			dir = optarg;
			break;
		case 'c':
			cert_path = optarg;
			break;
		case 's':
			serial_arg = optarg;
			break;
		case 'r':
			reason_name = optarg;
			break;
		case 'p':
			pass_path = optarg;
			break;
		default:
			return status;
		}
	}
	if (optind != argc)
		return pki_cli_usage_error(cmd, "unexpected argument %s", argv[optind]);
	if (dir == NULL || (cert_path == NULL) == (serial_arg == NULL))
		return pki_cli_usage_error(cmd, "--dir and one of --cert or --serial are required");
	if (pki_reason_parse(reason_name, &reason) != 0)
		return pki_cli_usage_error(cmd, "unknown --reason %s (unspecified, keyCompromise, "
		    "cACompromise, affiliationChanged, superseded, cessationOfOperation, "
		    "certificateHold, removeFromCRL, privilegeWithdrawn, aACompromise)",
		    reason_name);
	if (serial_arg != NULL && pki_serial_normalize(serial_arg, serial) != 0)
		return pki_cli_usage_error(cmd, "--serial %s: not a hexadecimal serial", serial_arg);
	if (cert_path != NULL) {
		if ((r = rt_cert_load(cert_path, &cert)) != 0)
			return pki_cli_fail(cmd, "%s: %s", cert_path, rt_strerror(r));
		if ((r = rt_cert_serial_hex(cert, serial, sizeof(serial))) != 0) {
			pki_cli_fail(cmd, "%s: %s", cert_path, rt_strerror(r));
			goto out;
		}
	}
	if (pki_cli_open_ca(cmd, dir, pass_path, &ca) != 0)
		goto out;
	if (cert != NULL)
		r = pki_ca_revoke_cert(ca, cert, reason, rt_time_now());
	else
		r = pki_ca_revoke(ca, serial, reason, rt_time_now());
	switch (r) {
	case 0:
		printf("revoked serial %s (%s); publish it with: %s crl --dir %s --out FILE\n",
		    serial, pki_reason_name(reason), PKI_PROG, dir);
		ret = 0;
		break;
	case RT_ERR_NOT_FOUND:
		pki_cli_fail(cmd, "serial %s: not issued by this CA (not in %s/index.txt)",
		    serial, dir);
		break;
	case RT_ERR_EXISTS:
		pki_cli_fail(cmd, "serial %s: already revoked", serial);
		break;
	case RT_ERR_CERT_UNTRUSTED:
		pki_cli_fail(cmd, "%s: not issued by this CA", cert_path);
		break;
	default:
		pki_cli_fail(cmd, "%s (-v for details)", rt_strerror(r));
	}
 out:
	X509_free(cert);
	pki_ca_close(ca);
	return ret;
}

int
pki_cmd_crl(const struct pki_command *cmd, int argc, char **argv)
{
	static const struct option longopts[] = {
		{"dir", required_argument, NULL, 'd'},
		{"days", required_argument, NULL, 'D'},
		{"next-update", required_argument, NULL, 'N'},
		{"out", required_argument, NULL, 'o'},
		{"passphrase-file", required_argument, NULL, 'p'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *dir = NULL, *out = NULL, *pass_path = NULL;
	struct pki_ca *ca = NULL;
	time_t next_update = 0;
	X509_CRL *crl = NULL;
	ASN1_INTEGER *number = NULL;
	BIGNUM *bn = NULL;
	char *number_text = NULL, next[RT_TIME_STR_LEN + 1];
	time_t now = rt_time_now();
	int days = PKI_CRL_DAYS_DEFAULT, c, status = 0, r, ret = EXIT_FAILURE;

	while ((c = pki_cli_next_opt(cmd, argc, argv, longopts, &status)) != -1) {
		switch (c) {
		case 'd':
			dir = optarg;
			break;
		case 'D':
			if (pki_cli_parse_days(cmd, optarg, &days, &status) != 0)
				return status;
			break;
		case 'N':
			/* an exact nextUpdate, e.g. to match a publishing schedule */
			if (rt_time_parse(optarg, &next_update) != 0 || next_update <= now)
				return pki_cli_usage_error(cmd, "--next-update needs a "
				    "time in the future, YYYY-MM-DDTHH:MM:SSZ");
			break;
		case 'o':
			out = optarg;
			break;
		case 'p':
			pass_path = optarg;
			break;
		default:
			return status;
		}
	}
	if (optind != argc)
		return pki_cli_usage_error(cmd, "unexpected argument %s", argv[optind]);
	if (dir == NULL || out == NULL)
		return pki_cli_usage_error(cmd, "--dir and --out are required");
	if (pki_cli_open_ca(cmd, dir, pass_path, &ca) != 0)
		goto out;
	if (next_update == 0)
		next_update = now + (time_t)days * 86400;
	if ((r = pki_ca_crl(ca, now, next_update, &crl)) != 0) {
		pki_cli_fail(cmd, "%s (-v for details)", rt_strerror(r));
		goto out;
	}
	if ((r = rt_crl_write(out, crl)) != 0) {
		pki_cli_fail(cmd, "%s: %s", out, rt_strerror(r));
		goto out;
	}
	number = X509_CRL_get_ext_d2i(crl, NID_crl_number, NULL, NULL);
	if (number != NULL && (bn = ASN1_INTEGER_to_BN(number, NULL)) != NULL)
		number_text = BN_bn2dec(bn);
	rt_time_format(next_update, next);
	printf("CRL number %s, %d revoked, next update %s: %s\n",
	    number_text != NULL ? number_text : "?",
	    sk_X509_REVOKED_num(X509_CRL_get_REVOKED(crl)) > 0 ?
	    sk_X509_REVOKED_num(X509_CRL_get_REVOKED(crl)) : 0, next, out);
	ret = 0;
 out:
	OPENSSL_free(number_text);
	BN_free(bn);
	ASN1_INTEGER_free(number);
	X509_CRL_free(crl);
	pki_ca_close(ca);
	return ret;
}
