#include "rt_config.h"

#include <errno.h>
#include <ini.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "rt_buf.h"
#include "rt_file.h"

_Static_assert(RT_CONFIG_MAX_LINE == INI_MAX_LINE - 3,
    "RT_CONFIG_MAX_LINE must follow libinih's INI_MAX_LINE");

#define NO_SECTION SIZE_MAX
#define WHY_MAX 160
#define NUM_TYPES ((1U << RT_CFG_INT) | (1U << RT_CFG_DURATION) | \
    (1U << RT_CFG_SIZE))
#define ANY_TYPE (~0U)

/* A parsed value: one set in the file, or a default from the table. */
struct cfg_value {
	const struct rt_config_key *key;
	char *text;		/* NULL: unset, no default */
	long long num;		/* INT, DURATION, SIZE, BOOL */
	char **items;		/* LIST: one block, the strings after the array */
	size_t nitems;
	int line;		/* 0 for a default */
};

struct cfg_section {
	char *name;		/* as in the file: "peer.home.example" */
	const char *table_section; /* as in the table: "peer.*" */
	size_t first, count;	/* values[first .. first + count) */
	int line;
};

struct rt_config {
	const struct rt_config_key *table;
	size_t nkeys;
	struct cfg_value *defaults;	/* one per table entry */
	struct cfg_section *sections;	/* nkeys + family cap, fixed */
	size_t nsections, nfamily;
	struct cfg_value *values;	/* grouped by section, file order */
	size_t nvalues, values_cap;
};

/* What libinih's reader and handler share during one parse. */
struct parse_state {
	struct rt_config *cfg;
	const char *name, *text;
	size_t len, pos;
	int lineno;
	const char *line;	/* the current line, trimmed, in text */
	size_t linelen;
	int pending;		/* a key line the handler has not seen yet */
	size_t cursect;
	int r;			/* the first error */
	char *err;
	size_t errcap;
};

static int
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

/* For a family "peer.*" the length of its prefix "peer.", else 0. */
static size_t
family_len(const char *section)
{
	size_t n = strlen(section);

	return n >= 2 && strcmp(section + n - 2, ".*") == 0 ? n - 1 : 0;
}

/* Writes one line to err, control bytes replaced so none reach a tty. */
static void __attribute__((format(printf, 3, 4)))
err_set(char *err, size_t errcap, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errcap == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errcap, fmt, ap);
	va_end(ap);
	for (; *err != '\0'; err++)
		if ((unsigned char)*err < 0x20 || *err == 0x7f)
			*err = '?';
}

/* Records the first error, tied to the current line; returns r. */
static int __attribute__((format(printf, 3, 4)))
parse_fail(struct parse_state *ps, int r, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	int show;

	if (ps->r != 0)
		return r;
	ps->r = r;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	show = ps->linelen > RT_CONFIG_MAX_LINE ? 60 : (int)ps->linelen;
	err_set(ps->err, ps->errcap, "%s:%d: %s: %.*s%s", ps->name, ps->lineno,
	    msg, show, ps->line, (size_t)show < ps->linelen ? "..." : "");
	return r;
}

/* The table section a file section belongs to: exact first, then family. */
static const char *
table_section_for(const struct rt_config_key *table, const char *name)
{
	size_t i, n;

	for (i = 0; table[i].section != NULL; i++)
		if (strcmp(table[i].section, name) == 0)
			return table[i].section;
	for (i = 0; table[i].section != NULL; i++)
		if ((n = family_len(table[i].section)) != 0 &&
		    strncmp(table[i].section, name, n) == 0 && name[n] != '\0')
			return table[i].section;
	return NULL;
}

static const struct rt_config_key *
table_key(const struct rt_config_key *table, const char *section,
    const char *name)
{
	size_t i;

	for (i = 0; table[i].section != NULL; i++)
		if (strcmp(table[i].section, section) == 0 &&
		    strcmp(table[i].name, name) == 0)
			return &table[i];
	return NULL;
}

/* Whether s is one of the '|'-separated words. */
static int
word_in(const char *words, const char *s, int nocase)
{
	size_t n = strlen(s), len;

	for (;;) {
		len = strcspn(words, "|");
		if (len == n && (nocase ? strncasecmp(words, s, n) :
		    strncmp(words, s, n)) == 0)
			return 1;
		if (words[len] == '\0')
			return 0;
		words += len + 1;
	}
}

