/*
 * broker_ledger_db: the chain hash of a ledger row (the rows themselves:
 * rt_usage_row).
 */
#include <string.h>

#include "broker_ledger_db.h"
#include "rt_usage_row.h"
#include "rt_codec.h"

int
broker_ledger_hash(const uint8_t prev[32], const struct rt_usage_record *u,
    uint8_t hash[32])
{
	struct rt_buf xml;
	int r;

	/* the canonical bytes follow prev in one buffer: one hash call */
	rt_buf_init(&xml, RT_SHA256_LEN + 8192);
	if ((r = rt_buf_append(&xml, prev, RT_SHA256_LEN)) != 0 ||
	    (r = rt_usage_record_encode_element(u, -1 /* compact */, &xml)) != 0)
		goto out;
	r = rt_sha256(xml.data, xml.len, hash);
 out:
	rt_buf_fini(&xml);
	return r;
}
