/*
 * rt_config: INI configuration files checked against a table of keys.
 *
 * Each program describes every key it reads in one table (section, name,
 * type, default, help, bounds); the same table validates a file, supplies
 * the defaults, and writes the commented example config and the docs. The
 * file is parsed with libinih, but sections, line numbers and line lengths
 * are tracked here so that every error names FILE:LINE and quotes the line.
 *
 * The file is refused, never partly applied: a key outside any section, an
 * unknown section or key, a value that does not parse as its type or lies
 * out of bounds, a key or section given twice, a line over
 * RT_CONFIG_MAX_LINE characters (libinih would split it silently), a NUL
 * byte, a line libinih cannot parse, and a missing required key are all
 * errors. Caps: the file is at most 1 MiB, at most 256 sections of
 * families ("peer.*" matches [peer.NAME]; NAME is letters, digits, '.',
 * '-', '_') and at most 4096 values. Lines are trimmed, so an indented line
 * is an ordinary line, never a libinih continuation line; ';' after a space
 * starts an inline comment.
 *
 * A default is text parsed like a value; a default that does not parse is
 * a bug in the table and fails the parse with RT_ERR_INTERNAL. defval NULL
 * means required; defval "" means optional without a default (for STRING it
 * is simply the empty default).
 *
 * The struct rt_config owns every string it returns; it is immutable after
 * parsing and holds no global state, so several may be used from several
 * threads. Nothing here logs: errors come back as one line in err. Asking
 * for a key that is not in the table, or with the wrong accessor for its
 * type, is a programming error and aborts.
 */
#ifndef RT_CONFIG_H
#define RT_CONFIG_H

#include <stddef.h>
#include <stdio.h>

#include "rt_err.h"

/* The longest line accepted, trimmed: libinih's INI_MAX_LINE less 3. */
#define RT_CONFIG_MAX_LINE 197
#define RT_CONFIG_MAX_FILE (1024 * 1024)
#define RT_CONFIG_MAX_FAMILY_SECTIONS 256
#define RT_CONFIG_MAX_VALUES 4096

enum rt_cfg_type {
	RT_CFG_STRING,	 /* any text */
	RT_CFG_PATH,	 /* non-empty text (a file path) */
	RT_CFG_INT,	 /* decimal integer, range-checked with min/max */
	RT_CFG_BOOL,	 /* yes/no, true/false, on/off, 1/0 */
	RT_CFG_DURATION, /* seconds: "30", "30s", "5m", "2h", "7d"; range-checked */
	RT_CFG_SIZE,	 /* bytes: "512", "64k", "16M", "1G" (powers of 1024) */
	RT_CFG_ENUM,	 /* one of the '|'-separated words in choices */
	RT_CFG_LIST	 /* comma-separated non-empty words, trimmed */
};

struct rt_config_key {
	const char *section;	/* "broker", or a family "peer.*" */
	const char *name;
	enum rt_cfg_type type;
	const char *defval;	/* default as text; NULL = required */
	const char *help;	/* one line of help */
	long long min, max;	/* INT, DURATION, SIZE; both 0 = unbounded */
	const char *choices;	/* ENUM: "fail-closed|fail-open" */
};
/* A table ends with an entry whose section is NULL. */

struct rt_config;

/*
 * Parses the file path against table. Returns 0 and a new config in *cfgp
 * (free with rt_config_free()), or RT_ERR_CONFIG (RT_ERR_NOT_FOUND,
 * RT_ERR_IO or RT_ERR_TOO_BIG for the file itself, RT_ERR_INTERNAL for a
 * bad table, RT_ERR_NOMEM) with *cfgp == NULL and one line in err:
 * "FILE:LINE: MESSAGE: BADLINE", or "FILE: MESSAGE" for errors not tied to
 * a line. err may be NULL when errcap is 0.
 */
int rt_config_load(const struct rt_config_key *table, const char *path,
    struct rt_config **cfgp, char *err, size_t errcap) RT_WUR;
/* The same over len bytes of text; name is FILE in messages. */
int rt_config_parse(const struct rt_config_key *table, const char *name,
    const char *text, size_t len, struct rt_config **cfgp, char *err,
    size_t errcap) RT_WUR;
void rt_config_free(struct rt_config *cfg);	/* NULL-safe */

/*
 * Values: what the file set, else the default, else NULL/0 (optional key
 * without default, or a family section absent from the file). For a family
 * pass the concrete section ("peer.home.example"). rt_config_str works for
 * every type and returns the text as written; rt_config_int is for INT,
 * DURATION (seconds) and SIZE (bytes); rt_config_bool for BOOL; the list
 * functions for LIST (rt_config_list_item returns NULL when i is past the
 * end).
 */
const char *rt_config_str(const struct rt_config *cfg, const char *section,
    const char *name);
long long rt_config_int(const struct rt_config *cfg, const char *section,
    const char *name);
int rt_config_bool(const struct rt_config *cfg, const char *section,
    const char *name);
/* Whether the file set the key explicitly. */
int rt_config_is_set(const struct rt_config *cfg, const char *section,
    const char *name);
size_t rt_config_list_len(const struct rt_config *cfg, const char *section,
    const char *name);
const char *rt_config_list_item(const struct rt_config *cfg,
    const char *section, const char *name, size_t i);
/*
 * The concrete sections of family ("peer.*") present in the file, in file
 * order: returns their count and fills up to max names (owned by cfg). For
 * a plain section of the table it returns 1 when the file has it, else 0.
 */
size_t rt_config_sections(const struct rt_config *cfg, const char *family,
    const char **names, size_t max);

/*
 * Writes a commented example config to out: every key with its help, type,
 * range or choices and default ("required" when none), sections in table
 * order. Keys of plain sections with a default are written set to it, so
 * the output parses back to the defaults; required keys and family
 * sections are commented out. Returns 0 or RT_ERR_IO.
 */
int rt_config_write_defaults(const struct rt_config_key *table, FILE *out)
    RT_WUR;

#endif
