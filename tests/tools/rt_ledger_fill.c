/*
 * rt_ledger_fill: a broker ledger (STATE_DIR/ledger.db) holding generated
 * records with one partner, for the export integration test and benchmark
 * (the rows the ledger writer would have stored; hashes left zero):
 *
 *   rt_ledger_fill --db FILE --us R --partner R --records N
 *       [--agreement UUID [--agreement-b UUID]] [--skip-every K]
 *       [--bump-every K]
 * (--agreement for the subscribers of the realm first in byte order,
 * --agreement-b for the other's; the same when only one is given)
 *
 * Records are those of gen_records.h, inserted in reverse id order (the
 * export must sort them by its index, not by insertion). --skip-every K
 * leaves every K-th out, --bump-every K adds a second to every K-th.
 */
#include <getopt.h>
#include <stdlib.h>

#include "broker_ledger_db.h"
#include "gen_records.h"
#include "rt_log.h"

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"db", required_argument, NULL, 'd'},
		{"us", required_argument, NULL, 'u'},
		{"partner", required_argument, NULL, 'p'},
		{"records", required_argument, NULL, 'n'},
		{"agreement", required_argument, NULL, 'a'},
		{"agreement-b", required_argument, NULL, 'A'},
		{"skip-every", required_argument, NULL, 's'},
		{"bump-every", required_argument, NULL, 'b'},
		{NULL, 0, NULL, 0}
	};
	static const char sql[] = "INSERT INTO records(" BROKER_LEDGER_RECORD_COLUMNS
	    ", partner, origin, pseq, hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8,"
	    " ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, zeroblob(32))";
	const char *db_path = NULL, *us = NULL, *partner = NULL,
	    *agreement = "0190f5a2-7b3c-7def-8123-456789abcdef", *agreement_b = NULL;
	uint64_t n = 0, skip = 0, bump = 0, pseq = 0;
	struct rt_usage_record u;
	sqlite3_stmt *st = NULL;
	sqlite3 *db = NULL;
	int c, rc = 1;

	rt_log_init("rt_ledger_fill", RT_LOG_STDERR, RT_LOG_ERR);
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd': db_path = optarg; break;
		case 'u': us = optarg; break;
		case 'p': partner = optarg; break;
		case 'n': n = strtoull(optarg, NULL, 10); break;
		case 'a': agreement = optarg; break;
		case 'A': agreement_b = optarg; break;
		case 's': skip = strtoull(optarg, NULL, 10); break;
		case 'b': bump = strtoull(optarg, NULL, 10); break;
		default: return 2;
		}
	}
	if (db_path == NULL || us == NULL || partner == NULL) {
		fprintf(stderr, "usage: rt_ledger_fill --db FILE --us R --partner R --records N "
		    "[--agreement ID [--agreement-b ID]] [--skip-every K] [--bump-every K]\n");
		return 2;
	}
	if (sqlite3_open(db_path, &db) != SQLITE_OK ||
	    sqlite3_exec(db, "PRAGMA journal_mode=WAL;" BROKER_LEDGER_SCHEMA "BEGIN;",
	    NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		goto out;
	for (uint64_t k = n; k > 0; k--) {
		uint64_t i = k - 1;
		int64_t amount;

		if (skip > 0 && i % skip == skip - 1)
			continue;
		gen_record(i, agreement, agreement_b ? agreement_b : agreement, us,
		    partner, &u, &amount);
		if (bump > 0 && i % bump == bump - 1) {
			u.quantity++;
			u.end++;
		}
		if (rt_usage_row_bind(st, 1, &u) != 0 ||
		    sqlite3_bind_text(st, 14, partner, -1, SQLITE_STATIC) != SQLITE_OK ||
		    sqlite3_bind_int(st, 15, strcmp(u.visited, us) == 0 ? 0 : 1) != SQLITE_OK ||
		    sqlite3_bind_int64(st, 16, (sqlite3_int64)++pseq) != SQLITE_OK ||
		    sqlite3_step(st) != SQLITE_DONE || sqlite3_reset(st) != SQLITE_OK)
			goto out;
	}
	if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		goto out;
	rc = 0;
 out:
	if (rc != 0)
		fprintf(stderr, "rt_ledger_fill: %s\n", db ? sqlite3_errmsg(db) : "no memory");
	sqlite3_finalize(st);
	sqlite3_close(db);
	return rc;
}