/*
 * A decimal integer, with a sign for INT or a unit suffix for DURATION
 * and SIZE, into *vp. On failure the reason goes to why.
 */
static int
parse_number(const char *s, enum rt_cfg_type type, long long *vp, char *why,
    size_t whycap)
{
	const char *units = type == RT_CFG_DURATION ? "smhd" : "kmg", *u;
	static const long long duration[] = {1, 60, 3600, 86400};
	static const long long size[] = {1LL << 10, 1LL << 20, 1LL << 30};
	const char *digits = s;
	long long factor = 1;
	char *end;

	if (type == RT_CFG_INT && (*s == '-' || *s == '+'))
		digits++;
	errno = 0;
	*vp = strtoll(s, &end, 10);
	if (*digits < '0' || *digits > '9' ||
	    (type == RT_CFG_INT && *end != '\0')) {
		snprintf(why, whycap, "not a number");
		return RT_ERR_CONFIG;
	}
	if (errno == ERANGE) {
		snprintf(why, whycap, "integer overflow");
		return RT_ERR_CONFIG;
	}
	if (*end != '\0') {
		u = strchr(units, type == RT_CFG_SIZE ? (end[0] | 0x20) : end[0]);
		if (u == NULL || end[1] != '\0') {
			snprintf(why, whycap, "bad unit suffix '%s' (use %s)", end,
			    type == RT_CFG_DURATION ? "s, m, h or d" :
			    "k, M or G");
			return RT_ERR_CONFIG;
		}
		factor = type == RT_CFG_DURATION ? duration[u - units] :
		    size[u - units];
	}
	if (__builtin_mul_overflow(*vp, factor, vp)) {
		snprintf(why, whycap, "integer overflow");
		return RT_ERR_CONFIG;
	}
	return 0;
}

/* Splits s at commas into one block: the item pointers, then the text. */
static int
parse_list(const char *s, struct cfg_value *v, char *why, size_t whycap)
{
	size_t n = 1, len = strlen(s), i;
	char *p, *item, *end;

	for (p = strchr(s, ','); p != NULL; p = strchr(p + 1, ','))
		n++;
	if ((v->items = malloc(n * sizeof(char *) + len + 1)) == NULL)
		return RT_ERR_NOMEM;
	p = memcpy(v->items + n, s, len + 1);
	for (i = 0; i < n; i++) {
		item = strsep(&p, ",");
		while (is_space(*item))
			item++;
		end = item + strlen(item);
		while (end > item && is_space(end[-1]))
			*--end = '\0';
		if (*item == '\0') {
			snprintf(why, whycap, "empty list item");
			return RT_ERR_CONFIG;	/* the caller frees items */
		}
		v->items[i] = item;
	}
	v->nitems = n;
	return 0;
}

static void
value_fini(struct cfg_value *v)
{
	free(v->text);
	free(v->items);
	memset(v, 0, sizeof(*v));
}

/* Parses text as a value of key into *v; why says what is wrong. */
static int
value_parse(const struct rt_config_key *key, const char *text,
    struct cfg_value *v, char *why, size_t whycap)
{
	int r = RT_ERR_CONFIG;

	memset(v, 0, sizeof(*v));
	v->key = key;
	if (*text == '\0' && key->type != RT_CFG_STRING) {
		snprintf(why, whycap, "empty value");
		goto out;
	}
	switch (key->type) {
	case RT_CFG_STRING:
	case RT_CFG_PATH:
		r = 0;
		break;
	case RT_CFG_INT:
	case RT_CFG_DURATION:
	case RT_CFG_SIZE:
		r = parse_number(text, key->type, &v->num, why, whycap);
		break;
	case RT_CFG_BOOL:
		v->num = word_in("yes|true|on|1", text, 1);
		if (v->num || word_in("no|false|off|0", text, 1))
			r = 0;
		else
			snprintf(why, whycap, "not a boolean (yes/no, "
			    "true/false, on/off, 1/0)");
		break;
	case RT_CFG_ENUM:
		if (word_in(key->choices, text, 0))
			r = 0;
		else
			snprintf(why, whycap, "not one of %s", key->choices);
		break;
	case RT_CFG_LIST:
		r = parse_list(text, v, why, whycap);
		break;
	}
	if (r != 0)
		goto out;
	if (((1U << key->type) & NUM_TYPES) && (key->min != 0 ||
	    key->max != 0) && (v->num < key->min || v->num > key->max)) {
		snprintf(why, whycap, "out of range %lld..%lld", key->min,
		    key->max);
		r = RT_ERR_CONFIG;
		goto out;
	}
	if ((v->text = strdup(text)) == NULL)
		r = RT_ERR_NOMEM;
 out:
	if (r != 0)
		value_fini(v);
	return r;
}

