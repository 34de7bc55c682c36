/*
 * Shared by the config unit tests (test_config, test_config_errors): a
 * representative key table and parse helpers that fail the calling cmocka
 * test when the outcome is not the expected one.
 */
#ifndef HELPER_CONFIG_H
#define HELPER_CONFIG_H

#include "rt_config.h"

#define HEAD "[broker]\nlisten = 0.0.0.0:7000\n"

extern const struct rt_config_key config_test_table[];
extern const char family_text[];

struct rt_config * parse_ok(const char *text);
void parse_fails_len(const struct rt_config_key *tab, const char *text, size_t len, int want, const char *prefix, const char *what);
void parse_fails(const char *text, const char *prefix, const char *what);
long long one_int(const char *key, const char *value);
void bad_value(const char *key, const char *value, const char *what);

#endif
