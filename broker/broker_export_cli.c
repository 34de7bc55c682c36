/*
 * The command lines of `export` and `reconcile` (see broker_export.h):
 * options, configuration, identity and trust, then the run.
 */
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "broker.h"
#include "broker_export.h"
#include "rt_file.h"
#include "rt_log.h"

#define PROG "roamtrust-broker"

static const char export_usage[] =
    "usage: " PROG " export -c broker.conf --partner REALM --from TIME --to TIME\n"
    "           [--format xml|csv] --out FILE [--db LEDGER] [--crl CRL] [--force]\n"
    "  TIME: 2026-11-01T00:00:00Z or 2026-11-01 (UTC); records whose start is\n"
    "  in [--from, --to). Writes FILE and FILE.sig (CMS, DER, realm certificate\n"
    "  embedded). --db defaults to STATE_DIR/ledger.db, --crl to the broker's\n"
    "  cached CRL.\n";

static const char reconcile_usage[] =
    "usage: " PROG " reconcile [-c broker.conf | --ca CA --crl CRL] OURS THEIRS\n"
    "           [--tolerance-quantity N] [--tolerance-amount N]\n"
    "           [--csv DISCREPANCIES.csv] [--html REPORT.html]\n"
    "  OURS and THEIRS are exports (XML or CSV), each with its signature in\n"
    "  FILE.sig. Exit 0: they agree within tolerance; 1: they disagree;\n"
    "  2: an error (bad signature, unreadable or malformed file).\n";

static int
parse_u64_arg(const char *s, uint64_t *v)
{
	char *end;

	if (*s < '0' || *s > '9')
		return -1;
	*v = strtoull(s, &end, 10);
	return *end == '\0' ? 0 : -1;
}

/* The CA, and the CRL from crl (or the broker's cache when NULL). */
static int
trust_load(const char *ca, const char *crl, int stale_ok, time_t now,
    struct rt_trust **trustp, char *err, size_t errcap)
{
	struct rt_trust_options topts = {1, 0, 0};
	int r;

	topts.allow_stale_crl = stale_ok;
	if ((r = rt_trust_new(&topts, trustp)) != 0)
		return r;
	if ((r = rt_trust_load_ca(*trustp, ca)) != 0) {
		snprintf(err, errcap, "CA %s: %s", ca, rt_strerror(r));
		return r;
	}
	if (crl == NULL || !rt_file_exists(crl)) {
		snprintf(err, errcap, "no CRL at %s: signatures cannot be checked "
		    "without it (is the broker running? or give --crl)",
		    crl ? crl : "(none)");
		return RT_ERR_CRL_MISSING;
	}
	if ((r = rt_trust_load_crl(*trustp, crl, now)) != 0) {
		snprintf(err, errcap, "CRL %s: %s", crl, rt_strerror(r));
		return r;
	}
	return 0;
}

static int
config_load(const char *path, struct broker_config *bc)
{
	char err[1024];

	if (broker_config_load(path, bc, err, sizeof(err)) != 0) {
		fprintf(stderr, PROG ": %s\n", err);
		return -1;
	}
	return 0;
}

static void
export_summary(const struct broker_export_opts *o,
    const struct broker_export_result *res)
{
	static const char *const reasons[] = {"unknown-agreement",
	    "agreement-mismatch", "unknown-service", "unit-mismatch",
	    "amount-overflow"};
	char from[RT_TIME_STR_LEN + 1], to[RT_TIME_STR_LEN + 1];

	rt_time_format(o->from, from);
	rt_time_format(o->to, to);
	printf("export: %" PRIu64 " records with %s from %s to %s -> %s (%s), "
	    "signed %s.sig\n", res->totals.records, o->partner, from, to, o->out,
	    o->format == RT_EXPORT_CSV ? "csv" : "xml", o->out);
	for (size_t i = 0; i < res->totals.n; i++) {
		const struct rt_export_total *t = &res->totals.t[i];

		printf("  %s %s -> %s: %" PRIu64 " records, %" PRIu64 " %s, %" PRId64
		    " minor units of %s%s\n", t->service, t->home, t->visited, t->records,
		    t->quantity, t->unit, t->amount_minor, res->header.currency,
		    t->unpriced_records ? " (some unpriced)" : "");
	}
	if (res->totals.unpriced > 0) {
		fprintf(stderr, "warning: %" PRIu64 " records could not be priced and "
		    "are exported with amount 0:", res->totals.unpriced);
		for (size_t i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++)
			if (res->unpriced_by_reason[i] > 0)
				fprintf(stderr, " %s %" PRIu64, reasons[i],
				    res->unpriced_by_reason[i]);
		fputc('\n', stderr);
	}
}

