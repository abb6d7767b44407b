/*
 * metrics.c — the --prometheus file; see metrics.h. The format is
 * Prometheus's text exposition format as node_exporter's textfile
 * collector reads it: per metric family one "# HELP", one "# TYPE" and
 * then its samples, one per line, no timestamps; label values escape
 * backslash, double quote and newline; HELP text escapes backslash and
 * newline.
 */
#include "metrics.h"
#include "buf.h"
#include "log.h"
#include "ndjson.h"
#include "reject.h"
#include "util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

struct sample {
	char *name, *help; /* help is NULL after the first sample of a name */
	char *label, *value; /* the extra label, or NULL */
	double v;
};

static struct {
	char *path;           /* --prometheus, or NULL */
	char *task;           /* the file's name without directory and .prom */
	double t0;            /* monotonic start */
	double t0_wall;       /* wall-clock start (Unix seconds) */
	int hooked;           /* the exit hook is registered */
	int have_records;
	long long in, out;
	struct sample *s;
	size_t n, cap;
} m;

/* The last-success gauge: written now on success, carried over from the
 * previous file on failure, so that a failed run does not erase it. */
static const char last_success[] = "herd_run_last_success_timestamp_seconds";

static double wall_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void exit_hook(int status, void *arg)
{
	(void)arg;
	metrics_write(status);
}

void metrics_open(const char *path)
{
	char *dir = xstrdup(path), *slash = strrchr(dir, '/');
	struct stat st;

	if (slash)
		*(slash == dir ? slash + 1 : slash) = '\0';
	if (stat(slash ? dir : ".", &st) < 0 || !S_ISDIR(st.st_mode))
		log_usage("--prometheus: %s: no such directory", slash ? dir : ".");
	free(dir);
	free(m.path);
	free(m.task);
	m.path = xstrdup(path);
	m.task = xstrdup(strrchr(path, '/') ? strrchr(path, '/') + 1 : path);
	if (strlen(m.task) > 5 && strcmp(m.task + strlen(m.task) - 5, ".prom") == 0)
		m.task[strlen(m.task) - 5] = '\0';
	m.t0 = herd_now_mono();
	m.t0_wall = wall_now();
	if (!m.hooked && on_exit(exit_hook, NULL) == 0)
		m.hooked = 1;
}

int metrics_enabled(void)
{
	return m.path != NULL;
}

void metrics_set_records(long long in, long long out)
{
	m.have_records = 1;
	m.in = in;
	m.out = out;
}

static int valid_name(const char *s)
{
	if (!s || !*s || (*s >= '0' && *s <= '9'))
		return 0;
	for (; *s; s++)
		if (!(*s == '_' || *s == ':' || (*s >= '0' && *s <= '9') || ((*s | 32) >= 'a' && (*s | 32) <= 'z')))
			return 0;
	return 1;
}

void metrics_gauge(const char *name, const char *help, const char *label, const char *value, double v)
{
	struct sample *p;
	int seen = 0;

	/* A bad name or label name is a bug in the program, not bad input. */
	if (!valid_name(name) || (label && (!valid_name(label) || strchr(label, ':') || !value || !strcmp(label, "task") ||
					    !strcmp(label, "program"))))
		log_fatal(HERD_EXIT_FAIL, "metrics: bad metric '%s' or label '%s'", name, label ? label : "");
	for (size_t i = 0; i < m.n; i++) {
		p = &m.s[i];
		if (strcmp(p->name, name) != 0)
			continue;
		seen = 1;
		if ((!label && !p->label) ||
		    (label && p->label && strcmp(p->label, label) == 0 && strcmp(p->value, value) == 0)) {
			p->v = v;
			return;
		}
	}
	m.s = xgrow(m.s, m.n + 1, &m.cap, sizeof *m.s);
	p = &m.s[m.n++];
	p->name = xstrdup(name);
	p->help = seen ? NULL : xstrdup(help ? help : name);
	p->label = label ? xstrdup(label) : NULL;
	p->value = label ? xstrdup(value) : NULL;
	p->v = v;
}

/* ---------------------------------------------------------------- format */

