/*
 * rt_export_gen: writes a signed SettlementExport of N generated records
 * (XML or CSV) for benchmarks and integration tests, without a ledger:
 *
 *   rt_export_gen --format csv|xml --records N --issuer R --partner R
 *       --key K --cert C --out F [--agreement UUID] [--skip-every K]
 *
 * Record i is the same in every file generated with the same N (ids in
 * ascending order, voice at 12 per minute, message at 2), so two files of
 * the two realms reconcile; --skip-every K leaves every K-th record out.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gen_records.h"
#include "rt_codec.h"
#include "rt_export.h"
#include "rt_log.h"

#define NOV1 GEN_NOV1

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"format", required_argument, NULL, 'f'},
		{"records", required_argument, NULL, 'n'},
		{"issuer", required_argument, NULL, 'i'},
		{"partner", required_argument, NULL, 'p'},
		{"key", required_argument, NULL, 'k'},
		{"cert", required_argument, NULL, 'c'},
		{"out", required_argument, NULL, 'o'},
		{"agreement", required_argument, NULL, 'a'},
		{"skip-every", required_argument, NULL, 's'},
		{NULL, 0, NULL, 0}
	};
	const char *issuer = NULL, *partner = NULL, *key = NULL, *cert = NULL,
	    *out = NULL, *agreement = "0190f5a2-7b3c-7def-8123-456789abcdef";
	struct rt_export_totals *tt = calloc(1, sizeof(*tt));
	struct rt_export_header h;
	struct rt_signer *signer = NULL;
	struct rt_usage_record u;
	struct rt_buf buf;
	char sigpath[4200];
	uint64_t n = 0, skip = 0;
	int csv = 0, c, r;
	FILE *f;

	rt_log_init("rt_export_gen", RT_LOG_STDERR, RT_LOG_ERR);
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'f': csv = strcmp(optarg, "csv") == 0; break;
		case 'n': n = strtoull(optarg, NULL, 10); break;
		case 'i': issuer = optarg; break;
		case 'p': partner = optarg; break;
		case 'k': key = optarg; break;
		case 'c': cert = optarg; break;
		case 'o': out = optarg; break;
		case 'a': agreement = optarg; break;
		case 's': skip = strtoull(optarg, NULL, 10); break;
		default: return 2;
		}
	}
	if (tt == NULL || issuer == NULL || partner == NULL || key == NULL ||
	    cert == NULL || out == NULL) {
		fprintf(stderr, "usage: rt_export_gen --format csv|xml --records N --issuer R "
		    "--partner R --key K --cert C --out F [--agreement ID] [--skip-every K]\n");
		return 2;
	}
	if ((r = rt_signer_load(key, cert, NULL, &signer)) != 0) {
		fprintf(stderr, "rt_export_gen: %s: %s\n", key, rt_strerror(r));
		return 1;
	}
	memset(&h, 0, sizeof(h));
	if (rt_uuid_v4(h.id) != 0)
		return 1;
	snprintf(h.issuer, sizeof(h.issuer), "%s", issuer);
	snprintf(h.partner, sizeof(h.partner), "%s", partner);
	snprintf(h.currency, sizeof(h.currency), "EUR");
	h.period_start = NOV1;
	h.period_end = NOV1 + 30 * 86400;
	h.created_at = h.period_end + 3600;
	if ((f = fopen(out, "wb")) == NULL) {
		perror(out);
		return 1;
	}
	setvbuf(f, NULL, _IOFBF, 1 << 20);
	rt_buf_init(&buf, 1 << 20);
	r = csv ? rt_export_csv_begin(&h, &buf) : rt_export_encode_begin(&h, &buf);
	for (uint64_t i = 0; i < n && r == 0; i++) {
		int64_t amount;

		if (skip > 0 && i % skip == skip - 1)
			continue;
		gen_record(i, agreement, agreement, issuer, partner, &u, &amount);
		r = csv ? rt_export_csv_record(&u, amount, NULL, &buf) :
		    rt_export_encode_priced_record(&u, amount, NULL, &buf);
		if (r == 0)
			r = rt_export_totals_add(tt, &u, amount, 0);
		if (buf.len > 512 * 1024) {
			if (fwrite(buf.data, 1, buf.len, f) != buf.len)
				r = RT_ERR_IO;
			rt_buf_reset(&buf);
		}
	}
	if (r == 0)
		r = csv ? rt_export_csv_end(&h, tt->t, tt->n, &buf) :
		    rt_export_encode_end(tt->t, tt->n, &buf);
	if (r == 0 && fwrite(buf.data, 1, buf.len, f) != buf.len)
		r = RT_ERR_IO;
	if (fclose(f) != 0 && r == 0)
		r = RT_ERR_IO;
	snprintf(sigpath, sizeof(sigpath), "%s.sig", out);
	if (r == 0)
		r = rt_export_sign_file(signer, out, sigpath);
	if (r != 0)
		fprintf(stderr, "rt_export_gen: %s\n", rt_strerror(r));
	rt_buf_fini(&buf);
	rt_signer_free(signer);
	free(tt);
	return r == 0 ? 0 : 1;
}
