/*
 * safetensors.h — reads a .safetensors file (Hugging Face's format: an
 * 8-byte little-endian header length, a JSON header naming each tensor's
 * dtype, shape and byte span, then the raw bytes). The file is
 * memory-mapped; nothing is copied until the caller converts a tensor to
 * fp32 (F32, F16, BF16 and F64 convert; the other dtypes are understood,
 * so their spans are checked, but not converted).
 *
 * Every malformed file is an error with the path and the reason, never a
 * crash: header length beyond the file, bad JSON, unknown dtype, a shape
 * whose size times the dtype's does not equal the span, offsets outside
 * the data or overlapping another tensor, duplicate names. model.c is the
 * caller; safetensors_write is for herd-train's head files.
 */
#ifndef HERD_BERT_SAFETENSORS_H
#define HERD_BERT_SAFETENSORS_H

#include <stddef.h>
#include <stdint.h>

#define SAFETENSORS_MAX_DIMS 8

enum safetensors_dtype {
	ST_F64, ST_F32, ST_F16, ST_BF16, ST_F8_E4M3, ST_F8_E5M2,
	ST_I64, ST_I32, ST_I16, ST_I8, ST_U64, ST_U32, ST_U16, ST_U8, ST_BOOL,
};

struct safetensors_tensor {
	const char *name;
	enum safetensors_dtype dtype;
	int ndim;
	int64_t shape[SAFETENSORS_MAX_DIMS];
	int64_t numel;       /* product of shape (1 for a scalar) */
	const void *data;    /* into the mapping; not aligned in general */
	size_t nbytes;
};

typedef struct safetensors safetensors;

/* Map and check path. NULL with "path: reason" in err on failure. Close
 * with safetensors_close (NULL is a no-op), which unmaps every tensor. */
safetensors *safetensors_open(const char *path, char *err, size_t errlen);
void safetensors_close(safetensors *st);
int safetensors_count(const safetensors *st);
const struct safetensors_tensor *safetensors_at(const safetensors *st, int i); /* sorted by name */
const struct safetensors_tensor *safetensors_find(const safetensors *st, const char *name);
/* A string of the header's "__metadata__", or NULL. */
const char *safetensors_meta(const safetensors *st, const char *key);
const char *safetensors_dtype_name(enum safetensors_dtype d);
/* "[768, 3072]": t's shape as messages print it. */
void safetensors_shape_str(const struct safetensors_tensor *t, char *buf, size_t len);

/* Convert t to fp32 into dst (t->numel floats). Returns 0, or -1 when
 * its dtype is not a float type (message in err). */
int safetensors_to_f32(const struct safetensors_tensor *t, float *dst, char *err, size_t errlen);

/* Write tensors given in fp32, stored F32 or F16, and string metadata
 * (nmeta key/value pairs, may be 0) to path, atomically (a temporary name,
 * then rename). Returns 0, or -1 with "path: reason" in err (also when a
 * value does not fit F16). */
struct safetensors_out {
	const char *name;
	int ndim;
	int64_t shape[SAFETENSORS_MAX_DIMS];
	const float *data;
	int f16; /* store as F16, rounded to nearest even */
};
int safetensors_write(const char *path, const struct safetensors_out *t, int n, const char *const *meta, int nmeta,
		      char *err, size_t errlen);

#endif
