/*
 * cuda.cu — the BERT encoder on an NVIDIA GPU, the backend behind cuda.h:
 * BERT and MPNet (positions from 2, no token types, the relative-position
 * bias added to the scores in both attention paths). Weights are
 * uploaded once, as model.c holds them (LoRA adapters already merged), in
 * the chosen precision: the four matrices of each layer in fp32, fp16 or
 * bf16 (tensor cores), everything else (the embedding tables, biases,
 * LayerNorm parameters, MPNet's bias table by head and distance, pooler,
 * classifier) in fp32. Every projection is one cuBLAS GEMM over the
 * packed tokens of the batch (no padding), accumulating in fp32; the
 * kernels of cuda_kernels.cuh fuse what sits between the GEMMs (biases go
 * into the kernel that reads the GEMM's output). The residual stream and
 * the LayerNorm statistics are fp32 in every precision; in fp16/bf16 the
 * LayerNorm kernels also write a copy in that type, the next GEMM's input.
 * Attention in fp16/bf16 is one fused kernel on the packed layout (each
 * sequence attends over its own tokens only); in fp32 (and for head sizes
 * other than 32 and 64) it pads to the batch's longest sequence inside a
 * bounded scratch, chunk by chunk of sequences: scatter, two
 * strided-batched GEMMs around a masked softmax, gather. The outputs are
 * struct bert_out's (out.h), as the CPU backend's: logits, pooled, every
 * layer's mean and the last layer's max pooled here on the GPU, the last
 * hidden states. Measured choices: tests/kernels/<op>.cu.
 *
 * model.c calls it when the device is CUDA. No I/O: a failure comes back
 * in err as "src/bert/cuda.cu:LINE: call: reason". Every CUDA and cuBLAS
 * call goes through CK/CB, and every launch is followed by LAUNCHED().
 */
#include <cublas_v2.h>
#include <type_traits>
#include <cuda_runtime.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern "C" {
#include "bert/cuda.h"
}
#include "bert/positions.h"
#include "bert/cuda_kernels.cuh"

/* Device pointers of one layer; matrices in the GEMM type, vectors fp32.
 * Shapes as in weights.h. */
struct dev_layer {
	void *qkv_w, *attn_out_w, *ffn_in_w, *ffn_out_w; /* (3C, C) (C, C) (I, C) (C, I) */
	float *qkv_b, *attn_out_b, *ffn_in_b, *ffn_out_b; /* (3C) (C) (I) (C) */
	float *ln1_g, *ln1_b, *ln2_g, *ln2_b;             /* (C) */
};

struct bert_cuda {
	struct bert_config cfg;
	enum bert_precision prec;
	cudaDataType_t dt; /* the type of GEMM operands and activations */
	size_t esz;        /* bytes per activation element */
	int max_batch, max_tokens;
	int has_cls;         /* the classifier runs here (else no logits) */
	int tcap;            /* longest sequence accepted: min(max_tokens, P - pos_offset, 512) */
	size_t rcap, scap;   /* attention scratch: padded rows, score elements */
	cudaStream_t st;     /* everything runs on it */
	cublasHandle_t blas; /* bound to st */

	char *wdev;              /* every weight: one allocation */
	struct dev_layer *layer; /* (L), pointers into wdev */
	float *wemb, *pemb, *temb; /* (V, C) (P, C) (C): type 0's row only */
	float *eln_g, *eln_b;      /* (C) */
	float *rel;                /* (NH, 2·(tcap-1) + 1) MPNet's bias by head and distance
				    * (positions.h); NULL for BERT */
	float *pool_w, *pool_b;    /* (C, C) (C); NULL without a pooler */
	float *cls_w, *cls_b;      /* (K, C) (K); NULL without a classifier in
				    * the checkpoint (a head.safetensors head
				    * runs on the host, in model.c) */

	char *adev;                   /* every activation: one allocation */
	float *x;                     /* (N, C) the residual stream, fp32 in every precision */
	void *xh;                     /* (N, C) x in the GEMM type (fp16/bf16; NULL in fp32) */
	void *qkv, *ctx, *tmp, *h;    /* (N, 3C) (N, C) (N, C) (N, I) */
	void *qp, *kp, *vp, *cp;      /* (rcap, C) each: heads padded per sequence */
	float *sc;                    /* (scap) attention scores */
	void *pr;                     /* (scap) attention probabilities */
	float *pool_in, *pooled, *logits; /* (B, C) (B, C) (B, K) */
	float *layer_mean, *last_max; /* (B, L, C) (B, C) */
	int *din;                     /* (B+1 + 2N): offsets, ids, position ids */
	int *hin;                     /* pinned, the same */
	float *hout;                  /* pinned: logits (B, K), pooled (B, C), layer_mean (B, L, C), last_max (B, C) */
	char err[320];
};

/* Rows per 128-thread block of the warp-per-row kernels; the longest
 * sequence (the softmax keeps a row in 16 registers per lane). */
