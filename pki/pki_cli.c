/*
 * What every roamtrust-pki subcommand shares (pki_cli.h): its messages,
 * option parsing and opening the CA with a passphrase file.
 */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "pki_cli.h"
#include "rt_x509.h"

int
pki_cli_fail(const struct pki_command *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: %s: ", PKI_PROG, cmd->name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return EXIT_FAILURE;
}

int
pki_cli_usage_error(const struct pki_command *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: %s: ", PKI_PROG, cmd->name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nusage: %s %s\n", PKI_PROG, cmd->usage);
	return PKI_EXIT_USAGE;
}

/*
 * getopt_long over argv (argv[0] is the subcommand). Returns the option,
 * -1 at the end, or -2 after reporting a usage error (or printing --help,
 * in which case *status is 0).
 */
int
pki_cli_next_opt(const struct pki_command *cmd, int argc, char **argv,
    const struct option *longopts, int *status)
{
	int c = getopt_long(argc, argv, ":h", longopts, NULL);

	switch (c) {
	case 'h':
		printf("usage: %s %s\n", PKI_PROG, cmd->usage);
		*status = 0;
		return -2;
	case ':':
		*status = pki_cli_usage_error(cmd, "%s needs a value", argv[optind - 1]);
		return -2;
	case '?':
		if (optopt != 0)
			*status = pki_cli_usage_error(cmd, "unknown option -%c", optopt);
		else
			*status = pki_cli_usage_error(cmd, "unknown option %s", argv[optind - 1]);
		return -2;
	default:
		return c;
	}
}

int
pki_cli_parse_days(const struct pki_command *cmd, const char *s, int *daysp, int *status)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (*s == '\0' || *end != '\0' || v < 1 || v > PKI_DAYS_MAX) {
		*status = pki_cli_usage_error(cmd, "--days must be a number from 1 to %d",
		    PKI_DAYS_MAX);
		return -1;
	}
	*daysp = (int)v;
	return 0;
}

/* Reads --passphrase-file into pass (a secret buffer). */
int
pki_cli_load_passphrase(const struct pki_command *cmd, const char *path, struct rt_buf *pass)
{
	int r;

	if (path == NULL)
		return 0;
	if ((r = rt_passphrase_load(path, pass)) == 0)
		return 0;
	if (r == RT_ERR_PERM)
		pki_cli_fail(cmd, "%s: readable by group or others (chmod 600)", path);
	else if (r == RT_ERR_PASSPHRASE)
		pki_cli_fail(cmd, "%s: empty passphrase", path);
	else
		pki_cli_fail(cmd, "%s: %s", path, rt_strerror(r));
	return -1;
}

int
pki_cli_open_ca(const struct pki_command *cmd, const char *dir, const char *pass_path,
    struct pki_ca **cap)
{
	struct rt_buf pass;
	int r;

	*cap = NULL;
	rt_buf_init(&pass, 4096);
	if (pki_cli_load_passphrase(cmd, pass_path, &pass) != 0) {
		rt_buf_fini(&pass);
		return -1;
	}
	r = pki_ca_open(dir, pass_path != NULL ? rt_buf_str(&pass) : NULL, cap);
	rt_buf_fini(&pass);
	switch (r) {
	case 0:
		return 0;
	case RT_ERR_NOT_FOUND:
		pki_cli_fail(cmd, "%s: no CA here (ca.crt or ca.key missing; run init)", dir);
		break;
	case RT_ERR_PASSPHRASE:
		pki_cli_fail(cmd, "%s/ca.key: wrong or missing passphrase (--passphrase-file)",
		    dir);
		break;
	case RT_ERR_PERM:
		pki_cli_fail(cmd, "%s/ca.key: readable by group or others (chmod 600)", dir);
		break;
	case RT_ERR_CONFIG:
		pki_cli_fail(cmd, "%s: ca.key does not match ca.crt, or ca.conf is bad", dir);
		break;
	default:
		pki_cli_fail(cmd, "%s: cannot open the CA: %s", dir, rt_strerror(r));
	}
	return -1;
}