/* Checks the table and parses its defaults: failures are table bugs. */
static int
config_defaults(struct rt_config *cfg, const char *name, char *err,
    size_t errcap)
{
	const struct rt_config_key *key;
	char why[WHY_MAX];
	size_t i;
	int r;

	for (i = 0; i < cfg->nkeys; i++) {
		key = &cfg->table[i];
		if (key->name == NULL || (unsigned int)key->type > RT_CFG_LIST ||
		    table_key(cfg->table, key->section, key->name) != key ||
		    key->min > key->max ||
		    (key->type == RT_CFG_ENUM && key->choices == NULL)) {
			err_set(err, errcap, "%s: bad table entry %zu ([%s] %s)",
			    name, i, key->section, key->name ? key->name : "?");
			return RT_ERR_INTERNAL;
		}
		cfg->defaults[i].key = key;
		if (key->defval == NULL ||
		    (key->defval[0] == '\0' && key->type != RT_CFG_STRING))
			continue;
		r = value_parse(key, key->defval, &cfg->defaults[i], why,
		    sizeof(why));
		if (r == RT_ERR_CONFIG) {
			err_set(err, errcap, "%s: bad default '%s' for '%s' in "
			    "[%s]: %s (a bug in the key table)", name,
			    key->defval, key->name, key->section, why);
			r = RT_ERR_INTERNAL;
		}
		if (r != 0)
			return r;
	}
	return 0;
}

static size_t
section_find(const struct rt_config *cfg, const char *name)
{
	size_t i;

	for (i = 0; i < cfg->nsections; i++)
		if (strcmp(cfg->sections[i].name, name) == 0)
			return i;
	return NO_SECTION;
}

static const struct cfg_value *
section_value(const struct rt_config *cfg, size_t sect,
    const struct rt_config_key *key)
{
	const struct cfg_section *s = &cfg->sections[sect];
	size_t i;

	for (i = s->first; i < s->first + s->count; i++)
		if (cfg->values[i].key == key)
			return &cfg->values[i];
	return NULL;
}

/* Handles the "[name]" line and makes it the current section. */
static int
section_open(struct parse_state *ps)
{
	struct rt_config *cfg = ps->cfg;
	const char *p = ps->line + 1, *close, *end = ps->line + ps->linelen;
	const char *table_section, *c;
	struct cfg_section *s;
	char name[RT_CONFIG_MAX_LINE + 1];
	size_t n, dup;

	if ((close = memchr(p, ']', (size_t)(end - p))) == NULL)
		return parse_fail(ps, RT_ERR_CONFIG, "syntax error: no ']' "
		    "closes the section header");
	for (c = close + 1; c < end && is_space(*c); c++)
		;
	if (c < end && *c != ';' && *c != '#')
		return parse_fail(ps, RT_ERR_CONFIG, "text after section "
		    "header");
	while (p < close && is_space(*p))
		p++;
	while (close > p && is_space(close[-1]))
		close--;
	n = (size_t)(close - p);
	memcpy(name, p, n);
	name[n] = '\0';
	if (n == 0 || strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMN"
	    "OPQRSTUVWXYZ0123456789.-_") != n)
		return parse_fail(ps, RT_ERR_CONFIG, "bad section name '%s' "
		    "(letters, digits, '.', '-', '_')", name);
	if ((table_section = table_section_for(cfg->table, name)) == NULL)
		return parse_fail(ps, RT_ERR_CONFIG, "unknown section [%s]",
		    name);
	if ((dup = section_find(cfg, name)) != NO_SECTION)
		return parse_fail(ps, RT_ERR_CONFIG, "duplicate section [%s] "
		    "(first on line %d)", name, cfg->sections[dup].line);
	if (family_len(table_section) != 0 &&
	    cfg->nfamily++ >= RT_CONFIG_MAX_FAMILY_SECTIONS)
		return parse_fail(ps, RT_ERR_CONFIG, "too many sections (cap "
		    "%d)", RT_CONFIG_MAX_FAMILY_SECTIONS);
	s = &cfg->sections[cfg->nsections];
	if ((s->name = strdup(name)) == NULL)
		return parse_fail(ps, RT_ERR_NOMEM, "out of memory");
	s->table_section = table_section;
	s->first = cfg->nvalues;
	s->line = ps->lineno;
	ps->cursect = cfg->nsections++;
	return 0;
}

