/*
 * model.c — loads a Hugging Face BERT checkpoint directory and runs it
 * (bert.h's model half): config.json, tokenizer_config.json, vocab.txt,
 * model.safetensors, an optional adapter.safetensors (LoRA, lora.h:
 * merged into the weights here), and for a sentence encoder an optional
 * head.safetensors (head.h) and herd.json ({"name": …}).
 *
 * Two layouts load: BertForSequenceClassification (tensors under "bert.",
 * pooler tanh on [CLS], "classifier.*", labels from id2label: FinBERT) and
 * BertModel (with or without the "bert." prefix: sentence-transformers),
 * pooled by the mean over tokens, with its head from head.safetensors.
 * MPNet (model_type "mpnet": MPNetModel or MPNetForMaskedLM, with or
 * without the "mpnet." prefix: sentence-transformers' all-mpnet-base-v2)
 * loads as the second kind: its attention weights have their own names
 * (attention.attn.{q,k,v,o}, attention.LayerNorm), it has no token types,
 * and one relative-position bias table (encoder.relative_attention_bias)
 * that both backends add to every layer's attention scores. The
 * tokenizer's special tokens come from tokenizer_config.json
 * (special_tokens_map.json), else the model type's defaults.
 * LayerNorm weights may be called weight/bias or gamma/beta; tensors the
 * encoder does not use (position_ids, MLM heads) are ignored.
 *
 * Every weight is converted to fp32 into one allocation (weights.h, Q/K/V
 * fused) and the file is unmapped. The model hash is the first 8 hex
 * digits of the SHA-256 of model.safetensors, followed by adapter.safetensors
 * and head.safetensors when there are (a new head is a new model): bert_files_hash. The device is chosen
 * here: AUTO takes CUDA when the backend (cuda_load.c) is there and its
 * probe finds a device and the backend is verified on a GPU
 * (CUDA_AUTO_VERIFIED), else the CPU, and bert_device_info says
 * which and why. Both backends fill the same struct bert_out (out.h):
 * forward() has one path, and the features a head reads (each layer's
 * mean, the last layer's max) are pooled where the hidden states are.
 */
#include "bert/bert.h"

#include "bert/cpu.h"
#include "bert/gemm.h"
#include "bert/cuda.h"
#include "bert/head.h"
#include "bert/lora.h"
#include "bert/minijson.h"
#include "bert/model.h"
#include "bert/safetensors.h"
#include "bert/sha256.h"
#include "bert/weights.h"
#include "bert/errs.h"
#include "lib/util.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CONFIG_MAX_BYTES (1 << 20) /* config.json and friends are a few KB */
#define DEFAULT_MAX_BATCH 64
#define DEFAULT_MAX_LEN 512

struct bert_model {
	struct bert_config cfg;
	struct bert_weights w;
	float *block;            /* every weight, one allocation */
	struct bert_layer_weights *layers;
	bert_tokenizer *tok;
	char special[5][BERT_SPECIAL_NAME_MAX]; /* cls, sep, unk, pad, mask (tokenizer_config.json) */
	int has_head;            /* head.safetensors (applied here, on the host) */
	struct bert_head head;
	char encoder_hash[9];    /* model.safetensors alone */
	enum bert_device device;
	char info[640];
	struct bert_cpu *cpu;
	const struct bert_cuda_api *gpu; /* the backend, when the model runs on it */
	struct bert_cuda *cuda;
	int max_batch, max_len;
	float recheck;           /* bert_options.int8_recheck where int8 runs, else 0 */
	int as_fp32;             /* bert_int8_as_fp32 */
	long seqs, rechecked;    /* bert_recheck_counts */
	/* run scratch */
	int32_t *packed;
	int *offsets;
	float *feats, *pooled, *logits, *layer_mean, *last_max;
	size_t cap_n, cap_b;
};

/* ------------------------------------------------------------ small helpers */

/* Read a small file whole; NULL with errno set (ENOENT when absent). */
static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	size_t n;

	if (!f)
		return NULL;
	buf = xmalloc(CONFIG_MAX_BYTES + 1);
	n = fread(buf, 1, CONFIG_MAX_BYTES + 1, f);
	if (ferror(f) || n > CONFIG_MAX_BYTES) {
		fclose(f);
		free(buf);
		errno = n > CONFIG_MAX_BYTES ? EFBIG : EIO;
		return NULL;
	}
	fclose(f);
	buf[n] = '\0';
	*len = n;
	return buf;
}

/* Parse the JSON file dir/name; NULL when absent (optional) or bad (err set). */
static mjson_doc *read_json(const char *dir, const char *name, int optional, char *err, size_t errlen)
{
	char *path = bert_join(dir, name), why[200];
	size_t len;
	char *text = slurp(path, &len);
	mjson_doc *d = NULL;

	err[0] = '\0';
	if (!text) {
		if (!(optional && errno == ENOENT))
			bert_errf(err, errlen, "%s: %s", path, strerror(errno));
	} else if (!(d = mjson_parse(text, len, why, sizeof why))) {
		bert_errf(err, errlen, "%s: not valid JSON (%s)", path, why);
	} else if (mjson_root(d)->type != MJSON_OBJECT) {
		bert_errf(err, errlen, "%s: not a JSON object", path);
		mjson_free(d);
		d = NULL;
	}
	free(text);
	free(path);
	return d;
}

/* ------------------------------------------------------------ config.json */

enum arch { ARCH_SEQCLS, ARCH_MODEL };

static int cfg_int(const struct mjson *o, const char *path, const char *key, int lo, int hi, int *out, char *err,
		   size_t errlen)
{
	int64_t v;
	int r = mjson_get_int(o, key, &v);
	if (r == 0)
		return bert_errf(err, errlen, "%s: \"%s\" is missing", path, key);
	if (r < 0 || v < lo || v > hi)
		return bert_errf(err, errlen, "%s: \"%s\" must be an integer in %d..%d", path, key, lo, hi);
	*out = (int)v;
	return 0;
}

