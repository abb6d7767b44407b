/*
 * export.c — a trained model written as a model directory (export.h):
 * `--finetune full` gives a complete Hugging Face checkpoint (config.json,
 * vocab.txt, tokenizer_config.json, model.safetensors with Hugging Face's
 * tensor names, Q/K/V apart again), which transformers and herd-score
 * both load: BertForSequenceClassification for the tanh pooler on [CLS],
 * BertModel plus herd's head.safetensors (a linear head on the mean) for
 * mean pooling; an MPNet encoder (model_type "mpnet") is written as an
 * MPNetModel with its own names (attention.attn.q/k/v/o,
 * attention.LayerNorm, encoder.relative_attention_bias) plus
 * head.safetensors. `--finetune lora` gives the base model's files as they
 * were, adapter.safetensors beside them (merged when herd-score loads
 * the directory) and head.safetensors.
 */
#include "bert/export.h"

#include "bert/head.h"
#include "bert/lora.h"
#include "bert/model.h"
#include "bert/safetensors.h"
#include "bert/errs.h"
#include "lib/util.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Copy dir_from/name to dir_to/name (through a temporary name). */
static int copy_file(const char *from_dir, const char *to_dir, const char *name, int optional, char *err,
		     size_t errlen)
{
	char *src = bert_join(from_dir, name), *dst = bert_join(to_dir, name), *tmp = xmalloc(strlen(dst) + 8);
	sprintf(tmp, "%s.tmp", dst);
	FILE *in = fopen(src, "rb"), *out = NULL;
	int rc = -1;
	if (!in) {
		rc = optional && errno == ENOENT ? 0 : bert_errf(err, errlen, "%s: %s", src, strerror(errno));
		goto done;
	}
	if (!(out = fopen(tmp, "wb"))) {
		bert_errf(err, errlen, "%s: %s", tmp, strerror(errno));
		goto done;
	}
	char buf[1 << 16];
	size_t n;
	while ((n = fread(buf, 1, sizeof buf, in)) > 0)
		if (fwrite(buf, 1, n, out) != n)
			break;
	if (ferror(in) || ferror(out) | (fclose(out) != 0)) {
		out = NULL;
		bert_errf(err, errlen, "%s: write error", tmp);
		remove(tmp);
		goto done;
	}
	out = NULL;
	if (rename(tmp, dst) != 0) {
		bert_errf(err, errlen, "%s: %s", dst, strerror(errno));
		goto done;
	}
	rc = 0;
done:
	if (in)
		fclose(in);
	if (out)
		fclose(out);
	free(src), free(dst), free(tmp);
	return rc;
}

static int write_text(const char *dir, const char *name, const char *text, char *err, size_t errlen)
{
	char *path = bert_join(dir, name), *tmp = xmalloc(strlen(path) + 8);
	sprintf(tmp, "%s.tmp", path);
	FILE *f = fopen(tmp, "w");
	int rc = 0;
	if (!f || fputs(text, f) < 0 || fclose(f) != 0 || rename(tmp, path) != 0)
		rc = bert_errf(err, errlen, "%s: %s", path, strerror(errno));
	free(path), free(tmp);
	return rc;
}

