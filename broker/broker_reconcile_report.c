/*
 * The reports of reconcile: the discrepancy list as CSV (written as found),
 * the text summary on stdout, and a self-contained HTML report (summary,
 * an inline SVG chart of the per-service totals of both sides, and every
 * discrepancy). Every value that comes from an export is HTML-escaped; the
 * HTML rows go to a scratch file while the merge runs, so the report holds
 * any number of them without holding them in memory.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "broker_reconcile_int.h"
#include "rt_codec.h"

#define CSV_HEADER "kind,id,service,home,visited,ours_quantity,theirs_quantity," \
	"ours_amount_minor,theirs_amount_minor,difference_minor,detail\r\n"

static const char *const kind_names[RECON_KINDS] = {
	"missing-in-theirs", "missing-in-ours", "quantity", "amount", "mismatch",
	"duplicate-in-ours", "duplicate-in-theirs", "flagged", "totals",
};

static const char *const kind_help[RECON_KINDS] = {
	"in our export only: they did not bill or report it",
	"in their export only: we have no such record",
	"both have it, quantities differ beyond tolerance",
	"both have it, amounts differ beyond tolerance",
	"both have the id, but service, realms, times or references differ",
	"the id appears more than once in our export",
	"the id appears more than once in their export",
	"a side flagged the record (e.g. outside-validity, unknown-assertion)",
	"a file's stated totals are not the sums of its records",
};

const char *
recon_kind_name(enum recon_kind k)
{
	return k < RECON_KINDS ? kind_names[k] : "?";
}

static void
html_escape(FILE *f, const char *s)
{
	for (; *s != '\0'; s++) {
		switch (*s) {
		case '&':
			fputs("&amp;", f);
			break;
		case '<':
			fputs("&lt;", f);
			break;
		case '>':
			fputs("&gt;", f);
			break;
		case '"':
			fputs("&quot;", f);
			break;
		case '\'':
			fputs("&#39;", f);
			break;
		default:
			fputc(*s, f);
		}
	}
}

static void
csv_field(FILE *f, const char *s)
{
	if (strpbrk(s, ",\"\r\n") == NULL) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	for (; *s != '\0'; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

void
recon_report_add(struct recon_report *rep, enum recon_kind kind,
    const struct rt_export_item *ours, const struct rt_export_item *theirs,
    const char *detail)
{
	const struct rt_export_item *any = ours != NULL ? ours : theirs;
	const char *id = any ? any->u.id : "", *service = any ? any->u.service : "";
	const char *home = any ? any->u.home : "", *visited = any ? any->u.visited : "";
	char oq[24] = "", tq[24] = "", oa[24] = "", ta[24] = "", diff[24] = "";
	const char *cells[11];

	rep->count[kind]++;
	if (ours != NULL) {
		snprintf(oq, sizeof(oq), "%" PRIu64, ours->u.quantity);
		snprintf(oa, sizeof(oa), "%" PRId64, ours->amount_minor);
	}
	if (theirs != NULL) {
		snprintf(tq, sizeof(tq), "%" PRIu64, theirs->u.quantity);
		snprintf(ta, sizeof(ta), "%" PRId64, theirs->amount_minor);
	}
	if (any != NULL)
		snprintf(diff, sizeof(diff), "%" PRId64,
		    (ours ? ours->amount_minor : 0) - (theirs ? theirs->amount_minor : 0));
	cells[0] = kind_names[kind];
	cells[1] = id;
	cells[2] = service;
	cells[3] = home;
	cells[4] = visited;
	cells[5] = oq;
	cells[6] = tq;
	cells[7] = oa;
	cells[8] = ta;
	cells[9] = diff;
	cells[10] = detail;
	if (rep->csv != NULL) {
		for (int i = 0; i < 11; i++) {
			if (i > 0)
				fputc(',', rep->csv);
			csv_field(rep->csv, cells[i]);
		}
		fputs("\r\n", rep->csv);
	}
	if (rep->html_rows != NULL) {
		fprintf(rep->html_rows, "<tr class=\"%s\">", kind_names[kind]);
		for (int i = 0; i < 11; i++) {
			fputs(i >= 5 && i <= 9 ? "<td class=\"n\">" : "<td>", rep->html_rows);
			html_escape(rep->html_rows, cells[i]);
			fputs("</td>", rep->html_rows);
		}
		fputs("</tr>\n", rep->html_rows);
	}
	if (rep->shown < RECON_SHOW_MAX) {
		char *line = rep->shown_lines[rep->shown++];
		size_t cap = sizeof(rep->shown_lines[0]), len;

		len = (size_t)snprintf(line, cap, "  %-19s %s", kind_names[kind],
		    id[0] ? id : "-");
		if (len < cap && any != NULL)
			len += (size_t)snprintf(line + len, cap - len, " quantity %s/%s"
			    " amount %s/%s", oq[0] ? oq : "-", tq[0] ? tq : "-",
			    oa[0] ? oa : "-", ta[0] ? ta : "-");
		if (len < cap && detail[0] != '\0')
			snprintf(line + len, cap - len, " %s", detail);
		/* values from the files go to a terminal: no control characters */
		for (char *c = line; *c != '\0'; c++)
			if ((unsigned char)*c < 0x20 || *c == 0x7f)
				*c = '?';
	}
}