static int read_config(struct bert_model *m, const char *dir, enum arch *arch, char *err, size_t errlen)
{
	struct bert_config *c = &m->cfg;
	char *path = bert_join(dir, "config.json");
	mjson_doc *d = read_json(dir, "config.json", 0, err, errlen);
	const struct mjson *o, *v;
	const char *s;
	double eps = 1e-12;
	int rc = -1;

	if (!d)
		goto out;
	o = mjson_root(d);
	c->arch = BERT_ARCH_BERT;
	if (mjson_get_str(o, "model_type", &s) == 1) {
		if (strcmp(s, "mpnet") == 0)
			c->arch = BERT_ARCH_MPNET;
		else if (strcmp(s, "bert") != 0) {
			bert_errf(err, errlen, "%s: model_type \"%s\" is not supported (\"bert\" or \"mpnet\")", path, s);
			goto out;
		}
	}
	if (cfg_int(o, path, "hidden_size", 1, 16384, &c->hidden, err, errlen) < 0 ||
	    cfg_int(o, path, "num_hidden_layers", 1, 256, &c->layers, err, errlen) < 0 ||
	    cfg_int(o, path, "num_attention_heads", 1, 1024, &c->heads, err, errlen) < 0 ||
	    cfg_int(o, path, "intermediate_size", 1, 1 << 20, &c->intermediate, err, errlen) < 0 ||
	    cfg_int(o, path, "vocab_size", 1, 1 << 24, &c->vocab, err, errlen) < 0 ||
	    cfg_int(o, path, "max_position_embeddings", 2, 1 << 16, &c->max_pos, err, errlen) < 0)
		goto out;
	c->type_vocab = 2;
	if (c->arch == BERT_ARCH_MPNET) {
		/* MPNetEmbeddings: padding_idx 1, positions from 2, no token types */
		c->type_vocab = 0;
		c->pos_offset = 2;
		c->rel_buckets = BERT_RELPOS_BUCKETS;
		if (mjson_get(o, "relative_attention_num_buckets") &&
		    cfg_int(o, path, "relative_attention_num_buckets", 1, 1 << 16, &c->rel_buckets, err, errlen) < 0)
			goto out;
		if (c->rel_buckets != BERT_RELPOS_BUCKETS) {
			/* MPNetEncoder buckets with 32 whatever the table's size */
			bert_errf(err, errlen, "%s: relative_attention_num_buckets %d is not supported (MPNet's %d)", path,
				  c->rel_buckets, BERT_RELPOS_BUCKETS);
			goto out;
		}
		if (c->max_pos <= c->pos_offset) {
			bert_errf(err, errlen, "%s: max_position_embeddings %d leaves no position for a token (MPNet's "
				  "start at %d)", path, c->max_pos, c->pos_offset);
			goto out;
		}
	} else if (mjson_get(o, "type_vocab_size") &&
		   cfg_int(o, path, "type_vocab_size", 1, 1 << 16, &c->type_vocab, err, errlen) < 0)
		goto out;
	if (c->hidden % c->heads) {
		bert_errf(err, errlen, "%s: hidden_size %d is not a multiple of num_attention_heads %d", path, c->hidden,
		     c->heads);
		goto out;
	}
	if (mjson_get_num(o, "layer_norm_eps", &eps) < 0 || !(eps > 0 && eps < 1)) {
		bert_errf(err, errlen, "%s: \"layer_norm_eps\" must be a number in (0, 1)", path);
		goto out;
	}
	c->ln_eps = (float)eps;
	if (mjson_get_str(o, "hidden_act", &s) != 1 || strcmp(s, "gelu") != 0) {
		bert_errf(err, errlen, "%s: hidden_act %s%s%s is not supported: herd runs \"gelu\" (exact erf) only", path,
		     mjson_get(o, "hidden_act") ? "\"" : "", mjson_get_str(o, "hidden_act", &s) == 1 ? s : "missing",
		     mjson_get(o, "hidden_act") ? "\"" : "");
		goto out;
	}
	if (mjson_get_str(o, "position_embedding_type", &s) == 1 && strcmp(s, "absolute") != 0) {
		bert_errf(err, errlen, "%s: position_embedding_type \"%s\" is not supported (only \"absolute\")", path, s);
		goto out;
	}
	*arch = ARCH_MODEL;
	v = mjson_get(o, "architectures");
	if (v && v->type == MJSON_ARRAY && v->child && v->child->type == MJSON_STRING && c->arch == BERT_ARCH_MPNET) {
		s = v->child->str;
		if (strcmp(s, "MPNetModel") != 0 && strcmp(s, "MPNetForMaskedLM") != 0) {
			bert_errf(err, errlen, "%s: architecture \"%s\" is not supported (MPNetModel or MPNetForMaskedLM: "
				  "an encoder pooled by the mean, with its head from head.safetensors)", path, s);
			goto out;
		}
	} else if (v && v->type == MJSON_ARRAY && v->child && v->child->type == MJSON_STRING) {
		s = v->child->str;
		if (strcmp(s, "BertForSequenceClassification") == 0)
			*arch = ARCH_SEQCLS;
		else if (strcmp(s, "BertModel") != 0) {
			bert_errf(err, errlen, "%s: architecture \"%s\" is not supported (BertForSequenceClassification or "
			     "BertModel)", path, s);
			goto out;
		}
	}
	c->pooling = *arch == ARCH_SEQCLS ? BERT_POOL_CLS_TANH : BERT_POOL_MEAN;
	/* id2label: {"0": "positive", ...}, every index 0..K-1 once */
	c->labels = 0;
	v = mjson_get(o, "id2label");
	if (v && v->type == MJSON_OBJECT && *arch == ARCH_SEQCLS) {
		int seen[BERT_MAX_LABELS] = {0};
		if (v->len > BERT_MAX_LABELS) {
			bert_errf(err, errlen, "%s: id2label has %zu labels, over %d", path, v->len, BERT_MAX_LABELS);
			goto out;
		}
		for (const struct mjson *e = v->child; e; e = e->next) {
			char *end;
			long k = strtol(e->key, &end, 10);
			if (*end || end == e->key || k < 0 || k >= (long)v->len || seen[k] || e->type != MJSON_STRING ||
			    e->len == 0 || e->len >= BERT_LABEL_LEN) {
				bert_errf(err, errlen, "%s: id2label entry \"%s\" is not a label index 0..%zu with a name of "
				     "1..%d bytes, given once", path, e->key, v->len - 1, BERT_LABEL_LEN - 1);
				goto out;
			}
			seen[k] = 1;
			memcpy(c->label_names[k], e->str, e->len + 1);
			/* FinBERT and others name labels in any case; records use lower case */
			for (char *p = c->label_names[k]; *p; p++)
				if (*p >= 'A' && *p <= 'Z')
					*p = (char)(*p - 'A' + 'a');
		}
		c->labels = (int)v->len;
	}
	rc = 0;
out:
	mjson_free(d);
	free(path);
	return rc;
}

