/*
 * rt_config, second part: required keys, every error with its FILE:LINE,
 * caps, comments and whitespace, files, the generated defaults, misuse.
 */
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "helper_config.h"
#include "rt_config.h"

static void
test_required(void **state)
{
	(void)state;
	parse_fails("[broker]\nworkers = 2\n",
	    "t.conf: missing required key 'listen' in [broker]", "missing");
	parse_fails("", "t.conf: missing required key 'listen' in [broker]",
	    "missing");
	parse_fails("[log]\nlevel = warn\n",
	    "t.conf: missing required key 'listen' in [broker]", "missing");
}

static void
test_errors(void **state)
{
	(void)state;
	parse_fails("; comment\nlisten = x\n[broker]\n",
	    "t.conf:2: key outside any section: listen = x", "outside");
	parse_fails(HEAD "[brokers]\n",
	    "t.conf:3: unknown section [brokers]: [brokers]", "unknown");
	parse_fails("[broker]\nlisten = 1\n; a\n\n# b\nworkers = 2\n"
	    "listne = tls+tcp://0.0.0.0:7000\n",
	    "t.conf:7: unknown key 'listne' in [broker]: listne = "
	    "tls+tcp://0.0.0.0:7000", "unknown key");
	parse_fails(HEAD "workers = 4\nworkers = 5\n",
	    "t.conf:4: duplicate key 'workers' in [broker] (first set on line "
	    "3): workers = 5", "duplicate key");
	parse_fails(HEAD "[log]\n[broker]\n",
	    "t.conf:4: duplicate section [broker] (first on line 1): [broker]",
	    "duplicate section");
	parse_fails(HEAD "just some words\n",
	    "t.conf:3: syntax error (expected 'key = value', '[section]' or a "
	    "comment): just some words", "syntax error");
	parse_fails(HEAD "workers ;= 4\n", "t.conf:3: syntax error",
	    "workers ;= 4");
	parse_fails(HEAD "[log\n", "t.conf:3: syntax error: no ']'", "[log");
	parse_fails(HEAD "[]\n", "t.conf:3: bad section name ''", "[]");
	parse_fails(HEAD "[lo g]\n", "t.conf:3: bad section name 'lo g'",
	    "bad section name");
	parse_fails(HEAD "[log] level = x\n",
	    "t.conf:3: text after section header: [log] level = x", "after");
	parse_fails(HEAD "= 5\n", "t.conf:3: unknown key '' in [broker]",
	    "unknown key");
	/* The first error wins. */
	parse_fails(HEAD "bogus = 1\nworkers = 0\n",
	    "t.conf:3: unknown key 'bogus'", "unknown key");
}

static void
test_line_length(void **state)
{
	struct rt_config *cfg;
	char text[1024];
	int n;

	(void)state;
	/* Exactly RT_CONFIG_MAX_LINE characters: accepted. */
	n = RT_CONFIG_MAX_LINE - (int)strlen("name = ");
	snprintf(text, sizeof(text), HEAD "name = %0*d\n", n, 0);
	cfg = parse_ok(text);
	assert_int_equal(strlen(rt_config_str(cfg, "broker", "name")), n);
	rt_config_free(cfg);
	/* Leading and trailing blanks do not count. */
	snprintf(text, sizeof(text), HEAD "    name = %0*d    \n", n, 0);
	cfg = parse_ok(text);
	rt_config_free(cfg);
	/* One more: refused, not split into two lines by libinih. */
	snprintf(text, sizeof(text), HEAD "name = %0*d\nworkers = 2\n", n + 1,
	    0);
	parse_fails(text, "t.conf:3: line too long (over 197 characters): "
	    "name = 000", "...");
	snprintf(text, sizeof(text), HEAD "; %0*d\n", 600, 0);
	parse_fails(text, "t.conf:3: line too long", "line too long");
}