int
recon_report_open(struct recon_report *rep, const char *csv_path,
    const char *html_path, char *err, size_t errcap)
{
	rep->shown = 0;
	if (csv_path != NULL) {
		if ((rep->csv = fopen(csv_path, "w")) == NULL) {
			snprintf(err, errcap, "%s: cannot write", csv_path);
			return RT_ERR_IO;
		}
		fputs(CSV_HEADER, rep->csv);
	}
	if (html_path != NULL) {
		rep->html_path = html_path;
		if ((rep->html_rows = tmpfile()) == NULL) {
			snprintf(err, errcap, "cannot make a scratch file for the HTML report");
			return RT_ERR_IO;
		}
	}
	return 0;
}

int
recon_report_disagrees(const struct recon_report *rep)
{
	for (int k = 0; k < RECON_KINDS; k++)
		if (rep->count[k] > 0)
			return 1;
	return 0;
}

/* The union of both sides' totals, by (service, home, visited, unit). */
struct group {
	const struct rt_export_total *side[RECON_SIDES];
};

static size_t
groups_collect(const struct recon_report *rep, struct group *g, size_t max)
{
	size_t n = 0;

	for (int i = 0; i < RECON_SIDES; i++) {
		for (size_t k = 0; k < rep->totals[i].n; k++) {
			const struct rt_export_total *t = &rep->totals[i].t[k];
			size_t j;

			for (j = 0; j < n; j++) {
				const struct rt_export_total *o = g[j].side[0] ? g[j].side[0] :
				    g[j].side[1];

				if (strcmp(o->service, t->service) == 0 &&
				    strcmp(o->home, t->home) == 0 &&
				    strcmp(o->visited, t->visited) == 0 &&
				    strcmp(o->unit, t->unit) == 0)
					break;
			}
			if (j == n) {
				if (n == max)
					continue;
				memset(&g[n], 0, sizeof(g[n]));
				n++;
			}
			g[j].side[i] = t;
		}
	}
	return n;
}

struct service_net {
	char service[RT_SERVICE_MAX];
	int64_t net[RECON_SIDES];	/* what the issuer of ours owes the partner */
};

static size_t
nets_collect(const struct recon_report *rep, struct service_net *nets, size_t max)
{
	const char *us = rep->header[0].issuer;
	size_t n = 0;

	for (int i = 0; i < RECON_SIDES; i++) {
		for (size_t k = 0; k < rep->totals[i].n; k++) {
			const struct rt_export_total *t = &rep->totals[i].t[k];
			size_t j;

			for (j = 0; j < n; j++)
				if (strcmp(nets[j].service, t->service) == 0)
					break;
			if (j == n) {
				if (n == max)
					continue;
				memset(&nets[n], 0, sizeof(nets[n]));
				memcpy(nets[n].service, t->service, RT_SERVICE_MAX);
				n++;
			}
			/* the home realm pays the visited one */
			nets[j].net[i] += strcmp(t->home, us) == 0 ? t->amount_minor :
			    -t->amount_minor;
		}
	}
	return n;
}

