/*
 * The agent's policy: one SIP request in, one verdict out.
 *
 * Subscribers of our own realms are not the agent's job and pass through.
 * A roamer registers with digest (its home realm verifies, through the
 * brokers, and signs an assertion); the binding of its AOR and contact on
 * its source flow remembers the assertion and the route set, beside the
 * bindings of other AORs and contacts on that flow. A later request is
 * allowed only by a binding of its From AOR on the flow it came by (From
 * picks the binding; the identity asserted is the assertion's), by routes
 * we know, for services the assertion lists, with a fresh Date on MESSAGE;
 * it leaves with a P-Asserted-Identity we set (the proxy removes whatever
 * the UA sent). An expired assertion is re-challenged; an unreachable home
 * realm is a 503, never an allow.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "agent.h"
#include "rt_log.h"
#include "rt_net.h"

static int
valid_proto(const char *p)
{
	return p != NULL && (strcmp(p, "udp") == 0 || strcmp(p, "tcp") == 0 ||
	    strcmp(p, "tls") == 0 || strcmp(p, "sctp") == 0 || strcmp(p, "ws") == 0 ||
	    strcmp(p, "wss") == 0);
}

int
agent_flow_parse(const char *proto, const char *src, const char *sport, int *portp)
{
	struct sockaddr_storage ss;
	char addr[80], *end;
	long port;
	int ipv6;

	*portp = 0;
	if (src == NULL || sport == NULL || strlen(src) > 45 || !valid_proto(proto))
		return RT_ERR_BAD_INPUT;
	port = strtol(sport, &end, 10);
	snprintf(addr, sizeof(addr), "%s%s%s:1", strchr(src, ':') ? "[" : "", src,
	    strchr(src, ':') ? "]" : "");
	if (rt_net_addr_parse(addr, &ss, &ipv6) != 0 || *end != '\0' || port < 1 ||
	    port > 65535)
		return RT_ERR_BAD_INPUT;
	*portp = (int)port;
	return 0;
}

/* Appends n bytes of s to out (cap bytes, *used of them taken), cut like
 * snprintf would. Every check makes its flow: three snprintf calls were a
 * tenth of a warm check's instructions. */
static void
append(char *out, size_t cap, size_t *used, const char *s, size_t n)
{
	if (n > cap - 1 - *used)
		n = cap - 1 - *used;
	memcpy(out + *used, s, n);
	*used += n;
	out[*used] = '\0';
}

/* "proto:src:port" into out, as "%s:%s:%d" would. */
static void
flow_format(char *out, size_t cap, const char *proto, const char *src, int port)
{
	char num[16];
	size_t used = 0, k = sizeof(num);
	unsigned int v = port < 0 ? 0U - (unsigned int)port : (unsigned int)port;

	do
		num[--k] = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	if (port < 0)
		num[--k] = '-';
	out[0] = '\0';
	append(out, cap, &used, proto, strlen(proto));
	append(out, cap, &used, ":", 1);
	append(out, cap, &used, src, strlen(src));
	append(out, cap, &used, ":", 1);
	append(out, cap, &used, num + k, sizeof(num) - k);
}

int
agent_check_new(struct agent *a, const char *proto, const char *src, int sport,
    const char *raw, size_t len, struct agent_check **cp)
{
	struct agent_check *c;

	*cp = NULL;
	if (len > RT_SIP_MAX_MSG)
		return RT_ERR_TOO_BIG;
	if ((c = calloc(1, sizeof(*c))) == NULL || (c->raw = malloc(len + 1)) == NULL) {
		free(c);
		return RT_ERR_NOMEM;
	}
	memcpy(c->raw, raw, len);
	c->raw[len] = '\0';
	c->len = len;
	c->agent = a;
	append(c->proto, sizeof(c->proto), &(size_t){0}, proto, strlen(proto));
	append(c->src, sizeof(c->src), &(size_t){0}, src, strlen(src));
	c->sport = sport;
	flow_format(c->flow, sizeof(c->flow), proto, src, sport);
	rt_buf_init(&c->body, 16 * 1024);
	c->started_ns = rt_mono_ns();
	c->status = 500;
	c->reason = "internal";
	*cp = c;
	return 0;
}

