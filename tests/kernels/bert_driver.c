/*
 * bert_driver.c — runs src/bert's forward pass on token ids, for
 * scripts/gpu-check.sh: loads a checkpoint directory through the public
 * API (bert_load), reads sequences of token ids (one per line, ids
 * separated by spaces, [CLS] … [SEP] included), runs them in batches on
 * the CPU or on CUDA in fp32/fp16/bf16, writes logits, probabilities,
 * pooled vectors and the pooled features a head can read (every layer's
 * mean, the last layer's max: model.h's bert_run_features) as raw
 * little-endian fp32 in input order, and times repeated passes.
 *
 * It needs no tokenizer input (the ids come from Python or from golden
 * files), so the check runs on a machine without the text dependencies.
 * gpu-check.sh builds it with the files of src/bert; `make test` builds
 * it as build/tests/bert_driver, where --texts (one text a line,
 * tokenized by the model's own tokenizer; --ids-out writes the ids) serves
 * tests/bert/check-mpnet.sh.
 */
#include "bert/bert.h"
#include "bert/model.h"
#include "bert/pack.h"
#include "lib/util.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
	"Usage: bert_driver --model DIR --ids FILE [OPTIONS]\n"
	"Run src/bert on token ids; write logits/pooled as raw fp32; time passes.\n"
	"\n"
	"Options:\n"
	"      --device D         cpu, cuda or auto (default cuda)\n"
	"      --precision P      fp32, fp16 or bf16 (CUDA only; default fp32)\n"
	"      --batch N          sequences per batch (default 32)\n"
	"      --sort             batch sequences sorted by length (as herd-score does\n"
	"                         inside its window); outputs stay in input order\n"
	"      --limit N          use the first N sequences only\n"
	"      --logits FILE      write logits (S, K) fp32\n"
	"      --pooled FILE      write pooled vectors (S, C) fp32\n"
	"      --probs FILE       write probabilities (S, K) fp32\n"
	"      --features FILE    write every layer's mean, then the last layer's max\n"
	"                         (S, L + 1, C) fp32 (the last layer's \"mean\" is the\n"
	"                         pooled vector, as a head's feature: the [CLS]\n"
	"                         pooler's output for BertForSequenceClassification)\n"
	"      --reps N           after one warm-up pass, time N passes (default 0)\n"
	"      --threads N        CPU threads (default 0: all cores)\n"
	"      --texts FILE       instead of --ids: one text a line, tokenized by the\n"
	"                         model's tokenizer (cut to --max-len ids, default 128)\n"
	"      --ids-out FILE     with --texts: write the ids, one sequence a line\n";

struct seqs {
	int n, cap;
	int32_t **ids;
	int *len;
};

static void die(const char *fmt, const char *arg)
{
	fprintf(stderr, "bert_driver: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\n");
	exit(1);
}

static void push_seq(struct seqs *s, int32_t *ids, int n)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 256;
		s->ids = (int32_t **)xrealloc(s->ids, s->cap * sizeof *s->ids);
		s->len = (int *)xrealloc(s->len, s->cap * sizeof *s->len);
	}
	s->ids[s->n] = ids;
	s->len[s->n++] = n;
}

/* One sequence per line, ids separated by blanks. */
static void read_ids(const char *path, struct seqs *s, int limit)
{
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0;

	if (!f)
		die("%s: cannot open", path);
	while (getline(&line, &cap, f) > 0 && (limit <= 0 || s->n < limit)) {
		int32_t *ids = NULL;
		int n = 0, ncap = 0;
		char *p = line, *end;
		for (;;) {
			long v = strtol(p, &end, 10);
			if (end == p)
				break;
			if (n == ncap)
				ids = (int32_t *)xrealloc(ids, (ncap = ncap ? 2 * ncap : 64) * sizeof *ids);
			ids[n++] = (int32_t)v;
			p = end;
		}
		if (n == 0) {
			free(ids);
			continue;
		}
		push_seq(s, ids, n);
	}
	free(line);
	fclose(f);
	if (s->n == 0)
		die("%s: no sequences", path);
}

#ifndef HERD_BERT_NO_TOKENIZER
/* One text per line, tokenized as herd-score tokenizes a post; the ids
 * written to ids_out (when not NULL) as read_ids reads them. */