/* The special tokens' names from a tokenizer_config.json or
 * special_tokens_map.json object: "cls_token": "<s>" or {"content": "<s>",
 * …}. Names not given keep what special[] holds. */
static int read_specials(char special[5][BERT_SPECIAL_NAME_MAX], const struct mjson *o, const char *dir,
			 const char *file, char *err, size_t errlen)
{
	static const char *const key[5] = {"cls_token", "sep_token", "unk_token", "pad_token", "mask_token"};
	for (int k = 0; k < 5; k++) {
		const struct mjson *v = mjson_get(o, key[k]);
		const char *s = NULL;
		if (v && v->type == MJSON_OBJECT)
			v = mjson_get(v, "content");
		if (!v || v->type == MJSON_NULL)
			continue;
		if (v->type == MJSON_STRING)
			s = v->str;
		if (!s || !*s || strlen(s) >= BERT_SPECIAL_NAME_MAX)
			return bert_errf(err, errlen, "%s/%s: \"%s\" must be a token of 1..%d bytes", dir, file, key[k],
					 BERT_SPECIAL_NAME_MAX - 1);
		snprintf(special[k], BERT_SPECIAL_NAME_MAX, "%s", s);
	}
	return 0;
}

/* do_lower_case and the special tokens from tokenizer_config.json
 * (default 1; the special tokens from special_tokens_map.json, then
 * tokenizer_config.json, over the model type's defaults: BertTokenizer's
 * or MPNetTokenizer's), name from herd.json. */
static int read_extras(struct bert_model *m, const char *dir, char *err, size_t errlen)
{
	static const char *const defaults[2][5] = {{"[CLS]", "[SEP]", "[UNK]", "[PAD]", "[MASK]"},
						   {"<s>", "</s>", "[UNK]", "<pad>", "<mask>"}};
	mjson_doc *d;
	const char *s;
	int b;

	for (int k = 0; k < 5; k++)
		snprintf(m->special[k], BERT_SPECIAL_NAME_MAX, "%s", defaults[m->cfg.arch == BERT_ARCH_MPNET][k]);
	d = read_json(dir, "special_tokens_map.json", 1, err, errlen);
	if (!d && err[0])
		return -1;
	if (d) {
		int rc = read_specials(m->special, mjson_root(d), dir, "special_tokens_map.json", err, errlen);
		mjson_free(d);
		if (rc < 0)
			return -1;
	}
	d = read_json(dir, "tokenizer_config.json", 1, err, errlen);
	m->cfg.lowercase = 1;
	if (!d && err[0])
		return -1;
	if (d) {
		if (mjson_get_bool(mjson_root(d), "do_lower_case", &b) == 1)
			m->cfg.lowercase = b;
		int rc = read_specials(m->special, mjson_root(d), dir, "tokenizer_config.json", err, errlen);
		mjson_free(d);
		if (rc < 0)
			return -1;
	}
	const char *base;
	size_t n = strlen(dir);
	while (n > 1 && dir[n - 1] == '/') /* "models/default/" */
		n--;
	base = memrchr(dir, '/', n);
	base = base ? base + 1 : dir;
	snprintf(m->cfg.name, sizeof m->cfg.name, "%.*s", (int)(dir + n - base), base);
	d = read_json(dir, "herd.json", 1, err, errlen);
	if (!d && err[0])
		return -1;
	if (d) {
		if (mjson_get_str(mjson_root(d), "name", &s) == 1 && *s)
			snprintf(m->cfg.name, sizeof m->cfg.name, "%s", s);
		mjson_free(d);
	}
	return 0;
}

/* ------------------------------------------------------------ weights */

struct loader {
	const safetensors *st;
	const char *path;
	const char *prefix; /* "bert." or "" */
	float *next;        /* where the next tensor goes in the block */
	char *err;
	size_t errlen;
};

/* Find prefix+name, trying LayerNorm's old names (gamma/beta) too. */
static const struct safetensors_tensor *find(struct loader *ld, const char *name, char *full, size_t fulllen)
{
	const struct safetensors_tensor *t;
	snprintf(full, fulllen, "%s%s", ld->prefix, name);
	if ((t = safetensors_find(ld->st, full)))
		return t;
	size_t n = strlen(full);
	char alt[300];
	if (n > 16 && strcmp(full + n - 16, "LayerNorm.weight") == 0)
		snprintf(alt, sizeof alt, "%.*sLayerNorm.gamma", (int)(n - 16), full);
	else if (n > 14 && strcmp(full + n - 14, "LayerNorm.bias") == 0)
		snprintf(alt, sizeof alt, "%.*sLayerNorm.beta", (int)(n - 14), full);
	else
		return NULL;
	return safetensors_find(ld->st, alt);
}

/* Convert tensor name, of shape (d0) or (d0, d1), to fp32 at ld->next and
 * advance. Returns the tensor's place, or NULL with err set. */