/*
 * libinih's reader: hands over one line at a time, so the line number and
 * text of each handler call are known here. Lines are trimmed (so none is
 * a continuation line) and checked for length and NUL bytes; section
 * headers are handled here since libinih does not report them.
 */
static char *
parse_reader(char *str, int num, void *stream)
{
	struct parse_state *ps = stream;
	const char *p, *nl;
	size_t n, max;

	if (ps->pending)	/* libinih refused the last key line */
		parse_fail(ps, RT_ERR_CONFIG, "syntax error (expected "
		    "'key = value', '[section]' or a comment)");
	if (ps->r != 0 || ps->pos >= ps->len)
		return NULL;
	p = ps->text + ps->pos;
	nl = memchr(p, '\n', ps->len - ps->pos);
	n = nl != NULL ? (size_t)(nl - p) : ps->len - ps->pos;
	ps->pos += n + (nl != NULL);
	if (++ps->lineno == 1 && n >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0) {
		p += 3;
		n -= 3;
	}
	for (; n > 0 && is_space(*p); n--)
		p++;
	while (n > 0 && is_space(p[n - 1]))
		n--;
	ps->line = p;
	ps->linelen = n;
	max = num > 3 ? (size_t)num - 3 : 0;
	if (max > RT_CONFIG_MAX_LINE)
		max = RT_CONFIG_MAX_LINE;
	if (n > max)
		parse_fail(ps, RT_ERR_CONFIG, "line too long (over %zu "
		    "characters)", max);
	else if (memchr(p, '\0', n) != NULL)
		parse_fail(ps, RT_ERR_CONFIG, "NUL byte in line");
	else if (n > 0 && p[0] == '[')
		(void)section_open(ps);
	if (ps->r != 0)
		return NULL;
	ps->pending = n > 0 && p[0] != '[' && p[0] != ';' && p[0] != '#';
	memcpy(str, p, n);
	str[n] = '\n';
	str[n + 1] = '\0';
	return str;
}

/* Adds "name = value" of the current line to the current section. */
static int
parse_value(struct parse_state *ps, const char *name, const char *value)
{
	struct rt_config *cfg = ps->cfg;
	const struct rt_config_key *key;
	const struct cfg_value *dup;
	struct cfg_section *s;
	struct cfg_value *grown;
	char why[WHY_MAX];
	int r;

	if (ps->cursect == NO_SECTION)
		return parse_fail(ps, RT_ERR_CONFIG, "key outside any section");
	s = &cfg->sections[ps->cursect];
	if ((key = table_key(cfg->table, s->table_section, name)) == NULL)
		return parse_fail(ps, RT_ERR_CONFIG, "unknown key '%s' in [%s]",
		    name, s->name);
	if ((dup = section_value(cfg, ps->cursect, key)) != NULL)
		return parse_fail(ps, RT_ERR_CONFIG, "duplicate key '%s' in "
		    "[%s] (first set on line %d)", name, s->name, dup->line);
	if (cfg->nvalues >= RT_CONFIG_MAX_VALUES)
		return parse_fail(ps, RT_ERR_CONFIG, "too many values (cap %d)",
		    RT_CONFIG_MAX_VALUES);
	if (cfg->nvalues == cfg->values_cap) {
		grown = reallocarray(cfg->values, cfg->values_cap * 2 + 16,
		    sizeof(*grown));
		if (grown == NULL)
			return parse_fail(ps, RT_ERR_NOMEM, "out of memory");
		cfg->values = grown;
		cfg->values_cap = cfg->values_cap * 2 + 16;
	}
	r = value_parse(key, value, &cfg->values[cfg->nvalues], why,
	    sizeof(why));
	if (r == RT_ERR_NOMEM)
		return parse_fail(ps, r, "out of memory");
	if (r != 0)
		return parse_fail(ps, r, "bad value for '%s': %s", name, why);
	cfg->values[cfg->nvalues++].line = ps->lineno;
	s->count++;
	return 0;
}

