/*
 * libFuzzer target: the XML export reader's fast path against libxml2.
 * Every input is read twice, as rt_export_reader_open_mem reads it (the
 * canonical form without libxml2, the rest handed over to libxml2's SAX2
 * parser) and with RT_EXPORT_READ_LIBXML2 (libxml2 from the first byte);
 * both must give the same header, the same records in the same order,
 * the same totals and end the same way: the end, or the same RT_ERR_*
 * with the same message but for numbers inside libxml2's text (it names
 * the line a tag opened on, and after a handoff it saw the root tag on
 * its first line; its long messages are cut, so only their start is
 * compared). The seed corpus is canonical exports and near misses.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "export_messages.h"
#include "rt_export_read_int.h"
#include "rt_log.h"
#include "rt_xml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	rt_log_init("fuzz_export_diff", RT_LOG_STDERR, RT_LOG_ERR);
	return rt_xml_init() == 0 ? 0 : 1;
}

static void
differ(const char *what, const char *a, const char *b)
{
	fprintf(stderr, "fuzz_export_diff: %s differs: fast path '%s', libxml2 '%s'\n",
	    what, a, b);
	abort();
}

static void
same_str(const char *what, const char *a, const char *b)
{
	if (strcmp(a, b) != 0)
		differ(what, a, b);
}

static void
same_int(const char *what, long long a, long long b)
{
	char x[32], y[32];

	if (a == b)
		return;
	snprintf(x, sizeof(x), "%lld", a);
	snprintf(y, sizeof(y), "%lld", b);
	differ(what, x, y);
}

static void
same_item(const struct rt_export_item *a, const struct rt_export_item *b)
{
	same_str("id", a->u.id, b->u.id);
	same_str("agreement", a->u.agreement_ref, b->u.agreement_ref);
	same_str("assertion", a->u.assertion_ref, b->u.assertion_ref);
	same_str("subscriber", a->u.subscriber, b->u.subscriber);
	same_str("home", a->u.home, b->u.home);
	same_str("visited", a->u.visited, b->u.visited);
	same_str("service", a->u.service, b->u.service);
	same_str("call_id", a->u.call_id, b->u.call_id);
	same_int("start", (long long)a->u.start, (long long)b->u.start);
	same_int("end", (long long)a->u.end, (long long)b->u.end);
	same_int("quantity", (long long)a->u.quantity, (long long)b->u.quantity);
	same_str("unit", a->u.unit, b->u.unit);
	same_int("nflags", a->u.nflags, b->u.nflags);
	for (int i = 0; i < a->u.nflags; i++)
		same_str("flag", a->u.flags[i], b->u.flags[i]);
	same_int("amount", a->amount_minor, b->amount_minor);
	same_int("has_amount", a->has_amount, b->has_amount);
	same_str("unpriced", a->unpriced, b->unpriced);
	same_int("where", (long long)a->where, (long long)b->where);
}

static void
same_header(const struct rt_export_header *a, const struct rt_export_header *b)
{
	same_str("header id", a->id, b->id);
	same_str("issuer", a->issuer, b->issuer);
	same_str("partner", a->partner, b->partner);
	same_str("currency", a->currency, b->currency);
	same_int("period start", (long long)a->period_start, (long long)b->period_start);
	same_int("period end", (long long)a->period_end, (long long)b->period_end);
	same_int("created", (long long)a->created_at, (long long)b->created_at);
}

static void
same_totals(struct rt_export_reader *fast, struct rt_export_reader *slow)
{
	const struct rt_export_total *a, *b;
	size_t na, nb;

	a = rt_export_reader_totals(fast, &na);
	b = rt_export_reader_totals(slow, &nb);
	same_int("totals", (long long)na, (long long)nb);
	for (size_t i = 0; i < na; i++) {
		same_str("total service", a[i].service, b[i].service);
		same_str("total home", a[i].home, b[i].home);
		same_str("total visited", a[i].visited, b[i].visited);
		same_str("total unit", a[i].unit, b[i].unit);
		same_int("total records", (long long)a[i].records, (long long)b[i].records);
		same_int("total quantity", (long long)a[i].quantity, (long long)b[i].quantity);
		same_int("total amount", a[i].amount_minor, b[i].amount_minor);
		same_int("total unpriced", (long long)a[i].unpriced_records,
		    (long long)b[i].unpriced_records);
	}
}

static void
same_message(const char *a, const char *b)
{
	if (!export_messages_agree(a, b))
		differ("message", a, b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rt_export_reader *fast = NULL, *slow = NULL;
	struct rt_export_item *a, *b;
	char ea[RT_EXPORT_ERR_MAX], eb[RT_EXPORT_ERR_MAX];
	int ra, rb;

	ra = rt_export_reader_open_mem(data, size, &fast, ea);
	rb = rt_export_reader_open_flags(data, size, RT_EXPORT_READ_LIBXML2, &slow, eb);
	same_int("open", ra, rb);
	if (ra != 0) {
		same_message(ea, eb);
		return 0;
	}
	if ((a = malloc(sizeof(*a))) == NULL || (b = malloc(sizeof(*b))) == NULL)
		abort();
	same_header(rt_export_reader_header(fast), rt_export_reader_header(slow));
	do {
		ra = rt_export_reader_next(fast, a);
		rb = rt_export_reader_next(slow, b);
		same_int("next", ra, rb);
		if (ra == 1)
			same_item(a, b);
	} while (ra == 1);
	if (ra == 0)
		same_totals(fast, slow);
	else
		same_message(rt_export_reader_error(fast), rt_export_reader_error(slow));
	free(a);
	free(b);
	rt_export_reader_free(fast);
	rt_export_reader_free(slow);
	return 0;
}
