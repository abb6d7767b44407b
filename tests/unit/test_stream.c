/*
 * test_stream.c — the filter loop and what surrounds it: stream (lines,
 * blanks, bad lines, files that will not open, --strict), reject (the
 * count, the rejects file verbatim, the exit status against
 * --max-rejects), log (text and JSON lines, strerror on a trailing ':'),
 * cli (typed values and usage errors, exit 2) and progress (silent when
 * stderr is not a terminal). Each case runs in a child process, since
 * these modules keep per-process state and some paths exit.
 */
#include "lib/cli.h"
#include "lib/log.h"
#include "lib/progress.h"
#include "lib/reject.h"
#include "lib/stream.h"
#include "lib/util.h"
#include "test.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static char dir[] = "/tmp/herd-test-stream-XXXXXX";

static void write_file(const char *name, const char *data)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	f = fopen(path, "w");
	fputs(data, f);
	fclose(f);
}

/* The whole of a file in dir, or "" (static buffer). */
static const char *read_file(const char *name)
{
	static char buf[8192];
	char path[256];
	FILE *f;
	size_t n = 0;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	buf[0] = '\0';
	if ((f = fopen(path, "r"))) {
		n = fread(buf, 1, sizeof buf - 1, f);
		fclose(f);
	}
	buf[n] = '\0';
	return buf;
}

/* Run fn in a child with stdout and stderr going to files in dir; return
 * its exit status. */