static const float *load(struct loader *ld, const char *name, int d0, int d1)
{
	char full[300], shape[128], why[300];
	const struct safetensors_tensor *t = find(ld, name, full, sizeof full);

	if (!t) {
		bert_errf(ld->err, ld->errlen, "%s: missing tensor '%s'", ld->path, full);
		return NULL;
	}
	int ok = d1 ? t->ndim == 2 && t->shape[0] == d0 && t->shape[1] == d1 : t->ndim == 1 && t->shape[0] == d0;
	if (!ok) {
		safetensors_shape_str(t, shape, sizeof shape);
		if (d1)
			bert_errf(ld->err, ld->errlen, "%s: tensor '%s' has shape %s, expected [%d, %d] (config.json)",
			     ld->path, t->name, shape, d0, d1);
		else
			bert_errf(ld->err, ld->errlen, "%s: tensor '%s' has shape %s, expected [%d] (config.json)", ld->path,
			     t->name, shape, d0);
		return NULL;
	}
	if (safetensors_to_f32(t, ld->next, why, sizeof why) < 0) {
		bert_errf(ld->err, ld->errlen, "%s: %s", ld->path, why);
		return NULL;
	}
	const float *p = ld->next;
	ld->next += t->numel;
	return p;
}

#define LOAD(dst, name, d0, d1)                               \
	do {                                                  \
		if (!((dst) = load(ld, (name), (d0), (d1)))) \
			return -1;                            \
	} while (0)

static int load_weights(struct bert_model *m, struct loader *ld, enum arch arch)
{
	struct bert_config *c = &m->cfg;
	struct bert_weights *w = &m->w;
	int C = c->hidden, I = c->intermediate;
	char name[200];
	const float *q, *k, *v, *qb, *kb, *vb;
	/* the attention's tensors: BERT's names, MPNet's */
	enum { Q, K, V, QB, KB, VB, OW, OB, LN1G, LN1B, NATT };
	static const char *const att[2][NATT] = {
		{"attention.self.query.weight", "attention.self.key.weight", "attention.self.value.weight",
		 "attention.self.query.bias", "attention.self.key.bias", "attention.self.value.bias",
		 "attention.output.dense.weight", "attention.output.dense.bias", "attention.output.LayerNorm.weight",
		 "attention.output.LayerNorm.bias"},
		{"attention.attn.q.weight", "attention.attn.k.weight", "attention.attn.v.weight", "attention.attn.q.bias",
		 "attention.attn.k.bias", "attention.attn.v.bias", "attention.attn.o.weight", "attention.attn.o.bias",
		 "attention.LayerNorm.weight", "attention.LayerNorm.bias"}};
	const char *const *an = att[c->arch == BERT_ARCH_MPNET];

	LOAD(w->word_emb, "embeddings.word_embeddings.weight", c->vocab, C);
	LOAD(w->pos_emb, "embeddings.position_embeddings.weight", c->max_pos, C);
	if (c->type_vocab)
		LOAD(w->type_emb, "embeddings.token_type_embeddings.weight", c->type_vocab, C);
	if (c->arch == BERT_ARCH_MPNET)
		LOAD(w->rel_bias, "encoder.relative_attention_bias.weight", c->rel_buckets, c->heads);
	LOAD(w->emb_ln_g, "embeddings.LayerNorm.weight", C, 0);
	LOAD(w->emb_ln_b, "embeddings.LayerNorm.bias", C, 0);
	for (int l = 0; l < c->layers; l++) {
		struct bert_layer_weights *lw = &m->layers[l];
#define LAYER(dst, what, d0, d1)                                                \
	do {                                                                    \
		snprintf(name, sizeof name, "encoder.layer.%d.%s", l, (what)); \
		LOAD(dst, name, d0, d1);                                        \
	} while (0)
		/* Q, K, V land back to back: (3C, C) then (3C) */
		LAYER(q, an[Q], C, C);
		LAYER(k, an[K], C, C);
		LAYER(v, an[V], C, C);
		LAYER(qb, an[QB], C, 0);
		LAYER(kb, an[KB], C, 0);
		LAYER(vb, an[VB], C, 0);
		(void)k, (void)v, (void)kb, (void)vb;
		lw->qkv_w = q;
		lw->qkv_b = qb;
		LAYER(lw->attn_out_w, an[OW], C, C);
		LAYER(lw->attn_out_b, an[OB], C, 0);
		LAYER(lw->ln1_g, an[LN1G], C, 0);
		LAYER(lw->ln1_b, an[LN1B], C, 0);
		LAYER(lw->ffn_in_w, "intermediate.dense.weight", I, C);
		LAYER(lw->ffn_in_b, "intermediate.dense.bias", I, 0);
		LAYER(lw->ffn_out_w, "output.dense.weight", C, I);
		LAYER(lw->ffn_out_b, "output.dense.bias", C, 0);
		LAYER(lw->ln2_g, "output.LayerNorm.weight", C, 0);
		LAYER(lw->ln2_b, "output.LayerNorm.bias", C, 0);
#undef LAYER
	}
	w->layer = m->layers;
	if (arch == ARCH_SEQCLS) {
		LOAD(w->pool_w, "pooler.dense.weight", C, C);
		LOAD(w->pool_b, "pooler.dense.bias", C, 0);
		const char *prefix = ld->prefix;
		ld->prefix = ""; /* the classifier sits beside "bert.", not under it */
		const struct safetensors_tensor *t = safetensors_find(ld->st, "classifier.weight");
		if (!t || t->ndim != 2 || t->shape[1] != C || t->shape[0] < 1 || t->shape[0] > BERT_MAX_LABELS) {
			bert_errf(ld->err, ld->errlen, "%s: %s (a BertForSequenceClassification checkpoint has "
			     "'classifier.weight' of shape [K, %d], K <= %d)", ld->path,
			     t ? "tensor 'classifier.weight' has the wrong shape" : "missing tensor 'classifier.weight'",
			     C, BERT_MAX_LABELS);
			return -1;
		}
		int K = (int)t->shape[0];
		if (c->labels && c->labels != K)
			return bert_errf(ld->err, ld->errlen, "%s: 'classifier.weight' has %d labels but config.json's "
				    "id2label has %d", ld->path, K, c->labels);
		if (!c->labels)
			for (int i = 0; i < K; i++)
				snprintf(c->label_names[i], BERT_LABEL_LEN, "label_%d", i);
		c->labels = K;
		LOAD(w->cls_w, "classifier.weight", K, C);
		LOAD(w->cls_b, "classifier.bias", K, 0);
		ld->prefix = prefix;
	}
	return 0;
}

