/*
 * herd-score — adds sentiment to posts (docs/records.md, "Scored posts").
 *
 * Reads any records; writes every record back in input order. Posts get
 * `vader` (VADER, src/text/vader.c) and/or `sentiment` (a BERT model,
 * src/bert, or VADER when it runs alone); other kinds pass through
 * unchanged. The text scored is the post's title and text joined by a
 * newline (one of them alone when the other is null or empty): what a
 * reader sees, as the WSB and news sentiment projects score it.
 *
 * This file is the command: options, and the scorers as stages of
 * lib/owindow.h's pipeline (windows of --sort-window posts: the reading
 * thread reads, parses and tokenizes window k+1 and finishes and writes
 * window k-1 while the main thread runs the model on window k). Each
 * scorer takes a window of posts in input order and sets its own field on
 * each. The BERT scorer hands its window to the engine's batching
 * (src/bert/window.h: tokenize on all CPUs, --long split's sentence
 * chunks, sort by length, batches of --batch, each post's mean over its
 * chunks, as FinBERT's own predict() scores sentences) and turns the
 * numbers into fields. VADER alone needs no window: each record is
 * parsed, scored and written on one of the pool's threads (opipe_map),
 * output in input order. With --threads 1 it is all one loop on one
 * thread.
 */
#include "bert/bert.h"
#include "bert/cpu.h"
#include "bert/window.h"
#include "lib/buf.h"
#include "lib/cli.h"
#include "lib/home.h"
#include "lib/jsonx.h"
#include "lib/log.h"
#include "lib/ndjson.h"
#include "lib/opipe.h"
#include "lib/owindow.h"
#include "lib/stream.h"
#include "lib/util.h"
#include "text/vader.h"

#include <errno.h>
#include <malloc.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