void
agent_check_free(struct agent_check *c)
{
	if (c == NULL)
		return;
	rt_buf_fini(&c->body);
	free(c->raw);
	free(c);
}

void
agent_verdict(struct agent_check *c, int status, const char *reason,
    const char *fmt, ...)
{
	va_list ap;

	c->status = status;
	c->reason = reason;
	rt_buf_reset(&c->body);
	va_start(ap, fmt);
	if (rt_buf_vprintf(&c->body, fmt, ap) != 0) {
		c->status = 500;
		c->reason = "internal";
	}
	va_end(ap);
}

void
agent_check_finish(struct agent_check *c)
{
	agent_count(c->agent, c->status, c->reason, rt_mono_ns() - c->started_ns);
	if (c->done != NULL)
		c->done(c);
}

static int
realm_is_local(const struct agent_config *ac, struct rt_sip_str host)
{
	for (int i = 0; i < ac->nlocal_realms; i++)
		if (rt_sip_str_ieq(host, ac->local_realms[i]))
			return 1;
	return 0;
}

int
agent_header_aor(const struct rt_sip_msg *msg, enum rt_sip_hdr id, char *aor,
    size_t cap, char *realm, size_t realmcap, struct rt_sip_str *hostp)
{
	struct rt_sip_str uri, display, params;
	struct rt_sip_uri u;
	int i = msg->first[id];

	if (i < 0 || rt_sip_name_addr(msg->headers[i].value, &uri, &display,
	    &params) != 0 || rt_sip_uri_parse(uri, &u) != 0 || u.user.len == 0 ||
	    u.host.len == 0 || u.host.len >= realmcap)
		return RT_ERR_BAD_INPUT;
	for (size_t k = 0; k < u.host.len; k++)
		realm[k] = (char)(u.host.p[k] >= 'A' && u.host.p[k] <= 'Z' ?
		    u.host.p[k] - 'A' + 'a' : u.host.p[k]);
	realm[u.host.len] = '\0';
	/* "sip:" user "@" realm, built by hand (as the flow is): every
	 * request of a roamer comes this way */
	if (4 + u.user.len + 1 + u.host.len >= cap) {
		if (cap > 0)
			aor[0] = '\0';
		return RT_ERR_TOO_BIG;
	}
	memcpy(aor, "sip:", 4);
	memcpy(aor + 4, u.user.p, u.user.len);
	aor[4 + u.user.len] = '@';
	memcpy(aor + 5 + u.user.len, realm, u.host.len + 1);
	if (hostp != NULL)
		*hostp = u.host;
	return 0;
}

static void
forbid(struct agent_check *c, const char *reason, const char *phrase)
{
	agent_verdict(c, 403, reason, "%s\r\n", phrase);
}

/* The first element of a list header value (the rest are not looked at). */
static int
first_element(void *arg, struct rt_sip_str elem)
{
	*(struct rt_sip_str *)arg = elem;
	return 1;
}

/*
 * The REGISTER's contact, the binding's: the first of its first Contact
 * header, its URI and params. Returns 1 for "*", 0 for a contact, -1 for
 * none (no Contact, or one that does not parse: uri and params empty).
 */
static int
register_contact(const struct agent_check *c, struct rt_sip_str *uri,
    struct rt_sip_str *params)
{
	int i = c->msg.first[RT_HDR_CONTACT];
	struct rt_sip_str elem = {NULL, 0}, display;

	*uri = *params = (struct rt_sip_str){"", 0};
	if (i < 0)
		return -1;
	if (rt_sip_str_eq(c->msg.headers[i].value, "*"))
		return 1;
	if (rt_sip_split_list(c->msg.headers[i].value, first_element, &elem) != 1 ||
	    rt_sip_name_addr(elem, uri, &display, params) != 0) {
		*uri = *params = (struct rt_sip_str){"", 0};
		return -1;
	}
	return 0;
}

/* The registration's Expires: the contact's expires=, else Expires, else
 * 3600; 0 for Contact: *; -1 when the contact's expires= is not a number. */