int
broker_export_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"config", required_argument, NULL, 'c'},
		{"partner", required_argument, NULL, 'p'},
		{"from", required_argument, NULL, 'f'},
		{"to", required_argument, NULL, 't'},
		{"format", required_argument, NULL, 'F'},
		{"out", required_argument, NULL, 'o'},
		{"db", required_argument, NULL, 'd'},
		{"crl", required_argument, NULL, 'C'},
		{"force", no_argument, NULL, 'x'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0}
	};
	struct broker_export_opts o;
	struct broker_export_result *res = NULL;
	struct broker_config bc;
	struct rt_agreement *agreements = NULL;
	struct rt_signer *signer = NULL;
	struct rt_trust *trust = NULL;
	struct rt_buf pass;
	const char *config = NULL, *from = NULL, *to = NULL, *crl = NULL, *db = NULL;
	char dbpath[PATH_MAX], err[1024];
	int c, r, rc = 1, have_config = 0;

	memset(&o, 0, sizeof(o));
	o.format = RT_EXPORT_XML;
	rt_buf_init(&pass, 1024);
	rt_buf_set_secret(&pass);
	optind = 1;
	while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c': config = optarg; break;
		case 'p': o.partner = optarg; break;
		case 'f': from = optarg; break;
		case 't': to = optarg; break;
		case 'o': o.out = optarg; break;
		case 'd': db = optarg; break;
		case 'C': crl = optarg; break;
		case 'x': o.force = 1; break;
		case 'F':
			if (strcmp(optarg, "xml") == 0)
				o.format = RT_EXPORT_XML;
			else if (strcmp(optarg, "csv") == 0)
				o.format = RT_EXPORT_CSV;
			else {
				fprintf(stderr, PROG ": --format is xml or csv\n");
				return 2;
			}
			break;
		case 'h':
			fputs(export_usage, stdout);
			return 0;
		default:
			fputs(export_usage, stderr);
			return 2;
		}
	}
	if (config == NULL || o.partner == NULL || from == NULL || to == NULL ||
	    o.out == NULL || optind != argc) {
		fputs(export_usage, stderr);
		return 2;
	}
	if (broker_time_arg(from, &o.from) != 0 || broker_time_arg(to, &o.to) != 0) {
		fprintf(stderr, PROG ": --from/--to: a UTC time like 2026-11-01T00:00:00Z "
		    "or a date like 2026-11-01\n");
		return 2;
	}
	if (!rt_realm_valid(o.partner)) {
		fprintf(stderr, PROG ": --partner '%s' is not a realm\n", o.partner);
		return 2;
	}
	if (config_load(config, &bc) != 0)
		goto out;
	have_config = 1;
	o.realm = bc.realm;
	o.now = rt_time_now();
	o.progress = isatty(STDERR_FILENO);
	if (strcmp(o.partner, bc.realm) == 0) {
		fprintf(stderr, PROG ": --partner is our own realm\n");
		rc = 2;
		goto out;
	}
	snprintf(dbpath, sizeof(dbpath), "%s/ledger.db", bc.state_dir);
	o.db = db != NULL ? db : dbpath;
	if ((r = rt_xml_init()) != 0 ||
	    (*bc.key_passphrase_file != '\0' &&
	    (r = rt_passphrase_load(bc.key_passphrase_file, &pass)) != 0) ||
	    (r = rt_signer_load(bc.key, bc.cert, pass.len > 0 ? rt_buf_str(&pass) : NULL,
	    &signer)) != 0) {
		fprintf(stderr, PROG ": realm key %s: %s\n", bc.key, rt_strerror(r));
		goto out;
	}
	if (strcmp(signer->realm, bc.realm) != 0) {
		fprintf(stderr, PROG ": the certificate is for %s, the config says %s\n",
		    signer->realm, bc.realm);
		goto out;
	}
	o.signer = signer;
	if (trust_load(bc.ca, crl != NULL ? crl : bc.crl_cache, bc.crl_fail_open,
	    o.now, &trust, err, sizeof(err)) != 0) {
		fprintf(stderr, PROG ": %s\n", err);
		goto out;
	}
	if ((r = broker_export_agreements(bc.agreements_dir, trust, bc.realm, o.now,
	    stderr, &agreements, &o.nagreements)) != 0) {
		fprintf(stderr, PROG ": agreements %s: %s\n", bc.agreements_dir,
		    rt_strerror(r));
		goto out;
	}
	o.agreements = agreements;
	if ((res = calloc(1, sizeof(*res))) == NULL)
		goto out;
	if (broker_export_run(&o, res, err, sizeof(err)) != 0) {
		fprintf(stderr, PROG ": export: %s\n", err);
		goto out;
	}
	export_summary(&o, res);
	rc = 0;
 out:
	free(res);
	free(agreements);
	rt_trust_free(trust);
	rt_signer_free(signer);
	rt_buf_fini(&pass);
	if (have_config)
		broker_config_fini(&bc);
	return rc;
}