static int in_child(void (*fn)(void), const char *out, const char *err)
{
	pid_t pid = fork();
	int status;

	if (pid == 0) {
		char path[256];
		snprintf(path, sizeof path, "%s/%s", dir, out);
		freopen(path, "w", stdout);
		snprintf(path, sizeof path, "%s/%s", dir, err);
		freopen(path, "w", stderr);
		herd_prog = "herd-test";
		fn();
		exit(99); /* fn must exit */
	}
	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

/* ------------------------------------------------------------ stream */

static int drop_b(stream_t *s, json_t *rec, void *arg)
{
	(void)arg;
	if (json_object_get(rec, "b"))
		return stream_reject(s, "field 'b' is not wanted here");
	stream_emit(s, rec);
	return 0;
}

static stream_t last;

static void run_stream(char **files, int n)
{
	stream_init(&last);
	stream_run(&last, files, n, drop_b, NULL);
	fprintf(stderr, "lines=%ld records=%ld emitted=%ld io=%d\n", last.lines, last.records, last.emitted,
		last.io_error);
	exit(stream_finish(&last) | herd_close_stdout());
}

static char *files[3];

static void case_mixed(void)
{
	static char rej[256];

	snprintf(rej, sizeof rej, "%s/rejects.ndjson", dir);
	cli.rejects_path = rej;
	run_stream(files, 2);
}

static void case_max_rejects(void)
{
	cli.max_rejects = 4;
	run_stream(files, 1);
}

static void case_strict(void)
{
	cli.strict = 1;
	run_stream(files, 1);
}

static void test_stream(void)
{
	char a[256], missing[256];
	int rc;

	write_file("a.ndjson", "{\"a\":1}\n"
			       "\n"
			       "  \t\n"
			       "{\"a\":2,}\n"
			       "[1,2]\n"
			       "{\"b\":1}\n"
			       "{\"s\":\"caf\xff\"}\n"
			       "{\"a\":3}\r\n"
			       "{\"a\":4}");
	snprintf(a, sizeof a, "%s/a.ndjson", dir);
	snprintf(missing, sizeof missing, "%s/missing.ndjson", dir);
	files[0] = missing;
	files[1] = a;

	rc = in_child(case_mixed, "out", "err");
	CHECK(rc == 1, "rejects beyond --max-rejects and a missing file exit 1 (got %d)", rc);
	CHECK_STR(read_file("out"), "{\"a\":1}\n{\"a\":3}\n{\"a\":4}\n", "good records pass, in order");
	CHECK_STR(read_file("rejects.ndjson"), "{\"a\":2,}\n[1,2]\n{\"b\":1}\n{\"s\":\"caf\xff\"}\n",
		  "the rejects file holds each bad line verbatim");
	{
		const char *err = read_file("err");
		CHECK(strstr(err, "herd-test: ") == err, "messages start with the program: %s", err);
		CHECK(strstr(err, "missing.ndjson: No such file or directory\n") != NULL, "a missing file says why");
		CHECK(strstr(err, "a.ndjson:4: invalid JSON at column 8") != NULL, "bad JSON names file, line, column");
		CHECK(strstr(err, "a.ndjson:5: record is a JSON array, not an object") != NULL, "non-object");
		CHECK(strstr(err, "a.ndjson:6: field 'b' is not wanted here") != NULL, "the callback's reason");
		CHECK(strstr(err, "a.ndjson:7: invalid UTF-8 at byte 10") != NULL, "invalid UTF-8 with its byte");
		CHECK(strstr(err, "4 of 7 lines rejected (kept in ") != NULL, "the summary counts non-blank lines");
		CHECK(strstr(err, "lines=7 records=4 emitted=3 io=1") != NULL, "counters: %s", err);
	}

	files[0] = a;
	rc = in_child(case_max_rejects, "out", "err");
	CHECK(rc == 0, "--max-rejects 4 lets 4 rejects pass with status 0 (got %d)", rc);
	CHECK(strstr(read_file("err"), "use --rejects FILE to keep them") != NULL, "the summary suggests --rejects");

	rc = in_child(case_strict, "out", "err");
	CHECK(rc == 1, "--strict exits 1 (got %d)", rc);
	CHECK_STR(read_file("out"), "{\"a\":1}\n", "--strict stops at the first bad line");
}

/* ------------------------------------------------------------ log */

static void case_log_json(void)
{
	log_set_format("json");
	errno = ENOENT;
	log_warn("opening %s \"q\":", "x.ndjson");
	log_debug("not shown at the default level");
	exit(0);
}

static void case_log_text(void)
{
	errno = EACCES;
	log_error("state.db:");
	log_set_level(LOG_DEBUG);
	log_debug("now shown");
	log_fatal(3, "giving up");
}

static void test_log(void)
{
	const char *err;
	int rc;

	rc = in_child(case_log_json, "out", "err");
	err = read_file("err");
	CHECK(rc == 0 && strncmp(err, "{\"ts\":\"", 7) == 0, "JSON log lines start with ts: %s", err);
	CHECK(strstr(err, "\"prog\":\"herd-test\",\"level\":\"warn\",\"msg\":\"opening x.ndjson \\\"q\\\": "
			  "No such file or directory\"}\n") != NULL,
	      "JSON line: escaped message, strerror appended: %s", err);
	CHECK(strstr(err, "not shown") == NULL, "debug is below the default level");

	rc = in_child(case_log_text, "out", "err");
	CHECK(rc == 3, "log_fatal exits with its code (got %d)", rc);
	CHECK_STR(read_file("err"), "herd-test: state.db: Permission denied\nherd-test: now shown\nherd-test: giving up\n",
		  "text lines: program, message, strerror after ':'");
}

/* ------------------------------------------------------------ cli */

static void case_cli_long_bad(void) { cli_long("--batch", "12x", 1, 100); }
static void case_cli_long_range(void) { cli_long("--batch", "0", 1, 100); }
static void case_cli_duration(void) { cli_duration("--lateness", "1y"); }
static void case_cli_time(void) { cli_time("--now", "tomorrow"); }

static void case_cli_getopt(void)
{
	static const struct option longopts[] = {{"batch", required_argument, NULL, 'b'}, CLI_COMMON_LONGOPTS, {0}};
	char *argv[] = {"herd-test", "--batch", "3", "--bogus", NULL};

	while (cli_getopt(4, argv, "b:hVqv", longopts) != -1)
		;
	exit(0);
}

static void case_cli_missing(void)
{
	static const struct option longopts[] = {{"batch", required_argument, NULL, 'b'}, {0}};
	char *argv[] = {"herd-test", "--batch", NULL};

	while (cli_getopt(2, argv, "b:", longopts) != -1)
		;
	exit(0);
}

static void case_cli_help(void)
{
	cli_common_option('h', NULL, "Usage: herd-test\nA test.\n");
}

static void test_cli(void)
{
	static const struct {
		void (*fn)(void);
		const char *want;
	} usage[] = {
		{case_cli_long_bad, "herd-test: --batch: '12x' is not an integer\n"},
		{case_cli_long_range, "herd-test: --batch: 0 is out of range [1, 100]\n"},
		{case_cli_duration, "herd-test: --lateness: '1y' is not a duration (like 90s, 15m, 1h, 7d)\n"},
		{case_cli_time, "herd-test: --now: 'tomorrow' is not a time (like 2021-01-27T14:03:00Z)\n"},
		{case_cli_getopt, "herd-test: unknown option '--bogus'\n"},
		{case_cli_missing, "herd-test: option '--batch' needs a value\n"},
	};

	for (size_t i = 0; i < sizeof usage / sizeof *usage; i++) {
		char want[256];
		int rc = in_child(usage[i].fn, "out", "err");
		snprintf(want, sizeof want, "%sTry 'herd-test --help' for more information.\n", usage[i].want);
		CHECK(rc == 2, "usage error %zu exits 2 (got %d)", i, rc);
		CHECK_STR(read_file("err"), want, "usage error names the option and points to --help");
	}
	CHECK(in_child(case_cli_help, "out", "err") == 0, "--help exits 0");
	CHECK_STR(read_file("out"), "Usage: herd-test\nA test.\n", "--help goes to stdout");
	CHECK(cli_long("--n", "42", 0, 100) == 42, "cli_long reads a value in range");
	CHECK(cli_double("--f", "0.25", 0, 1) == 0.25, "cli_double reads a value in range");
	CHECK(cli_duration("--d", "15m") == 900, "cli_duration reads 15m");
}

/* ------------------------------------------------------------ progress */

static void case_progress(void)
{
	progress_start("records", 1000);
	for (unsigned long long i = 0; i < 200000; i++)
		progress_update(i, i * 5);
	progress_end();
	exit(0);
}

static void test_progress(void)
{
	CHECK(in_child(case_progress, "out", "err") == 0, "progress runs");
	CHECK_STR(read_file("err"), "", "no progress line when stderr is not a terminal (cron, pipes to files)");
}

int main(void)
{
	char cmd[300];

	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	test_stream();
	test_log();
	test_cli();
	test_progress();
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	return test_report();
}
