/*
 * broker_subscriber_cmd: the "subscriber" admin command (daemon side) and
 * the CLI that feeds it. See broker_subscriber.h.
 *
 * The password crosses only the 0600 admin socket: the CLI reads it from
 * stdin or a no-echo prompt, never from its own command line (ps, shell
 * history), and the daemon wipes its copy in argv once the store has the
 * HA1s. Answers never contain the password or an HA1.
 */
#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "broker_subscriber.h"
#include "rt_admin.h"
#include "rt_codec.h"

#define CLI_PROG "roamtrust-broker"
#define CLI_TIMEOUT_MS 10000
#define LIST_RESERVE 4096	/* room kept in the reply for the last line */

static const char admin_usage[] =
	"usage: subscriber add PUBLIC_ID PRIVATE_ID PASSWORD [--services a,b] "
	"[--max-age SECONDS]\n"
	"       subscriber passwd ID PASSWORD\n"
	"       subscriber disable ID | subscriber enable ID\n"
	"       subscriber list\n"
	"       subscriber show ID\n";

static const char cli_usage[] =
	"usage: " CLI_PROG " subscriber add PUBLIC_ID PRIVATE_ID [--services a,b] "
	"[--max-age SECONDS]\n"
	"           [--password-stdin] -c broker.conf\n"
	"       " CLI_PROG " subscriber passwd ID [--password-stdin] -c broker.conf\n"
	"       " CLI_PROG " subscriber disable|enable|show ID -c broker.conf\n"
	"       " CLI_PROG " subscriber list -c broker.conf\n"
	"The password is read from stdin (--password-stdin, first line) or "
	"prompted for;\nit is never given on the command line.\n";

/* Parsed arguments of add (and the positionals of the others). */
struct sub_args {
	const char *pos[4];
	int npos;
	char services[RT_SERVICES_MAX][RT_SERVICE_MAX];
	int nservices;
	long max_age;		/* -1: the policy's default */
};

static int
usage_answer(struct rt_buf *out)
{
	(void)!rt_buf_append_str(out, admin_usage);
	return 2;
}

