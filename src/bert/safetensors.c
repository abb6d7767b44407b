/*
 * safetensors.c — the safetensors reader (and a small fp32 writer for
 * herd-train's heads). The header is parsed with minijson; every tensor
 * is checked against the file before anyone reads it, so a truncated or
 * hostile file gives a message and never a read outside the mapping.
 */
#include "bert/safetensors.h"

#include "bert/minijson.h"
#include "lib/util.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* A header bigger than this is not a checkpoint (the reference
 * implementation's limit is 100 MB). */
#define SAFETENSORS_MAX_HEADER (100u << 20)

struct safetensors {
	const unsigned char *map; /* the whole file */
	size_t size;
	mjson_doc *header;
	const struct mjson *meta; /* "__metadata__" or NULL */
	struct safetensors_tensor *t; /* sorted by name */
	int n;
};

static const struct {
	const char *name;
	size_t size;
} dtypes[] = {
	[ST_F64] = {"F64", 8},  [ST_F32] = {"F32", 4},  [ST_F16] = {"F16", 2},  [ST_BF16] = {"BF16", 2},
	[ST_F8_E4M3] = {"F8_E4M3", 1}, [ST_F8_E5M2] = {"F8_E5M2", 1},
	[ST_I64] = {"I64", 8},  [ST_I32] = {"I32", 4},  [ST_I16] = {"I16", 2},  [ST_I8] = {"I8", 1},
	[ST_U64] = {"U64", 8},  [ST_U32] = {"U32", 4},  [ST_U16] = {"U16", 2},  [ST_U8] = {"U8", 1},
	[ST_BOOL] = {"BOOL", 1},
};
#define NDTYPES ((int)(sizeof dtypes / sizeof dtypes[0]))

const char *safetensors_dtype_name(enum safetensors_dtype d)
{
	return (int)d >= 0 && (int)d < NDTYPES ? dtypes[d].name : "?";
}

void safetensors_shape_str(const struct safetensors_tensor *t, char *buf, size_t len)
{
	size_t used = (size_t)snprintf(buf, len, "[");
	for (int i = 0; i < t->ndim && used < len; i++)
		used += (size_t)snprintf(buf + used, len - used, "%s%lld", i ? ", " : "", (long long)t->shape[i]);
	if (used < len)
		snprintf(buf + used, len - used, "]");
}

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct safetensors_tensor *)a)->name, ((const struct safetensors_tensor *)b)->name);
}

static int by_offset(const void *a, const void *b)
{
	const struct safetensors_tensor *x = *(const struct safetensors_tensor *const *)a;
	const struct safetensors_tensor *y = *(const struct safetensors_tensor *const *)b;
	const char *p = x->data, *q = y->data;
	return p < q ? -1 : p > q ? 1 : x->nbytes < y->nbytes ? -1 : x->nbytes > y->nbytes;
}

