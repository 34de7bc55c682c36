/*
 * roamtrust-broker: argument parsing and subcommand dispatch.
 *
 *   roamtrust-broker run -c broker.conf      the daemon, in the foreground
 *   roamtrust-broker check -c broker.conf    what run would refuse at start
 *   roamtrust-broker status|peers -c broker.conf   ask the running daemon
 *   roamtrust-broker ledger verify -c broker.conf [--db FILE]
 *   roamtrust-broker ledger status -c broker.conf
 *   roamtrust-broker export|reconcile ...    settlement (broker_export.h)
 *   roamtrust-broker --print-defaults        every option with its default
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "broker.h"
#include "broker_export.h"
#include "broker_ledger.h"
#include "rt_admin.h"
#include "rt_log.h"

#define PROG "roamtrust-broker"

static void
usage(FILE *out)
{
	fprintf(out,
	    "usage: " PROG " run -c broker.conf       run the broker (foreground)\n"
	    "       " PROG " check -c broker.conf     what run would refuse (starts nothing)\n"
	    "       " PROG " status -c broker.conf    the running broker's state\n"
	    "       " PROG " peers -c broker.conf     each peer: state, reason, certificate\n"
	    "                                          expiry, last seen, round-trip time\n"
	    "       " PROG " subscriber add PUBLIC_ID PRIVATE_ID [--services a,b] [--max-age S]\n"
	    "                [--password-stdin] -c broker.conf   (also passwd, disable, enable,\n"
	    "                list, show: home subscribers; passwords are prompted, never args)\n"
	    "       " PROG " ledger verify -c broker.conf [--db FILE]   check the ledger's\n"
	    "                hash chains and signed checkpoints (read-only, daemon may run)\n"
	    "       " PROG " ledger status -c broker.conf   records per partner, batches\n"
	    "                out (acked/pending) and in, forwarding state\n"
	    "       " PROG " export -c broker.conf --partner REALM --from TIME --to TIME\n"
	    "                [--format xml|csv] --out FILE   a partner's records, priced and signed\n"
	    "       " PROG " reconcile [-c broker.conf | --ca CA --crl CRL] OURS THEIRS\n"
	    "                [--tolerance-quantity N] [--tolerance-amount N] [--csv F] [--html F]\n"
	    "       " PROG " --print-defaults         every option with its default\n");
}

static int
load_config(const char *path, struct broker_config *bc)
{
	char err[1024];

	if (path == NULL) {
		fprintf(stderr, PROG ": -c CONFIG is required\n");
		return 2;
	}
	if (broker_config_load(path, bc, err, sizeof(err)) != 0) {
		fprintf(stderr, PROG ": %s\n", err);
		return 1;
	}
	return 0;
}

static int
cmd_run(struct broker_config *bc)
{
	enum rt_log_level level = RT_LOG_INFO;
	struct broker *b = NULL;
	sigset_t set;
	int sig = 0, r;

	(void)!rt_log_level_parse(bc->log_level, &level);
	rt_log_init(PROG, strcmp(bc->log_dest, "syslog") == 0 ? RT_LOG_SYSLOG :
	    RT_LOG_STDERR, level);
	/* signals are taken by sigwait below, never by nng's threads */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	if ((r = broker_new(bc, &b)) != 0)
		return 1;
	if ((r = broker_start(b)) != 0) {
		broker_stop(b);
		broker_free(b);
		return 1;
	}
	while (sigwait(&set, &sig) == 0 && sig == SIGHUP)
		log_info("event=sighup detail=\"reload is not supported: restart to apply changes\"");
	log_info("event=signal signal=%d", sig);
	broker_stop(b);
	broker_free(b);
	return 0;
}

/*
 * `check`: the configuration, then what `run` would refuse at start
 * (broker_preflight): one line per problem, and "ok: FILE" (exit 0) or
 * "N problems" (exit 1); 2 for usage errors.
 */
static int
cmd_check(const char *path)
{
	struct broker_config bc;
	struct rt_preflight pf;
	int r;

	if ((r = load_config(path, &bc)) != 0) {
		if (r == 1)
			printf("1 problem\n");
		return r;
	}
	/* every problem is on the report: the log would say it twice */
	rt_log_set_level(RT_LOG_NONE);
	rt_preflight_init(&pf, path, stdout);
	broker_preflight(&bc, &pf);
	r = rt_preflight_finish(&pf);
	broker_config_fini(&bc);
	return r;
}

static int
cmd_admin(struct broker_config *bc, int argc, char **argv)
{
	struct rt_buf out;
	int status = 1, r;

	rt_buf_init(&out, 1024 * 1024);
	r = rt_admin_call(bc->admin_socket, argc, argv, 10000, &out, &status);
	if (r != 0) {
		fprintf(stderr, PROG ": %s: %s (is the broker running? socket %s)\n",
		    argv[0], rt_strerror(r), bc->admin_socket);
		rt_buf_fini(&out);
		return 1;
	}
	fputs(rt_buf_str(&out), status == 0 ? stdout : stderr);
	rt_buf_fini(&out);
	return status;
}

