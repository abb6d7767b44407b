/*
 * matmul.c — projections through oneDNN's matmul primitive, weights
 * packed once, fp32 or bf16 (matmul.h).
 *
 * One primitive per projection shape (IC, OC), made with the rows left
 * to run time (DNNL_RUNTIME_DIM_VAL): the engine's row blocks (cpu.c's
 * gemm_rows, and each batch's last, shorter block) all run on it, so
 * loading a model makes four primitives and no batch makes another. A
 * primitive runs the same code for a block of a given shape whichever
 * worker runs it, so the bytes out do not depend on --threads (issue 18).
 * Each worker has its own stream, bf16 activation buffer and scratchpad
 * (user-managed: oneDNN keeps no state between calls).
 *
 * oneDNN's matmul with fixed rows picks its brgemm kernels, in bf16 ~5%
 * faster per call on an AVX512_BF16 Xeon (88 vs 80-85 GFLOP/s, one
 * thread), in fp32 about level (scripts/bench-dnnl-matmul.sh), but would
 * need a primitive per block height, the last block's any of 1..256.
 */
#include "bert/matmul.h"

#include "bert/gemm.h"
#include "lib/util.h"

/* as cpu.c: the conversion loops run ~2x faster at 512 bits where there are */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC target("prefer-vector-width=512")
#endif

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(HERD_GEMM_DNNL)
#include <dnnl.h>
#endif

#define MAX_SHAPES 8 /* a BERT layer has four projection shapes */

/* f to the nearest bf16, ties to even (finite values: the activations
 * and weights are; a NaN may come back as another NaN or ±inf). */
static inline uint16_t to_bf16(float f)
{
	uint32_t u;
	memcpy(&u, &f, sizeof u);
	u += 0x7fffu + ((u >> 16) & 1u);
	return (uint16_t)(u >> 16);
}

static inline float from_bf16(uint16_t h)
{
	uint32_t u = (uint32_t)h << 16;
	float f;
	memcpy(&f, &u, sizeof f);
	return f;
}

float bert_bf16_round(float x)
{
	return from_bf16(to_bf16(x));
}

static void to_bf16_rows(uint16_t *dst, const float *src, size_t n)
{
	for (size_t i = 0; i < n; i++)
		dst[i] = to_bf16(src[i]);
}

void bert_bf16_matmul_ref(float *out, const float *inp, int M, const float *w, int OC, int IC)
{
	for (int i = 0; i < M; i++)
		for (int o = 0; o < OC; o++) {
			double t = 0;
			for (int k = 0; k < IC; k++)
				t += (double)bert_bf16_round(inp[(size_t)i * IC + k]) *
				     (double)bert_bf16_round(w[(size_t)o * IC + k]);
			out[(size_t)i * OC + o] = (float)t;
		}
}

int bert_bf16_supported(char *err, size_t errlen)
{
	const char *off = getenv("HERD_CPU_NO_BF16");

	if (off && *off && strcmp(off, "0") != 0)
		return herd_errf(err, errlen, "--precision bf16 on the CPU needs AVX512_BF16, and HERD_CPU_NO_BF16 is set "
				 "(as on a CPU without it); fp32 and int8 run here");
#if defined(HERD_GEMM_DNNL)
	/* oneDNN's ISA: the CPU's, as far as the OS saves its registers and
	 * ONEDNN_MAX_CPU_ISA lets it go */
	dnnl_cpu_isa_t isa = dnnl_get_effective_cpu_isa();
	if ((isa & dnnl_cpu_isa_avx512_core_bf16) == dnnl_cpu_isa_avx512_core_bf16)
		return 0;
	__builtin_cpu_init();
	if (__builtin_cpu_supports("avx512bf16"))
		return herd_errf(err, errlen, "--precision bf16 on the CPU needs AVX512_BF16: this CPU has it, but oneDNN "
				 "is capped at %s (ONEDNN_MAX_CPU_ISA?)", bert_gemm_dnnl_isa());
	return herd_errf(err, errlen, "--precision bf16 on the CPU needs AVX512_BF16, which this CPU lacks (oneDNN "
			 "finds %s); fp32 and int8 run here", bert_gemm_dnnl_isa());
#else
	return herd_errf(err, errlen, "--precision bf16 on the CPU needs oneDNN's matmul: this build has none "
			 "(make GEMM=dnnl)");
#endif
}