static long
register_expires(const struct agent_check *c)
{
	struct rt_sip_str uri, params, val;
	long e = c->msg.expires >= 0 ? c->msg.expires : 3600;
	int kind = register_contact(c, &uri, &params);

	if (kind == 1)
		return 0;
	if (kind == 0 && rt_sip_param(params, "expires", &val) == 0) {
		char num[16], *end;

		if (rt_sip_str_copy(val, num, sizeof(num)) != 0 || num[0] < '0' ||
		    num[0] > '9')
			return -1;
		e = strtol(num, &end, 10);
		if (*end != '\0')
			return -1;
	}
	return e < 0 ? 0 : e;
}

struct path_collect {
	struct agent_binding *b;
};

static int
path_add(void *arg, struct rt_sip_str elem)
{
	struct path_collect *pc = arg;
	struct rt_sip_str uri, display, params;

	if (pc->b->npath >= AGENT_PATH_MAX)
		return 0;
	if (rt_sip_name_addr(elem, &uri, &display, &params) != 0 ||
	    rt_sip_str_copy(uri, pc->b->path[pc->b->npath], RT_URI_MAX) != 0)
		return 0;
	pc->b->npath++;
	return 0;
}

/* The contact a REGISTER binds, its binding's key: the URI of its first
 * contact, "" for none (or one that does not parse or fit). Returns 1 for
 * Contact: *, else 0. */
static int
contact_key(const struct agent_check *c, char *out, size_t cap)
{
	struct rt_sip_str uri, params;
	int kind = register_contact(c, &uri, &params);

	if (kind != 0 || rt_sip_str_copy(uri, out, cap) != 0)
		out[0] = '\0';
	return kind == 1;
}

/* A deregistration the home realm vouched for: drops the bindings it
 * names, alone (that AOR's contact, or for "*" all its contacts, on this
 * flow): the AOR's others and other AORs on the flow stay. */
static void
deregister_done(struct agent_check *c)
{
	char contact[RT_URI_MAX];
	int star = contact_key(c, contact, sizeof(contact));
	size_t n;

	n = agent_bindings_del(c->agent->bindings, c->flow, c->aor, star ? NULL : contact);
	log_info("event=deregistered aor=%s contact=%s flow=%s bindings=%zu", c->aor,
	    star ? "*" : contact, c->flow, n);
	agent_verdict(c, 200, "deregistered", "%s", "");
}

/* A REGISTER the home realm vouched for: record or drop the binding. */
static void
register_done(struct agent_check *c, const struct rt_assertion *as)
{
	struct agent *a = c->agent;
	struct agent_binding *b;
	struct path_collect pc;
	time_t now = rt_time_now();
	long e = c->expires;
	int r;

	if (c->deregister) {
		deregister_done(c);
		return;
	}
	if ((b = calloc(1, sizeof(*b))) == NULL) {
		agent_verdict(c, 500, "internal", "Server Internal Error\r\n");
		return;
	}
	snprintf(b->flow, sizeof(b->flow), "%s", c->flow);
	snprintf(b->aor, sizeof(b->aor), "%s", c->aor);
	snprintf(b->home, sizeof(b->home), "%s", c->home);
	b->assertion = *as;
	/* agent_auth_start checked its Security-Verify against ours */
	b->sec_agreed = *a->config->security_server != '\0' &&
	    c->msg.first[RT_HDR_SECURITY_CLIENT] >= 0;
	if (e > a->config->max_expires)
		e = a->config->max_expires;
	b->expires = now + e;
	/* its usage report names this REGISTER */
	b->registered_ms = rt_time_now_ms();
	b->register_hash = agent_usage_hash(c->msg.headers[c->msg.first[RT_HDR_CALL_ID]].value,
	    c->msg.cseq);
	(void)contact_key(c, b->contact, sizeof(b->contact));
	pc.b = b;
	for (int i = rt_sip_next(&c->msg, RT_HDR_PATH, -1); i >= 0;
	    i = rt_sip_next(&c->msg, RT_HDR_PATH, i))
		(void)rt_sip_split_list(c->msg.headers[i].value, path_add, &pc);
	if ((r = agent_bindings_put(a->bindings, b)) == RT_ERR_DENIED) {
		log_warn("event=flow_bindings_full aor=%s flow=%s max=%ld", c->aor,
		    c->flow, a->config->max_bindings_per_flow);
		forbid(c, "flow_full",
		    "Forbidden (too many registrations from this flow)");
		free(b);
		return;
	}
	if (r != 0) {
		agent_verdict(c, 503, "bindings_full",
		    "Service Unavailable\r\nRetry-After: %ld\r\n", a->config->retry_after);
		free(b);
		return;
	}
	log_info("event=registered aor=%s contact=%s flow=%s home=%s assertion=%s "
	    "expires=%ld", c->aor, b->contact, c->flow, c->home, as->id, e);
	agent_verdict(c, 200, "registered", "%s", "");
	free(b);
}

