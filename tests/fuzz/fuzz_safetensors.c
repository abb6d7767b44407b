/*
 * fuzz_safetensors.c — libFuzzer harness for the safetensors reader
 * (src/bert/safetensors.c, with its header parsed by src/bert/minijson.c):
 * a model file is data from outside, memory-mapped and trusted for sizes.
 *
 * Input: the file's bytes. When safetensors_open accepts them, each
 * tensor's nbytes must be numel times its dtype's size, all of them
 * together must fit in the data part of the file (8 + header length to
 * the end: the spans may not overlap), every byte of them is read (a span
 * past the mapping faults), tensors must be sorted by name and found by
 * safetensors_find, and the float ones convert to fp32 (into a buffer of
 * exactly numel floats, so ASan sees any overrun).
 */
#include "fuzz.h"

#include <string.h>

#include "bert/safetensors.h"

static size_t dtype_size(enum safetensors_dtype d)
{
	switch (d) {
	case ST_F64: case ST_I64: case ST_U64: return 8;
	case ST_F32: case ST_I32: case ST_U32: return 4;
	case ST_F16: case ST_BF16: case ST_I16: case ST_U16: return 2;
	default: return 1;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[512], shape[256];
	safetensors *st;
	uint64_t header = 0, total = 0;
	unsigned sum = 0;

	err[0] = '\0';
	if (!(st = safetensors_open(fuzz_file(data, size), err, sizeof err))) {
		if (!err[0])
			abort(); /* a refusal says why */
		return 0;
	}
	if (size < 8)
		abort(); /* accepted without a header length */
	for (int i = 7; i >= 0; i--)
		header = header << 8 | data[i];
	for (int i = 0; i < safetensors_count(st); i++) {
		const struct safetensors_tensor *t = safetensors_at(st, i);
		const volatile uint8_t *p = t->data;

		if ((size_t)t->numel * dtype_size(t->dtype) != t->nbytes)
			abort();
		total += t->nbytes;
		for (size_t k = 0; k < t->nbytes; k++)
			sum += p[k];
		if (i && strcmp(safetensors_at(st, i - 1)->name, t->name) >= 0)
			abort(); /* sorted, no duplicates */
		if (safetensors_find(st, t->name) != t)
			abort();
		safetensors_shape_str(t, shape, sizeof shape);
		if (t->dtype == ST_F32 || t->dtype == ST_F16 || t->dtype == ST_BF16 || t->dtype == ST_F64) {
			float *f = malloc((size_t)t->numel * sizeof *f + 1);
			if (!f || safetensors_to_f32(t, f, err, sizeof err) != 0)
				abort();
			free(f);
		}
	}
	if (header > size - 8 || total > size - 8 - header)
		abort(); /* the tensors claim more bytes than the file's data part holds */
	(void)sum;
	safetensors_meta(st, "format");
	safetensors_close(st);
	return 0;
}