#if defined(HERD_GEMM_DNNL)

struct shape {
	int IC, OC, ldo;
	dnnl_primitive_t prim;  /* out (M, OC) f32, rows ldo apart, = src (M, IC) · weights (IC, OC), M at run time */
	dnnl_memory_desc_t wmd; /* the weights' layout it chose */
	dnnl_memory_desc_t spmd; /* its scratchpad's */
	size_t sp_bytes;         /* and that one's size (0: none) */
	char impl[64];          /* oneDNN's name for the kernel: "gemm:jit", "brg:avx512_core_bf16" */
};

struct bert_mm {
	enum bert_mm_type type;
	dnnl_data_type_t dt; /* of the inputs: f32 or bf16 */
	dnnl_engine_t eng;
	dnnl_stream_t *stream; /* (workers) */
	int workers, max_rows;
	struct shape sh[MAX_SHAPES];
	int nsh;
	uint16_t *act;      /* per worker: (max_rows, max IC) bf16 activations (bf16 only) */
	size_t act_n;       /* its size per worker, in values */
	char *scratch;      /* per worker: the largest scratchpad of the shapes */
	size_t scratch_n;   /* its size per worker, in bytes (64-byte multiple) */
	char info[256];
};

/* oneDNN's status as words, for the messages. */
static const char *dnnl_why(dnnl_status_t s)
{
	switch (s) {
	case dnnl_out_of_memory: return "out of memory";
	case dnnl_invalid_arguments: return "invalid arguments";
	case dnnl_unimplemented: return "no implementation";
	default: return "failed";
	}
}

#define DNNL_TRY(call, what)                                                                                   \
	do {                                                                                                   \
		dnnl_status_t st_ = (call);                                                                    \
		if (st_ != dnnl_success)                                                                       \
			return herd_errf(err, errlen, "matmul: oneDNN %s: %s (status %d)", what, dnnl_why(st_), \
					 (int)st_);                                                            \
	} while (0)

struct bert_mm *bert_mm_new(enum bert_mm_type type, int workers, int max_rows, char *err, size_t errlen)
{
	if (type == BERT_MM_BF16 && bert_bf16_supported(err, errlen) < 0)
		return NULL;
	struct bert_mm *e = xcalloc(1, sizeof *e);
	e->type = type, e->dt = type == BERT_MM_BF16 ? dnnl_bf16 : dnnl_f32;
	e->workers = workers, e->max_rows = max_rows;
	e->stream = xcalloc((size_t)workers, sizeof *e->stream);
	dnnl_status_t st = dnnl_engine_create(&e->eng, dnnl_cpu, 0);
	for (int t = 0; st == dnnl_success && t < workers; t++)
		st = dnnl_stream_create(&e->stream[t], e->eng, dnnl_stream_default_flags);
	if (st != dnnl_success) {
		herd_errf(err, errlen, "oneDNN's CPU engine: %s (status %d)", dnnl_why(st), (int)st);
		bert_mm_free(e);
		return NULL;
	}
	return e;
}

void bert_mm_free(struct bert_mm *e)
{
	if (!e)
		return;
	for (int i = 0; i < e->nsh; i++)
		dnnl_primitive_destroy(e->sh[i].prim);
	for (int t = 0; t < e->workers; t++)
		dnnl_stream_destroy(e->stream[t]);
	dnnl_engine_destroy(e->eng);
	free(e->stream), free(e->act), free(e->scratch);
	free(e);
}

/* The primitive for (IC, OC) writing rows ldo apart: found, or made and
 * added (its impl named in info, the per-worker buffers grown to it). */
