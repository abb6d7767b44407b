/*
 * cli.h — command-line handling shared by every herd program: the common
 * options (--help, --version, --log-format, --prometheus, --quiet, --verbose,
 * and for filters --rejects, --max-rejects, --strict), getopt_long with errors in
 * herd's voice, and typed option values that name the option at fault
 * ("herd-score: --batch: 'x' is not an integer").
 *
 * Settings live in the global `cli`, read by the reject and progress code.
 */
#ifndef HERD_CLI_H
#define HERD_CLI_H

#include <getopt.h>
#include <stdint.h>

enum {
	CLI_LOG_FORMAT = 1000,
	CLI_REJECTS,
	CLI_MAX_REJECTS,
	CLI_STRICT,
	CLI_METRICS,
	CLI_FIRST_PROGRAM_OPTION = 1100, /* programs number their own from here */
};

#define CLI_COMMON_LONGOPTS                                      \
	{"help", no_argument, NULL, 'h'},                        \
	{"version", no_argument, NULL, 'V'},                     \
	{"log-format", required_argument, NULL, CLI_LOG_FORMAT}, \
	{"prometheus", required_argument, NULL, CLI_METRICS},    \
	{"metrics", required_argument, NULL, CLI_METRICS},       \
	{"quiet", no_argument, NULL, 'q'},                       \
	{"verbose", no_argument, NULL, 'v'}

#define CLI_REJECT_LONGOPTS                                        \
	{"rejects", required_argument, NULL, CLI_REJECTS},         \
	{"max-rejects", required_argument, NULL, CLI_MAX_REJECTS}, \
	{"strict", no_argument, NULL, CLI_STRICT}

/* Help text for the options above, for programs to paste into --help. */
#define CLI_COMMON_HELP                                                          \
	"  -q, --quiet             no progress, warnings only\n"                     \
	"  -v, --verbose           debug messages on stderr\n"                       \
	"      --log-format F      text (default) or json: one JSON object per line\n" \
	"      --prometheus FILE   at exit, write the run's Prometheus metrics to FILE\n" \
	"                          (old spelling: --metrics)\n"                         \
	"  -h, --help              show this help and exit\n"                        \
	"  -V, --version           show the version and exit\n"
#define CLI_REJECT_HELP                                                              \
	"      --rejects FILE      append each rejected input line, verbatim, to FILE\n" \
	"      --max-rejects N     exit 0 even with up to N rejected lines (default 0)\n" \
	"      --strict            stop at the first bad line (exit 1)\n"

struct cli_settings {
	const char *rejects_path; /* --rejects, or NULL */
	long max_rejects;         /* --max-rejects */
	int strict;               /* --strict */
	int quiet;                /* --quiet: no progress */
};
extern struct cli_settings cli;

/* Start a program: set its name for messages. */
void cli_init(int argc, char **argv);
/* getopt_long that reports unknown options and missing arguments as usage
 * errors (exit 2). shortopts need not start with ':'. */
int cli_getopt(int argc, char **argv, const char *shortopts, const struct option *longopts);
/* Handle a common option: returns 1 if c was one (exits for -h/-V).
 * usage is the program's full --help text (printed to stdout). */
int cli_common_option(int c, const char *arg, const char *usage);

/* Typed option values; each exits with a usage error naming opt. */
long cli_long(const char *opt, const char *arg, long lo, long hi);
double cli_double(const char *opt, const char *arg, double lo, double hi);
int64_t cli_duration(const char *opt, const char *arg); /* "15m" → 900 */
int64_t cli_time(const char *opt, const char *arg);     /* any htime_parse form */
/* A wait or a timeout in seconds, fractions allowed: 500ms, 2s, 1.5m, 1h;
 * a bare number is seconds (the old spelling of herd-alert's options). */
double cli_seconds(const char *opt, const char *arg, double lo, double hi);
/* The index of arg among names (NULL-terminated); anything else is a usage
 * error listing them: cli_choice("--pass", "some", (const char *const[])
 * {"other", "all", "none", NULL}) says "--pass: 'some' is not other, all
 * or none". */
int cli_choice(const char *opt, const char *arg, const char *const *names);

/* --pass WHAT of the filters that consume some kinds and pass others on
 * (herd-aggregate, herd-detect): the input records copied to the output. */
enum cli_pass { CLI_PASS_OTHER, CLI_PASS_ALL, CLI_PASS_NONE };
extern const char *const cli_pass_names[]; /* other, all, none: in enum order */

#endif