/* Fill t from the header entry v; data spans [0, datalen) of data. */
static int read_entry(struct safetensors_tensor *t, const struct mjson *v, const unsigned char *data,
		      size_t datalen, char *err, size_t errlen)
{
	const char *dt;
	const struct mjson *shape, *off;
	int64_t a, b;

	t->name = v->key;
	if (v->type != MJSON_OBJECT) {
		snprintf(err, errlen, "tensor '%s' is not a JSON object", t->name);
		return -1;
	}
	if (mjson_get_str(v, "dtype", &dt) != 1) {
		snprintf(err, errlen, "tensor '%s' has no \"dtype\" string", t->name);
		return -1;
	}
	int d;
	for (d = 0; d < NDTYPES; d++)
		if (strcmp(dt, dtypes[d].name) == 0)
			break;
	if (d == NDTYPES) {
		snprintf(err, errlen, "tensor '%s' has unknown dtype '%s'", t->name, dt);
		return -1;
	}
	t->dtype = (enum safetensors_dtype)d;
	shape = mjson_get(v, "shape");
	if (!shape || shape->type != MJSON_ARRAY || shape->len > SAFETENSORS_MAX_DIMS) {
		snprintf(err, errlen, "tensor '%s' has no \"shape\" array of at most %d dimensions", t->name,
			 SAFETENSORS_MAX_DIMS);
		return -1;
	}
	t->ndim = 0;
	t->numel = 1;
	for (const struct mjson *s = shape->child; s; s = s->next) {
		if (s->type != MJSON_NUMBER || !s->is_int || s->inum < 0) {
			snprintf(err, errlen, "tensor '%s' has a shape entry that is not a non-negative integer", t->name);
			return -1;
		}
		if (s->inum > 0 && t->numel > INT64_MAX / 8 / s->inum) {
			snprintf(err, errlen, "tensor '%s' has a shape too large for any file", t->name);
			return -1;
		}
		t->shape[t->ndim++] = s->inum;
		t->numel *= s->inum;
	}
	off = mjson_get(v, "data_offsets");
	if (!off || off->type != MJSON_ARRAY || off->len != 2 || off->child->type != MJSON_NUMBER ||
	    !off->child->is_int || off->child->next->type != MJSON_NUMBER || !off->child->next->is_int) {
		snprintf(err, errlen, "tensor '%s' has no \"data_offsets\" pair of integers", t->name);
		return -1;
	}
	a = off->child->inum;
	b = off->child->next->inum;
	if (a < 0 || b < a || (uint64_t)b > datalen) {
		snprintf(err, errlen, "tensor '%s' has data_offsets [%lld, %lld] outside the %zu data bytes of the file",
			 t->name, (long long)a, (long long)b, datalen);
		return -1;
	}
	if ((uint64_t)t->numel * dtypes[d].size != (uint64_t)(b - a)) {
		snprintf(err, errlen,
			 "tensor '%s': shape holds %lld %s values (%llu bytes) but data_offsets span %lld bytes",
			 t->name, (long long)t->numel, dt, (unsigned long long)t->numel * dtypes[d].size,
			 (long long)(b - a));
		return -1;
	}
	t->data = data + a;
	t->nbytes = (size_t)(b - a);
	return 0;
}

static int check(safetensors *st, char *err, size_t errlen)
{
	uint64_t hlen = 0;
	char why[300];

	if (st->size < 8) {
		snprintf(err, errlen, "file of %zu bytes is too short for a safetensors header", st->size);
		return -1;
	}
	for (int i = 7; i >= 0; i--)
		hlen = hlen << 8 | st->map[i];
	if (hlen > st->size - 8) {
		snprintf(err, errlen, "header length %llu runs past the end of the file (%zu bytes): truncated or not "
			 "safetensors", (unsigned long long)hlen, st->size);
		return -1;
	}
	if (hlen > SAFETENSORS_MAX_HEADER) {
		snprintf(err, errlen, "header length %llu is over the %u-byte limit", (unsigned long long)hlen,
			 SAFETENSORS_MAX_HEADER);
		return -1;
	}
	st->header = mjson_parse((const char *)st->map + 8, (size_t)hlen, why, sizeof why);
	if (!st->header) {
		snprintf(err, errlen, "header is not valid JSON (%s)", why);
		return -1;
	}
	const struct mjson *root = mjson_root(st->header);
	if (root->type != MJSON_OBJECT) {
		snprintf(err, errlen, "header is not a JSON object");
		return -1;
	}
	const unsigned char *data = st->map + 8 + hlen;
	size_t datalen = st->size - 8 - (size_t)hlen;
	st->t = xcalloc(root->len ? root->len : 1, sizeof *st->t);
	for (const struct mjson *v = root->child; v; v = v->next) {
		if (strcmp(v->key, "__metadata__") == 0) {
			if (v->type != MJSON_OBJECT) {
				snprintf(err, errlen, "\"__metadata__\" is not an object");
				return -1;
			}
			st->meta = v;
			continue;
		}
		if (strlen(v->key) != v->keylen || v->keylen == 0) {
			snprintf(err, errlen, "a tensor name is empty or holds a NUL byte");
			return -1;
		}
		if (read_entry(&st->t[st->n], v, data, datalen, err, errlen) < 0)
			return -1;
		st->n++;
	}
	qsort(st->t, (size_t)st->n, sizeof *st->t, by_name);
	for (int i = 1; i < st->n; i++)
		if (strcmp(st->t[i - 1].name, st->t[i].name) == 0) {
			snprintf(err, errlen, "tensor '%s' is named twice in the header", st->t[i].name);
			return -1;
		}
	/* No two tensors may share bytes (empty tensors take none). */
	const struct safetensors_tensor **o = xmalloc((size_t)(st->n ? st->n : 1) * sizeof *o);
	int m = 0;
	for (int i = 0; i < st->n; i++)
		if (st->t[i].nbytes)
			o[m++] = &st->t[i];
	qsort(o, (size_t)m, sizeof *o, by_offset);
	for (int i = 1; i < m; i++)
		if ((const char *)o[i]->data < (const char *)o[i - 1]->data + o[i - 1]->nbytes) {
			snprintf(err, errlen, "tensors '%s' and '%s' overlap in the data", o[i - 1]->name, o[i]->name);
			free(o);
			return -1;
		}
	free(o);
	return 0;
}