static int shape_get(struct bert_mm *e, int IC, int OC, int ldo, char *err, size_t errlen)
{
	for (int i = 0; i < e->nsh; i++)
		if (e->sh[i].IC == IC && e->sh[i].OC == OC && e->sh[i].ldo == ldo)
			return i;
	if (e->nsh == MAX_SHAPES)
		return herd_errf(err, errlen, "matmul: more than %d projection shapes", MAX_SHAPES);
	struct shape *s = &e->sh[e->nsh];
	dnnl_dims_t sd = {DNNL_RUNTIME_DIM_VAL, IC}, wd = {IC, OC}, dd = {DNNL_RUNTIME_DIM_VAL, OC}, ds = {ldo, 1};
	dnnl_memory_desc_t smd, wany, dmd;
	dnnl_matmul_desc_t md;
	dnnl_primitive_attr_t attr = NULL;
	dnnl_primitive_desc_t pd = NULL;
	const char *impl = "?";

	DNNL_TRY(dnnl_memory_desc_init_by_tag(&smd, 2, sd, e->dt, dnnl_ab), "source descriptor");
	DNNL_TRY(dnnl_memory_desc_init_by_tag(&wany, 2, wd, e->dt, dnnl_format_tag_any), "weights descriptor");
	DNNL_TRY(dnnl_memory_desc_init_by_strides(&dmd, 2, dd, dnnl_f32, ds), "output descriptor");
	DNNL_TRY(dnnl_matmul_desc_init(&md, &smd, &wany, NULL, &dmd), "matmul descriptor");
	DNNL_TRY(dnnl_primitive_attr_create(&attr), "attributes");
	dnnl_status_t st = dnnl_primitive_attr_set_scratchpad_mode(attr, dnnl_scratchpad_mode_user);
	if (st == dnnl_success)
		st = dnnl_primitive_desc_create(&pd, &md, attr, e->eng, NULL);
	dnnl_primitive_attr_destroy(attr);
	DNNL_TRY(st, "matmul");
	dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &impl);
	if (strncmp(impl, "ref", 3) == 0) {
		/* oneDNN's plain loops: tens of times slower than sgemm */
		herd_errf(err, errlen, "oneDNN has no %s matmul kernel for this CPU (only '%s')",
			  e->type == BERT_MM_BF16 ? "bf16" : "fp32", impl);
		dnnl_primitive_desc_destroy(pd);
		return -1;
	}
	snprintf(s->impl, sizeof s->impl, "%s", impl);
	s->wmd = *dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0);
	s->spmd = *dnnl_primitive_desc_query_md(pd, dnnl_query_scratchpad_md, 0);
	size_t scratch = s->sp_bytes = dnnl_memory_desc_get_size(&s->spmd);
	st = dnnl_primitive_create(&s->prim, pd);
	dnnl_primitive_desc_destroy(pd);
	DNNL_TRY(st, "matmul primitive");
	s->IC = IC, s->OC = OC, s->ldo = ldo;
	e->nsh++;

	/* the buffers, per worker, 64-byte aligned each */
	size_t act = ((size_t)e->max_rows * (size_t)IC + 31) & ~(size_t)31;
	if (e->type == BERT_MM_BF16 && act > e->act_n) {
		free(e->act);
		e->act_n = act;
		e->act = xaligned(64, sizeof(uint16_t) * act * (size_t)e->workers);
	}
	scratch = (scratch + 63) & ~(size_t)63;
	if (scratch > e->scratch_n) {
		free(e->scratch);
		e->scratch_n = scratch;
		e->scratch = xaligned(64, scratch * (size_t)e->workers);
	}
	/* what runs: each kernel oneDNN picked, once */
	const dnnl_version_t *v = dnnl_version();
	size_t n = (size_t)snprintf(e->info, sizeof e->info, "oneDNN %d.%d matmul ", v->major, v->minor);
	for (int i = 0; i < e->nsh && n < sizeof e->info; i++) {
		int seen = 0;
		for (int j = 0; j < i; j++)
			seen |= strcmp(e->sh[j].impl, e->sh[i].impl) == 0;
		if (!seen)
			n += (size_t)snprintf(e->info + n, sizeof e->info - n, "%s%s", i ? ", " : "", e->sh[i].impl);
	}
	if (n < sizeof e->info)
		snprintf(e->info + n, sizeof e->info - n, " (%s)", bert_gemm_dnnl_isa());
	return e->nsh - 1;
}

