/*
 * bert_golden.h — what the golden-file tests of src/bert share: paths
 * under the checkout ($HERD_TOP, set by main into golden_top) and the
 * largest difference between our floats and a golden JSON array.
 */
#ifndef HERD_TEST_BERT_GOLDEN_H
#define HERD_TEST_BERT_GOLDEN_H

#include "bert/minijson.h"

#include <math.h>
#include <stdio.h>

static char golden_top[4096];

/* golden_top/rel, in one of 8 rotating buffers. */
static char *path_of(const char *rel)
{
	static char buf[8][4200];
	static int i;
	i = (i + 1) % 8;
	snprintf(buf[i], sizeof buf[i], "%s/%s", golden_top, rel);
	return buf[i];
}

/* max |got[i] - want[i]|, INFINITY when want is not an array of n (or a NaN). */
static double maxdiff_json(const float *got, const struct mjson *want, size_t n)
{
	double md = 0;
	size_t i = 0;
	if (!want || want->type != MJSON_ARRAY || want->len != n)
		return INFINITY;
	for (const struct mjson *v = want->child; v; v = v->next, i++) {
		double d = fabs(got[i] - v->num);
		md = d > md || d != d ? d : md;
	}
	return md;
}

#endif