static const char usage[] =
	"Usage: herd-score [OPTIONS] [FILE...]\n"
	"Add sentiment (VADER, or a BERT model) to posts.\n"
	"\n"
	"Reads records (NDJSON) from FILEs or stdin and writes every one of them to\n"
	"stdout in input order. A post (\"kind\":\"post\") gets its title and text\n"
	"scored (joined by a newline; the one that is there when the other is null\n"
	"or \"\"); other records pass through unchanged. A post whose \"text\" is\n"
	"missing or not a string, or whose \"title\" is neither a string nor null,\n"
	"is rejected.\n"
	"\n"
	"With a BERT model (a directory: config.json, vocab.txt, model.safetensors,\n"
	"and head.safetensors for a sentence encoder; config.json's model_type \"bert\"\n"
	"or \"mpnet\"; the default is models/default, built by `make models`: mpnet-fin3,\n"
	"MPNet fine-tuned for finance sentiment; models/minilm-fin3, also built by it,\n"
	"is about 6x as fast and 3 points less accurate), each post gets\n"
	"  \"sentiment\":{\"model\":NAME@HASH,\"label\":…,\"probs\":{…one per label…},\n"
	"      \"score\":P(positive)-P(negative),\"confidence\":max prob}\n"
	"      HASH: the first 8 hex digits of the SHA-256 of the weights; numbers\n"
	"      rounded to 4 decimals\n"
	"Texts are cut to --max-len tokens, or with --long split, a text longer than\n"
	"that is cut into chunks of whole sentences that fit, each chunk is scored and\n"
	"their probabilities (and logits, embeddings) are averaged.\n"
	"\n"
	"With --model vader, each post gets\n"
	"  \"vader\":{\"neg\":…,\"neu\":…,\"pos\":…,\"compound\":…}   exactly as vaderSentiment\n"
	"      3.3.2 computes it (rounded as it rounds: 3 decimals, 4 for compound)\n"
	"  \"sentiment\":{\"model\":\"vader@3.3.2\",\"label\":…,\"score\":compound,\"confidence\":|compound|}\n"
	"      label: positive (compound >= 0.05), negative (<= -0.05) or neutral\n"
	"A field already there is replaced; nothing else in the record changes.\n"
	"With -v, the lexicon or model loaded and the CPU time spent scoring are\n"
	"reported. The device a BERT model runs on is said in one line on stderr.\n"
	"\n"
	"A BERT model scores windows of --sort-window posts in a pipeline: while it\n"
	"scores one window, the next is read, parsed and tokenized and the one before\n"
	"is written, on --threads threads. VADER alone: the threads share each chunk\n"
	"of 1024 lines read (--threads 1: record after record). The output is the\n"
	"same, byte for byte, whatever --threads, on any CPU (the model's work is cut\n"
	"into the same pieces whatever the thread count), and for VADER whatever\n"
	"--sort-window. A BERT model's batches (--batch, --sort-window), another kind\n"
	"of CPU (AVX-512 or not) or GEMM library can move the last float digits of its\n"
	"logits. On the CPU the GEMM library (oneDNN's sgemm, oneDNN's matmul on\n"
	"weights packed at load, OpenBLAS) is chosen by timing\n"
	"each on the model's shapes the first time a model of that shape runs on this\n"
	"CPU, and cached in $XDG_CACHE_HOME/herd/gemm (~/.cache/herd/gemm); the device\n"
	"line says which and why. HERD_GEMM=dnnl|matmul|openblas|herd pins one.\n"
	"--precision bf16 on the CPU needs AVX512_BF16 (through oneDNN's matmul);\n"
	"HERD_CPU_NO_BF16=1 refuses it as a CPU without it does.\n"
	"\n"
	"Options:\n"
	"  -m, --model M           vader, or a BERT model directory (default models/default\n"
	"                          beside bin/, or $HERD_HOME/models/default)\n"
	"      --vader             also add \"vader\" when --model is a BERT model\n"
	"      --hybrid            VADER on every post (\"vader\"), and the BERT model's\n"
	"                          \"sentiment\" only on news (type article), posts with\n"
	"                          engagement.score >= --engagement-min, and posts that\n"
	"                          use a finance term (earnings, guidance, downgrade, …)\n"
	"      --engagement-min N  the --hybrid engagement threshold (default 100)\n"
	"      --lexicon DIR       VADER lexicon directory with vader_lexicon.txt and\n"
	"                          emoji_utf8_lexicon.txt (default data/vader beside bin/,\n"
	"                          or $HERD_HOME/data/vader; scripts/fetch-vader.sh fills it)\n"
	"  -b, --batch N           sequences per BERT batch (default 32)\n"
	"      --sort-window N     posts read before a BERT model scores them (default\n"
	"                          1024), sorted by length into batches; a window is\n"
	"                          written once scored\n"
	"      --max-len N         tokens per sequence, [CLS] and [SEP] included (default 128)\n"
	"      --long MODE         truncate (default) or split: longer texts as averaged\n"
	"                          sentence chunks\n"
	"      --device D          auto (default: CUDA when a GPU is there and the\n"
	"                          backend is checked on one since its last change,\n"
	"                          else the CPU: for now the CPU), cpu or cuda\n"
	"      --precision P       on CUDA: fp16 (default), bf16 or fp32; on the CPU: fp32\n"
	"                          (default; fp16 too), int8 (the projections in int8:\n"
	"                          dynamic activation scales, weight scales per channel\n"
	"                          and group of inputs; CPU only) or bf16 (the\n"
	"                          projections in bf16, fp32 sums; needs AVX512_BF16,\n"
	"                          else exit 2)\n"
	"      --int8-recheck P    with --precision int8: a text whose two likeliest\n"
	"                          labels int8 puts within P of each other (a near tie,\n"
	"                          where int8's rounding can flip the label) is run again\n"
	"                          in fp32 and gets fp32's scores (default 0.15: ~4% of\n"
	"                          real texts; 0: never)\n"
	"      --threads N         threads for each stage: parsing, tokenizing, VADER,\n"
	"                          writing, and the model on the CPU (default: all CPUs;\n"
	"                          1: no pipeline, one window after the other)\n"
	"      --emit LIST         also add, for tests and debugging, any of: tokens (the\n"
	"                          ids; one array per chunk when split), logits, embedding\n"
	"                          (the pooled vector before the classifier)\n"
	CLI_REJECT_HELP CLI_COMMON_HELP
	"\n"
	"Examples:\n"
	"  herd-normalize --source reddit comments.ndjson | herd-score --model vader \\\n"
	"    | herd-aggregate --window 1h\n"
	"  herd-score --hybrid --long split posts.ndjson > scored.ndjson\n";

enum {
	OPT_VADER = CLI_FIRST_PROGRAM_OPTION,
	OPT_LEXICON,
	OPT_HYBRID,
	OPT_ENGAGEMENT_MIN,
	OPT_SORT_WINDOW,
	OPT_MAX_LEN,
	OPT_LONG,
	OPT_DEVICE,
	OPT_PRECISION,
	OPT_INT8_RECHECK,
	OPT_THREADS,
	OPT_EMIT,
};

#define DEFAULT_BATCH 32
#define DEFAULT_SORT_WINDOW 1024
#define DEFAULT_MAX_LEN 128
#define DEFAULT_ENGAGEMENT_MIN 100
#define BERT_DECIMALS 1e4 /* sentiment numbers are rounded to 4 decimals */
#define VADER_POSITIVE 0.05 /* compound >= this: positive (the VADER authors' threshold) */
#define VADER_NEGATIVE -0.05
#define MIN_PER_THREAD 64 /* posts per thread: fewer are not worth waking one */

/* ------------------------------------------------------------ scorers */