/* Pack plain_w, a weight (OC, IC) of the context's input type, into q
 * for the primitive of (IC, OC, ldo). */
static int weight_pack(struct bert_mm *e, struct bert_mm_weight *q, const void *plain_w, int OC, int IC, int ldo,
		       char *err, size_t errlen)
{
	memset(q, 0, sizeof *q);
	int k = shape_get(e, IC, OC, ldo, err, errlen);
	if (k < 0)
		return -1;
	const struct shape *s = &e->sh[k];
	/* w (OC, IC) row-major is (IC, OC) with tag ba: reorder it into the
	 * primitive's layout */
	dnnl_dims_t wd = {IC, OC};
	dnnl_memory_desc_t plain;
	dnnl_memory_t from = NULL, to = NULL;
	dnnl_primitive_desc_t rpd = NULL;
	dnnl_primitive_t r = NULL;

	q->w = xaligned(64, (dnnl_memory_desc_get_size(&s->wmd) + 63) & ~(size_t)63);
	dnnl_status_t st = dnnl_memory_desc_init_by_tag(&plain, 2, wd, e->dt, dnnl_ba);
	if (st == dnnl_success) /* only read */
		st = dnnl_memory_create(&from, &plain, e->eng, (void *)plain_w);
	if (st == dnnl_success)
		st = dnnl_memory_create(&to, &s->wmd, e->eng, q->w);
	if (st == dnnl_success)
		st = dnnl_reorder_primitive_desc_create(&rpd, &plain, e->eng, &s->wmd, e->eng, NULL);
	if (st == dnnl_success)
		st = dnnl_primitive_create(&r, rpd);
	if (st == dnnl_success) {
		dnnl_exec_arg_t args[2] = {{DNNL_ARG_FROM, from}, {DNNL_ARG_TO, to}};
		st = dnnl_primitive_execute(r, e->stream[0], 2, args);
	}
	if (st == dnnl_success)
		st = dnnl_stream_wait(e->stream[0]);
	dnnl_primitive_destroy(r); /* oneDNN's destroy calls take NULL */
	dnnl_primitive_desc_destroy(rpd);
	dnnl_memory_destroy(from);
	dnnl_memory_destroy(to);
	if (st != dnnl_success) {
		bert_mm_weight_free(q);
		return herd_errf(err, errlen, "oneDNN's weight reorder (%d x %d): %s (status %d)", OC, IC,
				 dnnl_why(st), (int)st);
	}
	q->shape = k, q->OC = OC, q->IC = IC;
	return 0;
}

int bert_mm_weight_init(struct bert_mm *e, struct bert_mm_weight *q, const float *w, int OC, int IC, int ldo,
			char *err, size_t errlen)
{
	if (e->type != BERT_MM_BF16)
		return weight_pack(e, q, w, OC, IC, ldo, err, errlen);
	/* bf16: rounded first */
	uint16_t *tmp = xmalloc(sizeof(uint16_t) * (size_t)OC * IC);
	to_bf16_rows(tmp, w, (size_t)OC * IC);
	int rc = weight_pack(e, q, tmp, OC, IC, ldo, err, errlen);
	free(tmp);
	return rc;
}