int
broker_reconcile_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"config", required_argument, NULL, 'c'},
		{"ca", required_argument, NULL, 'a'},
		{"crl", required_argument, NULL, 'C'},
		{"tolerance-quantity", required_argument, NULL, 'q'},
		{"tolerance-amount", required_argument, NULL, 'm'},
		{"csv", required_argument, NULL, 'v'},
		{"html", required_argument, NULL, 'w'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0}
	};
	struct broker_reconcile_opts o;
	struct broker_config bc;
	struct rt_trust *trust = NULL;
	const char *config = NULL, *ca = NULL, *crl = NULL;
	char err[1024];
	uint64_t v;
	int c, rc = BROKER_RECONCILE_ERROR, have_config = 0, stale_ok = 0;

	memset(&o, 0, sizeof(o));
	optind = 1;
	while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c': config = optarg; break;
		case 'a': ca = optarg; break;
		case 'C': crl = optarg; break;
		case 'v': o.csv = optarg; break;
		case 'w': o.html = optarg; break;
		case 'q':
		case 'm':
			if (parse_u64_arg(optarg, &v) != 0 || v > (uint64_t)RT_AMOUNT_MAX) {
				fprintf(stderr, PROG ": --tolerance-*: a whole number\n");
				return 2;
			}
			if (c == 'q')
				o.tolerance_quantity = v;
			else
				o.tolerance_amount = (int64_t)v;
			break;
		case 'h':
			fputs(reconcile_usage, stdout);
			return 0;
		default:
			fputs(reconcile_usage, stderr);
			return 2;
		}
	}
	if (argc - optind != 2 || (config == NULL && ca == NULL) ||
	    (config != NULL && ca != NULL)) {
		fputs(reconcile_usage, stderr);
		return 2;
	}
	o.ours = argv[optind];
	o.theirs = argv[optind + 1];
	o.now = rt_time_now();
	o.out = stdout;
	o.progress = isatty(STDERR_FILENO);
	if (config != NULL) {
		if (config_load(config, &bc) != 0)
			goto out;
		have_config = 1;
		o.self = bc.realm;
		ca = bc.ca;
		if (crl == NULL)
			crl = bc.crl_cache;
		stale_ok = bc.crl_fail_open;
	}
	snprintf(err, sizeof(err), "cannot start libxml2");
	if (rt_xml_init() != 0 ||
	    trust_load(ca, crl, stale_ok, o.now, &trust, err, sizeof(err)) != 0) {
		fprintf(stderr, PROG ": reconcile: %s\n", err);
		goto out;
	}
	o.trust = trust;
	rc = broker_reconcile_run(&o, err, sizeof(err));
	fflush(stdout);
	if (rc == BROKER_RECONCILE_ERROR)
		fprintf(stderr, PROG ": reconcile: %s\n", err);
 out:
	rt_trust_free(trust);
	if (have_config)
		broker_config_fini(&bc);
	return rc;
}
