/*
 * bert.h — herd's BERT inference engine, the small public C API: load a
 * Hugging Face BERT checkpoint directory (config.json, vocab.txt,
 * model.safetensors), tokenize text exactly as Hugging Face's BertTokenizer
 * does, run batches on the CPU or on CUDA, free.
 *
 * src/bert depends on libc, libm, pthreads, the CPU GEMM library, utf8proc
 * and (when built with it) CUDA: it builds alone on a GPU machine. It reads
 * the model directory, and the GEMM library's choice (gemm.h: HERD_GEMM,
 * $XDG_CACHE_HOME/herd/gemm); it writes nothing but that cache and prints
 * nothing (errors come back in err buffers). herd-score and herd-train are
 * its callers.
 *
 * Letters used in every src/bert file:
 *   B = batch size, T = tokens in a sequence, N = tokens in a packed batch,
 *   C = hidden size, NH = heads, HS = C/NH, I = intermediate size,
 *   L = layers, V = vocabulary, P = max positions, K = labels.
 */
#ifndef HERD_BERT_H
#define HERD_BERT_H

#include <stddef.h>
#include <stdint.h>

#define BERT_MAX_LABELS 16
#define BERT_LABEL_LEN 32

/* ---------------------------------------------------------- tokenizer */

typedef struct bert_tokenizer bert_tokenizer;

/* Load vocab.txt (one token per line, id = line number - 1). lowercase: 1
 * for uncased models (lower case + strip accents), as do_lower_case says.
 * BERT's special tokens ([CLS] [SEP] [UNK] [PAD] [MASK]). Returns NULL and
 * a message in err on failure. Free with bert_tokenizer_free (NULL is a
 * no-op). */
bert_tokenizer *bert_tokenizer_load(const char *vocab_path, int lowercase, char *err, size_t errlen);

/* A tokenizer's special tokens by name, as tokenizer_config.json (or
 * special_tokens_map.json) names them: cls starts and sep ends every
 * text, unk replaces what WordPiece cannot match; pad and mask are only
 * recognized in text. BERT: [CLS] [SEP] [UNK] [PAD] [MASK]; MPNet: <s>
 * </s> [UNK] <pad> <mask>. NULL or "" leaves a role out (pad, mask). */
struct bert_special_tokens {
	const char *cls, *sep, *unk, *pad, *mask;
};
#define BERT_SPECIAL_NAME_MAX 32
/* bert_tokenizer_load with these special tokens. cls, sep and unk must be
 * in the vocabulary; the others are recognized when they are. Each is cut
 * out of the raw text wherever it occurs and kept whole. */
bert_tokenizer *bert_tokenizer_load_special(const char *vocab_path, int lowercase, const struct bert_special_tokens *sp,
					    char *err, size_t errlen);
void bert_tokenizer_free(bert_tokenizer *tok);
/* Tokenize text[0..len) (UTF-8) into ids: [CLS] word pieces [SEP] (the
 * tokenizer's cls and sep: "<s> … </s>" for MPNet),
 * truncated to max_len ids in all (max_len >= 2; [SEP] always kept).
 * Returns the number of ids written (<= max_len). Thread-safe. */
int bert_tokenize(const bert_tokenizer *tok, const char *text, size_t len, int max_len, int32_t *ids);
/* The same, without [CLS]/[SEP] or truncation: writes at most cap ids and
 * returns how many word pieces the text has (may exceed cap). */
int bert_wordpieces(const bert_tokenizer *tok, const char *text, size_t len, int32_t *ids, int cap);
/* The token string of id, or NULL when out of range. */
const char *bert_token_str(const bert_tokenizer *tok, int32_t id);
/* The id of a token ("[CLS]", "[SEP]", "[UNK]", "[PAD]"), or -1. */
int32_t bert_token_id(const bert_tokenizer *tok, const char *token);
int bert_vocab_size(const bert_tokenizer *tok);

/* ---------------------------------------------------------- model */

typedef struct bert_model bert_model;

enum bert_device { BERT_DEVICE_AUTO, BERT_DEVICE_CPU, BERT_DEVICE_CUDA };
/* Precision of weights and activations. CUDA: FP32, FP16, BF16. The CPU
 * runs fp32 for FP32 and FP16, its projections in bf16 with BF16 where it
 * has AVX512_BF16 (matmul.h), or in int8 with INT8 (quant.h; CPU only: AUTO
 * then picks the CPU). */
