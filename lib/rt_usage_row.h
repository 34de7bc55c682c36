/*
 * rt_usage_row: a UsageRecord as one row of an SQLite table, the same way
 * wherever records are stored (the agent's spool, the broker's ledger): 13
 * columns in this order, whatever the table calls them —
 *   id, agreement, assertion, subscriber, home, visited, service, call_id,
 *   start, end, quantity, unit, flags
 * (times as Unix seconds, flags as tokens separated by single spaces).
 * Reading refuses a value that does not fit the struct (a damaged row)
 * rather than cutting it.
 */
#ifndef RT_USAGE_ROW_H
#define RT_USAGE_ROW_H

#include <sqlite3.h>

#include "rt_doc.h"

#define RT_USAGE_ROW_COLUMNS 13
/* the flags column's longest text, and its NUL */
#define RT_USAGE_FLAGS_TEXT_MAX (RT_FLAGS_MAX * RT_SERVICE_MAX)

/* Reads the 13 columns of st's current row from column first on into u:
 * 0, or RT_ERR_BAD_INPUT (u zeroed). */
int rt_usage_row_read(sqlite3_stmt *st, int first, struct rt_usage_record *u) RT_WUR;
/* Binds u's 13 values to st from parameter first on (text bound
 * SQLITE_STATIC: u must outlive the step). */
int rt_usage_row_bind(sqlite3_stmt *st, int first, const struct rt_usage_record *u) RT_WUR;
/* u's flags as one column's text ("" for none). */
int rt_usage_flags_format(const struct rt_usage_record *u, char *out, size_t cap) RT_WUR;
/* Column i as text into out[cap]: RT_ERR_BAD_INPUT when it is NULL, holds
 * a NUL or does not fit. */
int rt_sql_column_text(sqlite3_stmt *st, int i, char *out, size_t cap) RT_WUR;

#endif