/* A scorer is a stage of the window pipeline (lib/owindow.h: prepare on
 * the reading thread, run on the main one, finish on the reading thread
 * again) with the reading thread's pool, which its prepare and finish
 * spread their work over: records are made, given their fields and freed
 * on the same threads, which is what malloc likes. */
struct scorer {
	struct owindow_stage st;
	opipe_pool *pool;
	void (*free)(struct scorer *sc);
};

struct vader_scorer {
	struct scorer base;
	vader_t *v;
	vader_work_t **w; /* one per thread of the pool */
	int nw;
	int sentiment;   /* also write "sentiment" (VADER is the model) */
	json_t *model;   /* "vader@3.3.2", shared by every record */
	json_t *label[3]; /* "negative", "neutral", "positive" */
};

static json_t *vader_object(const struct vader_scores *s)
{
	json_t *o = json_object();

	jx_set_real(o, "neg", s->neg);
	jx_set_real(o, "neu", s->neu);
	jx_set_real(o, "pos", s->pos);
	jx_set_real(o, "compound", s->compound);
	return o;
}

static json_t *vader_sentiment(const struct vader_scorer *vs, const struct vader_scores *s)
{
	json_t *o = json_object();
	int label = s->compound >= VADER_POSITIVE ? 2 : s->compound <= VADER_NEGATIVE ? 0 : 1;

	json_object_set(o, "model", vs->model);
	json_object_set(o, "label", vs->label[label]);
	jx_set_real(o, "score", s->compound);
	jx_set_real(o, "confidence", fabs(s->compound));
	return o;
}

struct vader_job {
	struct vader_scorer *vs;
	json_t *const *recs;
	const char *const *texts;
	const size_t *lens;
};

/* Score text[0..len) and set the fields on rec, with thread part's work. */
static void vader_set(struct vader_scorer *vs, int part, json_t *rec, const char *text, size_t len)
{
	struct vader_scores s;

	vader_score(vs->v, vs->w[part], text, len, &s);
	json_object_set_new(rec, "vader", vader_object(&s));
	if (vs->sentiment)
		json_object_set_new(rec, "sentiment", vader_sentiment(vs, &s));
}

static void vader_part(void *arg, size_t from, size_t to, int part)
{
	struct vader_job *j = arg;

	for (size_t i = from; i < to; i++)
		vader_set(j->vs, part, j->recs[i], j->texts[i], j->lens[i]);
}

static void vader_finish(struct owindow_stage *st, void *prep, json_t *const *recs, const char *const *texts,
			 const size_t *lens, size_t n)
{
	struct vader_job j = {(struct vader_scorer *)st, recs, texts, lens};

	(void)prep;
	opipe_pool_for(j.vs->base.pool, n, MIN_PER_THREAD, vader_part, &j);
}

static void vader_scorer_free(struct scorer *sc)
{
	struct vader_scorer *vs = (struct vader_scorer *)sc;

	vader_free(vs->v);
	for (int i = 0; i < vs->nw; i++)
		vader_work_free(vs->w[i]);
	free(vs->w);
	json_decref(vs->model);
	for (int i = 0; i < 3; i++)
		json_decref(vs->label[i]);
	free(vs);
}

/* Load the lexicons from dir (NULL: the installed data/vader); it will
 * score on pool. */
static struct scorer *vader_scorer_new(const char *dir, int sentiment, opipe_pool *pool)
{
	struct vader_scorer *vs = xcalloc(1, sizeof *vs);
	char *found = NULL, err[512];

	if (!dir) {
		found = herd_data_path("data/vader/" VADER_LEXICON_FILE);
		if (!found)
			log_fatal(HERD_EXIT_FAIL, "no VADER lexicon: data/vader/%s not found beside bin/ "
				  "(run scripts/fetch-vader.sh, or give --lexicon DIR)", VADER_LEXICON_FILE);
		*strrchr(found, '/') = '\0';
		dir = found;
	}
	vs->v = vader_load_dir(dir, err, sizeof err);
	if (!vs->v)
		log_fatal(HERD_EXIT_FAIL, "%s", err);
	log_debug("VADER %s: %zu lexicon tokens, %zu emoji, from %s", VADER_VERSION, vader_lexicon_size(vs->v),
		  vader_emoji_size(vs->v), dir);
	free(found);
	vs->nw = opipe_pool_size(pool);
	vs->w = xmalloc(sizeof *vs->w * (size_t)vs->nw);
	for (int i = 0; i < vs->nw; i++)
		vs->w[i] = vader_work_new();
	vs->base.pool = pool;
	vs->sentiment = sentiment;
	vs->model = json_string("vader@" VADER_VERSION);
	vs->label[0] = json_string("negative");
	vs->label[1] = json_string("neutral");
	vs->label[2] = json_string("positive");
	vs->base.st.name = "vader";
	vs->base.st.finish = vader_finish;
	vs->base.free = vader_scorer_free;
	return &vs->base;
}

