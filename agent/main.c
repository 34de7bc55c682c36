/*
 * roamtrust-agent: argument parsing and subcommand dispatch.
 *
 *   roamtrust-agent run -c agent.conf       the daemon, in the foreground
 *   roamtrust-agent check -c agent.conf     what run would refuse at start
 *   roamtrust-agent status -c agent.conf    ask the running agent
 *   roamtrust-agent usage -c agent.conf     its usage spool, quarantine
 *   roamtrust-agent requeue -c agent.conf   quarantined records sent again
 *   roamtrust-agent --print-defaults        every option with its default
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "rt_admin.h"
#include "rt_log.h"

#define PROG "roamtrust-agent"

static void
usage(FILE *out)
{
	fprintf(out,
	    "usage: " PROG " run -c agent.conf      run the agent (foreground)\n"
	    "       " PROG " check -c agent.conf    what run would refuse (starts nothing)\n"
	    "       " PROG " status -c agent.conf   the running agent's state\n"
	    "       " PROG " usage -c agent.conf    its usage spool and quarantine\n"
	    "       " PROG " requeue -c agent.conf  quarantined records to the broker "
	    "again\n"
	    "       " PROG " --print-defaults       every option with its default\n");
}

static int
cmd_run(struct agent_config *ac)
{
	enum rt_log_level level = RT_LOG_INFO;
	struct agent *a = NULL;
	sigset_t set;
	int sig = 0;

	(void)!rt_log_level_parse(ac->log_level, &level);
	rt_log_init(PROG, strcmp(ac->log_dest, "syslog") == 0 ? RT_LOG_SYSLOG :
	    RT_LOG_STDERR, level);
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (agent_new(ac, &a) != 0)
		return 1;
	if (agent_start(a) != 0) {
		agent_stop(a);
		agent_free(a);
		return 1;
	}
	while (sigwait(&set, &sig) == 0 && sig == SIGHUP)
		log_info("event=sighup detail=\"reload is not supported: restart to apply changes\"");
	log_info("event=signal signal=%d", sig);
	agent_stop(a);
	agent_free(a);
	return 0;
}

/*
 * `check`, once the configuration loaded: what `run` would refuse at start
 * (agent_preflight), one line per problem, and "ok: FILE" (exit 0) or
 * "N problems" (exit 1).
 */
static int
cmd_check(const struct agent_config *ac)
{
	struct rt_preflight pf;

	/* every problem is on the report: the log would say it twice */
	rt_log_set_level(RT_LOG_NONE);
	rt_preflight_init(&pf, ac->path, stdout);
	agent_preflight(ac, &pf);
	return rt_preflight_finish(&pf);
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"config", required_argument, NULL, 'c'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0}
	};
	struct agent_config ac;
	const char *path = NULL, *cmd;
	char err[1024];
	int c, r;

	rt_log_init(PROG, RT_LOG_STDERR, RT_LOG_WARN);
	if (argc >= 2 && strcmp(argv[1], "--print-defaults") == 0)
		return rt_config_write_defaults(agent_config_keys, stdout) == 0 ? 0 : 1;
	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	cmd = argv[1];
	argc--;
	argv++;
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
	    strcmp(cmd, "status") != 0 && strcmp(cmd, "usage") != 0 &&
	    strcmp(cmd, "requeue") != 0) {
		fprintf(stderr, PROG ": unknown command '%s'\n", cmd);
		usage(stderr);
		return 2;
	}
	if (path == NULL) {
		fprintf(stderr, PROG ": -c CONFIG is required\n");
		return 2;
	}
	if (agent_config_load(path, &ac, err, sizeof(err)) != 0) {
		fprintf(stderr, PROG ": %s\n", err);
		if (strcmp(cmd, "check") == 0)
			printf("1 problem\n");
		return 1;
	}
	if (strcmp(cmd, "check") == 0)
		r = cmd_check(&ac);
	else if (strcmp(cmd, "run") == 0)
		r = cmd_run(&ac);
	else {
		struct rt_buf out;
		int status = 1;

		rt_buf_init(&out, 1024 * 1024);
		if ((r = rt_admin_call(ac.admin_socket, 1, &argv[0], 10000, &out,
		    &status)) != 0) {
			fprintf(stderr, PROG ": %s: %s (is the agent running?)\n", cmd,
			    rt_strerror(r));
			r = 1;
		} else {
			fputs(rt_buf_str(&out), status == 0 ? stdout : stderr);
			r = status;
		}
		rt_buf_fini(&out);
	}
	agent_config_fini(&ac);
	return r;
}
