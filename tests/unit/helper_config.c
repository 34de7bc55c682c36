/* See helper_config.h. */
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

const struct rt_config_key config_test_table[] = {
	{"broker", "listen", RT_CFG_STRING, NULL, "Address to listen on",
	    0, 0, NULL},
	{"broker", "name", RT_CFG_STRING, "", "Display name", 0, 0, NULL},
	{"broker", "state_dir", RT_CFG_PATH, "/var/lib/roamtrust",
	    "State folder", 0, 0, NULL},
	{"broker", "ca", RT_CFG_PATH, "", "CA file", 0, 0, NULL},
	{"broker", "workers", RT_CFG_INT, "4", "Worker threads", 1, 64, NULL},
	{"broker", "offset", RT_CFG_INT, "0", "Any integer", 0, 0, NULL},
	{"broker", "verbose", RT_CFG_BOOL, "no", "Verbose", 0, 0, NULL},
	{"broker", "timeout", RT_CFG_DURATION, "30s", "Request timeout", 1,
	    30 * 86400, NULL},
	{"broker", "ttl", RT_CFG_DURATION, "1h", "Any duration", 0, 0, NULL},
	{"broker", "max_doc", RT_CFG_SIZE, "64k", "Largest document", 512,
	    1LL << 30, NULL},
	{"broker", "cache", RT_CFG_SIZE, "1M", "Any size", 0, 0, NULL},
	{"broker", "policy", RT_CFG_ENUM, "fail-closed", "On outage", 0, 0,
	    "fail-closed|fail-open"},
	{"broker", "realms", RT_CFG_LIST, "", "Realms served", 0, 0, NULL},
	{"log", "level", RT_CFG_ENUM, "info", "Log level", 0, 0,
	    "err|warn|info|debug"},
	{"peer.*", "url", RT_CFG_STRING, NULL, "Peer URL", 0, 0, NULL},
	{"peer.*", "timeout", RT_CFG_DURATION, "10s", "Peer timeout", 1, 3600,
	    NULL},
	{"peer.*", "enabled", RT_CFG_BOOL, "yes", "Peer enabled", 0, 0, NULL},
	{"peer.*", "tags", RT_CFG_LIST, "a, b", "Peer tags", 0, 0, NULL},
	{NULL, NULL, RT_CFG_STRING, NULL, NULL, 0, 0, NULL},
};


struct rt_config *
parse_ok(const char *text)
{
	struct rt_config *cfg = NULL;
	char err[512];
	int r;

	r = rt_config_parse(config_test_table, "t.conf", text, strlen(text), &cfg, err,
	    sizeof(err));
	if (r != 0)
		print_error("unexpected error: %s\n", err);
	assert_int_equal(r, 0);
	assert_non_null(cfg);
	assert_string_equal(err, "");
	return cfg;
}

/* Parses len bytes expecting error want, err starting with prefix and
 * naming the problem what. */
void
parse_fails_len(const struct rt_config_key *tab, const char *text,
    size_t len, int want, const char *prefix, const char *what)
{
	struct rt_config *cfg = (struct rt_config *)&cfg;	/* not NULL */
	char err[1024];
	int r;

	r = rt_config_parse(tab, "t.conf", text, len, &cfg, err, sizeof(err));
	if (r != want || strncmp(err, prefix, strlen(prefix)) != 0 ||
	    strstr(err, what) == NULL)
		print_error("r=%d err=\"%s\" want prefix \"%s\" and \"%s\"\n",
		    r, err, prefix, what);
	assert_int_equal(r, want);
	assert_null(cfg);
	assert_true(strncmp(err, prefix, strlen(prefix)) == 0);
	assert_non_null(strstr(err, what));
}

void
parse_fails(const char *text, const char *prefix, const char *what)
{
	parse_fails_len(config_test_table, text, strlen(text), RT_ERR_CONFIG, prefix,
	    what);
}

/* [broker] key = value on line 3: its number. */
long long
one_int(const char *key, const char *value)
{
	struct rt_config *cfg;
	char text[512];
	long long v;

	snprintf(text, sizeof(text), HEAD "%s = %s\n", key, value);
	cfg = parse_ok(text);
	v = rt_config_int(cfg, "broker", key);
	rt_config_free(cfg);
	return v;
}

void
bad_value(const char *key, const char *value, const char *what)
{
	char text[512], prefix[128];

	snprintf(text, sizeof(text), HEAD "%s = %s\n", key, value);
	snprintf(prefix, sizeof(prefix), "t.conf:3: bad value for '%s': ",
	    key);
	parse_fails(text, prefix, what);
}

/* Three sections of the peer.* family. */
const char family_text[] =
    HEAD
    "[peer.home.example]\n"
    "url = https://home.example/\n"
    "timeout = 5m\n"
    "[peer.b]\n"
    "url = https://b/\n"
    "enabled = off\n"
    "tags = x\n"
    "[peer.c-3_z]\n"
    "url = u\n";