static void config_json(const struct bert_tmodel *m, const struct bert_export *x, char *buf, size_t len)
{
	const struct bert_config *c = &m->cfg;
	int cls = c->pooling == BERT_POOL_CLS_TANH;
	size_t u;
	if (c->arch == BERT_ARCH_MPNET) {
		/* MPNetConfig's fields; bos/pad/eos as MPNetTokenizer numbers them */
		snprintf(buf, len,
			 "{\n  \"architectures\": [\"MPNetModel\"],\n  \"model_type\": \"mpnet\",\n  \"vocab_size\": %d,\n"
			 "  \"hidden_size\": %d,\n  \"num_hidden_layers\": %d,\n  \"num_attention_heads\": %d,\n"
			 "  \"intermediate_size\": %d,\n  \"max_position_embeddings\": %d,\n"
			 "  \"relative_attention_num_buckets\": %d,\n  \"layer_norm_eps\": %g,\n  \"hidden_act\": \"gelu\",\n"
			 "  \"hidden_dropout_prob\": %g,\n  \"attention_probs_dropout_prob\": %g,\n"
			 "  \"initializer_range\": 0.02,\n  \"bos_token_id\": 0,\n  \"pad_token_id\": 1,\n  \"eos_token_id\": 2\n}\n",
			 c->vocab, c->hidden, c->layers, c->heads, c->intermediate, c->max_pos, c->rel_buckets,
			 (double)c->ln_eps, (double)x->hidden_dropout, (double)x->attn_dropout);
		return;
	}
	u = (size_t)snprintf(buf, len,
		"{\n  \"architectures\": [\"%s\"],\n  \"model_type\": \"bert\",\n  \"vocab_size\": %d,\n"
		"  \"hidden_size\": %d,\n  \"num_hidden_layers\": %d,\n  \"num_attention_heads\": %d,\n"
		"  \"intermediate_size\": %d,\n  \"max_position_embeddings\": %d,\n  \"type_vocab_size\": %d,\n"
		"  \"layer_norm_eps\": %g,\n  \"hidden_act\": \"gelu\",\n  \"hidden_dropout_prob\": %g,\n"
		"  \"attention_probs_dropout_prob\": %g,\n  \"position_embedding_type\": \"absolute\",\n"
		"  \"initializer_range\": 0.02,\n  \"pad_token_id\": 0",
		cls ? "BertForSequenceClassification" : "BertModel", c->vocab, c->hidden, c->layers, c->heads,
		c->intermediate, c->max_pos, c->type_vocab, (double)c->ln_eps, (double)x->hidden_dropout,
		(double)x->attn_dropout);
	u += (size_t)snprintf(buf + u, len - u, ",\n  \"id2label\": {");
	for (int k = 0; k < c->labels; k++)
		u += (size_t)snprintf(buf + u, len - u, "%s\"%d\": \"%s\"", k ? ", " : "", k, x->labels[k]);
	u += (size_t)snprintf(buf + u, len - u, "},\n  \"label2id\": {");
	for (int k = 0; k < c->labels; k++)
		u += (size_t)snprintf(buf + u, len - u, "%s\"%s\": %d", k ? ", " : "", x->labels[k], k);
	snprintf(buf + u, len - u, "}\n}\n");
}

/* model.safetensors with Hugging Face's names, from m's block. */
static int write_weights(const struct bert_tmodel *m, const char *path, char *err, size_t errlen)
{
	int cls = m->cfg.pooling == BERT_POOL_CLS_TANH, C = m->cfg.hidden;
	/* Q/K/V: the fused weight and bias of each layer become three each */
	size_t cap = (size_t)m->nt + 4 * (size_t)m->cfg.layers;
	struct safetensors_out *t = xcalloc(cap, sizeof *t);
	char (*names)[128] = xcalloc(cap, sizeof *names);
	int n = 0;
	for (int i = 0; i < m->lora0; i++) {
		const struct bert_tensor *x = &m->t[i];
		const char *prefix = cls && strncmp(x->name, "classifier.", 11) != 0 ? "bert." : "";
		if (!cls && strncmp(x->name, "classifier.", 11) == 0)
			continue; /* mean pooling: the classifier goes to head.safetensors */
		const char *q = strstr(x->name, ".qkv.");
		if (q) { /* fused Q/K/V back to three tensors: BERT's self.query, MPNet's attn.q */
			static const char *const part[2][3] = {{"query", "key", "value"}, {"q", "k", "v"}};
			int mp = m->cfg.arch == BERT_ARCH_MPNET;
			const char *what = q + strlen(".qkv.");
			for (int p = 0; p < 3; p++, n++) {
				snprintf(names[n], sizeof names[n], "%s%.*s.%s.%s", prefix, (int)(q - x->name), x->name,
					 part[mp][p], what);
				const float *d = m->param + x->off + (size_t)p * (x->n / 3);
				t[n] = x->cols ? (struct safetensors_out){names[n], 2, {C, C}, d, 0}
					       : (struct safetensors_out){names[n], 1, {C}, d, 0};
			}
			continue;
		}
		snprintf(names[n], sizeof names[n], "%s%s", prefix, x->name);
		t[n] = x->cols ? (struct safetensors_out){names[n], 2, {x->rows, x->cols}, m->param + x->off, 0}
			       : (struct safetensors_out){names[n], 1, {x->rows}, m->param + x->off, 0};
		n++;
	}
	const char *meta[] = {"format", "pt"};
	int rc = safetensors_write(path, t, n, meta, 1, err, errlen);
	free(t), free(names);
	return rc;
}

