/*
 * agent_binding.c on its own: the bindings table, keyed by (AOR, contact,
 * flow) (several AORs and contacts on one flow, the one a request finds,
 * the one a usage report names, deregistration of one contact or of all
 * an AOR's contacts on a flow, expiry, the table's cap and the per-flow
 * cap, many flows), and the failure limiter (windows, bans, eviction).
 * How the policy uses them is in test_agent_home.c and
 * test_agent_policy.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helper_agent.h"

static void
test_limiter(void **state)
{
	struct agent_limiter *l = NULL;
	time_t t = AGENT_T0;

	(void)state;
	assert_int_equal(agent_limiter_new(4, 60, 3, 300, &l), 0);
	assert_false(agent_limiter_banned(l, "k", t));
	assert_int_equal(agent_limiter_fail(l, "k", t), 0);
	assert_int_equal(agent_limiter_fail(l, "k", t + 1), 0);
	/* a success forgets the failures */
	agent_limiter_ok(l, "k");
	assert_int_equal(agent_limiter_fail(l, "k", t + 2), 0);
	assert_int_equal(agent_limiter_fail(l, "k", t + 3), 0);
	assert_int_equal(agent_limiter_fail(l, "k", t + 4), 1);	/* just banned */
	assert_true(agent_limiter_banned(l, "k", t + 4));
	assert_false(agent_limiter_banned(l, "other", t + 4));
	/* failing on while banned does not extend the ban */
	assert_int_equal(agent_limiter_fail(l, "k", t + 100), 0);
	/* a success does not lift a ban */
	agent_limiter_ok(l, "k");
	assert_true(agent_limiter_banned(l, "k", t + 303));
	assert_false(agent_limiter_banned(l, "k", t + 304));
	/* failures outside the window do not add up */
	assert_int_equal(agent_limiter_fail(l, "w", t), 0);
	assert_int_equal(agent_limiter_fail(l, "w", t + 30), 0);
	assert_int_equal(agent_limiter_fail(l, "w", t + 61), 0);
	assert_int_equal(agent_limiter_fail(l, "w", t + 62), 0);
	assert_int_equal(agent_limiter_fail(l, "w", t + 63), 1);
	agent_limiter_free(l);

	/* a window longer than the ban: once the ban ran out, a success starts
	 * the count over, so the next slip does not ban again at once */
	rt_time_set_now(t);
	assert_int_equal(agent_limiter_new(4, 3600, 3, 300, &l), 0);
	assert_int_equal(agent_limiter_fail(l, "b", t), 0);
	assert_int_equal(agent_limiter_fail(l, "b", t), 0);
	assert_int_equal(agent_limiter_fail(l, "b", t), 1);
	rt_time_set_now(t + 300);
	assert_false(agent_limiter_banned(l, "b", t + 300));
	agent_limiter_ok(l, "b");
	assert_int_equal(agent_limiter_fail(l, "b", t + 301), 0);
	assert_false(agent_limiter_banned(l, "b", t + 301));
	/* without that success, still over the limit in the window: banned */
	assert_int_equal(agent_limiter_fail(l, "c", t + 301), 0);
	assert_int_equal(agent_limiter_fail(l, "c", t + 301), 0);
	assert_int_equal(agent_limiter_fail(l, "c", t + 301), 1);
	assert_int_equal(agent_limiter_fail(l, "c", t + 601), 1);
	agent_limiter_free(l);
	rt_time_set_now(0);
	agent_limiter_free(NULL);
}

static void
binding(struct agent_binding *b, const char *flow, const char *aor, time_t expires)
{
	memset(b, 0, sizeof(*b));
	snprintf(b->flow, sizeof(b->flow), "%s", flow);
	snprintf(b->aor, sizeof(b->aor), "%s", aor);
	snprintf(b->contact, sizeof(b->contact), "sip:alice@" UA_IP ":5060");
	snprintf(b->home, sizeof(b->home), "%s", HOME);
	b->expires = expires;
	b->assertion.not_on_or_after = expires;
}

#define CONTACT2 "sip:alice@" UA_IP ":5060;line=2"