/* ------------------------------------------------------------ BERT */

struct bert_settings {
	const char *dir;
	int batch, max_len, max_len_given, split, threads, hybrid;
	long engagement_min;
	enum bert_device device;
	enum bert_precision precision;
	float int8_recheck;
	int emit_tokens, emit_logits, emit_embedding;
};

struct bert_scorer {
	struct scorer base;
	struct bert_settings set;
	bert_model *m;
	const struct bert_config *cfg;
	json_t *model;                      /* "name@hash", shared by every record */
	json_t *label[BERT_MAX_LABELS];
	int ipos, ineg;                     /* indices of positive/negative, or -1 */
};

/* Words whose presence routes a post to the model under --hybrid: the
 * vocabulary of earnings, analysts, deals and filings, where VADER's
 * general lexicon misreads finance ("beat", "miss", "short", "guidance"). */
static const char *const finance_terms[] = {
	"earnings", "revenue", "revenues", "guidance", "eps", "dividend", "dividends", "buyback", "upgrade",
	"downgrade", "upgraded", "downgraded", "analyst", "analysts", "outlook", "forecast", "profit", "profits",
	"loss", "losses", "quarter", "quarterly", "q1", "q2", "q3", "q4", "fy", "margin", "margins", "merger",
	"acquisition", "ipo", "sec", "fda", "bankruptcy", "default", "debt", "bond", "bonds", "yield", "short",
	"squeeze", "calls", "puts", "options", "beat", "miss", "missed", "target", "valuation", "shares", "stock",
	"sales", "growth", "inflation", "fed", "rates", "layoffs", "lawsuit", "recall", "offering", "dilution",
};

static int has_finance_term(const char *t, size_t n)
{
	char word[32];
	size_t i = 0;

	while (i < n) {
		while (i < n && !((t[i] >= 'a' && t[i] <= 'z') || (t[i] >= 'A' && t[i] <= 'Z') || (t[i] >= '0' && t[i] <= '9')))
			i++;
		size_t k = 0;
		while (i < n && ((t[i] >= 'a' && t[i] <= 'z') || (t[i] >= 'A' && t[i] <= 'Z') || (t[i] >= '0' && t[i] <= '9'))) {
			if (k < sizeof word - 1)
				word[k++] = (char)(t[i] >= 'A' && t[i] <= 'Z' ? t[i] - 'A' + 'a' : t[i]);
			i++;
		}
		word[k] = '\0';
		for (size_t w = 0; k && w < sizeof finance_terms / sizeof finance_terms[0]; w++)
			if (strcmp(word, finance_terms[w]) == 0)
				return 1;
	}
	return 0;
}

/* --hybrid: does this post go to the model too? */
static int routed(const struct bert_settings *set, json_t *rec, const char *text, size_t len)
{
	const char *type = jx_str(rec, "type");
	json_t *eng = json_object_get(rec, "engagement");
	json_t *score = json_is_object(eng) ? json_object_get(eng, "score") : NULL;

	if (type && strcmp(type, "article") == 0)
		return 1;
	if (json_is_number(score) && json_number_value(score) >= (double)set->engagement_min)
		return 1;
	return has_finance_term(text, len);
}

static double round4(double x)
{
	return round(x * BERT_DECIMALS) / BERT_DECIMALS;
}

/* A float as JSON with the 9 digits that give it back exactly. */
static json_t *exact_real(float f)
{
	char buf[32];
	snprintf(buf, sizeof buf, "%.9g", f);
	return json_real(strtod(buf, NULL));
}

/* A window's sequences, made by bert_prepare, and what the model made of
 * them (bert_window_run), made into fields by bert_finish. */
struct bert_prep {
	struct bert_seqs seqs;
	size_t n;                       /* posts in the window */
	float *logits, *probs, *pooled; /* per post: the mean over its chunks */
	int *chunks;                    /* per post: sequences scored (0: not routed) */
};

static json_t *probs_object(const struct bert_scorer *bs, const float *p)
{
	json_t *o = json_object();
	for (int k = 0; k < bs->cfg->labels; k++)
		json_object_set_new(o, bs->cfg->label_names[k], json_real(round4(p[k])));
	return o;
}

/* The window's posts (those --hybrid routes) as sequences, tokenized on
 * the prepare pool, sorted by length (src/bert/window.h). */