static int
route_ok(void *arg, struct rt_sip_str elem)
{
	const struct agent_check *c = ((const void **)arg)[0];
	const struct agent_binding *b = ((const void **)arg)[1];
	struct rt_sip_str uri, display, params;
	struct rt_sip_uri u;

	if (rt_sip_name_addr(elem, &uri, &display, &params) != 0 ||
	    rt_sip_uri_parse(uri, &u) != 0)
		return 1;
	for (int i = 0; i < b->npath; i++)
		if (rt_sip_str_eq(uri, b->path[i]))
			return 0;
	return agent_config_is_proxy(c->agent->config, &u) ? 0 : 1;
}

/*
 * Privacy: id (RFC 3323, 3325): the identity stays inside the trust
 * domain. Whether the request asks for it...
 */
static int
privacy_id(const struct agent_check *c)
{
	int i = c->msg.first[RT_HDR_PRIVACY];
	struct rt_sip_str v;

	if (i < 0)
		return 0;
	v = c->msg.headers[i].value;
	/* priv-value *(";" priv-value) */
	for (size_t k = 0; k < v.len;) {
		size_t start, end;

		while (k < v.len && (v.p[k] == ' ' || v.p[k] == '\t' || v.p[k] == ';'))
			k++;
		start = k;
		while (k < v.len && v.p[k] != ';')
			k++;
		end = k;
		while (end > start && (v.p[end - 1] == ' ' || v.p[end - 1] == '\t'))
			end--;
		if (end - start == 2 && strncasecmp(v.p + start, "id", 2) == 0)
			return 1;
	}
	return 0;
}

/* ... and whether its Request-URI stays inside: one of our realms, one of
 * our proxies, or a domain the operator trusts (trust_domains). */
static int
ruri_trusted(const struct agent_check *c)
{
	const struct agent_config *ac = c->agent->config;
	struct rt_sip_uri u;

	if (rt_sip_uri_parse(c->msg.ruri, &u) != 0 || u.host.len == 0)
		return 0;
	if (realm_is_local(ac, u.host) || agent_config_is_proxy(ac, &u))
		return 1;
	for (int i = 0; i < ac->ntrust_domains; i++)
		if (rt_sip_str_ieq(u.host, ac->trust_domains[i]))
			return 1;
	return 0;
}

static const char *
service_of(const struct rt_sip_msg *msg)
{
	switch (msg->method) {
	case RT_SIP_INVITE:
	case RT_SIP_UPDATE:
	case RT_SIP_PRACK:
		return "voice";
	case RT_SIP_MESSAGE:
		return "message";
	default:
		return NULL;
	}
}

static int
is_store_and_forward(const struct agent_check *c)
{
	const struct agent_config *ac = c->agent->config;

	for (int k = 0; k < ac->nstore_and_forward; k++)
		if (strcmp(c->src, ac->store_and_forward[k]) == 0)
			return 1;
	return 0;
}

static int
date_fresh(const struct agent_check *c)
{
	const struct agent_config *ac = c->agent->config;
	int i = c->msg.first[RT_HDR_DATE];
	time_t t, now = rt_time_now();

	if (is_store_and_forward(c))
		return 1;
	if (i < 0 || rt_sip_date_parse(c->msg.headers[i].value, &t) != 0)
		return 0;
	return t >= now - ac->date_window && t <= now + ac->date_window;
}