safetensors *safetensors_open(const char *path, char *err, size_t errlen)
{
	struct stat sb;
	char why[400];
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode)) {
		snprintf(err, errlen, "%s: %s", path, errno ? strerror(errno) : "not a regular file");
		close(fd);
		return NULL;
	}
	safetensors *st = xcalloc(1, sizeof *st);
	st->size = (size_t)sb.st_size;
	if (st->size) {
		void *p = mmap(NULL, st->size, PROT_READ, MAP_PRIVATE, fd, 0);
		if (p == MAP_FAILED) {
			snprintf(err, errlen, "%s: mmap: %s", path, strerror(errno));
			close(fd);
			free(st);
			return NULL;
		}
		st->map = p;
	}
	close(fd);
	if (check(st, why, sizeof why) < 0) {
		snprintf(err, errlen, "%s: %s", path, why);
		safetensors_close(st);
		return NULL;
	}
	return st;
}

void safetensors_close(safetensors *st)
{
	if (!st)
		return;
	if (st->map)
		munmap((void *)st->map, st->size);
	mjson_free(st->header);
	free(st->t);
	free(st);
}

int safetensors_count(const safetensors *st)
{
	return st->n;
}

const struct safetensors_tensor *safetensors_at(const safetensors *st, int i)
{
	return i >= 0 && i < st->n ? &st->t[i] : NULL;
}

const struct safetensors_tensor *safetensors_find(const safetensors *st, const char *name)
{
	struct safetensors_tensor key = {.name = name};
	return bsearch(&key, st->t, (size_t)st->n, sizeof *st->t, by_name);
}

const char *safetensors_meta(const safetensors *st, const char *key)
{
	const char *s;
	return mjson_get_str(st->meta, key, &s) == 1 ? s : NULL;
}

/* IEEE half to float, subnormals, infinities and NaN included. */
static float half_to_float(uint16_t h)
{
	uint32_t sign = (uint32_t)(h & 0x8000) << 16, exp = h >> 10 & 0x1F, man = h & 0x3FF, bits;
	float f;

	if (exp == 0) {
		f = ldexpf((float)man, -24); /* zero or subnormal */
		return sign ? -f : f;
	}
	if (exp == 31)
		bits = sign | 0x7F800000 | man << 13;
	else
		bits = sign | (exp + 112) << 23 | man << 13;
	memcpy(&f, &bits, 4);
	return f;
}

int safetensors_to_f32(const struct safetensors_tensor *t, float *dst, char *err, size_t errlen)
{
	const unsigned char *p = t->data;
	int64_t n = t->numel;

	switch (t->dtype) {
	case ST_F32:
		memcpy(dst, p, (size_t)n * 4); /* little-endian host, as the format is */
		return 0;
	case ST_F16:
		for (int64_t i = 0; i < n; i++) {
			uint16_t h;
			memcpy(&h, p + 2 * i, 2);
			dst[i] = half_to_float(h);
		}
		return 0;
	case ST_BF16:
		for (int64_t i = 0; i < n; i++) {
			uint16_t h;
			uint32_t bits;
			memcpy(&h, p + 2 * i, 2);
			bits = (uint32_t)h << 16;
			memcpy(&dst[i], &bits, 4);
		}
		return 0;
	case ST_F64:
		for (int64_t i = 0; i < n; i++) {
			double d;
			memcpy(&d, p + 8 * i, 8);
			dst[i] = (float)d;
		}
		return 0;
	default:
		snprintf(err, errlen, "tensor '%s' is %s, not a float type (F32, F16, BF16, F64)", t->name,
			 dtypes[t->dtype].name);
		return -1;
	}
}

/* ------------------------------------------------------------ writing */