static void read_texts(const char *path, const bert_tokenizer *tok, int max_len, const char *ids_out, struct seqs *s,
		       int limit)
{
	FILE *f = fopen(path, "r"), *o = ids_out ? fopen(ids_out, "w") : NULL;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;

	if (!f)
		die("%s: cannot open", path);
	if (ids_out && !o)
		die("%s: cannot write", ids_out);
	while ((n = getline(&line, &cap, f)) > 0 && (limit <= 0 || s->n < limit)) {
		if (line[n - 1] == '\n')
			line[--n] = '\0';
		int32_t *ids = (int32_t *)xmalloc((size_t)max_len * sizeof *ids);
		int len = bert_tokenize(tok, line, (size_t)n, max_len, ids);
		for (int i = 0; o && i < len; i++)
			fprintf(o, i ? " %d" : "%d", ids[i]);
		if (o)
			fputc('\n', o);
		push_seq(s, ids, len);
	}
	free(line);
	fclose(f);
	if (o && fclose(o) != 0)
		die("%s: cannot write", ids_out);
	if (s->n == 0)
		die("%s: no texts", path);
}
#endif

static void write_floats(const char *path, const float *v, size_t n)
{
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(v, sizeof *v, n, f) != n || fclose(f) != 0)
		die("%s: cannot write", path);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"model", required_argument, NULL, 'm'},  {"ids", required_argument, NULL, 'i'},
		{"device", required_argument, NULL, 'd'}, {"precision", required_argument, NULL, 'p'},
		{"batch", required_argument, NULL, 'b'},  {"sort", no_argument, NULL, 's'},
		{"limit", required_argument, NULL, 'l'},  {"logits", required_argument, NULL, 'L'},
		{"pooled", required_argument, NULL, 'P'}, {"reps", required_argument, NULL, 'r'},
		{"threads", required_argument, NULL, 't'}, {"help", no_argument, NULL, 'h'},
		{"texts", required_argument, NULL, 'T'},  {"ids-out", required_argument, NULL, 'O'},
		{"max-len", required_argument, NULL, 'M'}, {"probs", required_argument, NULL, 'R'},
		{"features", required_argument, NULL, 'F'}, {0}};
	const char *model = NULL, *idpath = NULL, *logits_path = NULL, *pooled_path = NULL;
	const char *probs_path = NULL, *features_path = NULL;
	const char *textpath = NULL, *ids_out = NULL;
	int text_max_len = 128;
	struct bert_options opt = {.device = BERT_DEVICE_CUDA, .precision = BERT_FP32, .max_batch = 32};
	int batch = 32, sort = 0, limit = 0, reps = 0, c, maxlen = 0;
	struct seqs s = {0};
	char err[512];
	long tokens = 0;

	herd_set_prog("bert_driver");
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'm': model = optarg; break;
		case 'i': idpath = optarg; break;
		case 'd':
			if (!strcmp(optarg, "cpu"))
				opt.device = BERT_DEVICE_CPU;
			else if (!strcmp(optarg, "cuda"))
				opt.device = BERT_DEVICE_CUDA;
			else if (!strcmp(optarg, "auto"))
				opt.device = BERT_DEVICE_AUTO;
			else
				die("--device %s: not cpu, cuda or auto", optarg);
			break;
		case 'p':
			if (!strcmp(optarg, "fp32"))
				opt.precision = BERT_FP32;
			else if (!strcmp(optarg, "fp16"))
				opt.precision = BERT_FP16;
			else if (!strcmp(optarg, "bf16"))
				opt.precision = BERT_BF16;
			else
				die("--precision %s: not fp32, fp16 or bf16", optarg);
			break;
		case 'b': batch = atoi(optarg); break;
		case 's': sort = 1; break;
		case 'l': limit = atoi(optarg); break;
		case 'L': logits_path = optarg; break;
		case 'P': pooled_path = optarg; break;
		case 'r': reps = atoi(optarg); break;
		case 't': opt.threads = atoi(optarg); break;
		case 'T': textpath = optarg; break;
		case 'O': ids_out = optarg; break;
		case 'M': text_max_len = atoi(optarg); break;
		case 'R': probs_path = optarg; break;
		case 'F': features_path = optarg; break;
		case 'h': fputs(usage, stdout); return 0;
		default: fputs(usage, stderr); return 2;
		}
	}
	if (!model || !idpath == !textpath || batch < 1 || text_max_len < 2) {
		fputs(usage, stderr);
		return 2;
	}
	opt.max_batch = batch;
	bert_model *m;
	if (idpath) {
		read_ids(idpath, &s, limit);
		for (int i = 0; i < s.n; i++)
			maxlen = s.len[i] > maxlen ? s.len[i] : maxlen;
		opt.max_len = maxlen;
		if (!(m = bert_load(model, &opt, err, sizeof err)))
			die("%s", err);
	} else {
#ifndef HERD_BERT_NO_TOKENIZER
		opt.max_len = text_max_len;
		if (!(m = bert_load(model, &opt, err, sizeof err)))
			die("%s", err);
		read_texts(textpath, bert_get_tokenizer(m), text_max_len, ids_out, &s, limit);
		for (int i = 0; i < s.n; i++)
			maxlen = s.len[i] > maxlen ? s.len[i] : maxlen;
#else
		die("--texts %s: this build has no tokenizer", textpath);
#endif
	}
	for (int i = 0; i < s.n; i++)
		tokens += s.len[i];
	const struct bert_config *cfg = bert_get_config(m);
	const int K = cfg->labels, C = cfg->hidden;
	printf("driver: %s: %d layers, hidden %d, %d labels; %s\n", model, cfg->layers, C, K, bert_device_info(m));
	printf("driver: %d sequences, %ld tokens, longest %d, batch %d%s\n", s.n, tokens, maxlen, batch,
	       sort ? ", sorted by length" : "");

	/* order[i]: the input index of the i-th sequence run. */
	size_t *order = (size_t *)xmalloc(s.n * sizeof *order);
	for (int i = 0; i < s.n; i++)
		order[i] = (size_t)i;
	if (sort)
		bert_order_by_length(s.len, (size_t)s.n, order);
	float *logits = (float *)xcalloc((size_t)s.n * (K > 0 ? K : 1), sizeof(float));
	float *pooled = (float *)xcalloc((size_t)s.n * C, sizeof(float));
	float *bl = (float *)xmalloc((size_t)batch * (K > 0 ? K : 1) * sizeof(float));
	float *probs = (float *)xcalloc((size_t)s.n * (K > 0 ? K : 1), sizeof(float));
	float *bq = (float *)xmalloc((size_t)batch * (K > 0 ? K : 1) * sizeof(float));
	/* --features: layers 1..L's means, then the last layer's max */
	const int L = cfg->layers, NF = L + 1;
	struct bert_features feat = {.n = NF};
	if (features_path && NF > BERT_HEAD_MAX_FEATURES)
		die("--features: %s has more layers than a feature list holds", model);
	for (int l = 0; l < NF && features_path; l++)
		feat.f[l].layer = l < L ? l + 1 : L, feat.f[l].max = l == L;
	float *features = features_path ? (float *)xcalloc((size_t)s.n * NF * C, sizeof(float)) : NULL;
	float *bf = features_path ? (float *)xmalloc((size_t)batch * NF * C * sizeof(float)) : NULL;
	float *bp = (float *)xmalloc((size_t)batch * C * sizeof(float));
	const int32_t **bids = (const int32_t **)xmalloc(batch * sizeof *bids);
	int *blen = (int *)xmalloc(batch * sizeof *blen);
	double t0 = 0;

	for (int pass = 0; pass <= reps; pass++) {
		if (pass == 1)
			t0 = herd_now_mono();
		for (int i0 = 0; i0 < s.n; i0 += batch) {
			int B = bert_batch_at((const int32_t *const *)s.ids, s.len, order, (size_t)s.n, (size_t)i0, batch,
					      bids, blen);
			if (bert_run(m, B, bids, blen, K > 0 ? bl : NULL, K > 0 && pass == 0 ? bq : NULL, bp, err,
				     sizeof err) < 0)
				die("bert_run: %s", err);
			if (pass > 0)
				continue;
			for (int b = 0; b < B; b++) {
				memcpy(logits + (size_t)order[i0 + b] * K, bl + (size_t)b * K, K * sizeof(float));
				memcpy(probs + (size_t)order[i0 + b] * K, bq + (size_t)b * K, K * sizeof(float));
				memcpy(pooled + (size_t)order[i0 + b] * C, bp + (size_t)b * C, C * sizeof(float));
			}
			if (!features)
				continue;
			if (bert_run_features(m, &feat, B, bids, blen, bf, err, sizeof err) < 0)
				die("bert_run_features: %s", err);
			for (int b = 0; b < B; b++)
				memcpy(features + (size_t)order[i0 + b] * NF * C, bf + (size_t)b * NF * C,
				       (size_t)NF * C * sizeof(float));
		}
	}
	if (reps > 0) {
		double dt = (herd_now_mono() - t0) / reps;
		printf("TIMING seqs=%d tokens=%ld seconds=%.6f reps=%d seq_per_s=%.1f tokens_per_s=%.1f\n", s.n, tokens,
		       dt, reps, s.n / dt, tokens / dt);
	}
	if (logits_path && K > 0)
		write_floats(logits_path, logits, (size_t)s.n * K);
	if (pooled_path)
		write_floats(pooled_path, pooled, (size_t)s.n * C);
	if (probs_path && K > 0)
		write_floats(probs_path, probs, (size_t)s.n * K);
	if (features_path)
		write_floats(features_path, features, (size_t)s.n * NF * C);
	bert_free(m);
	for (int i = 0; i < s.n; i++)
		free(s.ids[i]);
	free(s.ids), free(s.len), free(order), free(logits), free(pooled), free(bl), free(bp), free(bids), free(blen);
	free(probs), free(bq), free(features), free(bf);
	return 0;
}