/* out = src · q's weights, M rows, on worker tid's stream and scratchpad. */
static void run(struct bert_mm *e, int tid, void *out, const void *act, int M, const struct bert_mm_weight *q)
{
	const struct shape *s = &e->sh[q->shape];
	dnnl_dims_t sd = {M, q->IC}, dd = {M, q->OC}, ds = {s->ldo, 1};
	dnnl_memory_desc_t smd, dmd;
	dnnl_memory_t src = NULL, wts = NULL, dst = NULL, sp = NULL;

	/* descriptors of plain layouts and memory objects over our buffers:
	 * nothing here can fail but an allocation of oneDNN's, which aborts
	 * as ours do (lib/util.h) */
	dnnl_status_t st = dnnl_memory_desc_init_by_tag(&smd, 2, sd, e->dt, dnnl_ab);
	st = st ? st : dnnl_memory_desc_init_by_strides(&dmd, 2, dd, dnnl_f32, ds);
	st = st ? st : dnnl_memory_create(&src, &smd, e->eng, (void *)act); /* only read */
	st = st ? st : dnnl_memory_create(&wts, &s->wmd, e->eng, q->w);
	st = st ? st : dnnl_memory_create(&dst, &dmd, e->eng, out);
	if (s->sp_bytes)
		st = st ? st : dnnl_memory_create(&sp, &s->spmd, e->eng, e->scratch + (size_t)tid * e->scratch_n);
	if (st == dnnl_success) {
		dnnl_exec_arg_t args[4] = {
			{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, wts}, {DNNL_ARG_DST, dst}, {DNNL_ARG_SCRATCHPAD, sp}};
		st = dnnl_primitive_execute(s->prim, e->stream[tid], sp ? 4 : 3, args);
		st = st ? st : dnnl_stream_wait(e->stream[tid]);
	}
	dnnl_memory_destroy(src);
	dnnl_memory_destroy(wts);
	dnnl_memory_destroy(dst);
	dnnl_memory_destroy(sp);
	if (st != dnnl_success) {
		fprintf(stderr, "herd: matmul (%d x %d x %d): oneDNN %s (status %d)\n", M, q->IC, q->OC,
			dnnl_why(st), (int)st);
		abort();
	}
}

void bert_mm_run(struct bert_mm *e, int tid, float *out, const float *inp, int M, const struct bert_mm_weight *q)
{
	const void *act = inp;

	if (M <= 0)
		return;
	if (e->type == BERT_MM_BF16)
		to_bf16_rows(e->act + (size_t)tid * e->act_n, inp, (size_t)M * q->IC), act = e->act + (size_t)tid * e->act_n;
	run(e, tid, out, act, M, q);
}

const char *bert_mm_info(const struct bert_mm *e)
{
	return e->info;
}

#else /* no oneDNN: bert_mm_new refuses, nothing else is reached */

struct bert_mm {
	int unused;
};

struct bert_mm *bert_mm_new(enum bert_mm_type type, int workers, int max_rows, char *err, size_t errlen)
{
	(void)type, (void)workers, (void)max_rows;
	if (type == BERT_MM_BF16)
		bert_bf16_supported(err, errlen);
	else
		herd_errf(err, errlen, "oneDNN's matmul: this build has none (make GEMM=dnnl)");
	return NULL;
}

void bert_mm_free(struct bert_mm *e)
{
	free(e);
}

int bert_mm_weight_init(struct bert_mm *e, struct bert_mm_weight *q, const float *w, int OC, int IC, int ldo,
			char *err, size_t errlen)
{
	(void)e, (void)q, (void)w, (void)OC, (void)IC, (void)ldo;
	return herd_errf(err, errlen, "oneDNN's matmul: this build has none (make GEMM=dnnl)");
}

void bert_mm_run(struct bert_mm *e, int tid, float *out, const float *inp, int M, const struct bert_mm_weight *q)
{
	(void)e, (void)tid, (void)out, (void)inp, (void)M, (void)q; /* never reached: no context exists */
}

const char *bert_mm_info(const struct bert_mm *e)
{
	(void)e;
	return "none";
}

#endif

void bert_mm_weight_free(struct bert_mm_weight *q)
{
	if (!q)
		return;
	free(q->w);
	memset(q, 0, sizeof *q);
}