/* Float to IEEE half, rounded to nearest even; -1 when |f| overflows. */
static int float_to_half(float f, uint16_t *out)
{
	uint32_t x, sign, exp, man;
	memcpy(&x, &f, 4);
	sign = x >> 16 & 0x8000, exp = x >> 23 & 0xFF, man = x & 0x7FFFFF;
	if (exp == 0xFF)
		return -1; /* inf or NaN has no place in a head */
	int e = (int)exp - 127 + 15;
	if (e >= 31)
		return -1;
	if (e <= 0) { /* subnormal half, or zero */
		if (e < -10) {
			*out = (uint16_t)sign;
			return 0;
		}
		man |= 0x800000;
		int shift = 14 - e;
		uint32_t h = man >> shift, rem = man & ((1u << shift) - 1), half = 1u << (shift - 1);
		h += rem > half || (rem == half && (h & 1));
		*out = (uint16_t)(sign | h);
		return 0;
	}
	uint32_t h = (uint32_t)e << 10 | man >> 13, rem = man & 0x1FFF;
	h += rem > 0x1000 || (rem == 0x1000 && (h & 1)); /* a carry into the exponent is right */
	if ((h >> 10) >= 31)
		return -1;
	*out = (uint16_t)(sign | h);
	return 0;
}

static void put_json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

int safetensors_write(const char *path, const struct safetensors_out *t, int n, const char *const *meta, int nmeta,
		      char *err, size_t errlen)
{
	char *hdr = NULL, *tmp;
	size_t hlen = 0;
	FILE *h = open_memstream(&hdr, &hlen);
	uint64_t off = 0;

	fputc('{', h);
	if (nmeta > 0) {
		fputs("\"__metadata__\":{", h);
		for (int i = 0; i < nmeta; i++) {
			if (i)
				fputc(',', h);
			put_json_string(h, meta[2 * i]);
			fputc(':', h);
			put_json_string(h, meta[2 * i + 1]);
		}
		fputc('}', h);
	}
	for (int i = 0; i < n; i++) {
		int64_t numel = 1;
		if (i || nmeta > 0)
			fputc(',', h);
		int es = t[i].f16 ? 2 : 4;
		put_json_string(h, t[i].name);
		fprintf(h, ":{\"dtype\":\"%s\",\"shape\":[", t[i].f16 ? "F16" : "F32");
		for (int d = 0; d < t[i].ndim; d++) {
			fprintf(h, "%s%lld", d ? "," : "", (long long)t[i].shape[d]);
			numel *= t[i].shape[d];
		}
		fprintf(h, "],\"data_offsets\":[%llu,%llu]}", (unsigned long long)off,
			(unsigned long long)(off + (uint64_t)es * (uint64_t)numel));
		off += (uint64_t)es * (uint64_t)numel;
	}
	fputc('}', h);
	while ((ftell(h) + 8) % 8) /* the format pads the header with spaces to 8 bytes */
		fputc(' ', h);
	fclose(h);

	tmp = xmalloc(strlen(path) + 16);
	sprintf(tmp, "%s.tmp%ld", path, (long)getpid());
	FILE *f = fopen(tmp, "wb");
	if (!f) {
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		free(hdr);
		free(tmp);
		return -1;
	}
	unsigned char len8[8];
	for (int i = 0; i < 8; i++)
		len8[i] = (unsigned char)((uint64_t)hlen >> (8 * i));
	fwrite(len8, 1, 8, f);
	fwrite(hdr, 1, hlen, f);
	int range = 0;
	for (int i = 0; i < n; i++) {
		int64_t numel = 1;
		for (int d = 0; d < t[i].ndim; d++)
			numel *= t[i].shape[d];
		if (!t[i].f16) {
			fwrite(t[i].data, 4, (size_t)numel, f);
			continue;
		}
		for (int64_t k = 0; k < numel; k++) {
			uint16_t v = 0;
			if (float_to_half(t[i].data[k], &v) < 0 && !range) {
				range = 1;
				snprintf(err, errlen, "%s: tensor '%s' holds %g, beyond F16's range", path, t[i].name,
					 (double)t[i].data[k]);
			}
			fwrite(&v, 2, 1, f);
		}
	}
	free(hdr);
	if (range) {
		fclose(f);
		unlink(tmp);
		free(tmp);
		return -1;
	}
	int bad = ferror(f);
	if (fclose(f) != 0 || bad || rename(tmp, path) != 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno ? errno : EIO));
		unlink(tmp);
		free(tmp);
		return -1;
	}
	free(tmp);
	return 0;
}