static void
test_bindings_table(void **state)
{
	struct agent_bindings *bs = NULL;
	struct agent_binding *b = calloc(1, sizeof(*b)), *got = calloc(1, sizeof(*got));
	char flow[AGENT_FLOW_MAX];

	(void)state;
	assert_non_null(b);
	assert_non_null(got);
	rt_time_set_now(AGENT_T0);
	assert_int_equal(agent_bindings_new(4, 4, &bs), 0);
	assert_int_equal(agent_bindings_get(bs, UA_FLOW, ALICE, NULL, got),
	    RT_ERR_NOT_FOUND);
	assert_false(agent_bindings_has_aor(bs, ALICE, flow, sizeof(flow)));

	/* put, get */
	binding(b, UA_FLOW, ALICE, AGENT_T0 + 600);
	snprintf(b->path[0], RT_URI_MAX, "sip:edge.visited.example;lr");
	b->npath = 1;
	assert_int_equal(agent_bindings_put(bs, b), 0);
	assert_int_equal(agent_bindings_count(bs), 1);
	assert_int_equal(agent_bindings_get(bs, UA_FLOW, ALICE, NULL, got), 0);
	assert_string_equal(got->aor, ALICE);
	assert_int_equal(got->npath, 1);
	assert_string_equal(got->path[0], "sip:edge.visited.example;lr");
	assert_true(agent_bindings_has_aor(bs, ALICE, flow, sizeof(flow)));
	assert_string_equal(flow, UA_FLOW);
	assert_true(agent_bindings_has_aor(bs, ALICE, NULL, 0));
	assert_false(agent_bindings_has_aor(bs, BOB_HOME, NULL, 0));
	/* flows and AORs are compared exactly */
	assert_int_equal(agent_bindings_get(bs, "udp:192.0.2.10:506", ALICE, NULL, got),
	    RT_ERR_NOT_FOUND);
	assert_int_equal(agent_bindings_get(bs, "UDP:192.0.2.10:5060", ALICE, NULL, got),
	    RT_ERR_NOT_FOUND);
	assert_int_equal(agent_bindings_get(bs, UA_FLOW, BOB_HOME, NULL, got),
	    RT_ERR_NOT_FOUND);
	assert_int_equal(agent_bindings_get(bs, UA_FLOW, "sip:alice@home.example.", NULL,
	    got), RT_ERR_NOT_FOUND);

	/* replace: same AOR, contact and flow, one binding, the new contents */
	binding(b, UA_FLOW, ALICE, AGENT_T0 + 900);
	assert_int_equal(agent_bindings_put(bs, b), 0);
	assert_int_equal(agent_bindings_count(bs), 1);
	assert_int_equal(agent_bindings_get(bs, UA_FLOW, ALICE, NULL, got), 0);
	assert_int_equal(got->expires, AGENT_T0 + 900);
	assert_int_equal(got->npath, 0);

	/* another AOR and another contact of alice on the flow: three */
	binding(b, UA_FLOW, BOB_HOME, AGENT_T0 + 300);
	assert_int_equal(agent_bindings_put(bs, b), 0);
	binding(b, UA_FLOW, ALICE, AGENT_T0 + 1200);
	snprintf(b->contact, sizeof(b->contact), CONTACT2);
	b->register_hash = 42;
	assert_int_equal(agent_bindings_put(bs, b), 0);
	assert_int_equal(agent_bindings_count(bs), 3);
	assert_int_equal(agent_bindings_get(bs, UA_FLOW, BOB_HOME, NULL, got), 0);
	assert_string_equal(got->aor, BOB_HOME);
	/* of alice's two, the one that lasts longest; or the one asked for */
	assert_int_equal(agent_bindings_get(bs, UA_FLOW, ALICE, NULL, got), 0);
	assert_string_equal(got->contact, CONTACT2);
	assert_int_equal(agent_bindings_get(bs, UA_FLOW, ALICE, "sip:alice@" UA_IP ":5060",
	    got), 0);
	assert_int_equal(got->expires, AGENT_T0 + 900);
	assert_int_equal(agent_bindings_get(bs, UA_FLOW, ALICE, "sip:alice@" UA_IP,
	    got), RT_ERR_NOT_FOUND);
	/* its assertion running out first counts too */
	b->assertion.not_on_or_after = AGENT_T0 + 800;
	assert_int_equal(agent_bindings_put(bs, b), 0);
	assert_int_equal(agent_bindings_get(bs, UA_FLOW, ALICE, NULL, got), 0);
	assert_string_equal(got->contact, "sip:alice@" UA_IP ":5060");
	/* by the REGISTER that made it */
	assert_int_equal(agent_bindings_get_registered(bs, UA_FLOW, ALICE, 42, got), 0);
	assert_string_equal(got->contact, CONTACT2);
	assert_int_equal(agent_bindings_get_registered(bs, UA_FLOW, ALICE, 43, got),
	    RT_ERR_NOT_FOUND);
	assert_int_equal(agent_bindings_get_registered(bs, UA_FLOW, BOB_HOME, 42, got),
	    RT_ERR_NOT_FOUND);
	assert_int_equal(agent_bindings_get_registered(bs, UA_FLOW, ALICE, 0, got),
	    RT_ERR_NOT_FOUND);

	/* del: what it names only; absent ones are fine */
	assert_int_equal(agent_bindings_del(bs, UA_FLOW, ALICE, CONTACT2), 1);
	assert_int_equal(agent_bindings_del(bs, UA_FLOW, ALICE, CONTACT2), 0);
	assert_int_equal(agent_bindings_del(bs, "never:there", ALICE, NULL), 0);
	assert_int_equal(agent_bindings_del(bs, UA_FLOW, "sip:carol@" HOME, NULL), 0);
	assert_int_equal(agent_bindings_count(bs), 2);
	assert_int_equal(agent_bindings_get(bs, UA_FLOW, ALICE, NULL, got), 0);
	assert_string_equal(got->contact, "sip:alice@" UA_IP ":5060");
	binding(b, UA_FLOW, ALICE, AGENT_T0 + 1200);
	snprintf(b->contact, sizeof(b->contact), CONTACT2);
	assert_int_equal(agent_bindings_put(bs, b), 0);
	/* all of alice's on the flow; bob's stays */
	assert_int_equal(agent_bindings_del(bs, UA_FLOW, ALICE, NULL), 2);
	assert_int_equal(agent_bindings_count(bs), 1);
	assert_int_equal(agent_bindings_get(bs, UA_FLOW, ALICE, NULL, got),
	    RT_ERR_NOT_FOUND);
	assert_int_equal(agent_bindings_get(bs, UA_FLOW, BOB_HOME, NULL, got), 0);
	assert_int_equal(agent_bindings_del(bs, UA_FLOW, BOB_HOME, NULL), 1);
	assert_int_equal(agent_bindings_count(bs), 0);

	/* expire: by the given time, not the clock */
	for (int i = 1; i <= 3; i++) {
		snprintf(flow, sizeof(flow), "udp:192.0.2.%d:5060", 100 + i);
		binding(b, flow, ALICE, AGENT_T0 + 100 * i);
		assert_int_equal(agent_bindings_put(bs, b), 0);
	}
	assert_int_equal(agent_bindings_expire(bs, AGENT_T0 + 199), 1);
	assert_int_equal(agent_bindings_expire(bs, AGENT_T0 + 300), 2);
	assert_int_equal(agent_bindings_count(bs), 0);
	assert_false(agent_bindings_has_aor(bs, ALICE, NULL, 0));
	agent_bindings_free(bs);
	agent_bindings_free(NULL);
	free(b);
	free(got);
	rt_time_set_now(0);
}

