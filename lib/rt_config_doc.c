/*
 * rt_config_write_defaults (rt_config.h): the commented example config that
 * documents every key of a program's table, and loads back as its defaults.
 */
#include <stdio.h>
#include <string.h>

#include "rt_config.h"

#define NUM_TYPES ((1U << RT_CFG_INT) | (1U << RT_CFG_DURATION) | \
    (1U << RT_CFG_SIZE))

/* For a family "peer.*" the length of its prefix "peer.", else 0. */
static size_t
family_prefix(const char *section)
{
	size_t n = strlen(section);

	return n >= 2 && strcmp(section + n - 2, ".*") == 0 ? n - 1 : 0;
}

/* One key: help, type, range or choices, default, and the key line. */
static void
write_key(const struct rt_config_key *key, int family, FILE *out)
{
	static const char *const types[] = {
		[RT_CFG_STRING] = "string",
		[RT_CFG_PATH] = "path",
		[RT_CFG_INT] = "integer",
		[RT_CFG_BOOL] = "boolean (yes/no, true/false, on/off, 1/0)",
		[RT_CFG_DURATION] = "duration (seconds, or with s, m, h, d)",
		[RT_CFG_SIZE] = "size (bytes, or with k, M, G: powers of 1024)",
		[RT_CFG_ENUM] = "one of",
		[RT_CFG_LIST] = "comma-separated list",
	};
	int known = (unsigned int)key->type <= RT_CFG_LIST;
	int required = key->defval == NULL;
	int nodefault = !required && key->defval[0] == '\0' &&
	    key->type != RT_CFG_STRING;

	fprintf(out, "\n; %s\n; %s", key->help != NULL ? key->help : "",
	    known ? types[key->type] : "?");
	if (key->type == RT_CFG_ENUM)
		fprintf(out, " %s", key->choices != NULL ? key->choices : "");
	if (known && ((1U << key->type) & NUM_TYPES) && (key->min != 0 ||
	    key->max != 0))
		fprintf(out, ", %lld..%lld", key->min, key->max);
	if (required || nodefault)
		fprintf(out, "; %s\n", required ? "required" :
		    "optional, no default");
	else
		fprintf(out, "; default %s\n", key->defval[0] != '\0' ?
		    key->defval : "empty");
	fprintf(out, "%s%s =%s%s\n", family || required || nodefault ? ";" :
	    "", key->name, required || key->defval[0] == '\0' ? "" : " ",
	    required ? "" : key->defval);
}

int
rt_config_write_defaults(const struct rt_config_key *table, FILE *out)
{
	const char *section;
	size_t i, j, n;

	fprintf(out, "; Every key with its type and default. Keys with a "
	    "default are set to it;\n; required keys and family sections "
	    "([NAME.*]) are commented out.\n");
	for (i = 0; table[i].section != NULL; i++) {
		section = table[i].section;
		for (j = 0; j < i; j++)
			if (strcmp(table[j].section, section) == 0)
				break;
		if (j < i)
			continue;	/* written with its first key */
		if ((n = family_prefix(section)) != 0)
			fprintf(out, "\n; One section per NAME:\n;[%.*sNAME]\n",
			    (int)n, section);
		else
			fprintf(out, "\n[%s]\n", section);
		for (j = i; table[j].section != NULL; j++)
			if (strcmp(table[j].section, section) == 0)
				write_key(&table[j], n != 0, out);
	}
	if (fflush(out) != 0 || ferror(out))
		return RT_ERR_IO;
	return 0;
}
