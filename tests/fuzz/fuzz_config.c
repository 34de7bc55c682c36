/*
 * libFuzzer target for rt_config_parse: the bytes are a config file parsed
 * against a table with every type and a family section. A config that
 * parses is read back through every accessor, so lookups on what the
 * parser built are fuzzed too. Must never crash, leak or hang.
 */
#include <stddef.h>
#include <stdint.h>

#include "rt_config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Where the values read back go, so the reads are not optimised away. */
static volatile unsigned long fuzz_sink;

static const struct rt_config_key fuzz_table[] = {
	{"broker", "listen", RT_CFG_STRING, "127.0.0.1:7000", "Listen", 0, 0,
	    NULL},
	{"broker", "state_dir", RT_CFG_PATH, "/var/lib/roamtrust", "State", 0,
	    0, NULL},
	{"broker", "ca", RT_CFG_PATH, "", "CA file", 0, 0, NULL},
	{"broker", "workers", RT_CFG_INT, "4", "Workers", 1, 64, NULL},
	{"broker", "offset", RT_CFG_INT, "0", "Any integer", 0, 0, NULL},
	{"broker", "verbose", RT_CFG_BOOL, "no", "Verbose", 0, 0, NULL},
	{"broker", "timeout", RT_CFG_DURATION, "30s", "Timeout", 1, 86400,
	    NULL},
	{"broker", "ttl", RT_CFG_DURATION, "1h", "Any duration", 0, 0, NULL},
	{"broker", "max_doc", RT_CFG_SIZE, "64k", "Largest document", 512,
	    1LL << 30, NULL},
	{"broker", "policy", RT_CFG_ENUM, "fail-closed", "On outage", 0, 0,
	    "fail-closed|fail-open"},
	{"broker", "realms", RT_CFG_LIST, "", "Realms", 0, 0, NULL},
	{"log", "level", RT_CFG_ENUM, "info", "Level", 0, 0,
	    "err|warn|info|debug"},
	{"peer.*", "url", RT_CFG_STRING, NULL, "Peer URL", 0, 0, NULL},
	{"peer.*", "cert", RT_CFG_PATH, "", "Peer certificate", 0, 0, NULL},
	{"peer.*", "timeout", RT_CFG_DURATION, "10s", "Peer timeout", 1, 3600,
	    NULL},
	{"peer.*", "max_doc", RT_CFG_SIZE, "1M", "Peer document cap", 0, 0,
	    NULL},
	{"peer.*", "enabled", RT_CFG_BOOL, "yes", "Peer enabled", 0, 0, NULL},
	{"peer.*", "tags", RT_CFG_LIST, "a, b", "Peer tags", 0, 0, NULL},
	{NULL, NULL, RT_CFG_STRING, NULL, NULL, 0, 0, NULL},
};

/* Reads every key of section through the accessor of its type. */
static unsigned long
read_back(const struct rt_config *cfg, const char *table_section,
    const char *section)
{
	const struct rt_config_key *key;
	unsigned long sum = 0;
	const char *s;
	size_t i, n;

	for (key = fuzz_table; key->section != NULL; key++) {
		if (key->section != table_section)
			continue;
		s = rt_config_str(cfg, section, key->name);
		sum += s != NULL ? (unsigned char)s[0] : 0;
		sum += (unsigned long)rt_config_is_set(cfg, section, key->name);
		switch (key->type) {
		case RT_CFG_INT:
		case RT_CFG_DURATION:
		case RT_CFG_SIZE:
			sum += (unsigned long)rt_config_int(cfg, section,
			    key->name);
			break;
		case RT_CFG_BOOL:
			sum += (unsigned long)rt_config_bool(cfg, section,
			    key->name);
			break;
		case RT_CFG_LIST:
			n = rt_config_list_len(cfg, section, key->name);
			for (i = 0; i <= n; i++) {
				s = rt_config_list_item(cfg, section,
				    key->name, i);
				sum += s != NULL ? (unsigned char)s[0] : 0;
			}
			break;
		default:
			break;
		}
	}
	return sum;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rt_config *cfg = NULL;
	const char *names[8];
	char err[256];
	unsigned long sum = 0;
	size_t i, n;

	if (rt_config_parse(fuzz_table, "fuzz.conf", (const char *)data, size,
	    &cfg, err, sizeof(err)) != 0)
		return 0;
	sum += read_back(cfg, "broker", "broker");
	sum += read_back(cfg, "log", "log");
	sum += read_back(cfg, "peer.*", "peer.absent");
	n = rt_config_sections(cfg, "peer.*", names, 8);
	for (i = 0; i < n && i < 8; i++)
		sum += read_back(cfg, "peer.*", names[i]);
	fuzz_sink = sum;
	rt_config_free(cfg);
	return 0;
}
