/*
 * rt_usage_row: UsageRecords as SQLite rows (see rt_usage_row.h).
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "rt_usage_row.h"

int
rt_sql_column_text(sqlite3_stmt *st, int i, char *out, size_t cap)
{
	const unsigned char *t = sqlite3_column_text(st, i);
	int n = sqlite3_column_bytes(st, i);

	if (t == NULL || n < 0 || (size_t)n >= cap || memchr(t, '\0', (size_t)n) != NULL)
		return RT_ERR_BAD_INPUT;
	memcpy(out, t, (size_t)n);
	out[n] = '\0';
	return 0;
}

static int
flags_parse(const char *s, struct rt_usage_record *u)
{
	while (*s != '\0') {
		size_t n = strcspn(s, " ");

		if (n == 0 || n >= sizeof(u->flags[0]) || u->nflags >= RT_FLAGS_MAX)
			return RT_ERR_BAD_INPUT;
		memcpy(u->flags[u->nflags], s, n);
		u->flags[u->nflags++][n] = '\0';
		s += n;
		if (*s == ' ' && *++s == '\0')
			return RT_ERR_BAD_INPUT;
	}
	return 0;
}

int
rt_usage_row_read(sqlite3_stmt *st, int first, struct rt_usage_record *u)
{
	char flags[RT_USAGE_FLAGS_TEXT_MAX];
	sqlite3_int64 q;
	int i = first, r;

	memset(u, 0, sizeof(*u));
	if ((r = rt_sql_column_text(st, i++, u->id, sizeof(u->id))) != 0 ||
	    (r = rt_sql_column_text(st, i++, u->agreement_ref, sizeof(u->agreement_ref))) != 0 ||
	    (r = rt_sql_column_text(st, i++, u->assertion_ref, sizeof(u->assertion_ref))) != 0 ||
	    (r = rt_sql_column_text(st, i++, u->subscriber, sizeof(u->subscriber))) != 0 ||
	    (r = rt_sql_column_text(st, i++, u->home, sizeof(u->home))) != 0 ||
	    (r = rt_sql_column_text(st, i++, u->visited, sizeof(u->visited))) != 0 ||
	    (r = rt_sql_column_text(st, i++, u->service, sizeof(u->service))) != 0 ||
	    (r = rt_sql_column_text(st, i++, u->call_id, sizeof(u->call_id))) != 0)
		goto out;
	u->start = (time_t)sqlite3_column_int64(st, i++);
	u->end = (time_t)sqlite3_column_int64(st, i++);
	if ((q = sqlite3_column_int64(st, i++)) < 0) {
		r = RT_ERR_BAD_INPUT;
		goto out;
	}
	u->quantity = (uint64_t)q;
	if ((r = rt_sql_column_text(st, i++, u->unit, sizeof(u->unit))) != 0 ||
	    (r = rt_sql_column_text(st, i++, flags, sizeof(flags))) != 0 ||
	    (r = flags_parse(flags, u)) != 0)
		goto out;
	r = 0;
 out:
	if (r != 0)
		memset(u, 0, sizeof(*u));
	return r;
}

int
rt_usage_flags_format(const struct rt_usage_record *u, char *out, size_t cap)
{
	size_t len = 0;

	if (cap == 0)
		return RT_ERR_TOO_BIG;
	out[0] = '\0';
	for (int i = 0; i < u->nflags && i < RT_FLAGS_MAX; i++) {
		int n = snprintf(out + len, cap - len, "%s%s", i > 0 ? " " : "",
		    u->flags[i]);

		if (n < 0 || (size_t)n >= cap - len)
			return RT_ERR_TOO_BIG;
		len += (size_t)n;
	}
	return 0;
}

int
rt_usage_row_bind(sqlite3_stmt *st, int first, const struct rt_usage_record *u)
{
	char flags[RT_USAGE_FLAGS_TEXT_MAX];
	const char *text[] = {u->id, u->agreement_ref, u->assertion_ref,
	    u->subscriber, u->home, u->visited, u->service, u->call_id};
	int i = first, r;

	if (u->quantity > INT64_MAX)
		return RT_ERR_BAD_INPUT;
	if ((r = rt_usage_flags_format(u, flags, sizeof(flags))) != 0)
		return r;
	for (size_t k = 0; k < sizeof(text) / sizeof(text[0]); k++)
		if (sqlite3_bind_text(st, i++, text[k], -1, SQLITE_STATIC) != SQLITE_OK)
			return RT_ERR_INTERNAL;
	if (sqlite3_bind_int64(st, i++, (sqlite3_int64)u->start) != SQLITE_OK ||
	    sqlite3_bind_int64(st, i++, (sqlite3_int64)u->end) != SQLITE_OK ||
	    sqlite3_bind_int64(st, i++, (sqlite3_int64)u->quantity) != SQLITE_OK ||
	    sqlite3_bind_text(st, i++, u->unit, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_text(st, i++, flags, -1, SQLITE_TRANSIENT) != SQLITE_OK)
		return RT_ERR_INTERNAL;
	return 0;
}
