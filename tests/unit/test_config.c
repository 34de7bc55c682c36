/*
 * Unit tests of rt_config: every type and its bounds, defaults, family
 * sections, every parse error with its FILE:LINE prefix, and the defaults
 * writer parsed back.
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
test_defaults(void **state)
{
	struct rt_config *cfg;

	(void)state;
	cfg = parse_ok(HEAD);
	assert_string_equal(rt_config_str(cfg, "broker", "listen"),
	    "0.0.0.0:7000");
	assert_true(rt_config_is_set(cfg, "broker", "listen"));
	assert_string_equal(rt_config_str(cfg, "broker", "name"), "");
	assert_false(rt_config_is_set(cfg, "broker", "name"));
	assert_string_equal(rt_config_str(cfg, "broker", "state_dir"),
	    "/var/lib/roamtrust");
	assert_null(rt_config_str(cfg, "broker", "ca"));
	assert_int_equal(rt_config_int(cfg, "broker", "workers"), 4);
	assert_int_equal(rt_config_int(cfg, "broker", "offset"), 0);
	assert_false(rt_config_bool(cfg, "broker", "verbose"));
	assert_int_equal(rt_config_int(cfg, "broker", "timeout"), 30);
	assert_string_equal(rt_config_str(cfg, "broker", "timeout"), "30s");
	assert_int_equal(rt_config_int(cfg, "broker", "ttl"), 3600);
	assert_int_equal(rt_config_int(cfg, "broker", "max_doc"), 65536);
	assert_int_equal(rt_config_int(cfg, "broker", "cache"), 1048576);
	assert_string_equal(rt_config_str(cfg, "broker", "policy"),
	    "fail-closed");
	assert_int_equal(rt_config_list_len(cfg, "broker", "realms"), 0);
	assert_null(rt_config_list_item(cfg, "broker", "realms", 0));
	assert_null(rt_config_str(cfg, "broker", "realms"));
	assert_string_equal(rt_config_str(cfg, "log", "level"), "info");
	assert_false(rt_config_is_set(cfg, "log", "level"));
	rt_config_free(cfg);
	rt_config_free(NULL);
}

static void
test_string_path(void **state)
{
	struct rt_config *cfg;

	(void)state;
	cfg = parse_ok(HEAD "name =\nstate_dir = /srv/rt dir\nca = ca.pem\n");
	assert_string_equal(rt_config_str(cfg, "broker", "name"), "");
	assert_true(rt_config_is_set(cfg, "broker", "name"));
	assert_string_equal(rt_config_str(cfg, "broker", "state_dir"),
	    "/srv/rt dir");
	assert_string_equal(rt_config_str(cfg, "broker", "ca"), "ca.pem");
	rt_config_free(cfg);
	bad_value("state_dir", "", "empty value");
	bad_value("ca", "", "empty value");
}

static void
test_int(void **state)
{
	(void)state;
	assert_int_equal(one_int("workers", "1"), 1);
	assert_int_equal(one_int("workers", "64"), 64);
	assert_int_equal(one_int("workers", "+7"), 7);
	assert_int_equal(one_int("workers", "007"), 7);
	assert_int_equal(one_int("offset", "-5"), -5);
	assert_true(one_int("offset", "9223372036854775807") == LLONG_MAX);
	assert_true(one_int("offset", "-9223372036854775808") == LLONG_MIN);
	bad_value("workers", "0", "out of range 1..64");
	bad_value("workers", "65", "out of range 1..64");
	bad_value("workers", "-1", "out of range 1..64");
	bad_value("offset", "9223372036854775808", "integer overflow");
	bad_value("offset", "-9223372036854775809", "integer overflow");
	bad_value("workers", "abc", "not a number");
	bad_value("workers", "12abc", "not a number");
	bad_value("workers", "1 2", "not a number");
	bad_value("workers", "0x10", "not a number");
	bad_value("workers", "-", "not a number");
	bad_value("workers", "", "empty value");
	bad_value("workers", "4s", "not a number");
}

static void
test_bool(void **state)
{
	static const char *const yes[] = {"yes", "true", "on", "1", "YES",
	    "True"};
	static const char *const no[] = {"no", "false", "off", "0", "Off"};
	struct rt_config *cfg;
	char text[128];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		snprintf(text, sizeof(text), HEAD "verbose = %s\n", yes[i]);
		cfg = parse_ok(text);
		assert_true(rt_config_bool(cfg, "broker", "verbose"));
		rt_config_free(cfg);
	}
	for (i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
		snprintf(text, sizeof(text), HEAD "verbose = %s\n", no[i]);
		cfg = parse_ok(text);
		assert_false(rt_config_bool(cfg, "broker", "verbose"));
		assert_true(rt_config_is_set(cfg, "broker", "verbose"));
		rt_config_free(cfg);
	}
	bad_value("verbose", "maybe", "not a boolean");
	bad_value("verbose", "2", "not a boolean");
	bad_value("verbose", "yes|no", "not a boolean");
	bad_value("verbose", "", "empty value");
}

static void
test_duration(void **state)
{
	(void)state;
	assert_int_equal(one_int("timeout", "30"), 30);
	assert_int_equal(one_int("timeout", "30s"), 30);
	assert_int_equal(one_int("timeout", "5m"), 300);
	assert_int_equal(one_int("timeout", "2h"), 7200);
	assert_int_equal(one_int("timeout", "7d"), 7 * 86400);
	assert_int_equal(one_int("timeout", "1"), 1);
	assert_int_equal(one_int("timeout", "30d"), 30 * 86400);
	assert_int_equal(one_int("ttl", "0"), 0);
	bad_value("timeout", "0", "out of range 1..2592000");
	bad_value("timeout", "31d", "out of range");
	bad_value("timeout", "5x", "bad unit suffix 'x' (use s, m, h or d)");
	bad_value("timeout", "5ms", "bad unit suffix 'ms'");
	bad_value("timeout", "5M", "bad unit suffix 'M'");
	bad_value("timeout", "5 m", "bad unit suffix ' m'");
	bad_value("timeout", "m", "not a number");
	bad_value("timeout", "-5", "not a number");
	bad_value("ttl", "9223372036854775807d", "integer overflow");
	bad_value("ttl", "99999999999999999999", "integer overflow");
}

static void
test_size(void **state)
{
	(void)state;
	assert_int_equal(one_int("max_doc", "512"), 512);
	assert_int_equal(one_int("max_doc", "64k"), 65536);
	assert_int_equal(one_int("max_doc", "64K"), 65536);
	assert_int_equal(one_int("max_doc", "16M"), 16 << 20);
	assert_int_equal(one_int("max_doc", "16m"), 16 << 20);
	assert_int_equal(one_int("max_doc", "1G"), 1LL << 30);
	assert_int_equal(one_int("cache", "0"), 0);
	assert_true(one_int("cache", "8589934591G") == 8589934591LL << 30);
	bad_value("max_doc", "511", "out of range 512..1073741824");
	bad_value("max_doc", "2G", "out of range");
	bad_value("max_doc", "1T", "bad unit suffix 'T' (use k, M or G)");
	bad_value("max_doc", "1kb", "bad unit suffix 'kb'");
	bad_value("max_doc", "k", "not a number");
	bad_value("cache", "8589934592G", "integer overflow");
}

static void
test_enum(void **state)
{
	struct rt_config *cfg;

	(void)state;
	cfg = parse_ok(HEAD "policy = fail-open\n[log]\nlevel = debug\n");
	assert_string_equal(rt_config_str(cfg, "broker", "policy"),
	    "fail-open");
	assert_string_equal(rt_config_str(cfg, "log", "level"), "debug");
	rt_config_free(cfg);
	bad_value("policy", "fail", "not one of fail-closed|fail-open");
	bad_value("policy", "fail-closed|fail-open", "not one of");
	bad_value("policy", "Fail-Open", "not one of");
	bad_value("policy", "fail-openx", "not one of");
	bad_value("policy", "", "empty value");
}

static void
test_list(void **state)
{
	struct rt_config *cfg;

	(void)state;
	cfg = parse_ok(HEAD "realms = a.example,  b.example ,c\t,d\n");
	assert_int_equal(rt_config_list_len(cfg, "broker", "realms"), 4);
	assert_string_equal(rt_config_list_item(cfg, "broker", "realms", 0),
	    "a.example");
	assert_string_equal(rt_config_list_item(cfg, "broker", "realms", 1),
	    "b.example");
	assert_string_equal(rt_config_list_item(cfg, "broker", "realms", 2),
	    "c");
	assert_string_equal(rt_config_list_item(cfg, "broker", "realms", 3),
	    "d");
	assert_null(rt_config_list_item(cfg, "broker", "realms", 4));
	assert_string_equal(rt_config_str(cfg, "broker", "realms"),
	    "a.example,  b.example ,c\t,d");
	rt_config_free(cfg);
	cfg = parse_ok(HEAD "realms = one\n");
	assert_int_equal(rt_config_list_len(cfg, "broker", "realms"), 1);
	assert_string_equal(rt_config_list_item(cfg, "broker", "realms", 0),
	    "one");
	rt_config_free(cfg);
	bad_value("realms", "a,,b", "empty list item");
	bad_value("realms", "a, ,b", "empty list item");
	bad_value("realms", "a,", "empty list item");
	bad_value("realms", ",a", "empty list item");
	bad_value("realms", ",", "empty list item");
	bad_value("realms", "", "empty value");
}

static void
test_family(void **state)
{
	struct rt_config *cfg;
	const char *names[4];

	(void)state;
	cfg = parse_ok(family_text);
	assert_int_equal(rt_config_sections(cfg, "peer.*", names, 4), 3);
	assert_string_equal(names[0], "peer.home.example");
	assert_string_equal(names[1], "peer.b");
	assert_string_equal(names[2], "peer.c-3_z");
	names[1] = NULL;
	assert_int_equal(rt_config_sections(cfg, "peer.*", names, 1), 3);
	assert_null(names[1]);
	assert_int_equal(rt_config_sections(cfg, "peer.*", NULL, 0), 3);
	assert_int_equal(rt_config_sections(cfg, "broker", NULL, 0), 1);
	assert_int_equal(rt_config_sections(cfg, "log", NULL, 0), 0);

	assert_string_equal(rt_config_str(cfg, "peer.home.example", "url"),
	    "https://home.example/");
	assert_int_equal(rt_config_int(cfg, "peer.home.example", "timeout"),
	    300);
	assert_true(rt_config_bool(cfg, "peer.home.example", "enabled"));
	assert_int_equal(rt_config_int(cfg, "peer.b", "timeout"), 10);
	assert_false(rt_config_is_set(cfg, "peer.b", "timeout"));
	assert_false(rt_config_bool(cfg, "peer.b", "enabled"));
	assert_int_equal(rt_config_list_len(cfg, "peer.b", "tags"), 1);
	assert_string_equal(rt_config_list_item(cfg, "peer.b", "tags", 0),
	    "x");
	assert_int_equal(rt_config_list_len(cfg, "peer.c-3_z", "tags"), 2);
	assert_string_equal(rt_config_list_item(cfg, "peer.c-3_z", "tags", 1),
	    "b");
	/* A peer the file does not have: defaults, NULL when required. */
	assert_null(rt_config_str(cfg, "peer.absent", "url"));
	assert_int_equal(rt_config_int(cfg, "peer.absent", "timeout"), 10);
	assert_false(rt_config_is_set(cfg, "peer.absent", "url"));
	rt_config_free(cfg);

	/* No peers at all is fine. */
	cfg = parse_ok(HEAD);
	assert_int_equal(rt_config_sections(cfg, "peer.*", names, 4), 0);
	rt_config_free(cfg);

	parse_fails(HEAD "[peer.a]\nurl = x\n[peer.b]\ntimeout = 1\n"
	    "[peer.c]\nurl = y\n",
	    "t.conf: missing required key 'url' in [peer.b]", "missing");
	parse_fails(HEAD "[peer.a]\nurl = x\n[peer.a]\n",
	    "t.conf:5: duplicate section [peer.a] (first on line 3): [peer.a]",
	    "duplicate section");
	parse_fails(HEAD "[peer.a]\ntimeout = 2h\n",
	    "t.conf:4: bad value for 'timeout': out of range 1..3600: "
	    "timeout = 2h", "out of range");
	parse_fails(HEAD "[peer.]\n", "t.conf:3: unknown section [peer.]: ",
	    "unknown section");
	parse_fails(HEAD "[peer]\n", "t.conf:3: unknown section [peer]: ",
	    "unknown section");
	parse_fails(HEAD "[peer.a]\nurl = x\nlisten = y\n",
	    "t.conf:5: unknown key 'listen' in [peer.a]: listen = y",
	    "unknown key");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_string_path),
		cmocka_unit_test(test_int),
		cmocka_unit_test(test_bool),
		cmocka_unit_test(test_duration),
		cmocka_unit_test(test_size),
		cmocka_unit_test(test_enum),
		cmocka_unit_test(test_list),
		cmocka_unit_test(test_family),
	};


	return cmocka_run_group_tests(tests, NULL, NULL);
}