static int fail_answer(struct rt_buf *out, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* "error: " and the reason on one line; status 1. */
static int
fail_answer(struct rt_buf *out, const char *fmt, ...)
{
	va_list ap;

	(void)!rt_buf_append_str(out, "error: ");
	va_start(ap, fmt);
	(void)!rt_buf_vprintf(out, fmt, ap);
	va_end(ap);
	(void)!rt_buf_append_str(out, "\n");
	return 1;
}

/* Splits "a,b" into args->services; 0, or 1 with the reason in out. */
static int
parse_services(const char *list, struct sub_args *args, struct rt_buf *out)
{
	const char *p = list, *comma;
	size_t len;

	args->nservices = 0;
	while (*p != '\0') {
		comma = strchr(p, ',');
		len = comma != NULL ? (size_t)(comma - p) : strlen(p);
		if (len == 0 || len >= RT_SERVICE_MAX)
			return fail_answer(out, "bad service list '%.80s'", list);
		if (args->nservices >= RT_SERVICES_MAX)
			return fail_answer(out, "too many services in '%.80s'",
			    list);
		memcpy(args->services[args->nservices], p, len);
		args->services[args->nservices++][len] = '\0';
		p += len + (comma != NULL);
		if (comma != NULL && *p == '\0')
			return fail_answer(out, "bad service list '%.80s'", list);
	}
	return 0;
}

/* Whether the option arg (name of namelen bytes) is name. */
static int
option_is(const char *arg, size_t namelen, const char *name)
{
	return namelen == strlen(name) && strncmp(arg, name, namelen) == 0;
}

/* Positionals and, when options is set, --services/--max-age (as "--x v"
 * or "--x=v"). Returns 0, 1 (bad value) or 2 (usage), the answer in out. */
static int
parse_args(int argc, char **argv, int options, struct sub_args *args,
    struct rt_buf *out)
{
	const char *arg, *value;
	size_t namelen;
	char *end;
	int r;

	memset(args, 0, sizeof(*args));
	args->max_age = -1;
	for (int i = 2; i < argc; i++) {
		arg = argv[i];
		if (strncmp(arg, "--", 2) != 0) {
			if (args->npos >= (int)(sizeof(args->pos) /
			    sizeof(args->pos[0])))
				return usage_answer(out);
			args->pos[args->npos++] = arg;
			continue;
		}
		if (!options)
			return usage_answer(out);
		namelen = strcspn(arg, "=");
		if (arg[namelen] == '=')
			value = arg + namelen + 1;
		else if (i + 1 < argc)
			value = argv[++i];
		else
			return usage_answer(out);
		if (option_is(arg, namelen, "--services")) {
			if ((r = parse_services(value, args, out)) != 0)
				return r;
		} else if (option_is(arg, namelen, "--max-age")) {
			errno = 0;
			args->max_age = strtol(value, &end, 10);
			if (errno != 0 || end == value || *end != '\0' ||
			    args->max_age < 0)
				return fail_answer(out, "bad --max-age '%.40s': "
				    "seconds expected", value);
		} else
			return usage_answer(out);
	}
	return 0;
}

/* "none", or the services joined with sep. */
static int
services_text(const struct broker_subscriber *s, const char *sep,
    struct rt_buf *out)
{
	int r = 0;

	if (s->nservices == 0)
		return rt_buf_append_str(out, "none");
	for (int i = 0; i < s->nservices && r == 0; i++)
		r = rt_buf_printf(out, "%s%s", i > 0 ? sep : "", s->services[i]);
	return r;
}

/* The answer for a refused change: one line. */
static int
store_failure(struct rt_buf *out, int err, const char *why, const char *id)
{
	if (err == RT_ERR_DENIED)
		return fail_answer(out, "password refused: %s", why);
	if (err == RT_ERR_NOT_FOUND)
		return fail_answer(out, "no such subscriber: %.256s", id);
	if (why != NULL && why[0] != '\0')
		return fail_answer(out, "%s", why);
	return fail_answer(out, "%s", rt_strerror(err));
}

static int
cmd_add(struct broker_subscribers *db, const struct broker_password_policy *pol,
    const char *realm, int argc, char **argv, struct rt_buf *out)
{
	struct broker_subscriber sub;
	struct sub_args args;
	char why[256], expires[RT_TIME_STR_LEN + 1];
	time_t now = rt_time_now();
	int r;

	if ((r = parse_args(argc, argv, 1, &args, out)) != 0)
		return r;
	if (args.npos != 3)
		return usage_answer(out);
	if ((r = broker_subscriber_add(db, pol, realm, args.pos[0], args.pos[1],
	    args.pos[2], (const char (*)[RT_SERVICE_MAX])args.services,
	    args.nservices, args.max_age, now, why, sizeof(why))) != 0)
		return store_failure(out, r, why, args.pos[0]);
	if (broker_subscriber_get(db, args.pos[0], &sub) != 0)
		return fail_answer(out, "added %s, but cannot read it back",
		    args.pos[0]);
	r = rt_buf_printf(out, "added %s (private id %s; %s", sub.public_id,
	    sub.private_id, sub.nservices > 0 ? "services " : "no services");
	if (r == 0 && sub.nservices > 0)
		r = services_text(&sub, ", ", out);
	if (r == 0 && sub.password_max_age == 0)
		r = rt_buf_append_str(out, "; password never expires)\n");
	else if (r == 0) {
		rt_time_format(sub.password_set_at + sub.password_max_age, expires);
		r = rt_buf_printf(out, "; password expires %s)\n", expires);
	}
	OPENSSL_cleanse(&sub, sizeof(sub));
	return r == 0 ? 0 : 1;
}

static int
cmd_passwd(struct broker_subscribers *db,
    const struct broker_password_policy *pol, const char *realm, int argc,
    char **argv, struct rt_buf *out)
{
	struct sub_args args;
	char why[256];
	int r;

	if ((r = parse_args(argc, argv, 0, &args, out)) != 0)
		return r;
	if (args.npos != 2)
		return usage_answer(out);
	if ((r = broker_subscriber_passwd(db, pol, realm, args.pos[0],
	    args.pos[1], rt_time_now(), why, sizeof(why))) != 0)
		return store_failure(out, r, why, args.pos[0]);
	return rt_buf_printf(out, "password changed for %.256s; failures and "
	    "lock cleared\n", args.pos[0]) == 0 ? 0 : 1;
}

static int
cmd_enable(struct broker_subscribers *db, int enabled, int argc, char **argv,
    struct rt_buf *out)
{
	struct sub_args args;
	int r;

	if ((r = parse_args(argc, argv, 0, &args, out)) != 0)
		return r;
	if (args.npos != 1)
		return usage_answer(out);
	if ((r = broker_subscriber_set_enabled(db, args.pos[0], enabled)) != 0)
		return store_failure(out, r, NULL, args.pos[0]);
	return rt_buf_printf(out, "%s %.256s\n", enabled ? "enabled" : "disabled",
	    args.pos[0]) == 0 ? 0 : 1;
}

/* "12d", "12d EXPIRED" */
static void
password_age(const struct broker_subscriber *s, time_t now, char *age,
    size_t cap)
{
	long long secs = (long long)now - (long long)s->password_set_at;

	snprintf(age, cap, "%lldd%s", secs > 0 ? secs / 86400 : 0,
	    s->password_max_age > 0 && secs >= s->password_max_age ?
	    " EXPIRED" : "");
}

static void
locked_text(const struct broker_subscriber *s, time_t now, char *text)
{
	if (s->locked_until > now)
		rt_time_format(s->locked_until, text);
	else
		snprintf(text, RT_TIME_STR_LEN + 1, "-");
}

struct list_ctx {
	struct rt_buf *out;
	time_t now;
	long count;
	int truncated;
	int err;
};

static int
list_row(void *arg, const struct broker_subscriber *s)
{
	struct list_ctx *ctx = arg;
	char age[48], locked[RT_TIME_STR_LEN + 1];
	struct rt_buf services;
	int r;

	if (ctx->out->len + LIST_RESERVE > ctx->out->max) {
		ctx->truncated = 1;
		return 1;
	}
	rt_buf_init(&services, RT_SERVICES_MAX * RT_SERVICE_MAX);
	password_age(s, ctx->now, age, sizeof(age));
	locked_text(s, ctx->now, locked);
	if ((r = services_text(s, ",", &services)) == 0)
		r = rt_buf_printf(ctx->out, "%-32s %-24s %-20s %-7s %-12s %-6d "
		    "%s\n", s->public_id, s->private_id, rt_buf_str(&services),
		    s->enabled ? "yes" : "no", age, s->failed, locked);
	rt_buf_fini(&services);
	if (r != 0) {
		ctx->err = r;
		return 1;
	}
	ctx->count++;
	return 0;
}

static int
cmd_list(struct broker_subscribers *db, int argc, char **argv,
    struct rt_buf *out)
{
	struct list_ctx ctx = {out, rt_time_now(), 0, 0, 0};
	struct sub_args args;
	int r;

	if ((r = parse_args(argc, argv, 0, &args, out)) != 0)
		return r;
	if (args.npos != 0)
		return usage_answer(out);
	if (rt_buf_printf(out, "%-32s %-24s %-20s %-7s %-12s %-6s %s\n",
	    "PUBLIC ID", "PRIVATE ID", "SERVICES", "ENABLED", "PASSWORD AGE",
	    "FAILED", "LOCKED UNTIL") != 0)
		return 1;
	r = broker_subscriber_list(db, list_row, &ctx);
	if (ctx.truncated) {
		(void)!rt_buf_printf(out, "error: list truncated after %ld "
		    "subscribers (reply size cap)\n", ctx.count);
		return 1;
	}
	if (r < 0 || ctx.err != 0)
		return fail_answer(out, "cannot list subscribers: %s",
		    rt_strerror(r < 0 ? r : ctx.err));
	return rt_buf_printf(out, "%ld subscriber%s\n", ctx.count,
	    ctx.count == 1 ? "" : "s") == 0 ? 0 : 1;
}

static const char *
usable_text(int reason)
{
	switch (reason) {
	case 0:
		return "usable";
	case RT_ERR_DENIED:
		return "disabled";
	case RT_ERR_EXPIRED:
		return "password expired";
	case RT_ERR_UNAVAILABLE:
		return "locked after failed attempts";
	default:
		return rt_strerror(reason);
	}
}

static int
show_subscriber(const struct broker_subscriber *s, time_t now,
    struct rt_buf *out)
{
	char set[RT_TIME_STR_LEN + 1], until[RT_TIME_STR_LEN + 1];
	char age[48];
	long max = s->password_max_age;
	int r;

	rt_time_format(s->password_set_at, set);
	password_age(s, now, age, sizeof(age));
	locked_text(s, now, until);
	if ((r = rt_buf_printf(out, "public id:        %s\nprivate id:       %s\n"
	    "services:         ", s->public_id, s->private_id)) != 0 ||
	    (r = services_text(s, ", ", out)) != 0 ||
	    (r = rt_buf_printf(out, "\nenabled:          %s\n"
	    "password set:     %s (age %s)\n", s->enabled ? "yes" : "no", set,
	    age)) != 0)
		return r;
	if (max == 0)
		r = rt_buf_append_str(out, "password max age: never expires\n");
	else {
		rt_time_format(s->password_set_at + max, set);
		r = rt_buf_printf(out, "password max age: %ld %s (expires %s)\n",
		    max % 86400 == 0 ? max / 86400 : max,
		    max % 86400 == 0 ? "days" : "seconds", set);
	}
	if (r != 0)
		return r;
	return rt_buf_printf(out, "failed attempts:  %d\nlocked until:     %s\n"
	    "status:           %s\nHA1:              stored (MD5, SHA-256)\n",
	    s->failed, until, usable_text(broker_subscriber_usable(s, now)));
}

static int
cmd_show(struct broker_subscribers *db, int argc, char **argv,
    struct rt_buf *out)
{
	struct broker_subscriber sub;
	struct sub_args args;
	int r;

	if ((r = parse_args(argc, argv, 0, &args, out)) != 0)
		return r;
	if (args.npos != 1)
		return usage_answer(out);
	if ((r = broker_subscriber_get(db, args.pos[0], &sub)) != 0)
		return store_failure(out, r, NULL, args.pos[0]);
	r = show_subscriber(&sub, rt_time_now(), out);
	OPENSSL_cleanse(&sub, sizeof(sub));
	return r == 0 ? 0 : 1;
}

int
broker_subscriber_admin(struct broker_subscribers *db,
    const struct broker_password_policy *pol, const char *digest_realm,
    int argc, char **argv, struct rt_buf *out)
{
	const char *sub;
	int status;

	if (argc < 2)
		return usage_answer(out);
	sub = argv[1];
	if (strcmp(sub, "add") == 0 || strcmp(sub, "passwd") == 0) {
		status = sub[0] == 'a' ?
		    cmd_add(db, pol, digest_realm, argc, argv, out) :
		    cmd_passwd(db, pol, digest_realm, argc, argv, out);
		/* The password is one of these: wipe them all, whatever the
		 * outcome (a usage error does not say which one it was). */
		for (int i = 2; i < argc; i++)
			OPENSSL_cleanse(argv[i], strlen(argv[i]));
		return status;
	}
	if (strcmp(sub, "disable") == 0 || strcmp(sub, "enable") == 0)
		return cmd_enable(db, sub[0] == 'e', argc, argv, out);
	if (strcmp(sub, "list") == 0)
		return cmd_list(db, argc, argv, out);
	if (strcmp(sub, "show") == 0)
		return cmd_show(db, argc, argv, out);
	return usage_answer(out);
}

/* ---- the CLI ---- */

static volatile sig_atomic_t prompt_signal;

static void
prompt_on_signal(int sig)
{
	prompt_signal = sig;
}

/* Reads one line from fd into buf, without "\n" or "\r\n". 0,
 * RT_ERR_TOO_BIG (line over cap - 1 bytes) or RT_ERR_IO; buf is wiped on
 * error. Byte by byte: nothing past the line is read into a buffer. */
static int
read_line(int fd, char *buf, size_t cap)
{
	size_t n = 0;
	ssize_t got;
	char c = 0;
	int r;

	for (;;) {
		if ((got = read(fd, &c, 1)) < 0) {
			if (errno == EINTR && prompt_signal == 0)
				continue;
			r = RT_ERR_IO;
			goto out;
		}
		if (got == 0 || c == '\n')
			break;
		if (n + 1 >= cap) {
			r = RT_ERR_TOO_BIG;
			goto out;
		}
		buf[n++] = c;
	}
	if (n > 0 && buf[n - 1] == '\r')
		n--;
	buf[n] = '\0';
	r = 0;
 out:
	c = 0;
	if (r != 0)
		OPENSSL_cleanse(buf, cap);
	return r;
}

/*
 * Prompts on the terminal tty and reads a line with echo off. A signal
 * while the echo is off restores the terminal first, then is re-raised.
 */
static int
prompt_password(int tty, const char *prompt, char *buf, size_t cap)
{
	static const int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGTSTP,
	    SIGTTIN, SIGTTOU};
	struct sigaction sa, old[sizeof(sigs) / sizeof(sigs[0])];
	struct termios saved, quiet;
	size_t i, n = sizeof(sigs) / sizeof(sigs[0]);
	int r = RT_ERR_IO;

	if (tcgetattr(tty, &saved) != 0)
		return RT_ERR_IO;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = prompt_on_signal;	/* no SA_RESTART: read stops */
	sigemptyset(&sa.sa_mask);
	prompt_signal = 0;
	for (i = 0; i < n; i++)
		(void)sigaction(sigs[i], &sa, &old[i]);
	quiet = saved;
	quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHOE | ECHOK | ECHONL);
	if (write(tty, prompt, strlen(prompt)) < 0 ||
	    tcsetattr(tty, TCSAFLUSH, &quiet) != 0)
		goto out;
	r = read_line(tty, buf, cap);
	(void)tcsetattr(tty, TCSAFLUSH, &saved);
	(void)!write(tty, "\n", 1);
 out:
	for (i = 0; i < n; i++)
		(void)sigaction(sigs[i], &old[i], NULL);
	if (prompt_signal != 0) {
		OPENSSL_cleanse(buf, cap);
		raise(prompt_signal);
		r = RT_ERR_IO;
	}
	return r;
}

