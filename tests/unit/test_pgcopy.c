/*
 * test_pgcopy.c — the PostgreSQL COPY writer (src/store/pgcopy.c) without
 * a server: the field escaper against a reference decoder written from
 * PostgreSQL's COPY text-format rules, value formatting (reals read back
 * exactly), the checks that keep rows PostgreSQL would refuse out of the
 * files, run ids, and a run's files on disk (temporary names, renames,
 * markers, a taken id). tests/pg/check-pgcopy.sh loads the files into a
 * real server.
 */
#include "lib/buf.h"
#include "lib/jsonx.h"
#include "lib/util.h"
#include "store/pgcopy.h"
#include "store/store.h"
#include "test.h"

#include <dirent.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pgcopy_decode.h"

/* ---------------------------------------------------------------- escaping */

static const struct {
	const char *in, *out, *what;
} escapes[] = {
	{"", "", "an empty string stays empty (not \\N)"},
	{"GME to the moon", "GME to the moon", "plain text passes"},
	{"a\\b", "a\\\\b", "a backslash is doubled"},
	{"\\N", "\\\\N", "the text \\N is not NULL"},
	{"\\.", "\\\\.", "the text \\. is not the end-of-data marker"},
	{"a\tb", "a\\tb", "a tab is \\t"},
	{"line1\nline2", "line1\\nline2", "a newline is \\n"},
	{"cr\r\n", "cr\\r\\n", "a carriage return is \\r"},
	{"\b\f\v", "\\b\\f\\v", "backspace, form feed, vertical tab by name"},
	{"\x01", "\\001", "other control characters in octal"},
	{"\x1b[31m", "\\033[31m", "an escape sequence"},
	{"\x1f\x7f", "\\037\\177", "unit separator and DEL"},
	{"1\x07" "2", "1\\0072", "octal is always three digits, so a digit after it stays a digit"},
	{"\"quoted\" 'single'", "\"quoted\" 'single'", "quotes need nothing"},
	{"\xf0\x9f\x9a\x80 \xe4\xb8\xad\xe6\x96\x87 e\xcc\x81", "\xf0\x9f\x9a\x80 \xe4\xb8\xad\xe6\x96\x87 e\xcc\x81",
	 "UTF-8 (emoji, CJK, a combining accent) passes as it is"},
	{"{\"a\":\"x\\\"y\"}", "{\"a\":\"x\\\\\"y\"}", "JSON text: its backslashes are doubled"},
};

static void test_escape_cases(void)
{
	buf_t b = BUF_INIT;

	for (size_t i = 0; i < sizeof escapes / sizeof escapes[0]; i++) {
		buf_reset(&b);
		store_pgcopy_escape(&b, escapes[i].in, strlen(escapes[i].in));
		CHECK(b.len == strlen(escapes[i].out) && memcmp(b.p ? b.p : "", escapes[i].out, b.len) == 0,
		      "%s: got \"%s\", want \"%s\"", escapes[i].what, b.p ? b.p : "", escapes[i].out);
	}
	buf_free(&b);
}

/* Every byte alone, and random strings: decode(escape(s)) == s, with no
 * raw delimiter, line end or control character in the field. */
static void test_escape_roundtrip(void)
{
	buf_t b = BUF_INIT;
	char s[64], back[64 * 4];
	uint64_t x = 0x9e3779b97f4a7c15u; /* xorshift state: fixed, so failures repeat */
	int bad = 0;

	for (int round = 0; round < 20000; round++) {
		size_t n;

		if (round < 256) { /* every byte but NUL */
			s[0] = (char)(round ? round : 'N');
			n = 1;
		} else {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			n = x % sizeof s;
			for (size_t i = 0; i < n; i++) {
				x ^= x << 13, x ^= x >> 7, x ^= x << 17;
				/* bias towards the interesting bytes */
				s[i] = (char)(x % 4 == 0 ? "\\\t\n\rN.\x01\x7f"[x / 4 % 8] : (int)(x / 4 % 255) + 1);
			}
		}
		buf_reset(&b);
		store_pgcopy_escape(&b, s, n);
		long k = decode(b.p ? b.p : "", b.len, back);
		int ctl = 0;
		for (size_t i = 0; i < b.len; i++)
			ctl |= (unsigned char)b.p[i] < 0x20 || (unsigned char)b.p[i] == 0x7f;
		if (k != (long)n || memcmp(back, s, n) != 0 || ctl || (b.len == 2 && memcmp(b.p, "\\N", 2) == 0)) {
			if (bad++ < 5)
				CHECK(0, "round %d: %zu bytes escape to \"%s\", which decodes to %ld bytes", round, n,
				      b.p ? b.p : "", k);
		}
	}
	CHECK(bad == 0, "every byte and 19744 random strings decode back exactly (%d did not)", bad);
	buf_free(&b);
}