static void *bert_prepare(struct owindow_stage *st, json_t *const *recs, const char *const *texts,
			  const size_t *lens, size_t n)
{
	struct bert_scorer *bs = (struct bert_scorer *)st;
	struct bert_prep *bp = xcalloc(1, sizeof *bp);
	size_t *want = xmalloc(sizeof *want * (n ? n : 1)), nwant = 0;

	for (size_t i = 0; i < n; i++)
		if (!bs->set.hybrid || routed(&bs->set, recs[i], texts[i], lens[i]))
			want[nwant++] = i;
	bert_seqs_make(&bp->seqs, bert_get_tokenizer(bs->m), texts, lens, want, nwant, bs->set.max_len, bs->set.split,
		       opipe_pool_threads(bs->base.pool));
	free(want);
	bp->n = n;
	bp->logits = xcalloc(n ? n * (size_t)bs->cfg->labels : 1, sizeof(float));
	bp->probs = xcalloc(n ? n * (size_t)bs->cfg->labels : 1, sizeof(float));
	bp->pooled = bs->set.emit_embedding ? xcalloc(n ? n * (size_t)bs->cfg->hidden : 1, sizeof(float)) : NULL;
	bp->chunks = xcalloc(n ? n : 1, sizeof(int));
	return bp;
}

static void bert_prep_free(struct bert_prep *bp)
{
	bert_seqs_free(&bp->seqs);
	free(bp->logits), free(bp->probs), free(bp->pooled), free(bp->chunks);
	free(bp);
}

struct field_job {
	struct bert_scorer *bs;
	struct bert_prep *bp;
	json_t *const *recs;
};

/* Posts [from, to): their results as fields. */
static void field_part(void *arg, size_t from, size_t to, int part)
{
	struct field_job *j = arg;
	struct bert_scorer *bs = j->bs;
	struct bert_prep *bp = j->bp;
	json_t *const *recs = j->recs;
	int K = bs->cfg->labels, C = bs->cfg->hidden;

	(void)part;
	for (size_t i = from; i < to; i++) {
		if (!bp->chunks[i])
			continue;
		const float *p = bp->probs + i * K, *l = bp->logits + i * K;
		int best = 0;
		for (int k = 0; k < K; k++)
			best = p[k] > p[best] ? k : best;
		double pos = bs->ipos >= 0 ? p[bs->ipos] : 0, neg = bs->ineg >= 0 ? p[bs->ineg] : 0;
		json_t *o = json_object();
		json_object_set(o, "model", bs->model);
		json_object_set(o, "label", bs->label[best]);
		json_object_set_new(o, "probs", probs_object(bs, p));
		json_object_set_new(o, "score", json_real(round4(pos - neg)));
		json_object_set_new(o, "confidence", json_real(round4(p[best])));
		json_object_set_new(recs[i], "sentiment", o);
		if (bs->set.emit_tokens) {
			json_t *all = json_array();
			for (size_t s = 0; s < bp->seqs.n; s++) {
				if (bp->seqs.text[s] != i)
					continue;
				json_t *a = json_array();
				for (int t = 0; t < bp->seqs.lens[s]; t++)
					json_array_append_new(a, json_integer(bp->seqs.ids[s][t]));
				json_array_append_new(all, a);
			}
			if (json_array_size(all) == 1)
				json_object_set(recs[i], "tokens", json_array_get(all, 0));
			else
				json_object_set(recs[i], "tokens", all);
			json_decref(all);
		}
		if (bs->set.emit_logits) {
			json_t *a = json_array();
			for (int k = 0; k < K; k++)
				json_array_append_new(a, exact_real(l[k]));
			json_object_set_new(recs[i], "logits", a);
		}
		if (bs->set.emit_embedding) {
			json_t *a = json_array();
			for (int c = 0; c < C; c++)
				json_array_append_new(a, exact_real(bp->pooled[i * C + c]));
			json_object_set_new(recs[i], "embedding", a);
		}
	}
}

/* The prepared sequences in batches of --batch through the model. */
static int bert_run_window(struct owindow_stage *st, void *prep, char *err, size_t errlen)
{
	struct bert_scorer *bs = (struct bert_scorer *)st;
	struct bert_prep *bp = prep;
	struct bert_window_out out = {bp->logits, bp->probs, bp->pooled, bp->chunks};

	return bert_window_run(bs->m, &bp->seqs, bs->set.batch, bp->n, &out, err, errlen);
}

/* The fields of the window's posts, on the pool. */
static void bert_finish(struct owindow_stage *st, void *prep, json_t *const *recs, const char *const *texts,
			const size_t *lens, size_t n)
{
	struct field_job fj = {(struct bert_scorer *)st, prep, recs};

	(void)texts, (void)lens;
	opipe_pool_for(fj.bs->base.pool, n, MIN_PER_THREAD, field_part, &fj);
	bert_prep_free(prep);
}

