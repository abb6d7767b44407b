/*
 * fuzz_csv.c — libFuzzer harness for CSV import: the record reader
 * (src/sources/csvread.c over libcsv: quoting, multi-line fields, BOM,
 * latin1, NUL and invalid UTF-8 checks) and the column mapping that makes
 * post and metric records (src/sources/csvimport.c), as herd-import runs
 * them.
 *
 * Input: one control byte, then the CSV file. The control byte picks the
 * delimiter (, tab ; |), latin1 or UTF-8, header or none, and one of four
 * mappings modelled on the real files herd-import is shown with (by
 * column number, so any header binds): the StockerBot tweets, the
 * per-ticker Reddit comments with VADER columns and a date in the file
 * name, the WSB submissions, and a daily mentions table as metrics.
 * Besides sanitizer reports, a record handed out must have its line
 * number moving forward and its raw bytes present, and every record
 * csvimp_row makes must be an object with a "kind".
 */
#include "fuzz.h"

#include <jansson.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/ndjson.h"
#include "sources/csvimport.h"
#include "sources/csvread.h"

#define MAX_OUT 16

struct preset {
	enum csvimp_kind kind;
	const char *map, *value;
	int date_from_filename;
};

static const struct preset presets[4] = {
	{CSVIMP_POST, "id=#1,text=#2,created_at=#3,entities=#5,url=#7", NULL, 0},
	{CSVIMP_POST, "text=#3,entities=#2,vader.neg=#4,vader.neu=#5,vader.pos=#6,vader.compound=#7", NULL, 1},
	{CSVIMP_POST, "title=#1,created_at=#2,author=#3,replies=#4,text=#5", NULL, 0},
	{CSVIMP_METRIC, "entity=#1", "neg=#2,mentions=#6", 1},
};
static const unsigned char delims[4] = {',', '\t', ';', '|'};
static csvimp_t *maps[4];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char err[512];

	(void)argc, (void)argv;
	for (int i = 0; i < 4; i++) {
		struct csvimp_opts o = {.kind = presets[i].kind,
					.source = "reddit",
					.community_re = "^[0-9-]+_([a-z]+)_",
					.date_from_filename = presets[i].date_from_filename,
					.interval = presets[i].kind == CSVIMP_METRIC ? "1d" : NULL};
		if (!(maps[i] = csvimp_new(&o, err, sizeof err)) || csvimp_map(maps[i], presets[i].map, err, sizeof err) ||
		    (presets[i].value && csvimp_value(maps[i], presets[i].value, err, sizeof err)) ||
		    csvimp_check(maps[i], err, sizeof err)) {
			fprintf(stderr, "fuzz_csv: preset %d: %s\n", i, err);
			abort();
		}
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct csvr_opts ro;
	csvimp_t *m;
	csvr_t *r;
	csvr_row row;
	json_t *out[MAX_OUT];
	char err[512];
	long last = 0;
	int n, bound;
	buf_t b;

	if (size < 1)
		return 0;
	ro = (struct csvr_opts){.delim = delims[(data[0] >> 2) & 3], .latin1 = data[0] >> 4 & 1,
				.no_header = data[0] >> 5 & 1};
	m = maps[data[0] & 3];
	if (!(r = csvr_open(fuzz_file(data + 1, size - 1), &ro)))
		abort();
	bound = !csvr_header_error(r) && csvimp_bind(m, r, "2021-01-20_wallstreetbets_comments.csv", err, sizeof err) == 0;
	buf_init(&b);
	while (csvr_next(r, &row) > 0) {
		if (row.lineno <= last || !row.raw)
			abort(); /* lines go forward; the raw record is kept for --rejects */
		last = row.lineno;
		for (size_t i = 0; i < row.nfields; i++)
			if (row.field[i][row.len[i]] != '\0')
				abort(); /* fields are NUL-terminated at their length */
		if (!bound || row.err)
			continue;
		n = csvimp_row(m, &row, out, MAX_OUT, err, sizeof err);
		for (int i = 0; i < n; i++) {
			if (!json_is_string(json_object_get(out[i], "kind")))
				abort();
			buf_reset(&b);
			ndjson_dump(&b, out[i]);
			json_decref(out[i]);
		}
	}
	buf_free(&b);
	csvr_close(r);
	return 0;
}