static void
net_text(FILE *f, const struct recon_report *rep, int64_t net, int html)
{
	const char *a = rep->header[0].issuer, *b = rep->header[0].partner;

	if (net == 0) {
		fputs("nothing owed", f);
		return;
	}
	if (html) {
		html_escape(f, net > 0 ? a : b);
		fputs(" owes ", f);
		html_escape(f, net > 0 ? b : a);
	} else
		fprintf(f, "%s owes %s", net > 0 ? a : b, net > 0 ? b : a);
	fprintf(f, " %" PRId64, net > 0 ? net : -net);
}

static void
summary_text(struct recon_report *rep, struct group *g, size_t ng,
    struct service_net *nets, size_t nn)
{
	FILE *f = rep->out;
	char t[4][RT_TIME_STR_LEN + 1];

	rt_time_format(rep->common_start, t[0]);
	rt_time_format(rep->common_end, t[1]);
	fprintf(f, "reconcile: ours %s -> %s (signed by %s), theirs %s -> %s (signed by %s)\n",
	    rep->header[0].issuer, rep->header[0].partner, rep->signer[0],
	    rep->header[1].issuer, rep->header[1].partner, rep->signer[1]);
	if (rep->header[0].period_start != rep->header[1].period_start ||
	    rep->header[0].period_end != rep->header[1].period_end) {
		rt_time_format(rep->header[1].period_start, t[2]);
		rt_time_format(rep->header[1].period_end, t[3]);
		fprintf(f, "warning: the periods differ; compared over %s to %s only\n",
		    t[0], t[1]);
	}
	fprintf(f, "period: %s to %s, amounts in minor units of %s\n", t[0], t[1],
	    rep->header[0].currency);
	fprintf(f, "records: ours %" PRIu64 ", theirs %" PRIu64 "; matched %" PRIu64
	    " (%" PRIu64 " differ within tolerance: quantity %" PRIu64 ", amount %"
	    PRId64 ")\n", rep->records[0], rep->records[1], rep->matched,
	    rep->within_tolerance, rep->tolerance_quantity, rep->tolerance_amount);
	for (int i = 0; i < RECON_SIDES; i++) {
		if (rep->outside_period[i] > 0)
			fprintf(f, "note: %" PRIu64 " records of %s lie outside the other "
			    "side's period (not compared)\n", rep->outside_period[i],
			    i == 0 ? "ours" : "theirs");
		if (rep->unpriced[i] > 0)
			fprintf(f, "warning: %" PRIu64 " records of %s are unpriced "
			    "(amount 0)\n", rep->unpriced[i], i == 0 ? "ours" : "theirs");
	}
	fprintf(f, "discrepancies:\n");
	for (int k = 0; k < RECON_KINDS; k++)
		fprintf(f, "  %-19s %10" PRIu64 "  %s\n", kind_names[k], rep->count[k],
		    kind_help[k]);
	fprintf(f, "totals (service, home -> visited, unit: records / quantity / amount):\n");
	for (size_t j = 0; j < ng; j++) {
		const struct rt_export_total *o = g[j].side[0], *th = g[j].side[1];
		const struct rt_export_total *any = o ? o : th;

		fprintf(f, "  %s %s -> %s (%s): ours %" PRIu64 " / %" PRIu64 " / %" PRId64
		    ", theirs %" PRIu64 " / %" PRIu64 " / %" PRId64 ", difference %" PRId64 "\n",
		    any->service, any->home, any->visited, any->unit,
		    o ? o->records : 0, o ? o->quantity : 0, o ? o->amount_minor : 0,
		    th ? th->records : 0, th ? th->quantity : 0, th ? th->amount_minor : 0,
		    (o ? o->amount_minor : 0) - (th ? th->amount_minor : 0));
	}
	fprintf(f, "net owed per service:\n");
	for (size_t j = 0; j < nn; j++) {
		fprintf(f, "  %s: by ours, ", nets[j].service);
		net_text(f, rep, nets[j].net[0], 0);
		fputs("; by theirs, ", f);
		net_text(f, rep, nets[j].net[1], 0);
		fputc('\n', f);
	}
	if (rep->shown > 0) {
		fprintf(f, "first discrepancies (kind id quantity ours/theirs amount ours/theirs detail):\n");
		for (int i = 0; i < rep->shown; i++)
			fprintf(f, "%s\n", rep->shown_lines[i]);
	}
	fprintf(f, "result: %s\n", recon_report_disagrees(rep) ?
	    "DISAGREE (exit 1)" : "AGREE within tolerance (exit 0)");
}