static void put_value(buf_t *b, double v)
{
	if (isnan(v))
		buf_puts(b, "NaN");
	else if (isinf(v))
		buf_puts(b, v > 0 ? "+Inf" : "-Inf");
	else if (v == floor(v) && fabs(v) < 1e15)
		buf_printf(b, "%.0f", v);
	else {
		char num[40];

		ndjson_format_real(v, num, sizeof num); /* shortest form that reads back */
		buf_puts(b, num);
	}
}

/* Escape for a label value (quoted = 1) or HELP text (quoted = 0). */
static void put_escaped(buf_t *b, const char *s, int quoted)
{
	for (; *s; s++) {
		if (*s == '\\')
			buf_puts(b, "\\\\");
		else if (*s == '\n')
			buf_puts(b, "\\n");
		else if (*s == '"' && quoted)
			buf_puts(b, "\\\"");
		else
			buf_putc(b, *s);
	}
}

static void put_family(buf_t *b, const char *name, const char *help)
{
	buf_printf(b, "# HELP %s ", name);
	put_escaped(b, help, 0);
	buf_printf(b, "\n# TYPE %s gauge\n", name);
}

static void put_sample(buf_t *b, const char *name, const char *label, const char *value, double v)
{
	buf_printf(b, "%s{program=\"", name);
	put_escaped(b, herd_prog, 1);
	buf_puts(b, "\",task=\"");
	put_escaped(b, m.task, 1);
	if (label) {
		buf_printf(b, "\",%s=\"", label);
		put_escaped(b, value, 1);
	}
	buf_puts(b, "\"} ");
	put_value(b, v);
	buf_putc(b, '\n');
}

static void put_one(buf_t *b, const char *name, const char *help, double v)
{
	put_family(b, name, help);
	put_sample(b, name, NULL, NULL, v);
}

/* The last-success time the previous file holds, or -1. */
static double previous_success(void)
{
	FILE *f = fopen(m.path, "r");
	char line[512];
	double v = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof line, f)) {
		char *sp;

		if (strncmp(line, last_success, sizeof last_success - 1) != 0 || line[sizeof last_success - 1] != '{')
			continue;
		if ((sp = strrchr(line, ' ')) != NULL) {
			char *end;
			double x = strtod(sp + 1, &end);

			if (end != sp + 1 && x >= 0)
				v = x;
		}
	}
	fclose(f);
	return v;
}

int metrics_write(int status)
{
	buf_t b = BUF_INIT;
	double success = status == 0 ? wall_now() : previous_success();
	int rc = 0;

	if (!m.path)
		return 0;
	put_one(&b, "herd_run_start_timestamp_seconds", "When the run started (Unix time).", floor(m.t0_wall));
	put_one(&b, "herd_run_duration_seconds", "How long the run took, in seconds.",
		floor((herd_now_mono() - m.t0) * 1000 + 0.5) / 1000);
	/* HELP texts never change: node_exporter drops a family whose files
	 * disagree on its HELP, so a new text would break the scrape while an
	 * older program's file is still there (herd-fetch's own 3 is in
	 * docs/hacking.md, not here). */
	put_one(&b, "herd_run_exit_status", "Exit status of the run: 0 ok, 1 rejects or I/O error, 2 usage.", status);
	if (success >= 0)
		put_one(&b, last_success, "When the program last exited 0 (Unix time).", floor(success));
	if (m.have_records) {
		put_one(&b, "herd_records_in", "Input lines (records) read in the run.", (double)m.in);
		put_one(&b, "herd_records_out", "Records written to stdout in the run.", (double)m.out);
	}
	put_one(&b, "herd_records_rejected", "Input lines rejected in the run.", (double)reject_count());
	/* Program gauges, each family's samples together in first-set order. */
	for (size_t i = 0; i < m.n; i++) {
		if (!m.s[i].help)
			continue;
		put_family(&b, m.s[i].name, m.s[i].help);
		for (size_t j = i; j < m.n; j++)
			if (strcmp(m.s[j].name, m.s[i].name) == 0)
				put_sample(&b, m.s[j].name, m.s[j].label, m.s[j].value, m.s[j].v);
	}

	if (herd_write_atomic(m.path, b.p, b.len) < 0) {
		log_error("--prometheus: cannot write %s:", m.path);
		rc = -1;
	}
	buf_free(&b);
	return rc;
}