static void
test_nul_and_size(void **state)
{
	static const char nul[] = HEAD "name = a\0b\n";
	char *big;

	(void)state;
	parse_fails_len(config_test_table, nul, sizeof(nul) - 1, RT_ERR_CONFIG,
	    "t.conf:3: NUL byte in line", "NUL");
	big = malloc(RT_CONFIG_MAX_FILE + 1);
	assert_non_null(big);
	memset(big, '\n', RT_CONFIG_MAX_FILE + 1);
	memcpy(big, HEAD, strlen(HEAD));
	parse_fails_len(config_test_table, big, RT_CONFIG_MAX_FILE + 1, RT_ERR_TOO_BIG,
	    "t.conf: file too big", "too big");
	/* At the cap: parses. */
	{
		struct rt_config *cfg = NULL;
		char err[256];

		assert_int_equal(rt_config_parse(config_test_table, "t.conf", big,
		    RT_CONFIG_MAX_FILE, &cfg, err, sizeof(err)), 0);
		rt_config_free(cfg);
	}
	free(big);
}

static void
test_section_cap(void **state)
{
	char *text;
	size_t cap = 64 * 1024, len;
	int i;

	(void)state;
	text = malloc(cap);
	assert_non_null(text);
	len = (size_t)snprintf(text, cap, HEAD);
	for (i = 0; i < RT_CONFIG_MAX_FAMILY_SECTIONS + 1; i++)
		len += (size_t)snprintf(text + len, cap - len,
		    "[peer.p%d]\nurl = u\n", i);
	/* Line 3 + 2 * 256 is the 257th header. */
	parse_fails(text, "t.conf:515: too many sections (cap 256): [peer.p256]",
	    "too many");
	/* 256 peers are fine. */
	text[strstr(text, "[peer.p256]") - text] = '\0';
	{
		struct rt_config *cfg = parse_ok(text);

		assert_int_equal(rt_config_sections(cfg, "peer.*", NULL, 0),
		    256);
		rt_config_free(cfg);
	}
	free(text);
}

static void
test_value_cap(void **state)
{
	static char names[20][8];
	static struct rt_config_key many[21];
	char *text, prefix[64];
	size_t cap = 128 * 1024, len = 0;
	int i, k, line = 0, count = 0, errline = 0;

	(void)state;
	for (k = 0; k < 20; k++) {
		snprintf(names[k], sizeof(names[k]), "k%02d", k);
		many[k] = (struct rt_config_key){"many.*", names[k],
		    RT_CFG_INT, "0", "a key", 0, 0, NULL};
	}
	text = malloc(cap);
	assert_non_null(text);
	for (i = 0; i < 210; i++) {
		len += (size_t)snprintf(text + len, cap - len, "[many.s%d]\n",
		    i);
		line++;
		for (k = 0; k < 20; k++) {
			len += (size_t)snprintf(text + len, cap - len,
			    "%s = %d\n", names[k], k);
			line++;
			if (++count == RT_CONFIG_MAX_VALUES + 1)
				errline = line;
		}
	}
	snprintf(prefix, sizeof(prefix), "t.conf:%d: too many values (cap "
	    "4096): ", errline);
	parse_fails_len(many, text, len, RT_ERR_CONFIG, prefix, "too many");
	free(text);
}

static void
test_bad_table(void **state)
{
	static const struct rt_config_key bad_default[] = {
		{"broker", "workers", RT_CFG_INT, "four", "Workers", 0, 0,
		    NULL},
		{NULL, NULL, RT_CFG_STRING, NULL, NULL, 0, 0, NULL},
	};
	static const struct rt_config_key bad_range[] = {
		{"broker", "workers", RT_CFG_INT, "100", "Workers", 1, 64,
		    NULL},
		{NULL, NULL, RT_CFG_STRING, NULL, NULL, 0, 0, NULL},
	};
	static const struct rt_config_key dup_key[] = {
		{"broker", "workers", RT_CFG_INT, "1", "Workers", 0, 0, NULL},
		{"broker", "workers", RT_CFG_INT, "2", "Workers", 0, 0, NULL},
		{NULL, NULL, RT_CFG_STRING, NULL, NULL, 0, 0, NULL},
	};
	static const struct rt_config_key no_choices[] = {
		{"broker", "mode", RT_CFG_ENUM, "a", "Mode", 0, 0, NULL},
		{NULL, NULL, RT_CFG_STRING, NULL, NULL, 0, 0, NULL},
	};

	(void)state;
	parse_fails_len(bad_default, "", 0, RT_ERR_INTERNAL,
	    "t.conf: bad default 'four' for 'workers' in [broker]: not a "
	    "number", "bug in the key table");
	parse_fails_len(bad_range, "", 0, RT_ERR_INTERNAL,
	    "t.conf: bad default '100' for 'workers'", "out of range");
	parse_fails_len(dup_key, "", 0, RT_ERR_INTERNAL,
	    "t.conf: bad table entry 1", "workers");
	parse_fails_len(no_choices, "", 0, RT_ERR_INTERNAL,
	    "t.conf: bad table entry 0", "mode");
}