static size_t weight_floats(const struct bert_config *c, enum arch arch, int K)
{
	size_t C = (size_t)c->hidden, I = (size_t)c->intermediate;
	size_t per_layer = 3 * C * C + 3 * C + C * C + C + 2 * C + I * C + I + C * I + C + 2 * C;
	size_t n = ((size_t)c->vocab + (size_t)c->max_pos + (size_t)c->type_vocab + 2) * C + (size_t)c->layers * per_layer +
		   (size_t)c->rel_buckets * (size_t)c->heads;
	if (arch == ARCH_SEQCLS)
		n += C * C + C + (size_t)K * C + (size_t)K;
	return n;
}

/* Add path's bytes to h. Returns 0, or -1 with "path: reason" in err. */
static int hash_file(struct sha256 *h, const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	unsigned char *buf;
	size_t n;

	if (!f)
		return bert_errf(err, errlen, "%s: %s", path, strerror(errno));
	buf = xmalloc(1 << 20);
	while ((n = fread(buf, 1, 1 << 20, f)) > 0)
		sha256_update(h, buf, n);
	int bad = ferror(f);
	fclose(f);
	free(buf);
	return bad ? bert_errf(err, errlen, "%s: read error", path) : 0;
}

int bert_files_hash(const char *const *paths, int n, char hex[9], char *err, size_t errlen)
{
	struct sha256 h;
	unsigned char digest[32];

	sha256_init(&h);
	for (int i = 0; i < n; i++)
		if (hash_file(&h, paths[i], err, errlen) < 0)
			return -1;
	sha256_final(&h, digest);
	sha256_hex(digest, 4, hex);
	return 0;
}

/* ------------------------------------------------------------ devices */

/* Whether --device auto takes the CUDA backend when a device is there.
 * The backend changed after its last run on a GPU (issue 16: one output
 * struct, features pooled on the GPU, MPNet's positions and relative-
 * position bias in both attention kernels, the residual stream in fp32
 * in fp16/bf16), and no GPU has run the new code yet: until one has,
 * auto keeps every model on the CPU and says why, and --device cuda runs
 * the backend for whoever asks. Set it to 1 once one scripts/gpu-check.sh
 * run on a GPU passes, in its table: "kernels/attention" (the BERT cases
 * and the MPNet cases of variants 1 and 3), "kernels/layernorm" (variant
 * 4, the embeddings), "kernels/pool", "kernels/softmax"; "<model> CUDA
 * fp32 vs CPU: every output kind" for every model (logits, probs, pooled,
 * each layer's mean, the last max; a random MPNet with a head over all of
 * them) and "<model> fp16/bf16 logits within 0.02 of fp32"; with
 * models/default on that machine, "default fp16 (auto's precision) probs
 * within 0.001 of the CPU" and "default fp16/bf16 within 0.02 of fp32,
 * same label on >= 99.5%" (issue 16's floors); and a clean memcheck of
 * every "memcheck" row. */
#define CUDA_AUTO_VERIFIED 0

static int pick_device(struct bert_model *m, const struct bert_options *opt, char *err, size_t errlen)
{
	char why[256] = "", cuda_name[128] = "";
	const struct bert_cuda_api *api = NULL;
	int cuda_ok = 0;
	enum bert_device want = opt ? opt->device : BERT_DEVICE_AUTO;

	int int8 = opt && opt->precision == BERT_INT8;
	if (int8 && want == BERT_DEVICE_CUDA)
		return bert_errf(err, errlen, "device cuda: int8 runs on the CPU only (--device cpu)");
	if (int8)
		snprintf(why, sizeof why, "int8 runs on the CPU");
	else if (want != BERT_DEVICE_CPU) {
		api = bert_cuda_backend(why, sizeof why);
		cuda_ok = api && api->probe(why, sizeof why, cuda_name, sizeof cuda_name);
		if (cuda_ok && want == BERT_DEVICE_AUTO && !CUDA_AUTO_VERIFIED) {
			cuda_ok = 0;
			snprintf(why, sizeof why, "%s is present, but the CUDA backend is not yet verified on a GPU since "
				 "its last change (scripts/gpu-check.sh); --device cuda runs it", cuda_name);
		}
	}
	if (want == BERT_DEVICE_CUDA && !cuda_ok)
		return bert_errf(err, errlen, "device cuda: %s", why);
	int threads = opt && opt->threads > 0 ? opt->threads : 0;
	if (cuda_ok) {
		static const char *const pname[] = {"fp32", "fp16", "bf16"};
		enum bert_precision prec = opt ? opt->precision : BERT_FP16;
		m->cuda = api->create(&m->cfg, &m->w, prec, m->max_batch, m->max_batch * m->max_len, err, errlen);
		if (!m->cuda)
			return -1;
		m->gpu = api;
		m->device = BERT_DEVICE_CUDA;
		snprintf(m->info, sizeof m->info, "cuda: %s, %s%s", cuda_name, pname[prec],
			 want == BERT_DEVICE_AUTO ? " (auto: a CUDA device is present)" : "");
		return 0;
	}
	if (bert_gemm_choose(m->cfg.hidden, m->cfg.intermediate, err, errlen) < 0)
		return -1;
	m->cpu = bert_cpu_new(&m->cfg, &m->w, threads);
	m->device = BERT_DEVICE_CPU;
	char prec[400] = "fp32";
	if (int8) {
		char q[160];
		if (bert_cpu_set_int8(m->cpu, q, sizeof q, err, errlen) < 0)
			return -1;
		m->recheck = opt->int8_recheck > 0 && m->cfg.labels >= 2 ? opt->int8_recheck : 0;
		if (m->recheck > 0)
			snprintf(prec, sizeof prec, "int8 projections: %s; labels within %.2f of a tie re-run in fp32",
				 q, m->recheck);
		else
			snprintf(prec, sizeof prec, "int8 projections: %s", q);
	} else if (opt && opt->precision == BERT_BF16) {
		/* bf16 on the CPU: AVX512_BF16's; a CPU without it is a usage
		 * error to the caller (ENOTSUP, bert.h) */
		char q[300];
		if (bert_cpu_set_matmul(m->cpu, 1, q, sizeof q, err, errlen) < 0) {
			errno = ENOTSUP;
			return -1;
		}
		snprintf(prec, sizeof prec, "bf16 projections: %s", q);
	} else if (bert_gemm_packed()) {
		/* the measured choice: fp32 projections on packed weights */
		char q[300];
		if (bert_cpu_set_matmul(m->cpu, 0, q, sizeof q, err, errlen) < 0)
			return -1;
		snprintf(prec, sizeof prec, "fp32 projections: %s", q);
	}
	snprintf(m->info, sizeof m->info, "cpu: %s, %s, %d thread%s%s%s%s", bert_cpu_gemm_name(), prec,
		 bert_cpu_threads(m->cpu), bert_cpu_threads(m->cpu) == 1 ? "" : "s",
		 want == BERT_DEVICE_AUTO ? " (auto: " : "", want == BERT_DEVICE_AUTO ? why : "",
		 want == BERT_DEVICE_AUTO ? ")" : "");
	return 0;
}