enum bert_precision { BERT_FP32, BERT_FP16, BERT_BF16, BERT_INT8 };
/* How a sequence becomes one vector before the classifier. */
/* The encoder's architecture: config.json's model_type. */
enum bert_arch {
	BERT_ARCH_BERT,  /* "bert": absolute positions from 0, token types */
	BERT_ARCH_MPNET, /* "mpnet": positions from padding_idx + 1 = 2, no token types, a relative-position
			  * bias (T5's buckets, one (buckets, NH) table for all layers) added to the attention scores */
};
enum bert_pooling {
	BERT_POOL_CLS_TANH, /* BertForSequenceClassification: tanh(W·h[CLS] + b) */
	BERT_POOL_MEAN,     /* sentence-transformers: mean of last hidden states over real tokens */
};

struct bert_config {
	enum bert_arch arch;
	int vocab, hidden, layers, heads, intermediate, max_pos, type_vocab;
	int pos_offset;              /* position id of a text's first token: 0 (BERT), 2 (MPNet) */
	int rel_buckets;             /* MPNet: relative_attention_num_buckets (32); 0 for BERT */
	float ln_eps;                /* layer_norm_eps */
	enum bert_pooling pooling;
	int labels;                  /* K; 0 when the checkpoint has no classifier head */
	char label_names[BERT_MAX_LABELS][BERT_LABEL_LEN]; /* from id2label */
	int lowercase;               /* do_lower_case (tokenizer_config.json), default 1 */
	char name[64];               /* directory's base name, or "name" from herd.json */
	char hash[9];                /* first 8 hex digits of SHA-256 of the weights file */
};

struct bert_options {
	enum bert_device device;       /* AUTO: CUDA when a device is present */
	enum bert_precision precision; /* default FP16 on CUDA, fp32 on the CPU; INT8: the CPU's */
	int threads;                   /* CPU threads, 0 = all cores */
	int max_batch;                 /* largest B bert_run will be given (CUDA buffers) */
	int max_len;                   /* largest T, <= bert_max_tokens */
	/* INT8: bert_window_run runs again in fp32 each sequence whose two
	 * likeliest labels int8 puts within this much probability of each
	 * other (a near tie, where int8's rounding can change the label),
	 * and keeps fp32's outputs for it; 0: never (BERT_INT8_RECHECK is
	 * herd-score's default) */
	float int8_recheck;
};

#define BERT_INT8_RECHECK 0.15f

/* The longest sequence (ids) the position table holds: max_pos less
 * pos_offset (512 for BERT's 512 and MPNet's 514). */
static inline int bert_max_tokens(const struct bert_config *c)
{
	return c->max_pos - c->pos_offset;
}

/* Load a model directory. A BertForSequenceClassification checkpoint has
 * its head inside; a BertModel (sentence-transformers) takes its head from
 * head.safetensors beside it when present (herd-train writes it). Returns
 * NULL and a message naming the file and the reason on failure (malformed
 * or truncated safetensors, missing tensor, wrong shape or dtype); errno
 * is then ENOTSUP when the device picked cannot run the precision asked
 * for (bf16 on a CPU without AVX512_BF16: the caller's usage error). Free
 * with bert_free (NULL is a no-op). */
bert_model *bert_load(const char *dir, const struct bert_options *opt, char *err, size_t errlen);
void bert_free(bert_model *m);
const struct bert_config *bert_get_config(const bert_model *m);
const bert_tokenizer *bert_get_tokenizer(const bert_model *m);
/* The device that runs (never AUTO), and a one-line description of it
 * ("cpu: oneDNN 2.6 dnnl_sgemm (avx2): measured 151 vs openblas 141
 * GFLOP/s, cached, 2 threads", "cuda: NVIDIA H100, fp16"). */
enum bert_device bert_get_device(const bert_model *m);
const char *bert_device_info(const bert_model *m);

/* Run B sequences; ids[b] holds lens[b] token ids (from bert_tokenize).
 * Writes, for each output that is not NULL:
 *   logits (B, K), probs (B, K) softmax of logits, pooled (B, C): the
 *   vector before the classifier (pooler output or mean-pooled state).
 * Returns 0, or -1 with a message in err. */
int bert_run(bert_model *m, int B, const int32_t *const *ids, const int *lens, float *logits, float *probs,
	     float *pooled, char *err, size_t errlen);
/* int8's re-check (bert_options.int8_recheck), which bert_window_run
 * makes: does m run int8 with a re-check, and do these probabilities (K,
 * bert_run's) put the two likeliest labels within it of each other? */
int bert_near_tie(const bert_model *m, const float *probs);
/* Where m runs int8 with a re-check: the next bert_run calls run the
 * projections in fp32 while fp32 is 1, in int8 again once it is 0. */
void bert_int8_as_fp32(bert_model *m, int fp32);
/* Sequences bert_run has run in int8, and those run again in fp32 (only
 * counted where m runs int8 with a re-check). */
void bert_recheck_counts(const bert_model *m, long *seqs, long *rechecked);

#endif