static void
test_comments(void **state)
{
	struct rt_config *cfg;

	(void)state;
	cfg = parse_ok("; top comment\n# another\n[broker] ; the broker\n"
	    "listen = x ; inline\nworkers = 8 ;eight\nname = a;b\n"
	    "state_dir = /a # not a comment\n  ; indented comment\n"
	    "realms = a ; b, c\n");
	assert_string_equal(rt_config_str(cfg, "broker", "listen"), "x");
	assert_int_equal(rt_config_int(cfg, "broker", "workers"), 8);
	assert_string_equal(rt_config_str(cfg, "broker", "name"), "a;b");
	assert_string_equal(rt_config_str(cfg, "broker", "state_dir"),
	    "/a # not a comment");
	assert_int_equal(rt_config_list_len(cfg, "broker", "realms"), 1);
	rt_config_free(cfg);
}

static void
test_bom(void **state)
{
	struct rt_config *cfg;

	(void)state;
	cfg = parse_ok("\xef\xbb\xbf[broker]\nlisten = x\n");
	assert_string_equal(rt_config_str(cfg, "broker", "listen"), "x");
	rt_config_free(cfg);
	cfg = parse_ok("\xef\xbb\xbf; comment\n[broker]\nlisten = x\n");
	rt_config_free(cfg);
	parse_fails("\xef\xbb\xbf[broker]\nlisten = x\nbogus = 1\n",
	    "t.conf:3: unknown key 'bogus' in [broker]: bogus = 1", "unknown");
	/* A BOM is only skipped at the very start. */
	parse_fails(HEAD "\xef\xbb\xbf[log]\n", "t.conf:3: syntax error",
	    "syntax");
}

static void
test_whitespace(void **state)
{
	struct rt_config *cfg;

	(void)state;
	cfg = parse_ok("\n\n  [ broker ]  \r\n\t listen\t=\t x  y \t\r\n"
	    "    workers=5\r\n\n   \nverbose:yes\ntimeout =  2m");
	assert_string_equal(rt_config_str(cfg, "broker", "listen"), "x  y");
	/* An indented line is a key of its own, not a continuation. */
	assert_int_equal(rt_config_int(cfg, "broker", "workers"), 5);
	assert_true(rt_config_bool(cfg, "broker", "verbose"));
	assert_int_equal(rt_config_int(cfg, "broker", "timeout"), 120);
	rt_config_free(cfg);
	parse_fails("[broker]\nlisten = x\n  listen = y\n",
	    "t.conf:3: duplicate key 'listen'", "listen = y");
}

static void
test_err_buffer(void **state)
{
	struct rt_config *cfg;
	char small[12];

	(void)state;
	assert_int_equal(rt_config_parse(config_test_table, "t.conf", "x", 1, &cfg, NULL,
	    0), RT_ERR_CONFIG);
	assert_null(cfg);
	assert_int_equal(rt_config_parse(config_test_table, "t.conf", "x", 1, &cfg, small,
	    sizeof(small)), RT_ERR_CONFIG);
	assert_string_equal(small, "t.conf:1: s");
	/* Control bytes of the line do not reach the message. */
	assert_int_equal(rt_config_parse(config_test_table, "t.conf", "\x1b[2J = 1\n", 9,
	    &cfg, small, sizeof(small)), RT_ERR_CONFIG);
	assert_null(strchr(small, '\x1b'));
}

static int
write_file(char *path, const void *data, size_t len)
{
	int fd = mkstemp(path);

	if (fd < 0)
		return -1;
	if (write(fd, data, len) != (ssize_t)len) {
		close(fd);
		return -1;
	}
	return close(fd);
}