/* ------------------------------------------------------------ load / free */

bert_model *bert_load(const char *dir, const struct bert_options *opt, char *err, size_t errlen)
{
	struct bert_model *m = xcalloc(1, sizeof *m);
	enum arch arch;
	char *path = NULL, *head_path = NULL, *adapter_path = NULL;
	safetensors *st = NULL;
	struct sha256 h;
	unsigned char digest[32];

	if (read_config(m, dir, &arch, err, errlen) < 0 || read_extras(m, dir, err, errlen) < 0)
		goto fail;
	m->max_batch = opt && opt->max_batch > 0 ? opt->max_batch : DEFAULT_MAX_BATCH;
	m->max_len = opt && opt->max_len > 0 ? opt->max_len : DEFAULT_MAX_LEN;
	if (m->max_len > bert_max_tokens(&m->cfg))
		m->max_len = bert_max_tokens(&m->cfg);

#ifndef HERD_BERT_NO_TOKENIZER
	path = bert_join(dir, "vocab.txt");
	struct bert_special_tokens sp = {m->special[0], m->special[1], m->special[2], m->special[3], m->special[4]};
	m->tok = bert_tokenizer_load_special(path, m->cfg.lowercase, &sp, err, errlen);
	if (!m->tok)
		goto fail;
	if (bert_vocab_size(m->tok) > m->cfg.vocab) {
		bert_errf(err, errlen, "%s: %d tokens, but config.json's vocab_size is %d", path, bert_vocab_size(m->tok),
		     m->cfg.vocab);
		goto fail;
	}
	free(path);
#endif

	path = bert_join(dir, "model.safetensors");
	st = safetensors_open(path, err, errlen);
	if (!st) {
		if (errno == ENOENT) {
			char *bin = bert_join(dir, "pytorch_model.bin");
			FILE *f = fopen(bin, "rb");
			if (f) {
				fclose(f);
				bert_errf(err, errlen, "%s: missing; the directory has pytorch_model.bin: convert it with "
				     "scripts/convert-pytorch-bin.py %s", path, dir);
			}
			free(bin);
		}
		goto fail;
	}
	struct loader ld = {.st = st, .path = path, .err = err, .errlen = errlen};
	char probe[300];
	const char *prefix = m->cfg.arch == BERT_ARCH_MPNET ? "mpnet." : "bert.";
	snprintf(probe, sizeof probe, "%sembeddings.word_embeddings.weight", prefix);
	ld.prefix = safetensors_find(st, probe) ? prefix : "";
	if (arch == ARCH_SEQCLS && !*ld.prefix && !safetensors_find(st, "embeddings.word_embeddings.weight")) {
		bert_errf(err, errlen, "%s: missing tensor 'bert.embeddings.word_embeddings.weight'", path);
		goto fail;
	}
	const struct safetensors_tensor *ct = safetensors_find(st, "classifier.weight");
	int K = ct && ct->ndim == 2 ? (int)ct->shape[0] : 0;
	size_t nfloats = weight_floats(&m->cfg, arch, K > 0 && K <= BERT_MAX_LABELS ? K : 0);
	m->block = malloc(sizeof(float) * nfloats);
	if (!m->block) {
		bert_errf(err, errlen, "%s: cannot allocate %zu MB for the weights", path, sizeof(float) * nfloats >> 20);
		goto fail;
	}
	m->layers = xcalloc((size_t)m->cfg.layers, sizeof *m->layers);
	ld.next = m->block;
	if (load_weights(m, &ld, arch) < 0)
		goto fail;

	sha256_init(&h);
	if (hash_file(&h, path, err, errlen) < 0)
		goto fail;
	{
		struct sha256 enc = h;
		sha256_final(&enc, digest);
		sha256_hex(digest, 4, m->encoder_hash);
	}
	/* LoRA adapters (lora.h), merged into the weights now: scoring costs
	 * what the base costs. The adapted encoder is a new encoder: its hash
	 * (what a head records) covers the adapter too. */
	adapter_path = bert_join(dir, "adapter.safetensors");
	FILE *af = fopen(adapter_path, "rb");
	if (af) {
		fclose(af);
		if (bert_lora_merge_file(adapter_path, &m->cfg, &m->w, m->encoder_hash, err, errlen) < 0 ||
		    hash_file(&h, adapter_path, err, errlen) < 0)
			goto fail;
		struct sha256 enc = h;
		sha256_final(&enc, digest);
		sha256_hex(digest, 4, m->encoder_hash);
	}
	head_path = bert_join(dir, "head.safetensors");
	if (arch == ARCH_MODEL) {
		FILE *f = fopen(head_path, "rb");
		if (f) {
			fclose(f);
			if (bert_head_load(&m->head, head_path, m->cfg.hidden, m->cfg.layers, err, errlen) < 0)
				goto fail;
			m->has_head = 1;
			if (m->head.encoder[0] && strcmp(m->head.encoder, m->encoder_hash) != 0) {
				bert_errf(err, errlen, "%s: trained on encoder %s, but model.safetensors is %s (retrain it with "
				     "herd-train)", head_path, m->head.encoder, m->encoder_hash);
				goto fail;
			}
			m->cfg.labels = m->head.K;
			memcpy(m->cfg.label_names, m->head.labels, sizeof m->head.labels);
			if (hash_file(&h, head_path, err, errlen) < 0)
				goto fail;
		}
	}
	sha256_final(&h, digest);
	sha256_hex(digest, 4, m->cfg.hash);
	safetensors_close(st);
	st = NULL;

	if (pick_device(m, opt, err, errlen) < 0)
		goto fail;
	free(path);
	free(head_path);
	free(adapter_path);
	return m;
fail:;
	int e = errno; /* ENOENT, ENOTSUP: the caller reads it */
	safetensors_close(st);
	free(path);
	free(head_path);
	free(adapter_path);
	bert_free(m);
	errno = e;
	return NULL;
}

