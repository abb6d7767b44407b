/*
 * fuzz_safetensors.c — libFuzzer harness for the safetensors reader
 * (src/bert/safetensors.c, with its header parsed by src/bert/minijson.c):
 * a model file is data from outside, memory-mapped and trusted for sizes.
 *
 * Input: the file's bytes. When safetensors_open accepts them, every
 * tensor must lie inside the file (data + nbytes within the mapping), its
 * nbytes must be numel times its dtype's size, tensors must be sorted by
 * name and found by safetensors_find, and the float ones convert to fp32
 * (into a buffer of exactly numel floats, so ASan sees any overrun).
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
	const uint8_t *base;
	size_t len;

	err[0] = '\0';
	if (!(st = safetensors_open(fuzz_file(data, size), err, sizeof err))) {
		if (!err[0])
			abort(); /* a refusal says why */
		return 0;
	}
	base = safetensors_bytes(st, &len);
	if (len != size)
		abort();
	for (int i = 0; i < safetensors_count(st); i++) {
		const struct safetensors_tensor *t = safetensors_at(st, i);
		const uint8_t *p = t->data;

		if (t->nbytes && (p < base || p + t->nbytes > base + len))
			abort(); /* outside the file */
		if ((size_t)t->numel * dtype_size(t->dtype) != t->nbytes)
			abort();
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
	safetensors_meta(st, "format");
	safetensors_close(st);
	return 0;
}