/* The caps: max bindings in all, max_per_flow from one flow. */
static void
test_bindings_caps(void **state)
{
	struct agent_bindings *bs = NULL;
	struct agent_binding *b = calloc(1, sizeof(*b)), *got = calloc(1, sizeof(*got));
	char flow[AGENT_FLOW_MAX], aor[RT_URI_MAX];

	(void)state;
	assert_non_null(b);
	assert_non_null(got);
	rt_time_set_now(AGENT_T0);
	assert_int_equal(agent_bindings_new(6, 3, &bs), 0);
	/* one flow: three AORs and contacts, a fourth is refused */
	binding(b, UA_FLOW, ALICE, AGENT_T0 + 100);
	assert_int_equal(agent_bindings_put(bs, b), 0);
	snprintf(b->contact, sizeof(b->contact), CONTACT2);
	assert_int_equal(agent_bindings_put(bs, b), 0);
	binding(b, UA_FLOW, BOB_HOME, AGENT_T0 + 600);
	assert_int_equal(agent_bindings_put(bs, b), 0);
	binding(b, UA_FLOW, "sip:carol@" HOME, AGENT_T0 + 600);
	assert_int_equal(agent_bindings_put(bs, b), RT_ERR_DENIED);
	binding(b, UA_FLOW, ALICE, AGENT_T0 + 600);
	snprintf(b->contact, sizeof(b->contact), "sip:alice@" UA_IP ":5060;line=3");
	assert_int_equal(agent_bindings_put(bs, b), RT_ERR_DENIED);
	assert_int_equal(agent_bindings_count(bs), 3);
	/* a replace is never refused */
	binding(b, UA_FLOW, BOB_HOME, AGENT_T0 + 700);
	assert_int_equal(agent_bindings_put(bs, b), 0);
	/* other flows are not held back; the same address on another port
	 * or transport is another flow */
	binding(b, "udp:" UA_IP ":5062", "sip:carol@" HOME, AGENT_T0 + 600);
	assert_int_equal(agent_bindings_put(bs, b), 0);
	binding(b, "tcp:" UA_IP ":5060", "sip:carol@" HOME, AGENT_T0 + 600);
	assert_int_equal(agent_bindings_put(bs, b), 0);
	assert_int_equal(agent_bindings_count(bs), 5);
	/* a deregistration makes room on the flow */
	assert_int_equal(agent_bindings_del(bs, UA_FLOW, ALICE, CONTACT2), 1);
	binding(b, UA_FLOW, "sip:carol@" HOME, AGENT_T0 + 600);
	assert_int_equal(agent_bindings_put(bs, b), 0);
	binding(b, UA_FLOW, "sip:dave@" HOME, AGENT_T0 + 600);
	assert_int_equal(agent_bindings_put(bs, b), RT_ERR_DENIED);
	/* and so does an expiry (alice's first, at AGENT_T0 + 100) */
	rt_time_set_now(AGENT_T0 + 100);
	assert_int_equal(agent_bindings_put(bs, b), 0);
	assert_int_equal(agent_bindings_count(bs), 5);
	assert_int_equal(agent_bindings_get(bs, UA_FLOW, ALICE, NULL, got),
	    RT_ERR_NOT_FOUND);
	assert_int_equal(agent_bindings_get(bs, UA_FLOW, "sip:dave@" HOME, NULL, got), 0);

	/* the table: six live ones, a seventh is refused, a replace is not */
	binding(b, "udp:192.0.2.200:5060", ALICE, AGENT_T0 + 150);
	assert_int_equal(agent_bindings_put(bs, b), 0);
	assert_int_equal(agent_bindings_count(bs), 6);
	binding(b, "udp:192.0.2.201:5060", ALICE, AGENT_T0 + 600);
	assert_int_equal(agent_bindings_put(bs, b), RT_ERR_TOO_BIG);
	binding(b, UA_FLOW, BOB_HOME, AGENT_T0 + 800);
	assert_int_equal(agent_bindings_put(bs, b), 0);
	assert_int_equal(agent_bindings_count(bs), 6);
	/* once one expired, it makes room (expiry is "at or before now") */
	rt_time_set_now(AGENT_T0 + 150);
	binding(b, "udp:192.0.2.201:5060", ALICE, AGENT_T0 + 600);
	assert_int_equal(agent_bindings_put(bs, b), 0);
	assert_int_equal(agent_bindings_count(bs), 6);
	assert_int_equal(agent_bindings_get(bs, "udp:192.0.2.200:5060", ALICE, NULL, got),
	    RT_ERR_NOT_FOUND);
	assert_int_equal(agent_bindings_expire(bs, AGENT_T0 + 1000), 6);
	assert_int_equal(agent_bindings_count(bs), 0);

	/* many flows, several AORs each, in one table: all found again, and
	 * each flow's share is still counted right */
	agent_bindings_free(bs);
	assert_int_equal(agent_bindings_new(3000, 3, &bs), 0);
	for (int i = 0; i < 3000; i++) {
		snprintf(flow, sizeof(flow), "udp:10.0.%d.%d:%d", i / 750, i / 3 % 250,
		    5060 + i / 3);
		binding(b, flow, ALICE, AGENT_T0 + 600);
		snprintf(b->aor, sizeof(b->aor), "sip:u%d@" HOME, i);
		assert_int_equal(agent_bindings_put(bs, b), 0);
	}
	assert_int_equal(agent_bindings_count(bs), 3000);
	for (int i = 0; i < 3000; i += 7) {
		snprintf(flow, sizeof(flow), "udp:10.0.%d.%d:%d", i / 750, i / 3 % 250,
		    5060 + i / 3);
		snprintf(aor, sizeof(aor), "sip:u%d@" HOME, i);
		assert_int_equal(agent_bindings_get(bs, flow, aor, NULL, got), 0);
		assert_string_equal(got->aor, aor);
		snprintf(aor, sizeof(aor), "sip:u%d@" HOME, i + 3);
		assert_int_equal(agent_bindings_get(bs, flow, aor, NULL, got),
		    RT_ERR_NOT_FOUND);
		binding(b, flow, "sip:extra@" HOME, AGENT_T0 + 600);
		assert_int_equal(agent_bindings_put(bs, b), RT_ERR_DENIED);
	}
	assert_true(agent_bindings_has_aor(bs, "sip:u2999@" HOME, flow, sizeof(flow)));
	assert_string_equal(flow, "udp:10.0.3.249:6059");
	agent_bindings_free(bs);
	free(b);
	free(got);
	rt_time_set_now(0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_limiter),
		cmocka_unit_test(test_bindings_table),
		cmocka_unit_test(test_bindings_caps),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
