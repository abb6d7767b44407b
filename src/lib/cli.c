/*
 * cli.c — shared option handling; see cli.h.
 */
#include "cli.h"
#include "buf.h"
#include "htime.h"
#include "log.h"
#include "metrics.h"
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct cli_settings cli;

/* The names log_set_format knows, for --log-format. */
static const char *const log_formats[] = {"text", "json", NULL};

void cli_init(int argc, char **argv)
{
	(void)argc;
	herd_set_prog(argv[0]);
	memset(&cli, 0, sizeof cli);
}

int cli_getopt(int argc, char **argv, const char *shortopts, const struct option *longopts)
{
	char spec[128];
	int c;

	snprintf(spec, sizeof spec, ":%s", shortopts[0] == ':' ? shortopts + 1 : shortopts);
	opterr = 0;
	c = getopt_long(argc, argv, spec, longopts, NULL);
	if (c == '?') {
		if (optopt)
			log_usage("unknown option '-%c'", optopt);
		log_usage("unknown option '%s'", argv[optind - 1]);
	}
	if (c == ':') {
		/* Name the option as it was typed: getopt sets optopt to a long
		 * option's short twin ('b' for --batch). */
		if (strncmp(argv[optind - 1], "--", 2) == 0 || !optopt || optopt >= 256)
			log_usage("option '%s' needs a value", argv[optind - 1]);
		log_usage("option '-%c' needs a value", optopt);
	}
	return c;
}

int cli_common_option(int c, const char *arg, const char *usage)
{
	switch (c) {
	case 'h':
		fputs(usage, stdout);
		exit(herd_close_stdout());
	case 'V':
		herd_print_version();
	case 'q':
		cli.quiet = 1;
		log_set_level(LOG_WARN);
		return 1;
	case 'v':
		log_set_level(LOG_DEBUG);
		return 1;
	case CLI_LOG_FORMAT:
		log_set_format(log_formats[cli_choice("--log-format", arg, log_formats)]);
		return 1;
	case CLI_METRICS:
		metrics_open(arg);
		return 1;
	case CLI_REJECTS:
		cli.rejects_path = arg;
		return 1;
	case CLI_MAX_REJECTS:
		cli.max_rejects = cli_long("--max-rejects", arg, 0, __LONG_MAX__);
		return 1;
	case CLI_STRICT:
		cli.strict = 1;
		return 1;
	}
	return 0;
}

long cli_long(const char *opt, const char *arg, long lo, long hi)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(arg, &end, 10);
	if (end == arg || *end != '\0' || errno)
		log_usage("%s: '%s' is not an integer", opt, arg);
	if (v < lo || v > hi)
		log_usage("%s: %ld is out of range [%ld, %ld]", opt, v, lo, hi);
	return v;
}

double cli_double(const char *opt, const char *arg, double lo, double hi)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(arg, &end);
	if (end == arg || *end != '\0' || errno || v != v)
		log_usage("%s: '%s' is not a number", opt, arg);
	if (v < lo || v > hi)
		log_usage("%s: %g is out of range [%g, %g]", opt, v, lo, hi);
	return v;
}

int64_t cli_duration(const char *opt, const char *arg)
{
	int64_t v = htime_parse_duration(arg);

	if (v < 0)
		log_usage("%s: '%s' is not a duration (like 90s, 15m, 1h, 7d)", opt, arg);
	return v;
}

const char *const cli_pass_names[] = {"other", "all", "none", NULL};

double cli_seconds(const char *opt, const char *arg, double lo, double hi)
{
	static const struct { const char *unit; double secs; } units[] = {
		{"", 1}, {"s", 1}, {"ms", 0.001}, {"m", 60}, {"h", 3600}, {"d", 86400}};
	char *end;
	double v;

	errno = 0;
	v = strtod(arg, &end);
	if (end != arg && !errno && isfinite(v) && v >= 0 && !isalpha((unsigned char)*arg)) {
		for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
			if (strcmp(end, units[i].unit) == 0) {
				v *= units[i].secs;
				if (v < lo || v > hi)
					log_usage("%s: %s is out of range [%gs, %gs]", opt, arg, lo, hi);
				return v;
			}
		}
	}
	log_usage("%s: '%s' is not a duration (like 500ms, 20s, 1.5m, 1h)", opt, arg);
}

int64_t cli_time(const char *opt, const char *arg)
{
	int64_t t;

	if (htime_parse(arg, &t) < 0)
		log_usage("%s: '%s' is not a time (like 2021-01-27T14:03:00Z)", opt, arg);
	return t;
}

int cli_choice(const char *opt, const char *arg, const char *const *names)
{
	buf_t list = BUF_INIT;
	int n = 0;

	for (; names[n]; n++)
		if (strcmp(names[n], arg) == 0)
			return n;
	for (int i = 0; i < n; i++)
		buf_printf(&list, "%s%s", i == 0 ? "" : i == n - 1 ? " or " : ", ", names[i]);
	log_usage("%s: '%s' is not %s", opt, arg, list.p ? list.p : "anything");
}
