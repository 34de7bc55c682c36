/*
 * pki_cli: the parts of roamtrust-pki's command line that every
 * subcommand shares. A subcommand is a function over its own argv
 * (argv[0] is its name) returning the exit status: 0, 1 after one line
 * "roamtrust-pki: SUB: reason" on stderr, or 2 after a usage error.
 */
#ifndef PKI_CLI_H
#define PKI_CLI_H

#include <getopt.h>

#include "pki.h"
#include "rt_buf.h"

#define PKI_PROG "roamtrust-pki"
#define PKI_EXIT_USAGE 2
#define PKI_REALM_RULE \
	"not a valid DNS name (lowercase letters, digits and '-', two labels or more)"

struct pki_command {
	const char *name;
	int (*run)(const struct pki_command *cmd, int argc, char **argv);
	const char *usage;
};

/* Prints "roamtrust-pki: SUB: message" on stderr; returns 1. */
int pki_cli_fail(const struct pki_command *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* The same, then the subcommand's usage; returns 2. */
int pki_cli_usage_error(const struct pki_command *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/*
 * getopt_long over argv. Returns the option, -1 at the end, or -2 after
 * reporting a usage error or printing --help, with the exit status in
 * *status.
 */
int pki_cli_next_opt(const struct pki_command *cmd, int argc, char **argv,
    const struct option *longopts, int *status);
/* --days N, 1 to PKI_DAYS_MAX; -1 with *status set on a usage error. */
int pki_cli_parse_days(const struct pki_command *cmd, const char *s, int *daysp,
    int *status);
/* Reads --passphrase-file path (NULL: none) into pass; -1 after a message. */
int pki_cli_load_passphrase(const struct pki_command *cmd, const char *path,
    struct rt_buf *pass);
/* Opens the CA in dir; -1 after a message naming what is wrong. */
int pki_cli_open_ca(const struct pki_command *cmd, const char *dir,
    const char *pass_path, struct pki_ca **cap);

int pki_cmd_init(const struct pki_command *cmd, int argc, char **argv);
int pki_cmd_request(const struct pki_command *cmd, int argc, char **argv);
int pki_cmd_issue(const struct pki_command *cmd, int argc, char **argv);
int pki_cmd_revoke(const struct pki_command *cmd, int argc, char **argv);
int pki_cmd_crl(const struct pki_command *cmd, int argc, char **argv);

#endif