static void
svg_chart(FILE *f, struct group *g, size_t ng)
{
	const int width = 720, label = 260, row = 44, bar = 16;
	int64_t max = 1;

	for (size_t j = 0; j < ng; j++)
		for (int i = 0; i < RECON_SIDES; i++)
			if (g[j].side[i] != NULL && g[j].side[i]->amount_minor > max)
				max = g[j].side[i]->amount_minor;
	fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%zu\" "
	    "role=\"img\" aria-label=\"amount per service and direction\">\n",
	    width, ng * row + 30);
	fprintf(f, "<rect x=\"%d\" y=\"4\" width=\"12\" height=\"12\" fill=\"#3b6ea5\"/>"
	    "<text x=\"%d\" y=\"14\">ours</text><rect x=\"%d\" y=\"4\" width=\"12\" "
	    "height=\"12\" fill=\"#d08c2c\"/><text x=\"%d\" y=\"14\">theirs</text>\n",
	    label, label + 16, label + 70, label + 86);
	for (size_t j = 0; j < ng; j++) {
		const struct rt_export_total *any = g[j].side[0] ? g[j].side[0] : g[j].side[1];
		int y = 24 + (int)j * row;

		fprintf(f, "<text x=\"0\" y=\"%d\">", y + bar + 4);
		html_escape(f, any->service);
		fputs(" ", f);
		html_escape(f, any->home);
		fputs(" \xe2\x86\x92 ", f);
		html_escape(f, any->visited);
		fputs("</text>\n", f);
		for (int i = 0; i < RECON_SIDES; i++) {
			int64_t v = g[j].side[i] ? g[j].side[i]->amount_minor : 0;
			long w = (long)((double)(v < 0 ? 0 : v) / (double)max * (width - label - 90));

			fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%ld\" height=\"%d\" "
			    "fill=\"%s\"/><text x=\"%ld\" y=\"%d\" font-size=\"11\">%" PRId64
			    "</text>\n", label, y + i * (bar + 2), w, bar,
			    i == 0 ? "#3b6ea5" : "#d08c2c", label + w + 4,
			    y + i * (bar + 2) + 12, v);
		}
	}
	fputs("</svg>\n", f);
}

static int
html_write(struct recon_report *rep, struct group *g, size_t ng,
    struct service_net *nets, size_t nn)
{
	char t[2][RT_TIME_STR_LEN + 1], chunk[65536];
	size_t n;
	FILE *f;