static void
test_load(void **state)
{
	struct rt_config *cfg = NULL;
	char path[] = "/tmp/test_config_XXXXXX", err[512], *big;

	(void)state;
	assert_int_equal(write_file(path, HEAD "bad = 1\n",
	    strlen(HEAD "bad = 1\n")), 0);
	assert_int_equal(rt_config_load(config_test_table, path, &cfg, err, sizeof(err)),
	    RT_ERR_CONFIG);
	assert_null(cfg);
	assert_true(strncmp(err, path, strlen(path)) == 0);
	assert_string_equal(err + strlen(path),
	    ":3: unknown key 'bad' in [broker]: bad = 1");
	unlink(path);

	strcpy(path, "/tmp/test_config_XXXXXX");
	assert_int_equal(write_file(path, family_text, strlen(family_text)), 0);
	assert_int_equal(rt_config_load(config_test_table, path, &cfg, err, sizeof(err)),
	    0);
	assert_string_equal(rt_config_str(cfg, "peer.b", "url"), "https://b/");
	rt_config_free(cfg);
	unlink(path);

	assert_int_equal(rt_config_load(config_test_table, "/nonexistent/rt.conf", &cfg,
	    err, sizeof(err)), RT_ERR_NOT_FOUND);
	assert_null(cfg);
	assert_true(strncmp(err, "/nonexistent/rt.conf: ", 22) == 0);
	assert_int_equal(rt_config_load(config_test_table, "/tmp", &cfg, err,
	    sizeof(err)), RT_ERR_IO);
	assert_null(cfg);

	big = calloc(1, RT_CONFIG_MAX_FILE + 1);
	assert_non_null(big);
	strcpy(path, "/tmp/test_config_XXXXXX");
	assert_int_equal(write_file(path, big, RT_CONFIG_MAX_FILE + 1), 0);
	free(big);
	assert_int_equal(rt_config_load(config_test_table, path, &cfg, err, sizeof(err)),
	    RT_ERR_TOO_BIG);
	assert_null(cfg);
	assert_non_null(strstr(err, "file too big"));
	unlink(path);
}

static const struct rt_config_key default_table[] = {
	{"broker", "name", RT_CFG_STRING, "", "Display name", 0, 0, NULL},
	{"broker", "motd", RT_CFG_STRING, "hello world", "Banner", 0, 0,
	    NULL},
	{"broker", "state_dir", RT_CFG_PATH, "/var/lib/rt", "State folder",
	    0, 0, NULL},
	{"broker", "ca", RT_CFG_PATH, "", "CA file", 0, 0, NULL},
	{"broker", "workers", RT_CFG_INT, "4", "Worker threads", 1, 64, NULL},
	{"broker", "verbose", RT_CFG_BOOL, "on", "Verbose", 0, 0, NULL},
	{"broker", "timeout", RT_CFG_DURATION, "5m", "Timeout", 1, 3600, NULL},
	{"broker", "max_doc", RT_CFG_SIZE, "16M", "Largest document", 0, 0,
	    NULL},
	{"broker", "policy", RT_CFG_ENUM, "fail-open", "On outage", 0, 0,
	    "fail-closed|fail-open"},
	{"peer.*", "url", RT_CFG_STRING, NULL, "Peer URL", 0, 0, NULL},
	{"peer.*", "timeout", RT_CFG_DURATION, "10s", "Peer timeout", 0, 0,
	    NULL},
	{"log", "level", RT_CFG_ENUM, "info", "Log level", 0, 0,
	    "err|warn|info|debug"},
	{"broker", "realms", RT_CFG_LIST, "a, b,c", "Realms", 0, 0, NULL},
	{NULL, NULL, RT_CFG_STRING, NULL, NULL, 0, 0, NULL},
};