static void bert_scorer_free(struct scorer *sc)
{
	struct bert_scorer *bs = (struct bert_scorer *)sc;
	long seqs, rechecked;

	bert_recheck_counts(bs->m, &seqs, &rechecked);
	if (seqs > 0) /* counted only where int8 runs with a re-check */
		log_info("%s: int8 left %ld of %ld sequences within %.2f of a tie: re-run in fp32 (%.1f%%)",
			 json_string_value(bs->model), rechecked, seqs, bs->set.int8_recheck, 100.0 * rechecked / seqs);
	bert_free(bs->m);
	json_decref(bs->model);
	for (int k = 0; k < BERT_MAX_LABELS; k++)
		json_decref(bs->label[k]);
	free(bs);
}

/* Load the model of set; it will tokenize and write on pool. */
static struct scorer *bert_scorer_new(const struct bert_settings *set, opipe_pool *pool)
{
	struct bert_scorer *bs = xcalloc(1, sizeof *bs);
	struct bert_options o = {.device = set->device, .precision = set->precision, .threads = set->threads,
				 .max_batch = set->batch, .max_len = set->max_len, .int8_recheck = set->int8_recheck};
	char err[1024], name[128];

	bs->set = *set;
	bs->m = bert_load(set->dir, &o, err, sizeof err);
	if (!bs->m) {
		if (errno == ENOTSUP) /* a precision this device cannot run */
			log_usage("%s", err);
		if (errno == ENOENT && strstr(set->dir, "models/default"))
			log_fatal(HERD_EXIT_FAIL, "%s (the default model is built by `make models`)", err);
		log_fatal(HERD_EXIT_FAIL, "%s", err);
	}
	bs->cfg = bert_get_config(bs->m);
	if (bs->cfg->labels == 0)
		log_fatal(HERD_EXIT_FAIL, "%s: the model has no classifier head (a sentence encoder needs "
			  "head.safetensors: train one with herd-train)", set->dir);
	if (!bert_get_tokenizer(bs->m))
		log_fatal(HERD_EXIT_FAIL, "%s: this build of the engine has no tokenizer", set->dir);
	if (bs->set.max_len > bert_max_tokens(bs->cfg)) {
		if (set->max_len_given)
			log_usage("--max-len: %d is over the model's %d positions", set->max_len, bert_max_tokens(bs->cfg));
		bs->set.max_len = bert_max_tokens(bs->cfg); /* a small model's own limit */
	}
	bs->ipos = bs->ineg = -1;
	for (int k = 0; k < bs->cfg->labels; k++) {
		bs->label[k] = json_string(bs->cfg->label_names[k]);
		if (strcmp(bs->cfg->label_names[k], "positive") == 0)
			bs->ipos = k;
		if (strcmp(bs->cfg->label_names[k], "negative") == 0)
			bs->ineg = k;
	}
	snprintf(name, sizeof name, "%s@%s", bs->cfg->name, bs->cfg->hash);
	bs->model = json_string(name);
	log_info("%s: %s", name, bert_device_info(bs->m));
	bs->base.pool = pool;
	bs->base.st.name = "bert";
	bs->base.st.prepare = bert_prepare;
	bs->base.st.run = bert_run_window;
	bs->base.st.finish = bert_finish;
	bs->base.free = bert_scorer_free;
	return &bs->base;
}

/* ------------------------------------------------------------ records */

/* The text a post is scored on (title and text joined by a newline, or
 * the one that is there) appended to b: 0, or -1 with the reason to
 * reject the post. */
static int post_text(json_t *rec, buf_t *b, char *reason, size_t reasonlen)
{
	json_t *text = json_object_get(rec, "text"), *title = json_object_get(rec, "title");

	if (!text)
		return herd_errf(reason, reasonlen, "post has no field 'text'");
	if (!json_is_string(text))
		return herd_errf(reason, reasonlen, "field 'text' is %s, not a string", jx_type_name(text));
	if (title && !json_is_string(title) && !json_is_null(title))
		return herd_errf(reason, reasonlen, "field 'title' is %s, not a string or null", jx_type_name(title));
	if (title && json_is_string(title) && json_string_length(title) > 0) {
		buf_put(b, json_string_value(title), json_string_length(title));
		if (json_string_length(text) > 0)
			buf_putc(b, '\n');
	}
	buf_put(b, json_string_value(text), json_string_length(text));
	return 0;
}

static int is_post(json_t *rec)
{
	const char *kind = jx_str(rec, "kind");

	return kind && strcmp(kind, "post") == 0;
}

/* owindow's items: posts, with their text. */
static int post_item(json_t *rec, buf_t *b, char *reason, size_t reasonlen)
{
	if (!is_post(rec))
		return 0;
	return post_text(rec, b, reason, reasonlen) < 0 ? -1 : 1;
}