/* `subscriber ...`: options may stand anywhere; -c is taken out here. */
static int
subscriber_main(int argc, char **argv)
{
	struct broker_config bc;
	char *rest[128];
	const char *path = NULL;
	int n = 0, r;

	for (int i = 0; i < argc && n < 127; i++) {
		if ((strcmp(argv[i], "-c") == 0 || strcmp(argv[i], "--config") == 0) &&
		    i + 1 < argc)
			path = argv[++i];
		else
			rest[n++] = argv[i];
	}
	rest[n] = NULL;
	if ((r = load_config(path, &bc)) != 0)
		return r;
	r = broker_subscriber_cli(bc.admin_socket, n, rest);
	broker_config_fini(&bc);
	return r;
}

/* `ledger verify`: exit 0 when every chain and checkpoint checks, 1 at
 * the first break (named on stderr), 2 when the ledger cannot be read. */
static int
ledger_verify(struct broker_config *bc, const char *db)
{
	struct rt_trust_options topts = {0, 0, 0};
	struct rt_trust *trust = NULL;
	char why[1024];
	struct rt_buf out;
	int r;

	rt_buf_init(&out, 64 * 1024 * 1024);
	if ((r = rt_trust_new(&topts, &trust)) != 0 ||
	    (r = rt_trust_load_ca(trust, bc->ca)) != 0) {
		fprintf(stderr, PROG ": ledger verify: CA %s: %s\n", bc->ca, rt_strerror(r));
		r = 2;
		goto out;
	}
	/* a long walk shows how far it got, on a terminal only */
	r = broker_ledger_verify(db != NULL ? db : bc->ledger_db, bc->realm, trust,
	    isatty(STDERR_FILENO) ? stderr : NULL, &out, why, sizeof(why));
	fputs(rt_buf_str(&out), stdout);
	if (r == RT_ERR_CHAIN) {
		fprintf(stderr, PROG ": ledger verify: BROKEN: %s\n", why);
		r = 1;
	} else if (r != 0) {
		fprintf(stderr, PROG ": ledger verify: %s%s%s\n", rt_strerror(r),
		    why[0] ? ": " : "", why);
		r = 2;
	}
 out:
	rt_trust_free(trust);
	rt_buf_fini(&out);
	return r;
}

/* `ledger verify|status ...`: options may stand anywhere. */
static int
ledger_main(int argc, char **argv)
{
	struct broker_config bc;
	const char *path = NULL, *db = NULL, *sub = NULL;
	int r;

	for (int i = 1; i < argc; i++) {
		if ((strcmp(argv[i], "-c") == 0 || strcmp(argv[i], "--config") == 0) &&
		    i + 1 < argc)
			path = argv[++i];
		else if (strcmp(argv[i], "--db") == 0 && i + 1 < argc)
			db = argv[++i];
		else if (sub == NULL && argv[i][0] != '-')
			sub = argv[i];
		else {
			usage(stderr);
			return 2;
		}
	}
	if (sub == NULL || (strcmp(sub, "verify") != 0 && strcmp(sub, "status") != 0) ||
	    (db != NULL && strcmp(sub, "verify") != 0)) {
		usage(stderr);
		return 2;
	}
	if ((r = load_config(path, &bc)) != 0)
		return r;
	if (strcmp(sub, "verify") == 0)
		r = ledger_verify(&bc, db);
	else {
		char *args[] = {(char *)(uintptr_t)"ledger", (char *)(uintptr_t)"status", NULL};

		r = cmd_admin(&bc, 2, args);
	}
	broker_config_fini(&bc);
	return r;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"config", required_argument, NULL, 'c'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0}
	};
	struct broker_config bc;
	const char *path = NULL, *cmd;
	int c, r;

	rt_log_init(PROG, RT_LOG_STDERR, RT_LOG_WARN);
	if (argc >= 2 && strcmp(argv[1], "--print-defaults") == 0)
		return rt_config_write_defaults(broker_config_keys, stdout) == 0 ? 0 : 1;
	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	cmd = argv[1];
	argc--;
	argv++;
	if (strcmp(cmd, "subscriber") == 0)
		return subscriber_main(argc, argv);
	if (strcmp(cmd, "ledger") == 0)
		return ledger_main(argc, argv);
	if (strcmp(cmd, "export") == 0)
		return broker_export_main(argc, argv);
	if (strcmp(cmd, "reconcile") == 0)
		return broker_reconcile_main(argc, argv);
	while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			path = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (strcmp(cmd, "run") != 0 && strcmp(cmd, "check") != 0 &&
	    strcmp(cmd, "status") != 0 && strcmp(cmd, "peers") != 0) {
		fprintf(stderr, PROG ": unknown command '%s'\n", cmd);
		usage(stderr);
		return 2;
	}
	if (strcmp(cmd, "check") == 0)
		return cmd_check(path);
	if ((r = load_config(path, &bc)) != 0)
		return r;
	if (strcmp(cmd, "run") == 0)
		r = cmd_run(&bc);
	else
		r = cmd_admin(&bc, 1, &argv[0]);
	broker_config_fini(&bc);
	return r;
}