/* The password for id: stdin's first line, or asked twice on /dev/tty. */
static int
read_password(int from_stdin, const char *id, char *pw, size_t cap)
{
	char again[BROKER_PASSWORD_MAX + 2], prompt[RT_URI_MAX + 32];
	int tty = -1, r;

	if (from_stdin)
		r = read_line(STDIN_FILENO, pw, cap);
	else if ((tty = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC)) < 0) {
		fprintf(stderr, CLI_PROG ": subscriber: no terminal to ask for the "
		    "password: use --password-stdin\n");
		return RT_ERR_IO;
	} else {
		snprintf(prompt, sizeof(prompt), "New password for %.256s: ", id);
		if ((r = prompt_password(tty, prompt, pw, cap)) == 0 &&
		    (r = prompt_password(tty, "Retype the password: ", again,
		    sizeof(again))) == 0 && strcmp(pw, again) != 0) {
			fprintf(stderr, CLI_PROG ": subscriber: the passwords "
			    "do not match\n");
			r = RT_ERR_BAD_INPUT;
		}
		OPENSSL_cleanse(again, sizeof(again));
		close(tty);
	}
	if (r == RT_ERR_TOO_BIG)
		fprintf(stderr, CLI_PROG ": subscriber: password too long (at "
		    "most %d bytes)\n", BROKER_PASSWORD_MAX);
	else if (r == RT_ERR_IO)
		fprintf(stderr, CLI_PROG ": subscriber: cannot read the "
		    "password\n");
	else if (r == 0 && pw[0] == '\0') {
		fprintf(stderr, CLI_PROG ": subscriber: empty password\n");
		r = RT_ERR_BAD_INPUT;
	}
	if (r != 0)
		OPENSSL_cleanse(pw, cap);
	return r;
}