/* libinih's handler. Its section is unused: libinih truncates long ones. */
static int
parse_handler(void *user, const char *section, const char *name,
    const char *value)
{
	struct parse_state *ps = user;

	(void)section;
	ps->pending = 0;
	return ps->r == 0 && parse_value(ps, name, value) == 0;
}

/* Every required key is set: in its section, or each section of a family. */
static int
config_check_required(const struct rt_config *cfg, const char *name,
    char *err, size_t errcap)
{
	const struct rt_config_key *key;
	const char *missing;
	size_t i, j;
	int present;

	for (i = 0; i < cfg->nkeys; i++) {
		key = &cfg->table[i];
		if (key->defval != NULL)
			continue;
		missing = NULL;
		present = 0;
		for (j = 0; j < cfg->nsections && missing == NULL; j++) {
			if (strcmp(cfg->sections[j].table_section,
			    key->section) != 0)
				continue;
			present = 1;
			if (section_value(cfg, j, key) == NULL)
				missing = cfg->sections[j].name;
		}
		if (!present && family_len(key->section) == 0)
			missing = key->section;
		if (missing != NULL) {
			err_set(err, errcap, "%s: missing required key '%s' in "
			    "[%s]", name, key->name, missing);
			return RT_ERR_CONFIG;
		}
	}
	return 0;
}

int
rt_config_parse(const struct rt_config_key *table, const char *name,
    const char *text, size_t len, struct rt_config **cfgp, char *err,
    size_t errcap)
{
	struct rt_config *cfg = NULL;
	struct parse_state ps;
	int r = RT_ERR_NOMEM, line;

	*cfgp = NULL;
	err_set(err, errcap, "%s", "");
	if ((cfg = calloc(1, sizeof(*cfg))) == NULL)
		goto out;
	cfg->table = table;
	while (table[cfg->nkeys].section != NULL)
		cfg->nkeys++;
	cfg->defaults = calloc(cfg->nkeys + 1, sizeof(*cfg->defaults));
	cfg->sections = calloc(cfg->nkeys + RT_CONFIG_MAX_FAMILY_SECTIONS,
	    sizeof(*cfg->sections));
	if (cfg->defaults == NULL || cfg->sections == NULL)
		goto out;
	if ((r = config_defaults(cfg, name, err, errcap)) != 0)
		goto out;
	if (len > RT_CONFIG_MAX_FILE) {
		err_set(err, errcap, "%s: file too big (over 1 MiB)", name);
		r = RT_ERR_TOO_BIG;
		goto out;
	}
	ps = (struct parse_state){.cfg = cfg, .name = name, .text = text,
	    .len = len, .cursect = NO_SECTION, .err = err, .errcap = errcap};
	line = ini_parse_stream(parse_reader, &ps, parse_handler, &ps);
	if (ps.r == 0 && line != 0) {
		/* Not expected: the reader sees every error libinih sees. */
		err_set(err, errcap, "%s:%d: syntax error", name, line);
		ps.r = line > 0 ? RT_ERR_CONFIG : RT_ERR_NOMEM;
	}
	if ((r = ps.r) != 0)
		goto out;
	if ((r = config_check_required(cfg, name, err, errcap)) != 0)
		goto out;
	*cfgp = cfg;
	cfg = NULL;
 out:
	if (r == RT_ERR_NOMEM)
		err_set(err, errcap, "%s: out of memory", name);
	rt_config_free(cfg);
	return r;
}

int
rt_config_load(const struct rt_config_key *table, const char *path,
    struct rt_config **cfgp, char *err, size_t errcap)
{
	struct rt_buf buf;
	int r;