	if ((f = fopen(rep->html_path, "w")) == NULL)
		return RT_ERR_IO;
	rt_time_format(rep->common_start, t[0]);
	rt_time_format(rep->common_end, t[1]);
	fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
	    "<title>roamtrust reconcile</title><style>"
	    "body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
	    "td,th{border:1px solid #ccc;padding:2px 6px;font-size:13px}"
	    "td.n{text-align:right}.agree{color:#1a7f37}.disagree{color:#b42318}"
	    "</style></head><body>\n<h1>Reconciliation: ", f);
	html_escape(f, rep->header[0].issuer);
	fputs(" &amp; ", f);
	html_escape(f, rep->header[0].partner);
	fputs("</h1>\n<p>", f);
	fprintf(f, "Period %s to %s, amounts in minor units of ", t[0], t[1]);
	html_escape(f, rep->header[0].currency);
	fprintf(f, ".</p>\n<p class=\"%s\"><strong>%s</strong></p>\n",
	    recon_report_disagrees(rep) ? "disagree" : "agree",
	    recon_report_disagrees(rep) ? "The exports disagree." :
	    "The exports agree within tolerance.");
	fprintf(f, "<table><tr><th></th><th>ours</th><th>theirs</th></tr>\n"
	    "<tr><td>issuer</td><td>");
	html_escape(f, rep->header[0].issuer);
	fputs("</td><td>", f);
	html_escape(f, rep->header[1].issuer);
	fprintf(f, "</td></tr>\n<tr><td>records</td><td class=\"n\">%" PRIu64
	    "</td><td class=\"n\">%" PRIu64 "</td></tr>\n<tr><td>unpriced</td>"
	    "<td class=\"n\">%" PRIu64 "</td><td class=\"n\">%" PRIu64 "</td></tr>\n"
	    "<tr><td>outside the other's period</td><td class=\"n\">%" PRIu64
	    "</td><td class=\"n\">%" PRIu64 "</td></tr>\n</table>\n",
	    rep->records[0], rep->records[1], rep->unpriced[0], rep->unpriced[1],
	    rep->outside_period[0], rep->outside_period[1]);
	fprintf(f, "<p>Matched %" PRIu64 " records (%" PRIu64 " differ within "
	    "tolerance).</p>\n<h2>Discrepancies</h2>\n<table>\n", rep->matched,
	    rep->within_tolerance);
	for (int k = 0; k < RECON_KINDS; k++)
		fprintf(f, "<tr><td>%s</td><td class=\"n\">%" PRIu64 "</td><td>%s</td></tr>\n",
		    kind_names[k], rep->count[k], kind_help[k]);
	fputs("</table>\n<h2>Totals per service and direction</h2>\n", f);
	svg_chart(f, g, ng);
	fputs("<h2>Net owed per service</h2>\n<table><tr><th>service</th>"
	    "<th>by ours</th><th>by theirs</th></tr>\n", f);
	for (size_t j = 0; j < nn; j++) {
		fputs("<tr><td>", f);
		html_escape(f, nets[j].service);
		fputs("</td><td>", f);
		net_text(f, rep, nets[j].net[0], 1);
		fputs("</td><td>", f);
		net_text(f, rep, nets[j].net[1], 1);
		fputs("</td></tr>\n", f);
	}
	fputs("</table>\n<h2>Every discrepancy</h2>\n<table><tr><th>kind</th><th>id</th>"
	    "<th>service</th><th>home</th><th>visited</th><th>ours quantity</th>"
	    "<th>theirs quantity</th><th>ours amount</th><th>theirs amount</th>"
	    "<th>difference</th><th>detail</th></tr>\n", f);
	rewind(rep->html_rows);
	while ((n = fread(chunk, 1, sizeof(chunk), rep->html_rows)) > 0)
		fwrite(chunk, 1, n, f);
	fputs("</table>\n</body></html>\n", f);
	return fclose(f) == 0 && !ferror(rep->html_rows) ? 0 : RT_ERR_IO;
}

int
recon_report_finish(struct recon_report *rep, char *err, size_t errcap)
{
	struct group g[2 * RT_EXPORT_TOTALS_MAX];
	struct service_net nets[2 * RT_EXPORT_TOTALS_MAX];
	size_t ng, nn;

	ng = groups_collect(rep, g, sizeof(g) / sizeof(g[0]));
	nn = nets_collect(rep, nets, sizeof(nets) / sizeof(nets[0]));
	summary_text(rep, g, ng, nets, nn);
	if (rep->csv != NULL) {
		int bad = fclose(rep->csv) != 0;

		rep->csv = NULL;
		if (bad) {
			snprintf(err, errcap, "cannot write the discrepancy CSV");
			return RT_ERR_IO;
		}
	}
	if (rep->html_rows != NULL && html_write(rep, g, ng, nets, nn) != 0) {
		snprintf(err, errcap, "%s: cannot write", rep->html_path);
		return RT_ERR_IO;
	}
	return 0;
}

void
recon_report_fini(struct recon_report *rep)
{
	if (rep == NULL)
		return;
	if (rep->csv != NULL)
		fclose(rep->csv);
	if (rep->html_rows != NULL)
		fclose(rep->html_rows);
	rep->csv = NULL;
	rep->html_rows = NULL;
}
