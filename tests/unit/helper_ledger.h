/*
 * Shared by the ledger tests (test_ledger, test_ledger_batch) and the
 * ledger benchmark: a test federation (home.example, visited.example),
 * ledgers in a temporary folder, records, and each ledger operation run to
 * its done callback (the tl_* calls wait), plus tampering with the file
 * behind the ledger's back.
 */
#ifndef HELPER_LEDGER_H
#define HELPER_LEDGER_H

#include <stddef.h>
#include <stdint.h>

#include "broker_ledger.h"
#include "helper_pki.h"

#define TL_HOME "home.example"
#define TL_VISITED "visited.example"
#define TL_ALICE "sip:alice@home.example"

struct tl_fixture {
	struct th_fed *fed;
	struct th_realm *home, *visited;
	struct rt_signer *s_home, *s_visited;
	struct rt_trust *trust;		/* the CA, no CRL: what verify uses */
	char dir[600];			/* fed->dir, where ledgers go */
	char path[700];			/* the visited realm's ledger */
	char home_path[700];		/* the home realm's */
};

int tl_fixture_new(struct tl_fixture **fxp);
void tl_fixture_free(struct tl_fixture *fx);
/* Opens the visited (home = 0) or home realm's ledger. */
int tl_open(struct tl_fixture *fx, int home, uint64_t checkpoint_records,
    long checkpoint_seconds, struct broker_ledger **lp);

/* Record i of alice, visited.example for home.example, 60 s of voice
 * (in seconds) under assertion, ending 10 s before now. */
void tl_record(struct rt_usage_record *u, int i, const char *assertion);

int tl_append(struct broker_ledger *l, const struct rt_usage_record *recs, size_t n,
    enum broker_origin origin, int *results, uint32_t *stored, uint32_t *added);
/* bo zeroed on first use; kept by the caller (broker_ledger_batch_out_fini). */
int tl_batch_out(struct broker_ledger *l, const char *partner, uint64_t ack_seq,
    size_t max_records, struct broker_ledger_batch_out *bo);
/* Parses xml as the listener would and hands it to the ledger. */
int tl_batch_in(struct broker_ledger *l, const uint8_t *xml, size_t len,
    struct broker_ledger_batch_in *bi);
int tl_assertion(struct broker_ledger *l, const struct rt_assertion *a);
/* n assertions recorded as one list (broker_ledger_assertions); the first
 * error of their dones, or 0. */
int tl_assertions(struct broker_ledger *l, const struct rt_assertion *a, int n);
/* Runs sql on the file (the ledger closed). */
int tl_exec(const char *path, const char *sql);
/* broker_ledger_verify of path as realm. */
int tl_verify(struct tl_fixture *fx, const char *path, const char *realm, char *why,
    size_t cap);
/* One integer a query returns (-1 when none). */
long long tl_query(const char *path, const char *sql);

#endif