/* The checks on a request of a registered roamer, assertion valid. */
static void
request_policy(struct agent_check *c, const struct agent_binding *b)
{
	const char *service = service_of(&c->msg);
	const void *ctx[2] = {c, b};

	for (int i = rt_sip_next(&c->msg, RT_HDR_ROUTE, -1); i >= 0;
	    i = rt_sip_next(&c->msg, RT_HDR_ROUTE, i)) {
		if (rt_sip_split_list(c->msg.headers[i].value, route_ok, ctx) != 0) {
			forbid(c, "route", "Forbidden (route not allowed)");
			return;
		}
	}
	if (service != NULL && !rt_services_contain(b->assertion.services,
	    b->assertion.nservices, service)) {
		forbid(c, "service", "Forbidden (service not allowed)");
		return;
	}
	if (c->msg.method == RT_SIP_MESSAGE && !date_fresh(c)) {
		forbid(c, "stale_date", "Stale Date");
		return;
	}
	/* an INVITE or MESSAGE allowed is billed when the proxy reports it */
	switch (agent_usage_expect(c, b)) {
	case 0:
		break;
	case RT_ERR_BAD_INPUT:
		agent_verdict(c, 400, "bad_request", "Bad Request (Call-ID too long)\r\n");
		return;
	default:
		log_warn("event=usage_pending_full flow=%s", c->flow);
		agent_verdict(c, 503, "usage_full", "Service Unavailable\r\n"
		    "Retry-After: %ld\r\n", c->agent->config->retry_after);
		return;
	}
	if (c->msg.count[RT_HDR_P_ASSERTED_IDENTITY] > 0 ||
	    c->msg.count[RT_HDR_P_PREFERRED_IDENTITY] > 0)
		rt_counter_inc(c->agent->metrics.pai_stripped);
	/* the proxy removes any PAI the UA sent and adds ours; with Privacy:
	 * id, only toward the trust domain (none is added beyond it) */
	if (privacy_id(c) && !ruri_trusted(c)) {
		agent_verdict(c, 200, "private", "%s", "");
		return;
	}
	agent_verdict(c, 200, "allowed", "P-Asserted-Identity: <%s>\r\n",
	    b->assertion.public_id);
}

void
agent_policy_authenticated(struct agent_check *c, const struct rt_assertion *as)
{
	struct agent_binding b;

	if (c->is_register) {
		register_done(c, as);
		return;
	}
	/* re-authenticated on the way: the binding carries the new assertion */
	if (agent_bindings_get(c->agent->bindings, c->flow, c->aor, NULL, &b) != 0) {
		forbid(c, "not_registered", "Forbidden (not registered)");
		return;
	}
	b.assertion = *as;
	if (b.expires > as->not_on_or_after)
		b.expires = as->not_on_or_after;
	if (agent_bindings_put(c->agent->bindings, &b) != 0)
		log_warn("event=binding_update_failed flow=%s", c->flow);
	request_policy(c, &b);
}

static int
check_register(struct agent_check *c)
{
	struct agent *a = c->agent;
	char from[RT_URI_MAX], realm[RT_REALM_MAX];
	struct rt_sip_str host;

	if (agent_header_aor(&c->msg, RT_HDR_TO, c->aor, sizeof(c->aor), c->home,
	    sizeof(c->home), &host) != 0) {
		agent_verdict(c, 400, "bad_request", "Bad Request (To)\r\n");
		return 0;
	}
	if (realm_is_local(a->config, host)) {
		agent_verdict(c, 200, "local", "%s", "");
		return 0;
	}
	if (!rt_realm_valid(c->home)) {
		forbid(c, "bad_realm", "Forbidden (not a realm)");
		return 0;
	}
	if (agent_header_aor(&c->msg, RT_HDR_FROM, from, sizeof(from), realm,
	    sizeof(realm), NULL) != 0 ||
	    strcmp(from, c->aor) != 0) {
		forbid(c, "third_party", "Forbidden (third-party registration)");
		return 0;
	}
	c->is_register = 1;
	if ((c->expires = register_expires(c)) < 0) {
		agent_verdict(c, 400, "bad_request", "Bad Request (expires)\r\n");
		return 0;
	}
	c->deregister = c->expires == 0;
	return agent_auth_start(c, RT_HDR_AUTHORIZATION);
}

/*
 * A store-and-forward server of ours delivers messages later, on behalf of
 * others: inside the trust domain, its requests keep the identity it
 * asserts (the proxy strips every PAI, so we hand it back).
 */
