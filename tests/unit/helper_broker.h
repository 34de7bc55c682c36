/*
 * helper_broker: real brokers for unit tests of what a broker does with a
 * request (test_broker_auth). A throwaway federation (helper_pki) made once
 * per group: home.example, visited.example (agreement with home: voice
 * only, assertions up to TB_VISITED_MAX), wide.example (voice and message,
 * up to TB_WIDE_MAX, more than the brokers' assertion_lifetime) and
 * other.example (no agreement). Brokers come from a config file through
 * broker_config_load + broker_new, each in a fresh state folder (its own
 * SQLite subscriber store and ledger), and are never started: no sockets.
 * The clock is fixed at the setup's now while a test runs. Digest answers
 * are computed with rt_digest_*, and AuthRequests go to broker_auth_home
 * the way the wire carries them, answers back the way a visited realm
 * reads them.
 */
#ifndef HELPER_BROKER_H
#define HELPER_BROKER_H

#include <time.h>

#include "broker.h"
#include "rt_digest.h"

#define TB_HOME "home.example"
#define TB_VISITED "visited.example"
#define TB_WIDE "wide.example"
#define TB_OTHER "other.example"
#define TB_VISITED_MAX 600		/* seconds */
#define TB_WIDE_MAX 7200
#define TB_LIFETIME 3600		/* the brokers' assertion_lifetime */
#define TB_LOCKOUT_AFTER 3
#define TB_LOCKOUT_TIME 600
#define TB_SKEW 60
#define TB_BODY "v=0\r\no=- 0 0 IN IP4 192.0.2.10\r\n"	/* of auth-int */

enum tb_realm { TB_REALM_HOME, TB_REALM_VISITED, TB_REALM_WIDE, TB_REALM_OTHER };

struct tb_fixture {
	struct broker_config config;
	struct broker *home;
	struct broker_config visited_config;
	struct broker *visited;		/* tb_visited makes it */
	time_t now;			/* the clock, fixed while a test runs */
};

/* cmocka group setup and teardown: the federation. */
int tb_fed_setup(void **state);
int tb_fed_teardown(void **state);
/* cmocka setup and teardown: *state is a struct tb_fixture with home. */
int tb_setup(void **state);
int tb_teardown(void **state);
/* Makes fx->visited, the broker of visited.example. */
void tb_visited(struct tb_fixture *fx);

/* Adds pub (digest username user) to home's store with services "a,b"
 * ("" for none); max_age as broker_subscriber_add takes it. */
void tb_add(struct tb_fixture *fx, const char *pub, const char *user,
    const char *password, const char *services, long max_age);
/* The stored subscriber of id. */
struct broker_subscriber tb_subscriber(struct tb_fixture *fx, const char *id);

/* A REGISTER of aor by digest username user in home's digest realm under
 * alg with qop=auth; the response is left for tb_answer. */
void tb_request(struct rt_auth_request *req, enum rt_digest_alg alg,
    const char *user, const char *aor);
/* What a UA knowing password answers to req as it stands (the body hash
 * of TB_BODY for auth-int). */
void tb_answer(struct rt_auth_request *req, const char *password);
/* Reads xml back as a peer does; fails the test unless it is valid. */
void tb_wire(const struct rt_buf *xml, struct rt_msg_in *m);
/*
 * req sent by realm visited to broker b over the wire, answered by
 * broker_auth_home, and the answer as visited reads it into *resp (its
 * bytes appended to bytes unless NULL). Returns the result.
 */
enum rt_auth_result tb_auth(struct broker *b, const char *visited,
    const struct rt_auth_request *req, struct rt_auth_response *resp,
    struct rt_buf *bytes);

#endif