/* ---------------------------------------------------------------- values */

static const char *value_text(const store_value *v)
{
	static buf_t b;

	buf_reset(&b);
	store_pgcopy_value(&b, v);
	return b.p ? b.p : "";
}

static void test_values(void)
{
	store_value v = {0};
	uint64_t x = 0x2545f4914f6cdd1du;
	int bad = 0;

	v.t = STORE_V_NULL;
	CHECK_STR(value_text(&v), "\\N", "NULL is \\N");
	v.t = STORE_V_INT, v.i = -9223372036854775807LL - 1;
	CHECK_STR(value_text(&v), "-9223372036854775808", "the smallest bigint");
	v.t = STORE_V_REAL, v.r = 0.1;
	CHECK_STR(value_text(&v), "0.1", "0.1 is written shortest");
	v.r = 0.1 + 0.2;
	CHECK_STR(value_text(&v), "0.30000000000000004", "0.1 + 0.2 keeps its 17 digits");
	v.r = 93396700;
	CHECK_STR(value_text(&v), "93396700.0", "an integral real");
	v.r = 5e-324;
	CHECK(strtod(value_text(&v), NULL) == 5e-324, "the smallest subnormal reads back (%s)", value_text(&v));
	v.t = STORE_V_TEXT, v.s = "a\tb", v.n = 3;
	CHECK_STR(value_text(&v), "a\\tb", "text is escaped");
	v.s = "", v.n = 0;
	CHECK_STR(value_text(&v), "", "empty text is an empty field");

	/* Random finite doubles (random bit patterns): text reads back equal. */
	v.t = STORE_V_REAL;
	for (int i = 0; i < 100000; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		memcpy(&v.r, &x, sizeof v.r);
		if (v.r != v.r || v.r - v.r != 0) /* NaN, inf: JSON has none */
			continue;
		bad += strtod(value_text(&v), NULL) != v.r;
	}
	CHECK(bad == 0, "100000 random doubles read back exactly (%d did not)", bad);
}

/* ---------------------------------------------------------------- checks */

static json_t *parse(const char *s)
{
	json_t *v = jx_parse(s, strlen(s), NULL, 0);

	if (!v) {
		fprintf(stderr, "bad test JSON: %s\n", s);
		exit(2);
	}
	return v;
}

static const struct {
	const char *rec, *reason; /* reason NULL: PostgreSQL can hold it */
} checks[] = {
	{"{\"kind\":\"post\",\"id\":\"t:1\",\"source\":\"t\",\"type\":\"comment\",\"created_at\":\"2021-01-27T14:03:00Z\","
	 "\"text\":\"tab\\t cr\\r lf\\n bell\\u0007 del\\u007f \\\\ \\\"q\\\" \\ud83d\\ude80\",\"entities\":[\"GME\"]}",
	 NULL},
	{"{\"kind\":\"post\",\"id\":\"t:1\",\"source\":\"t\",\"type\":\"comment\",\"created_at\":\"2021-01-27T14:03:00Z\","
	 "\"text\":\"a\\u0000b\"}",
	 "posts.text holds a NUL character (U+0000), which PostgreSQL cannot store"},
	{"{\"kind\":\"post\",\"id\":\"t:1\",\"source\":\"t\",\"type\":\"comment\",\"created_at\":\"2021-01-27T14:03:00Z\","
	 "\"text\":\"x\",\"entities\":[\"G\\u0000\"]}",
	 "post_entities.entity holds a NUL character (U+0000), which PostgreSQL cannot store"},
	{"{\"kind\":\"event\",\"type\":\"heat\",\"entity\":\"BB\",\"at\":\"2021-01-27T15:00:00Z\",\"key\":\"k\",\"score\":1,"
	 "\"evidence\":{\"note\":\"nul\\u0000here\"}}",
	 "events.evidence holds \\u0000, which PostgreSQL's jsonb cannot store"},
	{"{\"kind\":\"event\",\"type\":\"heat\",\"entity\":\"BB\",\"at\":\"2021-01-27T15:00:00Z\",\"key\":\"k\",\"score\":1,"
	 "\"evidence\":{\"note\":\"a backslash then u0000: \\\\u0000\"}}",
	 NULL},
	{"{\"kind\":\"metric\",\"source\":\"y\",\"entity\":\"GME\",\"at\":\"0000-06-01T00:00:00Z\",\"name\":\"bar\",\"value\":1}",
	 "metrics.at is '0000-06-01T00:00:00Z', outside the years 0001..9999"},
	{"{\"kind\":\"metric\",\"source\":\"y\",\"entity\":\"GME\",\"at\":\"0001-01-01\",\"name\":\"bar\",\"value\":1}", NULL},
};