enum { WARP_ROWS = 4, MAX_SEQ = 512 };

/* ---------------------------------------------------------- checks */

/* Writes "file:line: call: reason" into err (the call's name only, up to
 * its parenthesis) and returns -1. */
static int fail(char *err, size_t errlen, const char *file, int line, const char *call, const char *why)
{
	int n = (int)strcspn(call, "(");
	snprintf(err, errlen, "%s:%d: %.*s: %s", file, line, n, call, why);
	return -1;
}

#define CK(call)                                                                                             \
	do {                                                                                                 \
		cudaError_t e_ = (call);                                                                     \
		if (e_ != cudaSuccess)                                                                       \
			return fail(g->err, sizeof g->err, __FILE__, __LINE__, #call, cudaGetErrorString(e_)); \
	} while (0)
#define CB(call)                                                                                               \
	do {                                                                                                   \
		cublasStatus_t s_ = (call);                                                                    \
		if (s_ != CUBLAS_STATUS_SUCCESS)                                                               \
			return fail(g->err, sizeof g->err, __FILE__, __LINE__, #call, cublasGetStatusString(s_)); \
	} while (0)
/* After every kernel launch. */
#define LAUNCHED() CK(cudaGetLastError())
#define TRY(x)                   \
	do {                     \
		if ((x) < 0)     \
			return -1; \
	} while (0)

/* A refusal that is no CUDA error (bad shape, bad batch): message, -1. */
static int refuse(struct bert_cuda *g, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int refuse(struct bert_cuda *g, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(g->err, sizeof g->err, fmt, ap);
	va_end(ap);
	return -1;
}

static unsigned blocks(size_t threads, unsigned per)
{
	return (unsigned)((threads + per - 1) / per);
}

/* ---------------------------------------------------------- probe */

int bert_cuda_probe(char *why, size_t whylen, char *name, size_t namelen)
{
	cudaDeviceProp p;
	cudaError_t e;
	int n = 0;

	if (why && whylen)
		why[0] = '\0';
	if (name && namelen)
		name[0] = '\0';
	e = cudaGetDeviceCount(&n);
	if (e == cudaErrorInsufficientDriver) {
		/* also what a machine without any NVIDIA driver gets */
		if (why)
			snprintf(why, whylen, "no CUDA device: no NVIDIA driver, or one older than this build's CUDA %d.%d",
				 CUDART_VERSION / 1000, CUDART_VERSION % 1000 / 10);
		return 0;
	}
	if (e != cudaSuccess || n == 0) {
		if (why)
			snprintf(why, whylen, "no CUDA device (cudaGetDeviceCount: %s)",
				 e != cudaSuccess ? cudaGetErrorString(e) : "0 devices");
		return 0;
	}
	e = cudaGetDeviceProperties(&p, 0);
	if (e != cudaSuccess) {
		if (why)
			snprintf(why, whylen, "CUDA device 0 unusable (cudaGetDeviceProperties: %s)",
				 cudaGetErrorString(e));
		return 0;
	}
	if (p.major < 8) {
		if (why)
			snprintf(why, whylen, "%s has compute capability %d.%d; this build needs 8.0 or newer", p.name,
				 p.major, p.minor);
		return 0;
	}
	if (name)
		snprintf(name, namelen, "%s", p.name);
	return 1;
}

/* ---------------------------------------------------------- layout */

/* Places tensors in one block, 256-byte aligned: with base NULL it only
 * adds up the size (and hands back NULL pointers). */
struct placer {
	char *base;
	size_t off;
};

static void *place(struct placer *p, size_t bytes)
{
	size_t o = (p->off + 255) & ~(size_t)255;

	p->off = o + bytes;
	return p->base ? p->base + o : NULL;
}

static void layout_weights(struct bert_cuda *g, struct placer *p)
{
	const struct bert_config *c = &g->cfg;
	const size_t C = c->hidden, I = c->intermediate, e = g->esz, f = sizeof(float);

	g->wemb = (float *)place(p, (size_t)c->vocab * C * f);
	g->pemb = (float *)place(p, (size_t)c->max_pos * C * f);
	g->temb = (float *)place(p, C * f);
	g->eln_g = (float *)place(p, C * f);
	g->eln_b = (float *)place(p, C * f);
	g->rel = c->arch == BERT_ARCH_MPNET ? (float *)place(p, (size_t)c->heads * (2 * (g->tcap - 1) + 1) * f) : NULL;
	for (int l = 0; l < c->layers; l++) {
		struct dev_layer *L = &g->layer[l];
		L->qkv_w = place(p, 3 * C * C * e);
		L->attn_out_w = place(p, C * C * e);
		L->ffn_in_w = place(p, I * C * e);
		L->ffn_out_w = place(p, C * I * e);
		L->qkv_b = (float *)place(p, 3 * C * f);
		L->attn_out_b = (float *)place(p, C * f);
		L->ffn_in_b = (float *)place(p, I * f);
		L->ffn_out_b = (float *)place(p, C * f);
		L->ln1_g = (float *)place(p, C * f);
		L->ln1_b = (float *)place(p, C * f);
		L->ln2_g = (float *)place(p, C * f);
		L->ln2_b = (float *)place(p, C * f);
	}
	g->pool_w = g->pool_b = g->cls_w = g->cls_b = NULL;
	if (c->pooling == BERT_POOL_CLS_TANH) {
		g->pool_w = (float *)place(p, C * C * f);
		g->pool_b = (float *)place(p, C * f);
	}
	if (c->labels > 0 && g->has_cls) {
		g->cls_w = (float *)place(p, (size_t)c->labels * C * f);
		g->cls_b = (float *)place(p, (size_t)c->labels * f);
	}
}

static void layout_activations(struct bert_cuda *g, struct placer *p)
{
	const struct bert_config *c = &g->cfg;
	const size_t C = c->hidden, I = c->intermediate, N = g->max_tokens, B = g->max_batch, e = g->esz;
	const size_t L = c->layers;

	g->x = (float *)place(p, N * C * sizeof(float));
	g->xh = g->prec == BERT_FP32 ? NULL : place(p, N * C * e);
	g->qkv = place(p, N * 3 * C * e);
	g->ctx = place(p, N * C * e);
	g->tmp = place(p, N * C * e);
	g->h = place(p, N * I * e);
	g->qp = place(p, g->rcap * C * e);
	g->kp = place(p, g->rcap * C * e);
	g->vp = place(p, g->rcap * C * e);
	g->cp = place(p, g->rcap * C * e);
	g->sc = (float *)place(p, g->scap * sizeof(float));
	g->pr = place(p, g->scap * e);
	g->pool_in = (float *)place(p, B * C * sizeof(float));
	g->pooled = (float *)place(p, B * C * sizeof(float));
	g->logits = (float *)place(p, B * (c->labels > 0 ? c->labels : 1) * sizeof(float));
	g->layer_mean = (float *)place(p, B * L * C * sizeof(float));
	g->last_max = (float *)place(p, B * C * sizeof(float));
	g->din = (int *)place(p, (B + 1 + 2 * N) * sizeof(int));
}

/* ---------------------------------------------------------- upload */

/* Copies n fp32 values to the host image of the device block at the
 * place of dst, converted to the GEMM type when as_gemm_type. */
static void stage(struct bert_cuda *g, char *host, const void *dst, const float *src, size_t n, int as_gemm_type)
{
	char *to = host + ((const char *)dst - g->wdev);

	if (!as_gemm_type || g->prec == BERT_FP32) {
		memcpy(to, src, n * sizeof(float));
	} else if (g->prec == BERT_FP16) {
		__half *h = (__half *)to;
		for (size_t i = 0; i < n; i++)
			h[i] = __float2half_rn(src[i]);
	} else {
		__nv_bfloat16 *h = (__nv_bfloat16 *)to;
		for (size_t i = 0; i < n; i++)
			h[i] = __float2bfloat16_rn(src[i]);
	}
}

static int upload(struct bert_cuda *g, const struct bert_weights *w)
{
	const struct bert_config *c = &g->cfg;
	const size_t C = c->hidden, I = c->intermediate;
	struct placer p = {NULL, 0};
	cudaError_t e;
	char *host;

	layout_weights(g, &p);
	CK(cudaMalloc((void **)&g->wdev, p.off));
	p = {g->wdev, 0};
	layout_weights(g, &p);
	host = (char *)calloc(1, p.off);
	if (!host)
		return fail(g->err, sizeof g->err, __FILE__, __LINE__, "calloc", "out of host memory");
	stage(g, host, g->wemb, w->word_emb, (size_t)c->vocab * C, 0);
	stage(g, host, g->pemb, w->pos_emb, (size_t)c->max_pos * C, 0);
	if (w->type_emb) /* else type 0 adds zeros (calloc) */
		stage(g, host, g->temb, w->type_emb, C, 0);
	stage(g, host, g->eln_g, w->emb_ln_g, C, 0);
	stage(g, host, g->eln_b, w->emb_ln_b, C, 0);
	if (g->rel) /* the CPU's table, made by the same code (positions.h) */
		bert_relpos_fill((float *)(host + ((char *)g->rel - g->wdev)), w->rel_bias, c->heads, g->tcap - 1);
	for (int l = 0; l < c->layers; l++) {
		const struct bert_layer_weights *s = &w->layer[l];
		struct dev_layer *L = &g->layer[l];
		stage(g, host, L->qkv_w, s->qkv_w, 3 * C * C, 1);
		stage(g, host, L->attn_out_w, s->attn_out_w, C * C, 1);
		stage(g, host, L->ffn_in_w, s->ffn_in_w, I * C, 1);
		stage(g, host, L->ffn_out_w, s->ffn_out_w, C * I, 1);
		stage(g, host, L->qkv_b, s->qkv_b, 3 * C, 0);
		stage(g, host, L->attn_out_b, s->attn_out_b, C, 0);
		stage(g, host, L->ffn_in_b, s->ffn_in_b, I, 0);
		stage(g, host, L->ffn_out_b, s->ffn_out_b, C, 0);
		stage(g, host, L->ln1_g, s->ln1_g, C, 0);
		stage(g, host, L->ln1_b, s->ln1_b, C, 0);
		stage(g, host, L->ln2_g, s->ln2_g, C, 0);
		stage(g, host, L->ln2_b, s->ln2_b, C, 0);
	}
	if (g->pool_w) {
		stage(g, host, g->pool_w, w->pool_w, C * C, 0);
		stage(g, host, g->pool_b, w->pool_b, C, 0);
	}
	if (g->cls_w) {
		stage(g, host, g->cls_w, w->cls_w, (size_t)c->labels * C, 0);
		stage(g, host, g->cls_b, w->cls_b, c->labels, 0);
	}
	e = cudaMemcpy(g->wdev, host, p.off, cudaMemcpyHostToDevice);
	free(host);
	if (e != cudaSuccess)
		return fail(g->err, sizeof g->err, __FILE__, __LINE__, "cudaMemcpy", cudaGetErrorString(e));
	return 0;
}

/* ---------------------------------------------------------- new, free */

static int setup(struct bert_cuda *g, const struct bert_config *c, const struct bert_weights *w, int max_batch,
		 int max_tokens)
{
	const int C = c->hidden, NH = c->heads;
	struct placer p = {NULL, 0};
	char why[400], name[256];

	/* what the kernels assume (cuda_kernels.cuh), before any device call */
	if (NH <= 0 || C % NH || C % 8 || (C / NH) % 8 || C > 1024)
		return refuse(g, "CUDA backend needs hidden size <= 1024 and a head size that is a multiple of 8 "
				 "(hidden %d, %d heads)", C, NH);
	if (c->pooling == BERT_POOL_CLS_TANH && !w->pool_w)
		return refuse(g, "pooling is tanh on [CLS] but there are no pooler weights");
	if (c->arch == BERT_ARCH_MPNET && (!w->rel_bias || c->rel_buckets != BERT_RELPOS_BUCKETS || c->pos_offset < 1))
		return refuse(g, "MPNet needs its relative-position bias (%d buckets) and positions from 1 or more",
			      BERT_RELPOS_BUCKETS);
	if (bert_max_tokens(c) < 1)
		return refuse(g, "max_position_embeddings %d leaves no position for a token", c->max_pos);
	if (max_batch < 1 || max_tokens < 1)
		return refuse(g, "max_batch %d and max_tokens %d must be positive", max_batch, max_tokens);
	if (!bert_cuda_probe(why, sizeof why, name, sizeof name))
		return refuse(g, "%s", why);
	g->cfg = *c;
	g->has_cls = c->labels > 0 && w->cls_w;
	g->max_batch = max_batch;
	g->max_tokens = max_tokens;
	g->tcap = max_tokens < bert_max_tokens(c) ? max_tokens : bert_max_tokens(c);
	g->tcap = g->tcap < MAX_SEQ ? g->tcap : MAX_SEQ;
	/* Padded attention rows per chunk: at least the longest sequence, and
	 * a batch of max_tokens real tokens in one chunk when lengths agree.
	 * Scores: one sequence of tcap, or max_tokens rows of up to 128 keys. */
	g->rcap = (size_t)max_tokens;
	{
		size_t one = (size_t)g->tcap * g->tcap, many = (size_t)max_tokens * (g->tcap < 128 ? g->tcap : 128);
		g->scap = (size_t)NH * (one > many ? one : many);
	}
	g->dt = g->prec == BERT_FP32 ? CUDA_R_32F : g->prec == BERT_FP16 ? CUDA_R_16F : CUDA_R_16BF;
	g->esz = g->prec == BERT_FP32 ? 4 : 2;
	g->layer = (struct dev_layer *)calloc(c->layers, sizeof *g->layer);
	if (!g->layer)
		return fail(g->err, sizeof g->err, __FILE__, __LINE__, "calloc", "out of host memory");

	CK(cudaSetDevice(0));
	CK(cudaStreamCreateWithFlags(&g->st, cudaStreamNonBlocking));
	CB(cublasCreate(&g->blas));
	CB(cublasSetStream(g->blas, g->st));
	/* fp32 stays fp32: no TF32, so the fp32 path matches the CPU's. */
	CB(cublasSetMathMode(g->blas, CUBLAS_DEFAULT_MATH));
	TRY(upload(g, w));

	layout_activations(g, &p);
	CK(cudaMalloc((void **)&g->adev, p.off));
	p = {g->adev, 0};
	layout_activations(g, &p);
	CK(cudaMallocHost((void **)&g->hin, ((size_t)max_batch + 1 + 2 * (size_t)max_tokens) * sizeof(int)));
	/* logits, pooled, every layer's mean, the last max */
	const size_t hout = (size_t)max_batch * ((c->labels > 0 ? c->labels : 1) + (size_t)(c->layers + 2) * C);
	CK(cudaMallocHost((void **)&g->hout, hout * sizeof(float)));
	return 0;
}

struct bert_cuda *bert_cuda_new(const struct bert_config *cfg, const struct bert_weights *w,
				enum bert_precision prec, int max_batch, int max_tokens, char *err, size_t errlen)
{
	/* plain calloc: the backend is a shared object that links nothing of herd's */
	struct bert_cuda *g = (struct bert_cuda *)calloc(1, sizeof *g);

	if (!g) {
		snprintf(err, errlen, "bert_cuda_new: out of host memory");
		return NULL;
	}
	g->prec = prec;
	if (setup(g, cfg, w, max_batch, max_tokens) < 0) {
		snprintf(err, errlen, "%s", g->err);
		bert_cuda_free(g);
		return NULL;
	}
	return g;
}

/* Teardown reports nothing: there is no one left to tell, and a sticky
 * error from an earlier failure must not stop the frees. */
void bert_cuda_free(struct bert_cuda *g)
{
	if (!g)
		return;
	if (g->st)
		(void)cudaStreamSynchronize(g->st);
	if (g->blas)
		(void)cublasDestroy(g->blas);
	(void)cudaFree(g->wdev);
	(void)cudaFree(g->adev);
	(void)cudaFreeHost(g->hin);
	(void)cudaFreeHost(g->hout);
	if (g->st)
		(void)cudaStreamDestroy(g->st);
	free(g->layer);
	free(g);
}

/* ---------------------------------------------------------- forward */

/* y (N, OC) = x (N, IC) · W^T, W (OC, IC) row-major; operands of type dt,
 * fp32 accumulation (no TF32 for fp32). In cuBLAS's column-major terms
 * y^T (OC, N) = W (OC, IC) · x^T: W is a column-major (IC, OC), taken
 * transposed. */
static int linear(struct bert_cuda *g, cudaDataType_t dt, const void *W, const void *x, void *y, int N, int OC,
		  int IC)
{
	const float one = 1.f, zero = 0.f;

	CB(cublasGemmEx(g->blas, CUBLAS_OP_T, CUBLAS_OP_N, OC, N, IC, &one, W, dt, IC, x, dt, IC, &zero, y, dt, OC,
			CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT));
	return 0;
}


/* x = LN(x + a + bias)·g + b over N rows, x fp32, and xh = x in T
 * (kernel 4 of layernorm.cu). */
template <typename T>
static int ln_residual(struct bert_cuda *g, float *x, T *xh, const T *a, const float *bias, const float *lg,
		       const float *lb, int N)
{
	const int C = g->cfg.hidden;
	const float eps = g->cfg.ln_eps;
	const unsigned nb = blocks(N, WARP_ROWS), nt = 32 * WARP_ROWS;

	switch ((C / 8 + 31) / 32) {
	case 1: bk_ln_residual_kernel4<T, 1><<<nb, nt, 0, g->st>>>(x, xh, a, bias, lg, lb, N, C, eps); break;
	case 2: bk_ln_residual_kernel4<T, 2><<<nb, nt, 0, g->st>>>(x, xh, a, bias, lg, lb, N, C, eps); break;
	case 3: bk_ln_residual_kernel4<T, 3><<<nb, nt, 0, g->st>>>(x, xh, a, bias, lg, lb, N, C, eps); break;
	default: bk_ln_residual_kernel4<T, 4><<<nb, nt, 0, g->st>>>(x, xh, a, bias, lg, lb, N, C, eps); break;
	}
	LAUNCHED();
	return 0;
}

/* x (fp32) and xh (T) = LN(embeddings) of the packed ids at positions pos. */
template <typename T>
static int embed(struct bert_cuda *g, float *x, T *xh, const int *ids, const int *pos, int N)
{
	const int C = g->cfg.hidden;
	const float eps = g->cfg.ln_eps;
	const unsigned nb = blocks(N, WARP_ROWS), nt = 32 * WARP_ROWS;

	switch ((C / 8 + 31) / 32) {
	case 1: bk_embed_ln_kernel<T, 1><<<nb, nt, 0, g->st>>>(x, xh, ids, pos, g->wemb, g->pemb, g->temb, g->eln_g, g->eln_b, N, C, eps); break;
	case 2: bk_embed_ln_kernel<T, 2><<<nb, nt, 0, g->st>>>(x, xh, ids, pos, g->wemb, g->pemb, g->temb, g->eln_g, g->eln_b, N, C, eps); break;
	case 3: bk_embed_ln_kernel<T, 3><<<nb, nt, 0, g->st>>>(x, xh, ids, pos, g->wemb, g->pemb, g->temb, g->eln_g, g->eln_b, N, C, eps); break;
	default: bk_embed_ln_kernel<T, 4><<<nb, nt, 0, g->st>>>(x, xh, ids, pos, g->wemb, g->pemb, g->temb, g->eln_g, g->eln_b, N, C, eps); break;
	}
	LAUNCHED();
	return 0;
}

/* Each sequence's mean (into mean at stride mstride) and maximum (into
 * max) over its rows of x; either may be NULL (kernel 1 of pool.cu). */
static int seq_mean_max(struct bert_cuda *g, const int *off, int B, float *mean, size_t mstride, float *max)
{
	bk_seq_mean_max_kernel1<<<B, 256, 0, g->st>>>(g->x, off, g->cfg.hidden, mean, mstride, max);
	LAUNCHED();
	return 0;
}

template <typename T>
static int bias_gelu(struct bert_cuda *g, T *h, const float *bias, int N)
{
	const int I = g->cfg.intermediate;
	const size_t n = (size_t)N * I;

	if (I % 8 == 0)
		bk_bias_gelu_kernel<T, true><<<blocks(n / 8, 256), 256, 0, g->st>>>(h, bias, n, I);
	else
		bk_bias_gelu_kernel<T, false><<<blocks(n, 256), 256, 0, g->st>>>(h, bias, n, I);
	LAUNCHED();
	return 0;
}

/* P = masked softmax of the scores g->sc, MPNet's bias added (kernel 2
 * of softmax.cu). */
template <typename T> static int softmax(struct bert_cuda *g, T *P, const int *off, int b0, int Tm, int rows)
{
	const unsigned nb = blocks(rows, WARP_ROWS), nt = 32 * WARP_ROWS;
	const int NH = g->cfg.heads, k = (Tm + 31) / 32, span = g->tcap - 1;
	const float *rel = g->rel;

	if (k <= 1)
		bk_softmax_kernel2<T, 1><<<nb, nt, 0, g->st>>>(g->sc, P, off, b0, NH, Tm, rows, rel, span);
	else if (k <= 2)
		bk_softmax_kernel2<T, 2><<<nb, nt, 0, g->st>>>(g->sc, P, off, b0, NH, Tm, rows, rel, span);
	else if (k <= 4)
		bk_softmax_kernel2<T, 4><<<nb, nt, 0, g->st>>>(g->sc, P, off, b0, NH, Tm, rows, rel, span);
	else if (k <= 8)
		bk_softmax_kernel2<T, 8><<<nb, nt, 0, g->st>>>(g->sc, P, off, b0, NH, Tm, rows, rel, span);
	else
		bk_softmax_kernel2<T, 16><<<nb, nt, 0, g->st>>>(g->sc, P, off, b0, NH, Tm, rows, rel, span);
	LAUNCHED();
	return 0;
}

/* ctx (N, C) = softmax(Q K^T / sqrt(HS)) V per sequence and head, from
 * qkv (N, 3C) + bias (3C), through cuBLAS: sequences go in chunks of Bc
 * that fit the scratch: q, k, v, cp (Bc, NH, Tm, HS) padded to the
 * longest, scores (Bc·NH, Tm, Tm) fp32. The path for fp32 and for what
 * the fused kernel does not take. */
template <typename T>
static int attention_gemm(struct bert_cuda *g, int B, int Tm, const int *off, const float *bias)
{
	const int NH = g->cfg.heads, C = g->cfg.hidden, HS = C / NH;
	const size_t by_rows = g->rcap / Tm, by_scores = g->scap / ((size_t)NH * Tm * Tm);
	const int per = (int)(by_rows < by_scores ? by_rows : by_scores);
	const float scale = 1.f / sqrtf((float)HS), one = 1.f, zero = 0.f;
	const long long sq = (long long)Tm * HS, ss = (long long)Tm * Tm;
	T *q = (T *)g->qp, *k = (T *)g->kp, *v = (T *)g->vp, *cp = (T *)g->cp, *pr = (T *)g->pr;

	for (int b0 = 0; b0 < B; b0 += per) {
		const int Bc = per < B - b0 ? per : B - b0, rows = Bc * NH * Tm;
		bk_attn_scatter_kernel<T><<<blocks((size_t)Bc * Tm * 3 * C / 8, 256), 256, 0, g->st>>>(
			(const T *)g->qkv, bias, off, b0, Bc, Tm, NH, HS, q, k, v);
		LAUNCHED();
		/* scores^T per (b, h): (Tm keys, Tm queries) = K · Q^T, col-major */
		CB(cublasGemmStridedBatchedEx(g->blas, CUBLAS_OP_T, CUBLAS_OP_N, Tm, Tm, HS, &scale, k, g->dt, HS, sq, q,
					      g->dt, HS, sq, &zero, g->sc, CUDA_R_32F, Tm, ss, Bc * NH,
					      CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT));
		TRY(softmax<T>(g, pr, off, b0, Tm, rows));
		/* ctx^T per (b, h): (HS, Tm queries) = V^T · P^T, col-major */
		CB(cublasGemmStridedBatchedEx(g->blas, CUBLAS_OP_N, CUBLAS_OP_N, HS, Tm, Tm, &one, v, g->dt, HS, sq, pr,
					      g->dt, Tm, ss, &zero, cp, g->dt, HS, sq, Bc * NH, CUBLAS_COMPUTE_32F,
					      CUBLAS_GEMM_DEFAULT));
		bk_attn_gather_kernel<T><<<blocks((size_t)Bc * Tm * C / 8, 256), 256, 0, g->st>>>(cp, off, b0, Bc, Tm, NH,
												   HS, (T *)g->ctx);
		LAUNCHED();
	}
	return 0;
}

/* The same with kernel 3 of attention.cu (FlashAttention-2 style), with
 * MPNet's bias when the model has one. */
template <typename T, int HS>
static int attention_fused(struct bert_cuda *g, int B, int Tm, const int *off, const float *bias)
{
	const dim3 grid((Tm + BK_FA_Q - 1) / BK_FA_Q, g->cfg.heads, B);

	const float scale = 1.f / sqrtf((float)HS);

	if (g->rel)
		bk_attention_kernel3<T, HS, true><<<grid, 128, 0, g->st>>>((const T *)g->qkv, bias, off, g->cfg.heads,
									   scale, (T *)g->ctx, g->rel, g->tcap - 1);
	else
		bk_attention_kernel3<T, HS, false><<<grid, 128, 0, g->st>>>((const T *)g->qkv, bias, off, g->cfg.heads,
									    scale, (T *)g->ctx, NULL, 0);
	LAUNCHED();
	return 0;
}

/* fp16/bf16 with HS 32 or 64: the fused kernel; else (fp32, other head
 * sizes) the cuBLAS path. */
template <typename T>
static int attention(struct bert_cuda *g, int B, int Tm, const int *off, const float *bias)
{
	const int HS = g->cfg.hidden / g->cfg.heads;

	if constexpr (!std::is_same<T, float>::value) {
		if (HS == 64)
			return attention_fused<T, 64>(g, B, Tm, off, bias);
		if (HS == 32)
			return attention_fused<T, 32>(g, B, Tm, off, bias);
	}
	return attention_gemm<T>(g, B, Tm, off, bias);
}

/* The encoder over the packed batch already in g->din, then pooling
 * and the classifier into g->pooled/pool_in and g->logits, and the
 * features want asks for into g->layer_mean and g->last_max. */
template <typename T>
static int forward(struct bert_cuda *g, int B, int N, int Tm, const struct bert_out *want)
{
	const struct bert_config *c = &g->cfg;
	const int C = c->hidden, I = c->intermediate, L = c->layers, K = g->has_cls ? c->labels : 0;
	const int *off = g->din, *ids = g->din + B + 1, *pos = g->din + B + 1 + N;
	float *x = g->x;
	T *xh = (T *)g->xh, *qkv = (T *)g->qkv, *ctx = (T *)g->ctx, *tmp = (T *)g->tmp, *h = (T *)g->h;
	/* what the GEMMs read: x itself in fp32, its copy in T otherwise */
	const T *xin = xh ? xh : (const T *)x;
	float *pooled = g->pooled;

	TRY(embed<T>(g, x, xh, ids, pos, N));
	for (int l = 0; l < L; l++) {
		const struct dev_layer *Lw = &g->layer[l];
		TRY(linear(g, g->dt, Lw->qkv_w, xin, qkv, N, 3 * C, C));
		TRY(attention<T>(g, B, Tm, off, Lw->qkv_b));
		TRY(linear(g, g->dt, Lw->attn_out_w, ctx, tmp, N, C, C));
		TRY(ln_residual<T>(g, x, xh, tmp, Lw->attn_out_b, Lw->ln1_g, Lw->ln1_b, N));
		TRY(linear(g, g->dt, Lw->ffn_in_w, xin, h, N, I, C));
		TRY(bias_gelu<T>(g, h, Lw->ffn_in_b, N));
		TRY(linear(g, g->dt, Lw->ffn_out_w, h, tmp, N, C, I));
		TRY(ln_residual<T>(g, x, xh, tmp, Lw->ffn_out_b, Lw->ln2_g, Lw->ln2_b, N));
		if (want->layer_mean)
			TRY(seq_mean_max(g, off, B, g->layer_mean + (size_t)l * C, (size_t)L * C, NULL));
	}
	/* Pooling and head in fp32: (B, C) and (B, K) are small. */
	if (c->pooling == BERT_POOL_MEAN) {
		TRY(seq_mean_max(g, off, B, pooled, C, want->last_max ? g->last_max : NULL));
	} else {
		if (want->last_max)
			TRY(seq_mean_max(g, off, B, NULL, 0, g->last_max));
		bk_cls_gather_kernel<<<B, 256, 0, g->st>>>(x, off, C, g->pool_in);
		LAUNCHED();
		TRY(linear(g, CUDA_R_32F, g->pool_w, g->pool_in, pooled, B, C, C));
		bk_bias_act_kernel<<<blocks((size_t)B * C, 256), 256, 0, g->st>>>(pooled, g->pool_b, B, C, 1);
		LAUNCHED();
	}
	if (K > 0 && want->logits) {
		TRY(linear(g, CUDA_R_32F, g->cls_w, pooled, g->logits, B, K, C));
		bk_bias_act_kernel<<<blocks((size_t)B * K, 256), 256, 0, g->st>>>(g->logits, g->cls_b, B, K, 0);
		LAUNCHED();
	}
	return 0;
}

/* Checks the batch, stages it (ids, offsets, position ids), runs it,
 * brings back what out asks for. */
static int run(struct bert_cuda *g, int B, const int32_t *ids, const int *offsets, const struct bert_out *out)
{
	const struct bert_config *c = &g->cfg;
	const int K = g->has_cls ? c->labels : 0, C = c->hidden, L = c->layers;
	int N, Tm = 0;

	if (out->logits && !K)
		return refuse(g, "logits asked for, but the checkpoint has no classifier to run on the device");

	if (B < 1 || B > g->max_batch)
		return refuse(g, "batch of %d sequences; this model was set up for 1 to %d", B, g->max_batch);
	N = offsets[B];
	if (offsets[0] != 0 || N > g->max_tokens)
		return refuse(g, "batch of %d tokens; this model was set up for at most %d", N, g->max_tokens);
	for (int b = 0; b < B; b++) {
		int len = offsets[b + 1] - offsets[b];
		if (len < 1 || len > g->tcap)
			return refuse(g, "sequence %d has %d tokens: not within 1 and the maximum length", b, len);
		Tm = len > Tm ? len : Tm;
	}
	for (int n = 0; n < N; n++)
		if (ids[n] < 0 || ids[n] >= c->vocab)
			return refuse(g, "token id %d at packed position %d is outside the vocabulary", ids[n], n);

	memcpy(g->hin, offsets, (size_t)(B + 1) * sizeof(int));
	memcpy(g->hin + B + 1, ids, (size_t)N * sizeof(int));
	bert_positions(c, B, ids, offsets, g->hin + B + 1 + N);
	CK(cudaMemcpyAsync(g->din, g->hin, (size_t)(B + 1 + 2 * N) * sizeof(int), cudaMemcpyHostToDevice, g->st));
	switch (g->prec) {
	case BERT_FP32: TRY(forward<float>(g, B, N, Tm, out)); break;
	case BERT_FP16: TRY(forward<__half>(g, B, N, Tm, out)); break;
	case BERT_BF16: TRY(forward<__nv_bfloat16>(g, B, N, Tm, out)); break;
	case BERT_INT8: return refuse(g, "int8 is a CPU precision (model.c keeps such a model on the CPU)");
	}
	/* pinned staging: logits (B, K), pooled (B, C), layer_mean (B, L, C),
	 * last_max (B, C); the hidden states (N, C) straight to the caller */
	float *h_logits = g->hout, *h_pooled = h_logits + (size_t)B * K, *h_mean = h_pooled + (size_t)B * C;
	float *h_max = h_mean + (size_t)B * L * C;
	if (out->logits)
		CK(cudaMemcpyAsync(h_logits, g->logits, (size_t)B * K * sizeof(float), cudaMemcpyDeviceToHost, g->st));
	if (out->pooled)
		CK(cudaMemcpyAsync(h_pooled, g->pooled, (size_t)B * C * sizeof(float), cudaMemcpyDeviceToHost, g->st));
	if (out->layer_mean)
		CK(cudaMemcpyAsync(h_mean, g->layer_mean, (size_t)B * L * C * sizeof(float), cudaMemcpyDeviceToHost,
				   g->st));
	if (out->last_max)
		CK(cudaMemcpyAsync(h_max, g->last_max, (size_t)B * C * sizeof(float), cudaMemcpyDeviceToHost, g->st));
	if (out->hidden)
		CK(cudaMemcpyAsync(out->hidden, g->x, (size_t)N * C * sizeof(float), cudaMemcpyDeviceToHost, g->st));
	CK(cudaStreamSynchronize(g->st));
	if (out->logits)
		memcpy(out->logits, h_logits, (size_t)B * K * sizeof(float));
	if (out->pooled)
		memcpy(out->pooled, h_pooled, (size_t)B * C * sizeof(float));
	if (out->layer_mean)
		memcpy(out->layer_mean, h_mean, (size_t)B * L * C * sizeof(float));
	if (out->last_max)
		memcpy(out->last_max, h_max, (size_t)B * C * sizeof(float));
	return 0;
}

int bert_cuda_forward(struct bert_cuda *g, int B, const int32_t *ids, const int *offsets, const struct bert_out *out,
		      char *err, size_t errlen)
{
	if (run(g, B, ids, offsets, out) < 0) {
		snprintf(err, errlen, "%s", g->err);
		return -1;
	}
	return 0;
}