static double cpu_seconds(void)
{
	struct timespec t;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* ------------------------------------------------------------ VADER alone */

/* VADER alone needs no window: each record is parsed, scored, written
 * and freed on one thread (opipe_map), threads taking a share of each
 * chunk of lines; output in input order. */
struct vader_map {
	struct vader_scorer *vs;
	buf_t *text;   /* per thread: the post's text */
	long *posts;   /* per thread: posts scored */
	double *secs;  /* per thread: CPU seconds scoring, with -v only */
	int timed;
};

static int vader_map(json_t *rec, buf_t *out, char *reason, size_t reasonlen, int part, void *arg)
{
	struct vader_map *vm = arg;

	if (is_post(rec)) {
		buf_t *t = &vm->text[part];
		double t0 = vm->timed ? cpu_seconds() : 0;
		buf_reset(t);
		if (post_text(rec, t, reason, reasonlen) < 0)
			return -1;
		vader_set(vm->vs, part, rec, t->p ? t->p : "", t->len);
		vm->posts[part]++;
		if (vm->timed)
			vm->secs[part] += cpu_seconds() - t0;
	}
	ndjson_dump(out, rec);
	buf_putc(out, '\n');
	return 1;
}

static void vader_alone(stream_t *s, char **files, int nfiles, struct scorer *sc, opipe_pool *pool)
{
	int n = opipe_pool_size(pool);
	struct vader_map vm = {.vs = (struct vader_scorer *)sc, .text = xcalloc((size_t)n, sizeof(buf_t)),
			       .posts = xcalloc((size_t)n, sizeof(long)), .secs = xcalloc((size_t)n, sizeof(double)),
			       .timed = log_get_level() <= LOG_DEBUG};

	opipe_map(s, files, nfiles, pool, vader_map, &vm);
	for (int k = 0; k < n; k++) {
		sc->st.texts += vm.posts[k];
		sc->st.seconds += vm.secs[k];
		buf_free(&vm.text[k]);
	}
	free(vm.text), free(vm.posts), free(vm.secs);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"model", required_argument, NULL, 'm'},
		{"vader", no_argument, NULL, OPT_VADER},
		{"lexicon", required_argument, NULL, OPT_LEXICON},
		{"batch", required_argument, NULL, 'b'},
		{"hybrid", no_argument, NULL, OPT_HYBRID},
		{"engagement-min", required_argument, NULL, OPT_ENGAGEMENT_MIN},
		{"sort-window", required_argument, NULL, OPT_SORT_WINDOW},
		{"max-len", required_argument, NULL, OPT_MAX_LEN},
		{"long", required_argument, NULL, OPT_LONG},
		{"device", required_argument, NULL, OPT_DEVICE},
		{"precision", required_argument, NULL, OPT_PRECISION},
		{"int8-recheck", required_argument, NULL, OPT_INT8_RECHECK},
		{"threads", required_argument, NULL, OPT_THREADS},
		{"emit", required_argument, NULL, OPT_EMIT},
		CLI_REJECT_LONGOPTS,
		CLI_COMMON_LONGOPTS,
		{0},
	};
	const char *model = NULL, *lexicon = NULL;
	long batch = 0, sort_window = DEFAULT_SORT_WINDOW;
	char *found = NULL;
	int also_vader = 0, recheck_given = 0, c, rc;
	struct bert_settings bset = {.max_len = DEFAULT_MAX_LEN, .engagement_min = DEFAULT_ENGAGEMENT_MIN,
				      .device = BERT_DEVICE_AUTO, .precision = BERT_FP16,
				      .int8_recheck = BERT_INT8_RECHECK};
	struct owindow_opts ow = {0};
	struct scorer *scorers[OWINDOW_STAGES];
	int nscorers = 0;
	opipe_pool *pool;
	stream_t s;

	cli_init(argc, argv);
	while ((c = cli_getopt(argc, argv, "m:b:hVqv", longopts)) != -1) {
		if (cli_common_option(c, optarg, usage))
			continue;
		switch (c) {
		case 'm': model = optarg; break;
		case OPT_VADER: also_vader = 1; break;
		case OPT_LEXICON: lexicon = optarg; break;
		case 'b': batch = cli_long("--batch", optarg, 1, 1 << 20); break;
		case OPT_HYBRID: bset.hybrid = 1; break;
		case OPT_ENGAGEMENT_MIN: bset.engagement_min = cli_long("--engagement-min", optarg, 0, 1L << 40); break;
		case OPT_SORT_WINDOW: sort_window = cli_long("--sort-window", optarg, 1, 1 << 24); break;
		case OPT_MAX_LEN:
			bset.max_len = (int)cli_long("--max-len", optarg, 2, 512);
			bset.max_len_given = 1;
			break;
		case OPT_LONG:
			if (strcmp(optarg, "truncate") == 0)
				bset.split = 0;
			else if (strcmp(optarg, "split") == 0)
				bset.split = 1;
			else
				log_usage("--long: '%s' is not truncate or split", optarg);
			break;
		case OPT_DEVICE:
			if (strcmp(optarg, "auto") == 0)
				bset.device = BERT_DEVICE_AUTO;
			else if (strcmp(optarg, "cpu") == 0)
				bset.device = BERT_DEVICE_CPU;
			else if (strcmp(optarg, "cuda") == 0)
				bset.device = BERT_DEVICE_CUDA;
			else
				log_usage("--device: '%s' is not auto, cpu or cuda", optarg);
			break;
		case OPT_PRECISION:
			if (strcmp(optarg, "fp16") == 0)
				bset.precision = BERT_FP16;
			else if (strcmp(optarg, "bf16") == 0)
				bset.precision = BERT_BF16;
			else if (strcmp(optarg, "fp32") == 0)
				bset.precision = BERT_FP32;
			else if (strcmp(optarg, "int8") == 0)
				bset.precision = BERT_INT8;
			else
				log_usage("--precision: '%s' is not fp16, bf16, fp32 or int8", optarg);
			break;
		case OPT_INT8_RECHECK:
			bset.int8_recheck = (float)cli_double("--int8-recheck", optarg, 0, 1);
			recheck_given = 1;
			break;
		case OPT_THREADS: bset.threads = (int)cli_long("--threads", optarg, 1, 1024); break;
		case OPT_EMIT: {
			char *list = xstrdup(optarg), *save = NULL;
			for (char *t = strtok_r(list, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
				if (strcmp(t, "tokens") == 0)
					bset.emit_tokens = 1;
				else if (strcmp(t, "logits") == 0)
					bset.emit_logits = 1;
				else if (strcmp(t, "embedding") == 0)
					bset.emit_embedding = 1;
				else
					log_usage("--emit: '%s' is not tokens, logits or embedding", t);
			}
			free(list);
			break;
		}
		default: log_usage("unexpected option");
		}
	}
	if (model && !*model)
		log_usage("--model: empty; give vader or a model directory");
	if (recheck_given && bset.precision != BERT_INT8)
		log_usage("--int8-recheck: only with --precision int8");
	if (model && strcmp(model, "vader") != 0) {
		struct stat st;
		/* A name that is no directory is a mistyped option, not a broken
		 * model: exit 2 (a directory that does not load is exit 1, and so
		 * is a models/default not built yet: load says `make models`). */
		if ((stat(model, &st) != 0 || !S_ISDIR(st.st_mode)) && !strstr(model, "models/default"))
			log_usage("--model: '%s' is neither vader nor a model directory", model);
	}

	if (bset.threads == 0)
		bset.threads = bert_cpu_count();
	pool = opipe_pool_new(bset.threads); /* the reading thread's: JSON, tokens, VADER, fields */
	stream_init(&s);
	s.progress_label = "posts";
	if (model && strcmp(model, "vader") == 0) {
		if (bset.hybrid)
			log_usage("--hybrid needs a BERT model beside VADER, not --model vader");
		scorers[nscorers++] = vader_scorer_new(lexicon, 1, pool);
		vader_alone(&s, argv + optind, argc - optind, scorers[0], pool);
	} else {
		found = model ? NULL : herd_data_path("models/default/config.json");
		if (found)
			*strrchr(found, '/') = '\0'; /* the installed or checkout's models/default */
		bset.dir = model ? model : found ? found : "models/default";
		bset.batch = batch ? (int)batch : DEFAULT_BATCH;
		scorers[nscorers++] = bert_scorer_new(&bset, pool);
		if (also_vader || bset.hybrid)
			scorers[nscorers++] = vader_scorer_new(lexicon, 0, pool);
		for (int k = 0; k < nscorers; k++)
			ow.stages[ow.nstages++] = &scorers[k]->st;
		ow.window = (size_t)sort_window, ow.threads = bset.threads, ow.pool = pool, ow.text = post_item;
		ow.timed = log_get_level() <= LOG_DEBUG;
		/* Windows of records are freed in bulk: with fastbins, glibc
		 * consolidates them again and again (a fifth of the CPU of a
		 * small model, measured); without, frees coalesce as they come.
		 * VADER alone frees record by record and is better off with them. */
		mallopt(M_MXFAST, 0);
		owindow_run(&s, argv + optind, argc - optind, &ow);
	}

	for (int k = 0; k < nscorers; k++) {
		struct scorer *sc = scorers[k];
		double secs = sc->st.seconds + sc->st.prep_seconds;
		if (sc->st.texts > 0)
			log_debug("%s: %ld texts scored in %.3f s of CPU (%.2f us each)", sc->st.name, sc->st.texts, secs,
				  secs / (double)sc->st.texts * 1e6);
		sc->free(sc);
	}
	opipe_pool_free(pool);
	free(found);
	rc = stream_finish(&s);
	return rc | herd_close_stdout();
}