/* Whether arg is an option of add that takes the next argument. */
static int
option_takes_value(const char *arg)
{
	return strcmp(arg, "--services") == 0 || strcmp(arg, "--max-age") == 0;
}

int
broker_subscriber_cli(const char *admin_url, int argc, char **argv)
{
	char *args[RT_ADMIN_MAX_ARGS];
	char pw[BROKER_PASSWORD_MAX + 2];
	const char *first = NULL;
	struct rt_buf out;
	int n = 0, npos = 0, needs = -1, value_next = 0, from_stdin = 0;
	int status = 2, r;

	rt_buf_init(&out, RT_ADMIN_REPLY_MAX);
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];

		if (!value_next && (strcmp(a, "-c") == 0 ||
		    strcmp(a, "--config") == 0)) {
			i++;	/* main has read the configuration */
			continue;
		}
		if (!value_next && (strncmp(a, "--config=", 9) == 0 ||
		    (strncmp(a, "-c", 2) == 0 && a[2] != '\0')))
			continue;
		if (!value_next && strcmp(a, "--password-stdin") == 0) {
			from_stdin = 1;
			continue;
		}
		if (n >= RT_ADMIN_MAX_ARGS - 1)
			goto usage;
		args[n++] = argv[i];
		if (value_next)
			value_next = 0;
		else if (strncmp(a, "--", 2) == 0)
			value_next = option_takes_value(a);
		else if (n > 2 && npos++ == 0)
			first = a;
	}
	if (n < 2 || strcmp(args[0], "subscriber") != 0)
		goto usage;
	if (strcmp(args[1], "add") == 0)
		needs = 2;
	else if (strcmp(args[1], "passwd") == 0)
		needs = 1;
	if (needs < 0 && from_stdin)
		goto usage;
	if (needs >= 0 && npos == needs + 1) {
		fprintf(stderr, CLI_PROG ": subscriber: a password is never given "
		    "on the command line (ps, shell history): use "
		    "--password-stdin or answer the prompt\n");
		goto out;
	}
	if (needs >= 0 && npos != needs)
		goto usage;
	if (needs >= 0) {
		if (read_password(from_stdin, first, pw, sizeof(pw)) != 0) {
			status = 1;
			goto out;
		}
		args[n++] = pw;
	}
	if ((r = rt_admin_call(admin_url, n, args, CLI_TIMEOUT_MS, &out,
	    &status)) != 0) {
		fprintf(stderr, CLI_PROG ": subscriber: %s (is the broker "
		    "running? socket %s)\n", rt_strerror(r), admin_url);
		status = 1;
		goto out;
	}
	fputs(rt_buf_str(&out), status == 0 ? stdout : stderr);
	goto out;
 usage:
	fputs(cli_usage, stderr);
	status = 2;
 out:
	OPENSSL_cleanse(pw, sizeof(pw));
	rt_buf_fini(&out);
	return status;
}
