/*
 * roamtrust-pki: the federation CA's command line. Subcommand dispatch and
 * the small read-only subcommands; the CA subcommands are in pki_cmd.c and
 * the work in the pki_* modules.
 *
 * The command lines are a contract that operators script against: exit 0
 * on success, 1 on failure with one line "roamtrust-pki: SUB: reason" on
 * stderr, 2 on a usage error with the subcommand's usage.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pki_cli.h"
#include "rt_codec.h"
#include "rt_log.h"

static int
cmd_verify(const struct pki_command *cmd, int argc, char **argv)
{
	static const struct option longopts[] = {
		{"ca", required_argument, NULL, 'a'},
		{"crl", required_argument, NULL, 'c'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *ca_path = NULL, *crl_path = NULL;
	struct pki_verify_result res;
	char expires[RT_TIME_STR_LEN + 1];
	int c, status = 0, r;

	while ((c = pki_cli_next_opt(cmd, argc, argv, longopts, &status)) != -1) {
		switch (c) {
		case 'a':
			ca_path = optarg;
			break;
		case 'c':
			crl_path = optarg;
			break;
		default:
			return status;
		}
	}
	if (ca_path == NULL)
		return pki_cli_usage_error(cmd, "--ca is required");
	if (argc - optind != 1)
		return pki_cli_usage_error(cmd, "one certificate to verify is required");
	r = pki_verify_file(ca_path, crl_path, argv[optind], rt_time_now(), &res);
	if (r != 0 && res.failed_path != NULL)
		return pki_cli_fail(cmd, "%s: %s", res.failed_path, rt_strerror(r));
	if (r != 0) {
		printf("invalid: %s\n", rt_strerror(r));
		return EXIT_FAILURE;
	}
	rt_time_format(res.not_after, expires);
	printf("ok: realm %s, serial %s, expires %s\n", res.realm, res.serial, expires);
	return 0;
}

static int
cmd_show(const struct pki_command *cmd, int argc, char **argv)
{
	static const struct option longopts[] = {
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *path;
	int c, status = 0, r;

	while ((c = pki_cli_next_opt(cmd, argc, argv, longopts, &status)) != -1)
		return status;
	if (argc - optind != 1)
		return pki_cli_usage_error(cmd, "one file to show is required");
	path = argv[optind];
	if ((r = pki_show(path, stdout)) == 0)
		return 0;
	if (r > 0)
		return r;	/* an exit status from pki_show_document() */
	if (r == RT_ERR_TYPE)
		return pki_cli_fail(cmd, "%s: not a certificate, CSR, CRL, CMS signature or XML document",
		    path);
	if (r == RT_ERR_UNAVAILABLE)
		return pki_cli_fail(cmd, "%s: XML documents: not available in this build", path);
	return pki_cli_fail(cmd, "%s: %s", path, rt_strerror(r));
}

static int
cmd_agreement(const struct pki_command *cmd, int argc, char **argv)
{
	(void)cmd;
	return pki_agreement_main(argc, argv);
}

static const struct pki_command commands[] = {
	{"init", pki_cmd_init, "init --dir CADIR --name NAME [--days N] [--crl-url URL] "
	    "[--passphrase-file F]"},
	{"request", pki_cmd_request, "request --realm R --out DIR"},
	{"issue", pki_cmd_issue, "issue --dir CADIR --csr F --realm R [--days N] --out F.crt "
	    "[--passphrase-file F]"},
	{"revoke", pki_cmd_revoke, "revoke --dir CADIR (--cert F.crt | --serial S) "
	    "[--reason keyCompromise|...] [--passphrase-file F]"},
	{"crl", pki_cmd_crl, "crl --dir CADIR [--days N | --next-update TIME] --out crl.pem [--passphrase-file F]"},
	{"verify", cmd_verify, "verify --ca ca.crt [--crl crl.pem] CERT"},
	{"show", cmd_show, "show FILE"},
	{"agreement", cmd_agreement, "agreement new|sign|verify ..."},
};

#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static void
usage(FILE *out)
{
	fprintf(out, "usage: %s [-v] COMMAND [ARGS]\n", PKI_PROG);
	for (size_t i = 0; i < N_COMMANDS; i++)
		fprintf(out, "       %s %s\n", PKI_PROG, commands[i].usage);
	fprintf(out, "Each command takes --help. -v logs details to stderr (-vv more).\n");
}

int
main(int argc, char **argv)
{
	/*
	 * The CLI speaks in its own one-line messages, so by default the
	 * library's log lines stay quiet (a threshold below every level it
	 * logs at); -v shows them with the OpenSSL reasons.
	 */
	const enum rt_log_level quiet = RT_LOG_NONE;
	enum rt_log_level level = quiet;
	int i = 1;

	for (; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "-v") == 0 || strcmp(argv[i], "--verbose") == 0)
			level = level == quiet ? RT_LOG_INFO : RT_LOG_DEBUG;
		else if (strcmp(argv[i], "-vv") == 0)
			level = RT_LOG_DEBUG;
		else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			usage(stdout);
			return 0;
		} else {
			fprintf(stderr, "%s: unknown option %s\n", PKI_PROG, argv[i]);
			usage(stderr);
			return PKI_EXIT_USAGE;
		}
	}
	rt_log_init(PKI_PROG, RT_LOG_STDERR, level);
	if (i == argc) {
		usage(stderr);
		return PKI_EXIT_USAGE;
	}
	for (size_t k = 0; k < N_COMMANDS; k++) {
		if (strcmp(argv[i], commands[k].name) == 0) {
			optind = 1;
			opterr = 0;
			return commands[k].run(&commands[k], argc - i, argv + i);
		}
	}
	fprintf(stderr, "%s: unknown command %s\n", PKI_PROG, argv[i]);
	usage(stderr);
	return PKI_EXIT_USAGE;
}
