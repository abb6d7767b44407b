/*
 * fuzz_pgcopy.c — libFuzzer harness for herd-load's PostgreSQL landing:
 * records from outside become table rows (src/store/store.c) and each
 * value a COPY text-format field (src/store/pgcopy.c's escaper and value
 * formatter), the bytes psql will read.
 *
 * Input: one control byte (bit 0: keep raw records), then NDJSON. Each
 * line that parses and that store_rows_from_record accepts, and that
 * store_pgcopy_check lets through, has every value written as a field;
 * then, besides sanitizer reports:
 *   - a field holds no tab, line end or other control byte, and is "\N"
 *     exactly when the value is NULL;
 *   - read back by the reference decoder written from PostgreSQL's COPY
 *     text rules (tests/unit/pgcopy_decode.h, shared with the unit test),
 *     text gives the same bytes, integers the same number, reals the same
 *     double;
 *   - no NOT NULL column holds NULL.
 */
#include "fuzz.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/jsonx.h"
#include "lib/ndjson.h"
#include "store/pgcopy.h"
#include "store/store.h"

#include "../unit/pgcopy_decode.h"

static void fail(const char *what, const char *field, size_t n)
{
	fprintf(stderr, "fuzz_pgcopy: %s: field \"%.*s\"\n", what, (int)(n > 300 ? 300 : n), field);
	abort();
}

static void check_value(const store_value *v, int notnull, buf_t *b, char **back, size_t *cap)
{
	long n;

	buf_reset(b);
	store_pgcopy_value(b, v);
	for (size_t i = 0; i < b->len; i++)
		if ((unsigned char)b->p[i] < 0x20 || b->p[i] == 0x7f)
			fail("a control byte in a field", b->p, b->len);
	if ((v->t == STORE_V_NULL) != (b->len == 2 && memcmp(b->p, "\\N", 2) == 0))
		fail("\\N is not exactly NULL", b->p, b->len);
	if (v->t == STORE_V_NULL) {
		if (notnull)
			fail("NULL in a NOT NULL column", b->p, b->len);
		return;
	}
	if (*cap < b->len + 1) {
		*cap = 2 * b->len + 1;
		*back = realloc(*back, *cap);
		if (!*back)
			abort();
	}
	if ((n = decode(b->p, b->len, *back)) < 0)
		fail("a raw tab or line end in a field", b->p, b->len);
	(*back)[n] = '\0';
	switch (v->t) {
	case STORE_V_TEXT:
		if ((size_t)n != v->n || memcmp(*back, v->s, v->n) != 0)
			fail("text does not decode to its bytes", b->p, b->len);
		break;
	case STORE_V_INT:
		if (strtoll(*back, NULL, 10) != v->i)
			fail("an integer does not read back", b->p, b->len);
		break;
	case STORE_V_REAL:
		if (strtod(*back, NULL) != v->r && !(v->r != v->r))
			fail("a real does not read back to the same double", b->p, b->len);
		break;
	default:
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char *back;
	static size_t cap;
	ndjson_reader *r;
	store_rows rows;
	buf_t b;
	char *line, err[512];
	size_t len;

	if (size < 1)
		return 0;
	if (!(r = ndjson_open(fuzz_file(data + 1, size - 1))))
		abort();
	store_rows_init(&rows);
	buf_init(&b);
	while (ndjson_read(r, &line, &len) > 0) {
		json_t *rec = jx_parse(line, len, err, sizeof err);

		if (!rec)
			continue;
		store_rows_reset(&rows);
		err[0] = '\0';
		if (store_rows_from_record(&rows, rec, data[0] & 1 ? STORE_KEEP_RAW : 0, err, sizeof err) < 0 ||
		    store_pgcopy_check(&rows, err, sizeof err) < 0) {
			if (!err[0])
				abort(); /* a refusal says why */
			json_decref(rec);
			continue;
		}
		for (int i = 0; i < rows.n; i++) {
			const struct store_table *t = &store_tables[rows.rows[i].table];
			for (int c = 0; c < t->ncols; c++)
				check_value(&rows.rows[i].v[c], t->cols[c].notnull, &b, &back, &cap);
		}
		json_decref(rec);
	}
	store_rows_free(&rows);
	buf_free(&b);
	ndjson_close(r);
	return 0;
}
