/*
 * libFuzzer target: the SettlementExport reader (rt_export_read) on any
 * bytes, XML or CSV (the format is detected, so one corpus drives both),
 * XML both ways: as reconcile reads it (the fast path, libxml2's SAX2
 * parser from a handoff on) and with libxml2 alone. A partner's export is
 * outside input; the reader must refuse or read it in bounded time and
 * memory, and whatever record it returns must pass the schema checks and
 * survive a CSV round trip unchanged. fuzz_export_diff checks the two
 * ways agree.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rt_export_read_int.h"
#include "rt_log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	rt_log_init("fuzz_export", RT_LOG_STDERR, RT_LOG_ERR);
	return rt_xml_init() == 0 ? 0 : 1;
}

/* A record as CSV, read back: the same record. */
static void
round_trip(const struct rt_export_header *h, const struct rt_export_item *item)
{
	struct rt_export_reader *rd = NULL;
	struct rt_export_item again;
	struct rt_buf csv;

	rt_buf_init(&csv, 1 << 16);
	if (rt_export_csv_begin(h, &csv) != 0 ||
	    rt_export_csv_record(&item->u, item->amount_minor, item->unpriced, &csv) != 0)
		abort();
	if (rt_export_reader_open_mem(csv.data, csv.len, &rd, NULL) != 0 ||
	    rt_export_reader_next(rd, &again) != 1 ||
	    strcmp(again.u.id, item->u.id) != 0 ||
	    strcmp(again.u.subscriber, item->u.subscriber) != 0 ||
	    strcmp(again.u.call_id, item->u.call_id) != 0 ||
	    again.u.quantity != item->u.quantity || again.u.start != item->u.start ||
	    again.u.end != item->u.end || again.amount_minor != item->amount_minor ||
	    again.u.nflags != item->u.nflags || strcmp(again.unpriced, item->unpriced) != 0)
		abort();
	rt_export_reader_free(rd);
	rt_buf_fini(&csv);
}

static void
read_one_way(const uint8_t *data, size_t size, int flags)
{
	struct rt_export_reader *rd = NULL;
	struct rt_export_item item;
	const char *why;
	size_t ntotals;
	int r, n = 0;

	if (rt_export_reader_open_flags(data, size, flags, &rd, NULL) != 0)
		return;
	while ((r = rt_export_reader_next(rd, &item)) == 1) {
		if (rt_export_item_check(&item, &why) != 0)
			abort();
		/* an item can never be bigger than its input */
		if ((size_t)++n > size)
			abort();
		round_trip(rt_export_reader_header(rd), &item);
	}
	(void)rt_export_reader_totals(rd, &ntotals);
	if (ntotals > RT_EXPORT_TOTALS_MAX)
		abort();
	/* once failed, always failed */
	if (r < 0 && rt_export_reader_next(rd, &item) != r)
		abort();
	rt_export_reader_free(rd);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	read_one_way(data, size, 0);
	if (size > 0 && data[0] == '<')
		read_one_way(data, size, RT_EXPORT_READ_LIBXML2);
	return 0;
}