static void
test_write_defaults(void **state)
{
	struct rt_config *cfg = NULL;
	char path[] = "/tmp/test_config_XXXXXX", err[512], *text;
	size_t len;
	FILE *f;
	int fd;

	(void)state;
	assert_true((fd = mkstemp(path)) >= 0);
	assert_non_null(f = fdopen(fd, "w+"));
	assert_int_equal(rt_config_write_defaults(default_table, f), 0);
	assert_int_equal(fclose(f), 0);
	if (rt_config_load(default_table, path, &cfg, err, sizeof(err)) != 0)
		print_error("%s\n", err);
	assert_non_null(cfg);
	assert_string_equal(rt_config_str(cfg, "broker", "name"), "");
	assert_string_equal(rt_config_str(cfg, "broker", "motd"),
	    "hello world");
	assert_true(rt_config_is_set(cfg, "broker", "motd"));
	assert_string_equal(rt_config_str(cfg, "broker", "state_dir"),
	    "/var/lib/rt");
	assert_null(rt_config_str(cfg, "broker", "ca"));
	assert_int_equal(rt_config_int(cfg, "broker", "workers"), 4);
	assert_true(rt_config_bool(cfg, "broker", "verbose"));
	assert_int_equal(rt_config_int(cfg, "broker", "timeout"), 300);
	assert_int_equal(rt_config_int(cfg, "broker", "max_doc"), 16 << 20);
	assert_string_equal(rt_config_str(cfg, "broker", "policy"),
	    "fail-open");
	assert_int_equal(rt_config_list_len(cfg, "broker", "realms"), 3);
	assert_true(rt_config_is_set(cfg, "broker", "realms"));
	assert_string_equal(rt_config_str(cfg, "log", "level"), "info");
	assert_true(rt_config_is_set(cfg, "log", "level"));
	assert_int_equal(rt_config_sections(cfg, "peer.*", NULL, 0), 0);
	rt_config_free(cfg);

	/* The text says what each key is. */
	f = fopen(path, "r");
	assert_non_null(f);
	text = calloc(1, 8192);
	assert_non_null(text);
	len = fread(text, 1, 8191, f);
	fclose(f);
	unlink(path);
	assert_true(len > 0 && len < 8191);
	assert_non_null(strstr(text, "\n[broker]\n"));
	assert_non_null(strstr(text, "; Worker threads\n; integer, 1..64; "
	    "default 4\nworkers = 4\n"));
	assert_non_null(strstr(text, "; Peer URL\n; string; required\n"
	    ";url =\n"));
	assert_non_null(strstr(text, ";[peer.NAME]\n"));
	assert_non_null(strstr(text, "; one of fail-closed|fail-open; "
	    "default fail-open\n"));
	assert_non_null(strstr(text, "; path; optional, no default\n;ca =\n"));
	/* Sections in config_test_table order: broker, peer.*, log; realms with broker. */
	assert_true(strstr(text, "[broker]") < strstr(text, "[peer.NAME]"));
	assert_true(strstr(text, "[peer.NAME]") < strstr(text, "[log]"));
	assert_true(strstr(text, "realms = ") < strstr(text, "[peer.NAME]"));
	free(text);
}

static void
test_misuse_aborts(void **state)
{
	struct rt_config *cfg;
	int i, status;
	pid_t pid;

	(void)state;
	cfg = parse_ok(HEAD);
	for (i = 0; i < 4; i++) {
		fflush(NULL);
		pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			if (freopen("/dev/null", "w", stderr) == NULL)
				_exit(1);
			if (i == 0)
				(void)rt_config_str(cfg, "broker", "nokey");
			else if (i == 1)
				(void)rt_config_int(cfg, "nosection", "x");
			else if (i == 2)
				(void)rt_config_int(cfg, "broker", "name");
			else
				(void)rt_config_sections(cfg, "peer", NULL, 0);
			_exit(0);
		}
		assert_int_equal(waitpid(pid, &status, 0), pid);
		assert_true(WIFSIGNALED(status));
		assert_int_equal(WTERMSIG(status), SIGABRT);
	}
	rt_config_free(cfg);
}

static void
test_independent(void **state)
{
	struct rt_config *a, *b;

	(void)state;
	a = parse_ok(HEAD "workers = 2\n");
	b = parse_ok(HEAD "workers = 3\n");
	assert_int_equal(rt_config_int(a, "broker", "workers"), 2);
	assert_int_equal(rt_config_int(b, "broker", "workers"), 3);
	rt_config_free(a);
	assert_int_equal(rt_config_int(b, "broker", "workers"), 3);
	rt_config_free(b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_required),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_line_length),
		cmocka_unit_test(test_nul_and_size),
		cmocka_unit_test(test_section_cap),
		cmocka_unit_test(test_value_cap),
		cmocka_unit_test(test_bad_table),
		cmocka_unit_test(test_comments),
		cmocka_unit_test(test_bom),
		cmocka_unit_test(test_whitespace),
		cmocka_unit_test(test_err_buffer),
		cmocka_unit_test(test_load),
		cmocka_unit_test(test_write_defaults),
		cmocka_unit_test(test_misuse_aborts),
		cmocka_unit_test(test_independent),
	};


	return cmocka_run_group_tests(tests, NULL, NULL);
}