static void
store_and_forward_verdict(struct agent_check *c)
{
	int r = 0;

	agent_verdict(c, 200, "store_and_forward", "%s", "");
	for (int i = rt_sip_next(&c->msg, RT_HDR_P_ASSERTED_IDENTITY, -1);
	    i >= 0 && r == 0; i = rt_sip_next(&c->msg, RT_HDR_P_ASSERTED_IDENTITY, i))
		r = rt_buf_printf(&c->body, "P-Asserted-Identity: %.*s\r\n",
		    (int)c->msg.headers[i].value.len, c->msg.headers[i].value.p);
	if (r != 0)
		agent_verdict(c, 500, "internal", "Server Internal Error\r\n");
}

/*
 * A request that no binding answers (none of its From AOR on its flow,
 * or no From AOR at all): the store-and-forward server's, a subscriber's
 * of ours, ACK and CANCEL pass; a roamer's is refused, whatever else the
 * flow holds.
 */
static void
unbound_request(struct agent_check *c, int from_ok, struct rt_sip_str host)
{
	struct agent *a = c->agent;
	char other[AGENT_FLOW_MAX];

	if (is_store_and_forward(c)) {
		store_and_forward_verdict(c);
		return;
	}
	if (!from_ok) {
		agent_verdict(c, 400, "bad_request", "Bad Request (From)\r\n");
		return;
	}
	if (realm_is_local(a->config, host) || c->msg.method == RT_SIP_ACK ||
	    c->msg.method == RT_SIP_CANCEL) {
		agent_verdict(c, 200, "local", "%s", "");
		return;
	}
	if (agent_bindings_has_aor(a->bindings, c->aor, other, sizeof(other))) {
		log_warn("event=route_changed aor=%s registered_flow=%s flow=%s",
		    c->aor, other, c->flow);
		forbid(c, "route_changed", "Forbidden (not the registered route)");
		return;
	}
	forbid(c, "not_registered", "Forbidden (not registered)");
}

/* A request other than REGISTER: its From AOR picks the binding, which
 * must be on the flow the request came by. */
static int
check_request(struct agent_check *c)
{
	struct agent_binding b;
	char realm[RT_REALM_MAX];
	struct rt_sip_str host = {"", 0};
	time_t now = rt_time_now();
	int from_ok;

	from_ok = agent_header_aor(&c->msg, RT_HDR_FROM, c->aor, sizeof(c->aor), realm,
	    sizeof(realm), &host) == 0;
	if (!from_ok || agent_bindings_get(c->agent->bindings, c->flow, c->aor, NULL,
	    &b) != 0) {
		unbound_request(c, from_ok, host);
		return 0;
	}
	_Static_assert(sizeof(c->home) == sizeof(b.home), "home: one size");
	memcpy(c->home, b.home, sizeof(c->home));
	/* RFC 3329: after an agreement, every request repeats our
	 * Security-Server (ACK and CANCEL ride on a checked transaction) */
	if (c->msg.method != RT_SIP_ACK && c->msg.method != RT_SIP_CANCEL &&
	    !agent_auth_security_ok(c, b.sec_agreed ||
	    c->msg.first[RT_HDR_SECURITY_VERIFY] >= 0)) {
		forbid(c, "security_agreement", "Forbidden (security agreement mismatch)");
		return 0;
	}
	if (now >= b.assertion.not_on_or_after || now >= b.expires) {
		/* ACK and CANCEL cannot be challenged (RFC 3261 22.1) */
		if (c->msg.method == RT_SIP_ACK || c->msg.method == RT_SIP_CANCEL) {
			agent_verdict(c, 200, "allowed", "%s", "");
			return 0;
		}
		return agent_auth_start(c, RT_HDR_PROXY_AUTHORIZATION);
	}
	request_policy(c, &b);
	return 0;
}

int
agent_check_run(struct agent_check *c)
{
	const char *why = NULL;
	int r;

	if ((r = rt_sip_parse(c->raw, c->len, &c->msg, &why)) != 0) {
		log_info("event=sip_refused src=%s reason=\"%s\"", c->flow,
		    why != NULL ? why : rt_errname(r));
		agent_verdict(c, 400, "bad_request", "Bad Request\r\n");
		agent_count(c->agent, c->status, c->reason, rt_mono_ns() - c->started_ns);
		return 0;
	}
	if (c->msg.method == RT_SIP_REGISTER)
		r = check_register(c);
	else
		r = check_request(c);
	if (r == 0)
		agent_count(c->agent, c->status, c->reason, rt_mono_ns() - c->started_ns);
	return r;
}
