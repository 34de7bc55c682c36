/*
 * What a broker says in its Hello (a fresh RealmDescriptor and the ids of
 * its valid agreements with the peer) and what it accepts in a peer's:
 * the descriptor names the signer, is within its validity, and the two
 * hold an agreement in common. Both sides use them: the dialer
 * (broker_peer.c) sends Hello on each new connection and checks the
 * reply, the listener (broker_listen.c) checks a Hello and answers with
 * its own.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker.h"

int
broker_hello_build(struct broker *b, const char *peer, struct rt_buf *xml)
{
	struct rt_hello *h;
	time_t now = rt_time_now();
	int r;

	if ((h = calloc(1, sizeof(*h))) == NULL)
		return RT_ERR_NOMEM;
	snprintf(h->descriptor.realm, sizeof(h->descriptor.realm), "%s",
	    b->config->realm);
	h->descriptor.serial = b->descriptor_serial;
	snprintf(h->descriptor.endpoints[0], RT_URI_MAX, "%s", b->config->endpoint);
	h->descriptor.nendpoints = 1;
	for (int i = 0; i < b->config->nservices; i++)
		snprintf(h->descriptor.services[h->descriptor.nservices++],
		    RT_SERVICE_MAX, "%s", b->config->services[i]);
	h->descriptor.issued_at = now;
	h->descriptor.not_on_or_after = now + b->config->descriptor_lifetime;
	h->nagreements = broker_agreement_ids(b, peer, now, h->agreements,
	    RT_HELLO_MAX_AGREEMENTS);
	r = rt_hello_encode(h, xml);
	free(h);
	return r;
}

int
broker_hello_check(struct broker *b, const char *sender, const struct rt_hello *h,
    char *why, size_t whycap)
{
	char (*ours)[RT_ID_MAX] = NULL;
	time_t now = rt_time_now();
	int n, r = RT_ERR_NO_AGREEMENT;

	if (strcmp(h->descriptor.realm, sender) != 0) {
		snprintf(why, whycap, "descriptor names %s", h->descriptor.realm);
		return RT_ERR_REALM;
	}
	if (now + b->config->skew < h->descriptor.issued_at ||
	    now - b->config->skew >= h->descriptor.not_on_or_after) {
		snprintf(why, whycap, "descriptor outside its validity");
		return RT_ERR_EXPIRED;
	}
	if ((ours = calloc(RT_HELLO_MAX_AGREEMENTS, sizeof(*ours))) == NULL)
		return RT_ERR_NOMEM;
	n = broker_agreement_ids(b, sender, now, ours, RT_HELLO_MAX_AGREEMENTS);
	for (int i = 0; i < n && r != 0; i++)
		for (int k = 0; k < h->nagreements && r != 0; k++)
			if (strcmp(ours[i], h->agreements[k]) == 0)
				r = 0;
	if (r != 0)
		snprintf(why, whycap, n == 0 ? "we hold no valid agreement with %s" :
		    "no agreement in common with %s", sender);
	free(ours);
	return r;
}