static void test_checks(void)
{
	store_rows rows;
	char err[256];

	store_rows_init(&rows);
	for (size_t i = 0; i < sizeof checks / sizeof checks[0]; i++) {
		json_t *rec = parse(checks[i].rec);
		int rc;

		store_rows_reset(&rows);
		err[0] = '\0';
		CHECK(store_rows_from_record(&rows, rec, 0, err, sizeof err) == 0, "record %zu is loadable: %s", i, err);
		rc = store_pgcopy_check(&rows, err, sizeof err);
		if (checks[i].reason)
			CHECK(rc < 0 && strcmp(err, checks[i].reason) == 0, "record %zu refused with \"%s\" (got %d, \"%s\")", i,
			      checks[i].reason, rc, rc < 0 ? err : "");
		else
			CHECK(rc == 0, "record %zu accepted (got \"%s\")", i, err);
		json_decref(rec);
	}
	store_rows_free(&rows);
	/* Invalid UTF-8 cannot come through the record reader; build it. */
	store_row row = {.table = STORE_EVENTS};
	store_rows one = {.rows = &row, .n = 1, .cap = 1};
	row.v[0] = (store_value){.t = STORE_V_TEXT, .s = "k\xc3(", .n = 3};
	CHECK(store_pgcopy_check(&one, err, sizeof err) < 0 && strcmp(err, "events.key is not valid UTF-8 (byte 1)") == 0,
	      "invalid UTF-8 is refused with its offset (got \"%s\")", err);
}

static void test_run_ids(void)
{
	static const char *good[] = {"r1", "20210127T140300.123456Z-4242", "shard_3.jan-2021", "A"};
	static const char *bad[] = {"", ".hidden", "-x", "a/b", "../up", "a b", "quote'", "semi;colon",
				    "12345678901234567890123456789012345678901234567890123456789012345"};
	char err[256];

	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
		CHECK(store_pgcopy_valid_run_id(good[i], err, sizeof err), "'%s' is a run id (%s)", good[i], err);
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		CHECK(!store_pgcopy_valid_run_id(bad[i], err, sizeof err), "'%s' is not a run id", bad[i]);
	store_pgcopy_valid_run_id("a/b", err, sizeof err);
	CHECK_STR(err, "'a/b' is not a run id: only letters, digits, '.', '_' and '-'", "the reason names what is allowed");
}

/* ---------------------------------------------------------------- a run on disk */

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	buf_t b = BUF_INIT;
	char chunk[4096];
	size_t n;

	if (!f)
		return NULL;
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
		buf_put(&b, chunk, n);
	fclose(f);
	return b.p ? buf_steal(&b) : xstrdup("");
}

/* The names in dir, sorted, joined by spaces. */
static char *listing(const char *dir)
{
	struct dirent **ents;
	buf_t b = BUF_INIT;
	int n = scandir(dir, &ents, NULL, alphasort);

	for (int i = 0; i < n; i++) {
		if (strcmp(ents[i]->d_name, ".") && strcmp(ents[i]->d_name, ".."))
			buf_printf(&b, "%s%s", b.len ? " " : "", ents[i]->d_name);
		free(ents[i]);
	}
	free(ents);
	return b.p ? buf_steal(&b) : xstrdup("");
}