	*cfgp = NULL;
	rt_buf_init(&buf, RT_CONFIG_MAX_FILE);
	if ((r = rt_file_read(path, RT_CONFIG_MAX_FILE, &buf)) != 0) {
		err_set(err, errcap, "%s: %s", path, r == RT_ERR_PERM ?
		    "permission denied" : r == RT_ERR_TOO_BIG ?
		    "file too big (over 1 MiB)" : rt_strerror(r));
		if (r != RT_ERR_NOT_FOUND && r != RT_ERR_TOO_BIG &&
		    r != RT_ERR_NOMEM)
			r = RT_ERR_IO;	/* not RT_ERR_PERM: that means "too open" */
		goto out;
	}
	r = rt_config_parse(table, path, (const char *)buf.data, buf.len, cfgp,
	    err, errcap);
 out:
	rt_buf_fini(&buf);
	return r;
}

void
rt_config_free(struct rt_config *cfg)
{
	size_t i;

	if (cfg == NULL)
		return;
	for (i = 0; cfg->defaults != NULL && i < cfg->nkeys; i++)
		value_fini(&cfg->defaults[i]);
	for (i = 0; i < cfg->nvalues; i++)
		value_fini(&cfg->values[i]);
	for (i = 0; i < cfg->nsections; i++)
		free(cfg->sections[i].name);
	free(cfg->defaults);
	free(cfg->values);
	free(cfg->sections);
	free(cfg);
}

static void __attribute__((noreturn))
config_misuse(const char *section, const char *name, const char *what)
{
	fprintf(stderr, "rt_config: [%s] %s: %s\n", section, name, what);
	abort();
}

/* The value of a key, for an accessor that takes types (a bit mask). */
static const struct cfg_value *
config_get(const struct rt_config *cfg, const char *section, const char *name,
    unsigned int types)
{
	const struct rt_config_key *key = NULL;
	const struct cfg_value *v;
	const char *table_section;
	size_t sect;

	if ((table_section = table_section_for(cfg->table, section)) != NULL)
		key = table_key(cfg->table, table_section, name);
	if (key == NULL)
		config_misuse(section, name, "key not in the table");
	if ((types & (1U << key->type)) == 0)
		config_misuse(section, name, "wrong accessor for the key type");
	sect = section_find(cfg, section);
	if (sect != NO_SECTION && (v = section_value(cfg, sect, key)) != NULL)
		return v;
	return &cfg->defaults[key - cfg->table];
}

const char *
rt_config_str(const struct rt_config *cfg, const char *section,
    const char *name)
{
	return config_get(cfg, section, name, ANY_TYPE)->text;
}

long long
rt_config_int(const struct rt_config *cfg, const char *section,
    const char *name)
{
	return config_get(cfg, section, name, NUM_TYPES)->num;
}

int
rt_config_bool(const struct rt_config *cfg, const char *section,
    const char *name)
{
	return config_get(cfg, section, name, 1U << RT_CFG_BOOL)->num != 0;
}

int
rt_config_is_set(const struct rt_config *cfg, const char *section,
    const char *name)
{
	return config_get(cfg, section, name, ANY_TYPE)->line != 0;
}

size_t
rt_config_list_len(const struct rt_config *cfg, const char *section,
    const char *name)
{
	return config_get(cfg, section, name, 1U << RT_CFG_LIST)->nitems;
}

const char *
rt_config_list_item(const struct rt_config *cfg, const char *section,
    const char *name, size_t i)
{
	const struct cfg_value *v;

	v = config_get(cfg, section, name, 1U << RT_CFG_LIST);
	return i < v->nitems ? v->items[i] : NULL;
}

size_t
rt_config_sections(const struct rt_config *cfg, const char *family,
    const char **names, size_t max)
{
	size_t i, count = 0;

	for (i = 0; i < cfg->nkeys; i++)
		if (strcmp(cfg->table[i].section, family) == 0)
			break;
	if (i == cfg->nkeys)
		config_misuse(family, "*", "section not in the table");
	for (i = 0; i < cfg->nsections; i++) {
		if (strcmp(cfg->sections[i].table_section, family) != 0)
			continue;
		if (count < max)
			names[count] = cfg->sections[i].name;
		count++;
	}
	return count;
}