void bert_free(bert_model *m)
{
	if (!m)
		return;
	bert_cpu_free(m->cpu);
	if (m->cuda)
		m->gpu->destroy(m->cuda);
#ifndef HERD_BERT_NO_TOKENIZER
	bert_tokenizer_free(m->tok);
#endif
	bert_head_release(&m->head);
	free(m->block);
	free(m->layers);
	free(m->packed), free(m->offsets), free(m->feats), free(m->pooled), free(m->logits);
	free(m->layer_mean), free(m->last_max);
	free(m);
}

const struct bert_config *bert_get_config(const bert_model *m)
{
	return &m->cfg;
}

const bert_tokenizer *bert_get_tokenizer(const bert_model *m)
{
	return m->tok;
}

enum bert_device bert_get_device(const bert_model *m)
{
	return m->device;
}

const char *bert_device_info(const bert_model *m)
{
	return m->info;
}

const char *bert_encoder_hash(const bert_model *m)
{
	return m->encoder_hash;
}

const struct bert_weights *bert_get_weights(const bert_model *m)
{
	return &m->w;
}

const struct bert_head *bert_get_head(const bert_model *m)
{
	return m->has_head ? &m->head : NULL;
}

/* ------------------------------------------------------------ running */

static void reserve(struct bert_model *m, size_t B, size_t N)
{
	size_t C = (size_t)m->cfg.hidden, L = (size_t)m->cfg.layers;
	if (N > m->cap_n) {
		m->cap_n = N;
		free(m->packed);
		m->packed = xmalloc(sizeof(int32_t) * N);
	}
	if (B > m->cap_b) {
		m->cap_b = B;
		free(m->offsets), free(m->feats), free(m->pooled), free(m->logits), free(m->layer_mean), free(m->last_max);
		m->offsets = xmalloc(sizeof(int) * (B + 1));
		m->feats = xmalloc(sizeof(float) * B * BERT_HEAD_MAX_FEATURES * C);
		m->pooled = xmalloc(sizeof(float) * B * C);
		m->logits = xmalloc(sizeof(float) * B * BERT_MAX_LABELS);
		m->layer_mean = xmalloc(sizeof(float) * B * L * C);
		m->last_max = xmalloc(sizeof(float) * B * C);
	}
}

/* Check and pack B sequences into m->packed / m->offsets. */
static int pack(struct bert_model *m, int B, const int32_t *const *ids, const int *lens, char *err, size_t errlen)
{
	size_t N = 0;
	int limit = m->device == BERT_DEVICE_CUDA ? m->max_len : bert_max_tokens(&m->cfg);

	if (B < 0)
		return bert_errf(err, errlen, "bert_run: %d sequences", B);
	for (int b = 0; b < B; b++) {
		if (lens[b] < 1 || lens[b] > limit)
			return bert_errf(err, errlen, "bert_run: sequence %d has %d tokens, not 1..%d", b, lens[b], limit);
		N += (size_t)lens[b];
	}
	reserve(m, (size_t)B, N);
	m->offsets[0] = 0;
	for (int b = 0; b < B; b++) {
		for (int t = 0; t < lens[b]; t++) {
			int32_t id = ids[b][t];
			if (id < 0 || id >= m->cfg.vocab)
				return bert_errf(err, errlen, "bert_run: sequence %d token %d has id %d, outside 0..%d", b, t,
					    id, m->cfg.vocab - 1);
			m->packed[m->offsets[b] + t] = id;
		}
		m->offsets[b + 1] = m->offsets[b] + lens[b];
	}
	return 0;
}

/* Run the packed batch on the device, filling what o asks for (out.h):
 * one path for both backends. */
static int forward(struct bert_model *m, int B, const struct bert_out *o, char *err, size_t errlen)
{
	if (m->device == BERT_DEVICE_CPU) {
		bert_cpu_run(m->cpu, B, m->packed, m->offsets, o);
		return 0;
	}
	/* the GPU's buffers hold max_batch sequences: chunk */
	const size_t C = (size_t)m->cfg.hidden, L = (size_t)m->cfg.layers, K = (size_t)m->cfg.labels;
	int *off = xmalloc(sizeof(int) * (size_t)(m->max_batch + 1));
	int rc = 0;
	for (int b0 = 0; b0 < B && rc == 0; b0 += m->max_batch) {
		int nb = B - b0 < m->max_batch ? B - b0 : m->max_batch;
		for (int i = 0; i <= nb; i++)
			off[i] = m->offsets[b0 + i] - m->offsets[b0];
		struct bert_out part = {
			.logits = o->logits ? o->logits + (size_t)b0 * K : NULL,
			.pooled = o->pooled ? o->pooled + (size_t)b0 * C : NULL,
			.hidden = o->hidden ? o->hidden + (size_t)m->offsets[b0] * C : NULL,
			.layer_mean = o->layer_mean ? o->layer_mean + (size_t)b0 * L * C : NULL,
			.last_max = o->last_max ? o->last_max + (size_t)b0 * C : NULL,
		};
		rc = m->gpu->run(m->cuda, nb, m->packed + m->offsets[b0], off, &part, err, errlen);
	}
	free(off);
	return rc;
}