/* head.safetensors: the linear head on the mean, for encoder hash enc. */
static int write_head(const struct bert_tmodel *m, const struct bert_export *x, const char *dir, const char *enc,
		      char *err, size_t errlen)
{
	const struct bert_tensor *w = &m->t[bert_tmodel_index(m, m->cfg.layers, BT_CLS_W)];
	const struct bert_tensor *b = &m->t[bert_tmodel_index(m, m->cfg.layers, BT_CLS_B)];
	struct bert_head h = {.D = m->cfg.hidden, .K = m->cfg.labels};
	h.feat.n = 1;
	h.feat.f[0].layer = m->cfg.layers;
	for (int k = 0; k < m->cfg.labels; k++)
		snprintf(h.labels[k], BERT_LABEL_LEN, "%s", x->labels[k]);
	snprintf(h.encoder, sizeof h.encoder, "%s", enc);
	h.w2 = m->param + w->off, h.b2 = m->param + b->off;
	char *path = bert_join(dir, "head.safetensors");
	int rc = bert_head_save(&h, path, m->cfg.layers, x->f16, err, errlen);
	free(path);
	return rc;
}

int bert_export_dir(const struct bert_tmodel *m, const struct bert_export *x, char *err, size_t errlen)
{
	char text[8192], enc[9];
	if (mkdir(x->out_dir, 0777) != 0 && errno != EEXIST)
		return bert_errf(err, errlen, "%s: %s", x->out_dir, strerror(errno));
	if (copy_file(x->base_dir, x->out_dir, "vocab.txt", 0, err, errlen) < 0 ||
	    copy_file(x->base_dir, x->out_dir, "tokenizer_config.json", 1, err, errlen) < 0 ||
	    copy_file(x->base_dir, x->out_dir, "special_tokens_map.json", 1, err, errlen) < 0)
		return -1;
	char *model = bert_join(x->out_dir, "model.safetensors"), *adapter = bert_join(x->out_dir, "adapter.safetensors");
	int rc = -1;
	if (m->lora_rank > 0) {
		/* the base as it was, the adapter beside it */
		if (copy_file(x->base_dir, x->out_dir, "config.json", 0, err, errlen) < 0 ||
		    copy_file(x->base_dir, x->out_dir, "model.safetensors", 0, err, errlen) < 0 ||
		    bert_lora_save(m, x->lora_alpha, x->base_hash, adapter, x->f16, err, errlen) < 0)
			goto out;
		const char *paths[2] = {model, adapter};
		if (bert_files_hash(paths, 2, enc, err, errlen) < 0 || write_head(m, x, x->out_dir, enc, err, errlen) < 0)
			goto out;
	} else {
		remove(adapter);
		config_json(m, x, text, sizeof text);
		if (write_text(x->out_dir, "config.json", text, err, errlen) < 0 ||
		    write_weights(m, model, err, errlen) < 0)
			goto out;
		if (m->cfg.pooling == BERT_POOL_MEAN) {
			const char *paths[1] = {model};
			if (bert_files_hash(paths, 1, enc, err, errlen) < 0 ||
			    write_head(m, x, x->out_dir, enc, err, errlen) < 0)
				goto out;
		} else {
			char *head = bert_join(x->out_dir, "head.safetensors");
			remove(head);
			free(head);
		}
	}
	snprintf(text, sizeof text, "{\"name\": \"%s\"}\n", x->name);
	rc = write_text(x->out_dir, "herd.json", text, err, errlen);
out:
	free(model), free(adapter);
	return rc;
}