static void test_run(void)
{
	char tmpl[] = "/tmp/test_pgcopy.XXXXXX", path[512], err[256];
	char *dir = mkdtemp(tmpl), *s;
	store_counts counts[STORE_NTABLES] = {{0}};
	store_pgcopy *pc, *pc2;
	store_rows rows;
	json_t *rec;

	if (!dir) {
		CHECK(0, "mkdtemp");
		return;
	}
	store_rows_init(&rows);
	snprintf(path, sizeof path, "%s/spool", dir);
	pc = store_pgcopy_open(path, "r1", err, sizeof err);
	CHECK(pc != NULL, "a run opens, making its directory (%s)", pc ? "" : err);
	if (!pc)
		return;
	CHECK_STR(store_pgcopy_run_id(pc), "r1", "the run id given is used");
	pc2 = store_pgcopy_open(path, "r1", err, sizeof err);
	CHECK(pc2 != NULL, "the id is free until the run publishes");
	rec = parse("{\"kind\":\"post\",\"id\":\"t:1\",\"source\":\"t\",\"type\":\"comment\",\"created_at\":"
		    "\"2021-01-27T14:03:00Z\",\"text\":\"two\\nlines\",\"entities\":[\"GME\",\"AMC\"]}");
	store_rows_from_record(&rows, rec, 0, err, sizeof err);
	CHECK(store_pgcopy_put(pc, &rows, counts, err, sizeof err) == 0, "a post is written (%s)", err);
	CHECK(counts[STORE_POSTS].inserted == 1 && counts[STORE_POST_ENTITIES].inserted == 2,
	      "counts: 1 post, 2 entity rows (marker not counted)");
	CHECK(store_pgcopy_put(pc2, &rows, counts, err, sizeof err) < 0 &&
		      strstr(err, "/.post_entities.r1.copy.tmp: cannot create: File exists"),
	      "a second writer of the same run id cannot take its files (%s)", err);
	CHECK(store_pgcopy_close(pc2, err, sizeof err) == 0, "… and close discards its run");
	s = listing(path);
	CHECK_STR(s, ".post_entities.r1.copy.tmp .posts.r1.copy.tmp", "while writing, only temporary names exist");
	free(s);
	json_decref(rec);

	rec = parse("{\"kind\":\"post\",\"id\":\"t:1\",\"source\":\"t\",\"type\":\"comment\",\"created_at\":"
		    "\"2021-01-27T15:03:00Z\",\"text\":\"again\"}");
	store_rows_reset(&rows);
	store_rows_from_record(&rows, rec, 0, err, sizeof err);
	CHECK(store_pgcopy_put(pc, &rows, counts, err, sizeof err) == 0, "the same post again, no entities");
	CHECK(store_pgcopy_close(pc, err, sizeof err) == 0, "the run publishes (%s)", err);
	s = listing(path);
	CHECK_STR(s, "load.r1.sql post_entities.r1.copy posts.r1.copy", "after close: the files and the script");
	free(s);
	snprintf(path, sizeof path, "%s/spool/post_entities.r1.copy", dir);
	s = slurp(path);
	CHECK_STR(s, "t:1\t\\N\nt:1\tGME\nt:1\tAMC\nt:1\t\\N\n",
		  "entities: a marker before each record's members; the second record's marker empties the set");
	free(s);
	snprintf(path, sizeof path, "%s/spool/posts.r1.copy", dir);
	s = slurp(path);
	CHECK_STR(s,
		  "t:1\tt\tcomment\t\\N\t2021-01-27T14:03:00Z\t\\N\t\\N\ttwo\\nlines\t\\N\t0\t0\t\\N\t\\N\n"
		  "t:1\tt\tcomment\t\\N\t2021-01-27T15:03:00Z\t\\N\t\\N\tagain\t\\N\t0\t0\t\\N\t\\N\n",
		  "posts: one row per record, in order, escaped");
	free(s);
	snprintf(path, sizeof path, "%s/spool/load.r1.sql", dir);
	s = slurp(path);
	CHECK(s && strstr(s, "\n\\set ON_ERROR_STOP on\nBEGIN;\n") && strstr(s, "\nCOMMIT;\n") &&
		      strstr(s, "\\copy herd_stage_posts (") && strstr(s, "FROM 'posts.r1.copy'") &&
		      strstr(s, "FROM 'post_entities.r1.copy'") && !strstr(s, "scores.r1.copy"),
	      "the script stops on errors, is one transaction, and copies this run's files only");
	free(s);
	json_decref(rec);

	snprintf(path, sizeof path, "%s/spool", dir);
	pc = store_pgcopy_open(path, "r1", err, sizeof err);
	CHECK(!pc && strstr(err, "run id 'r1' is taken (load.r1.sql exists)"), "a published id is refused (%s)", err);
	pc = store_pgcopy_open(path, NULL, err, sizeof err);
	CHECK(pc != NULL, "a run with the default id opens");
	if (pc) {
		const char *id = store_pgcopy_run_id(pc);
		CHECK(strlen(id) > 24 && id[8] == 'T' && id[15] == '.' && id[22] == 'Z' && id[23] == '-' &&
			      atol(id + 24) == (long)getpid(),
		      "the default id is YYYYMMDDTHHMMSS.uuuuuuZ-PID (got %s)", id);
		CHECK(store_pgcopy_close(pc, err, sizeof err) == 0, "a run without rows closes");
		s = listing(path);
		CHECK_STR(s, "load.r1.sql post_entities.r1.copy posts.r1.copy", "… and publishes nothing");
		free(s);
	}
	snprintf(path, sizeof path, "%s/no/such/dir", dir);
	CHECK(!store_pgcopy_open(path, "r2", err, sizeof err) && strstr(err, "cannot create: No such file or directory"),
	      "a directory whose parent is missing is refused (%s)", err);

	store_rows_free(&rows);
	snprintf(path, sizeof path, "rm -rf '%s'", dir);
	if (system(path) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
}

int main(void)
{
	test_escape_cases();
	test_escape_roundtrip();
	test_values();
	test_checks();
	test_run_ids();
	test_run();
	return test_report();
}