/* Gather the features f of B sequences from the outputs o into feats
 * (B, f->n · C). */
static void gather(const struct bert_model *m, const struct bert_out *o, const struct bert_features *f, int B,
		   float *feats)
{
	size_t C = (size_t)m->cfg.hidden, L = (size_t)m->cfg.layers;
	for (int b = 0; b < B; b++)
		for (int i = 0; i < f->n; i++) {
			const float *src;
			if (f->f[i].max)
				src = o->last_max + (size_t)b * C;
			else if (f->f[i].layer == (int)L)
				src = o->pooled + (size_t)b * C;
			else
				src = o->layer_mean + ((size_t)b * L + (size_t)f->f[i].layer - 1) * C;
			memcpy(feats + ((size_t)b * f->n + i) * C, src, sizeof(float) * C);
		}
}

static int features_need(const struct bert_features *f, int L, int *layers, int *max)
{
	*layers = *max = 0;
	for (int i = 0; i < f->n; i++) {
		if (f->f[i].max && f->f[i].layer != L)
			return -1; /* max is pooled from the last layer only */
		*max |= f->f[i].max;
		*layers |= !f->f[i].max && f->f[i].layer != L;
	}
	return 0;
}

/* What forward() must fill for features f: pooled always, each layer's
 * mean and the last max when f reads them. */
static struct bert_out features_out(struct bert_model *m, const struct bert_features *f)
{
	int layers, max;
	features_need(f, m->cfg.layers, &layers, &max);
	return (struct bert_out){.pooled = m->pooled, .layer_mean = layers ? m->layer_mean : NULL,
				 .last_max = max ? m->last_max : NULL};
}

int bert_run_features(bert_model *m, const struct bert_features *f, int B, const int32_t *const *ids,
		      const int *lens, float *feats, char *err, size_t errlen)
{
	int layers, max;
	if (features_need(f, m->cfg.layers, &layers, &max) < 0)
		return bert_errf(err, errlen, "features: 'max' is pooled from the last layer only");
	if (pack(m, B, ids, lens, err, errlen) < 0)
		return -1;
	if (B == 0)
		return 0;
	struct bert_out o = features_out(m, f);
	if (forward(m, B, &o, err, errlen) < 0)
		return -1;
	gather(m, &o, f, B, feats);
	return 0;
}

/* The encoder (and the head, when the model has one) over the packed
 * batch of B sequences: m->pooled, and m->logits when want. */
static int run_packed(struct bert_model *m, int B, int want, char *err, size_t errlen)
{
	if (m->has_head) {
		struct bert_out o = features_out(m, &m->head.feat);
		if (forward(m, B, &o, err, errlen) < 0)
			return -1;
		if (want) {
			gather(m, &o, &m->head.feat, B, m->feats);
			bert_head_forward(&m->head, B, m->feats, m->logits);
		}
		return 0;
	}
	struct bert_out o = {.logits = want ? m->logits : NULL, .pooled = m->pooled};
	return forward(m, B, &o, err, errlen);
}

int bert_run(bert_model *m, int B, const int32_t *const *ids, const int *lens, float *logits, float *probs,
	     float *pooled, char *err, size_t errlen)
{
	int K = m->cfg.labels;

	if ((logits || probs) && K == 0)
		return bert_errf(err, errlen, "bert_run: the model has no classifier head (a BertModel without "
			    "head.safetensors gives pooled vectors only)");
	if (pack(m, B, ids, lens, err, errlen) < 0)
		return -1;
	if (B == 0)
		return 0;
	int want = logits || probs;
	if (run_packed(m, B, want, err, errlen) < 0)
		return -1;
	if (m->recheck > 0)
		*(m->as_fp32 ? &m->rechecked : &m->seqs) += B;
	if (pooled)
		memcpy(pooled, m->pooled, sizeof(float) * (size_t)B * m->cfg.hidden);
	if (logits)
		memcpy(logits, m->logits, sizeof(float) * (size_t)B * K);
	if (probs)
		for (int b = 0; b < B; b++) {
			const float *l = m->logits + (size_t)b * K;
			float mx = l[0], s = 0;
			for (int k = 1; k < K; k++)
				mx = l[k] > mx ? l[k] : mx;
			for (int k = 0; k < K; k++)
				s += probs[(size_t)b * K + k] = expf(l[k] - mx);
			for (int k = 0; k < K; k++)
				probs[(size_t)b * K + k] /= s;
		}
	return 0;
}

int bert_near_tie(const bert_model *m, const float *probs)
{
	if (m->recheck <= 0)
		return 0;
	float p1 = 0, p2 = 0; /* the two largest */
	for (int k = 0; k < m->cfg.labels; k++)
		if (probs[k] > p1)
			p2 = p1, p1 = probs[k];
		else if (probs[k] > p2)
			p2 = probs[k];
	return p1 - p2 < m->recheck;
}

void bert_int8_as_fp32(bert_model *m, int fp32)
{
	if (m->recheck > 0) {
		m->as_fp32 = fp32;
		bert_cpu_int8_as_fp32(m->cpu, fp32);
	}
}

void bert_recheck_counts(const bert_model *m, long *seqs, long *rechecked)
{
	*seqs = m->seqs, *rechecked = m->rechecked;
}
