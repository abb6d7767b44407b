/*
 * herd-train — the command that trains sentiment models: reads labelled
 * text (NDJSON, CSV, or PhraseBank's TEXT@LABEL lines; bad lines counted
 * and kept with --rejects), maps the labels, splits every dataset with a
 * seeded shuffle (training, validation, and with --test a held-out test
 * share), then hands the work to the training room in src/bert:
 *   --finetune full|lora  finetune.c (the loop, on train.c's backward
 *                         pass, optim.c, lora.c), export.c (the model
 *                         directory), then the model is loaded back and
 *                         scored on each split;
 *   otherwise             the encoder pools each text once (pack.c's
 *                         batches) and headfit.c fits a head on the
 *                         features, written as head.safetensors.
 * It prints a report (accuracy, macro-F1, confusion matrices) and, with
 * --card, a Markdown model card. What is trained and how lives in
 * src/bert; this file parses options, reads data and writes reports.
 */
#include "bert/bert.h"
#include "bert/cpu.h"
#include "bert/export.h"
#include "bert/finetune.h"
#include "bert/head.h"
#include "bert/headfit.h"
#include "bert/model.h"
#include "bert/pack.h"
#include "bert/sha256.h"
#include "bert/window.h"
#include "lib/buf.h"
#include "lib/cli.h"
#include "lib/jsonx.h"
#include "lib/log.h"
#include "lib/ndjson.h"
#include "lib/progress.h"
#include "lib/reject.h"
#include "lib/util.h"
#include "sources/csvread.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char usage[] =
	"Usage: herd-train [OPTIONS] [NAME=]FILE...\n"
	"Fine-tune a BERT encoder for sentiment, or fit a head on its frozen features.\n"
	"\n"
	"Each FILE is a labelled dataset, named NAME (default: the file's base name):\n"
	"  *.ndjson, *.jsonl  one JSON object per line with the text and label fields\n"
	"  *.csv              a header row naming the text and label columns\n"
	"  *.txt              TEXT@LABEL per line (Financial PhraseBank's format; the\n"
	"                     last '@' separates); Latin-1 lines are converted to UTF-8\n"
	"Labels are mapped with --label-map, then matched to --labels without regard to\n"
	"case (bullish and bearish count as positive and negative). A line without text\n"
	"or with a label that matches none is rejected (--rejects keeps it).\n"
	"\n"
	"Every dataset is shuffled with --seed and split: --val of it for validation,\n"
	"the rest for training. The encoder (--model) pools each text once (--features);\n"
	"the head is fitted on the standardized features by Adam (batches of 64) with an\n"
	"L2 penalty, stopping when the validation loss has not improved for --patience\n"
	"epochs and keeping the best epoch. Standardization is folded into the head.\n"
	"\n"
	"Writes the head to --output (safetensors; herd-score reads it as\n"
	"head.safetensors beside the encoder) and prints a report on stdout: per\n"
	"dataset, the validation accuracy and macro-F1 and the confusion matrix.\n"
	"--card also writes the report as a Markdown model card.\n"
	"\n"
	"With --finetune the encoder itself learns (docs/training.md): every weight\n"
	"(full) or rank-r LoRA adapters on each layer's six projections (lora), with a\n"
	"linear head on the model's pooling (the mean for sentence encoders, the [CLS]\n"
	"tanh pooler for BertForSequenceClassification), by AdamW with decoupled weight\n"
	"decay, a linear warmup then linear or cosine decay, clipping by global norm,\n"
	"dropout, early stopping on the validation loss (the best epoch is kept). --output\n"
	"is then a model directory herd-score loads: full writes a Hugging Face\n"
	"checkpoint (transformers loads it too), lora the base model's files with\n"
	"adapter.safetensors (merged into the weights when the model loads: scoring\n"
	"costs what the base costs) and head.safetensors. --checkpoint is written after\n"
	"each epoch; --resume goes on from it, and a run killed at any moment and resumed\n"
	"ends with the same bytes as one never stopped (same seed and --threads). --test\n"
	"sets a share of each dataset aside that neither training nor early stopping\n"
	"sees: report accuracy on it.\n"
	"\n"
	"Options:\n"
	"  -m, --model DIR         the encoder: a BERT or MPNet checkpoint directory\n"
	"                          (default models/default; its own head, if any, is\n"
	"                          ignored)\n"
	"  -o, --output FILE       the head to write (default DIR/head.safetensors;\n"
	"                          old spelling: --out)\n"
	"      --dtype T           f32 (default) or f16: the head's weights in the file (half\n"
	"                          the size; the report is of the head as written)\n"
	"      --card FILE         also write a model card (Markdown) there\n"
	"      --note TEXT         a paragraph for the card (where the encoder comes from...)\n"
	"      --labels LIST       the classes, in order (default positive,negative,neutral)\n"
	"      --label-map MAP     FROM=TO pairs, comma-separated, applied before matching\n"
	"                          (e.g. 0=negative,1=positive,2=neutral)\n"
	"      --text-field F      the text's field or column (default text)\n"
	"      --label-field F     the label's field or column (default label)\n"
	"      --features LIST     pooled features: mean (default), max, mean@N (layer N),\n"
	"                          comma-separated and concatenated\n"
	"      --hidden N          hidden ReLU units, 0 for a linear head (default 0)\n"
	"      --ensemble N        fit N heads from different random draws and average their\n"
	"                          logits (written as one head, N x --hidden units wide;\n"
	"                          default 1)\n"
	"      --val FRACTION      share of each dataset held out for validation (default 0.2)\n"
	"      --seed N            seed of the split, the initialization and the batch order\n"
	"                          (default 1)\n"
	"      --l2 X              L2 penalty on the weights (default 1e-4)\n"
	"      --class-weights W   none (default), balanced (n / (K n_k)) or sqrt (its root)\n"
	"      --lr X              Adam's learning rate (default 1e-3)\n"
	"      --epochs N          at most N passes over the training set (default 200)\n"
	"      --patience N        stop after N epochs without a better validation loss\n"
	"                          (default 10)\n"
	"      --limit N           use N examples of each dataset, drawn by the seeded shuffle\n"
	"                          (for quick runs)\n"
	"      --cache FILE        keep the pooled features in FILE and reuse them while the\n"
	"                          encoder, --features, --max-len and the texts are the same\n"
	"                          (for trying head settings quickly)\n"
	"      --max-len N         tokens per text, [CLS] and [SEP] included (default 128)\n"
	"  -b, --batch N           texts per encoder batch (default 32)\n"
	"      --threads N         encoder threads (default: all CPUs); the features, and\n"
	"                          so a head, are the same bytes whatever N (--finetune:\n"
	"                          for the same N)\n"
	"\n"
	"Fine-tuning (--finetune; --hidden, --features, --ensemble, --l2, --cache are\n"
	"for heads on frozen features only):\n"
	"      --finetune MODE     none (default: fit a head), full or lora\n"
	"      --lora-rank R       the adapters' rank (default 8)\n"
	"      --lora-alpha A      their scale is A / R (default 16)\n"
	"      --lr X              peak learning rate (default 5e-5 full, 5e-4 lora)\n"
	"      --epochs N          at most N epochs (default 4)\n"
	"      --patience N        stop after N epochs without a better validation loss\n"
	"                          (default 2)\n"
	"  -b, --batch N           texts per step (default 32)\n"
	"      --weight-decay X    AdamW's decoupled decay of 2-D weights (default 0.01)\n"
	"      --warmup F          share of the steps spent warming up (default 0.1)\n"
	"      --schedule S        linear (default), cosine or constant after the warmup\n"
	"      --clip X            clip the gradients' global norm at X, 0 = never (default 1)\n"
	"      --llrd X            layer-wise decay: layer l's rate x X^(L-1-l), the\n"
	"                          embeddings' x X^L (default 1: off)\n"
	"      --dropout P         hidden and classifier dropout (default 0.1)\n"
	"      --attn-dropout P    attention dropout (default 0.1)\n"
	"      --label-smoothing E (default 0)\n"
	"      --test FRACTION     share of each dataset held out from training and\n"
	"                          early stopping, reported apart (default 0: none)\n"
	"      --checkpoint FILE   write the training state there after each epoch\n"
	"      --resume            go on from --checkpoint when it exists (it must come\n"
	"                          from the same model, data and settings)\n"
	"      --name NAME         the model's name in records (herd.json; default: the\n"
	"                          --output directory's name)\n"
	"\n"
	"Evaluating (trains nothing, writes nothing):\n"
	"      --evaluate DIR      score the model in DIR (any that herd-score loads) on the\n"
	"                          validation split, and the --test split if given, that\n"
	"                          the same --seed, --val, --test and --limit make for a\n"
	"                          training run: its accuracy, macro-F1 and confusion\n"
	"                          matrices on the texts that run held out\n"
	"      --precision P       with --evaluate: fp32 (default), int8 or bf16, as\n"
	"                          herd-score runs them on the CPU (int8's near ties\n"
	"                          run again in fp32, as its --int8-recheck 0.15)\n"
	CLI_REJECT_HELP CLI_COMMON_HELP
	"\n"
	"Example (LoRA adapters on a bare encoder, here the fast model's from\n"
	"scripts/fetch-minilm.sh models/minilm; the default's comes from\n"
	"scripts/build-default-model.sh --bare DIR; docs/training.md has its run):\n"
	"  herd-train --finetune lora --lora-rank 16 --lora-alpha 32 --lr 1e-3 --epochs 5 \\\n"
	"    --test 0.15 --val 0.1 --model models/minilm --output models/mine mine=posts.ndjson\n"
	"\n"
	"Example (a head on frozen features):\n"
	"  herd-train --model models/default --features mean,max --hidden 256 \\\n"
	"    --label-map 0=negative,1=positive,2=neutral --output models/heads/mine-3class.safetensors \\\n"
	"    phrasebank=../shared/data/financial-phrasebank/Sentences_50Agree.txt \\\n"
	"    tweets=../shared/data/twitter-financial-news-sentiment/sent_train.csv\n";

enum {
	OPT_CARD = CLI_FIRST_PROGRAM_OPTION,
	OPT_LABELS,
	OPT_LABEL_MAP,
	OPT_TEXT_FIELD,
	OPT_LABEL_FIELD,
	OPT_FEATURES,
	OPT_HIDDEN,
	OPT_VAL,
	OPT_SEED,
	OPT_L2,
	OPT_CLASS_WEIGHTS,
	OPT_LR,
	OPT_EPOCHS,
	OPT_PATIENCE,
	OPT_LIMIT,
	OPT_MAX_LEN,
	OPT_THREADS,
	OPT_CACHE,
	OPT_ENSEMBLE,
	OPT_DTYPE,
	OPT_NOTE,
	OPT_FINETUNE,
	OPT_LORA_RANK,
	OPT_LORA_ALPHA,
	OPT_WEIGHT_DECAY,
	OPT_WARMUP,
	OPT_SCHEDULE,
	OPT_CLIP,
	OPT_LLRD,
	OPT_DROPOUT,
	OPT_ATTN_DROPOUT,
	OPT_SMOOTHING,
	OPT_CHECKPOINT,
	OPT_RESUME,
	OPT_TEST,
	OPT_NAME,
	OPT_EVALUATE,
	OPT_PRECISION,
};

#define MAX_DATASETS 16

/* ------------------------------------------------------------ settings */

static struct {
	const char *model, *out, *card, *cache, *note;
	const char *text_field, *label_field;
	const char *features;
	int hidden, ensemble, f16;
	double val, l2, lr;
	unsigned long long seed;
	enum { CW_NONE, CW_BALANCED, CW_SQRT } class_weights;
	int epochs, patience, max_len, batch, threads;
	long limit;
	char labels[BERT_MAX_LABELS][BERT_LABEL_LEN];
	int K;
	char *map_from[64], *map_to[64];
	int nmap;
	/* fine-tuning the encoder (--finetune full|lora) */
	enum { FT_NONE, FT_FULL, FT_LORA } finetune;
	int lora_rank, resume, set_lr, set_epochs, set_patience;
	double lora_alpha, weight_decay, warmup, clip, llrd, dropout, attn_dropout, smoothing, test;
	enum bert_sched schedule;
	const char *checkpoint, *name;
	const char *evaluate; /* --evaluate DIR: score a finished model, train nothing */
	int precision, set_precision; /* --precision with --evaluate: the CPU engine's */
} opt = {
	.text_field = "text", .label_field = "label", .features = "mean", .val = 0.2, .l2 = 1e-4, .lr = 1e-3,
	.seed = 1, .epochs = 200, .patience = 10, .max_len = 128, .batch = 32, .ensemble = 1,
	.lora_rank = 8, .lora_alpha = 16, .weight_decay = 0.01, .warmup = 0.1, .clip = 1.0, .llrd = 1.0,
	.dropout = 0.1, .attn_dropout = 0.1,
};

/* ------------------------------------------------------------ examples */

struct example {
	char *text;
	int label;
	int dataset;
	int val; /* 0 training split, 1 validation (early stopping), 2 test (--test: reported only) */
};

static struct example *ex;
static size_t nex, capex;
static char *dataset_name[MAX_DATASETS];
static int ndatasets;

static int label_index(const char *raw)
{
	const char *l = raw;
	for (int i = 0; i < opt.nmap; i++)
		if (strcmp(raw, opt.map_from[i]) == 0) {
			l = opt.map_to[i];
			break;
		}
	for (int k = 0; k < opt.K; k++)
		if (strcasecmp(l, opt.labels[k]) == 0)
			return k;
	/* the usual names of the usual classes */
	static const char *const syn[][2] = {{"bullish", "positive"}, {"bearish", "negative"}, {"pos", "positive"},
					      {"neg", "negative"}, {"neu", "neutral"}};
	for (size_t s = 0; s < sizeof syn / sizeof syn[0]; s++)
		if (strcasecmp(l, syn[s][0]) == 0)
			for (int k = 0; k < opt.K; k++)
				if (strcmp(opt.labels[k], syn[s][1]) == 0)
					return k;
	return -1;
}

/* Add one example, or reject its line. */
static void add(const char *place, long lineno, const char *line, size_t len, const char *text, const char *label,
		int dataset, long *kept)
{
	int k;

	if (!text || !*text) {
		reject_line(place, lineno, line, len, "no text");
		return;
	}
	if (!label || (k = label_index(label)) < 0) {
		reject_line(place, lineno, line, len, "label '%s' is none of --labels (map it with --label-map)",
			    label ? label : "(missing)");
		return;
	}
	if (nex == capex) {
		capex = capex ? 2 * capex : 1024;
		ex = xrealloc(ex, capex * sizeof *ex);
	}
	ex[nex++] = (struct example){.text = xstrdup(text), .label = k, .dataset = dataset};
	(*kept)++;
}

static int ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* Latin-1 bytes to UTF-8 (for lines that are not valid UTF-8). */
static void latin1(buf_t *b, const char *s, size_t n)
{
	buf_reset(b);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x80) {
			buf_putc(b, (char)c);
		} else {
			buf_putc(b, (char)(0xC0 | c >> 6));
			buf_putc(b, (char)(0x80 | (c & 0x3F)));
		}
	}
	buf_putc(b, '\0');
}

static long read_lines(const char *path, int dataset, int json)
{
	ndjson_reader *r = ndjson_open(path);
	char *line;
	size_t len;
	long kept = 0;
	buf_t conv;
	int rc;

	if (!r)
		log_fatal(HERD_EXIT_FAIL, "%s:", path);
	buf_init(&conv);
	while ((rc = ndjson_read(r, &line, &len)) > 0) {
		if (len == 0)
			continue;
		if (json) {
			json_error_t e;
			json_t *o = json_loadb(line, len, 0, &e);
			if (!o || !json_is_object(o)) {
				reject_line(ndjson_name(r), ndjson_lineno(r), line, len, "not a JSON object");
			} else {
				json_t *t = json_object_get(o, opt.label_field);
				char num[32];
				const char *label = json_is_string(t) ? json_string_value(t) : NULL;
				if (json_is_integer(t)) {
					snprintf(num, sizeof num, "%lld", (long long)json_integer_value(t));
					label = num;
				}
				add(ndjson_name(r), ndjson_lineno(r), line, len, jx_str(o, opt.text_field), label, dataset,
				    &kept);
			}
			json_decref(o);
			continue;
		}
		const char *text = line;
		if (!ndjson_utf8_valid(line, len, NULL)) {
			latin1(&conv, line, len);
			text = conv.p;
		}
		char *copy = xstrdup(text), *at = strrchr(copy, '@');
		if (!at) {
			reject_line(ndjson_name(r), ndjson_lineno(r), line, len, "no '@' between text and label");
		} else {
			*at = '\0';
			add(ndjson_name(r), ndjson_lineno(r), line, len, copy, at + 1, dataset, &kept);
		}
		free(copy);
	}
	if (rc < 0)
		log_fatal(HERD_EXIT_FAIL, "%s: read error:", ndjson_name(r));
	buf_free(&conv);
	ndjson_close(r);
	return kept;
}

static long read_csv(const char *path, int dataset)
{
	struct csvr_opts o = {0};
	csvr_t *r = csvr_open(path, &o);
	csvr_row row;
	long kept = 0;
	int rc, ti = -1, li = -1;

	if (!r)
		log_fatal(HERD_EXIT_FAIL, "%s:", path);
	if (csvr_header_error(r))
		log_fatal(HERD_EXIT_FAIL, "%s: %s", path, csvr_header_error(r));
	for (size_t i = 0; i < csvr_ncols(r); i++) {
		if (strcmp(csvr_colname(r, i), opt.text_field) == 0)
			ti = (int)i;
		if (strcmp(csvr_colname(r, i), opt.label_field) == 0)
			li = (int)i;
	}
	if (ti < 0 || li < 0)
		log_fatal(HERD_EXIT_FAIL, "%s: no column '%s' in the header (--%s-field)", path,
			  ti < 0 ? opt.text_field : opt.label_field, ti < 0 ? "text" : "label");
	while ((rc = csvr_next(r, &row)) > 0) {
		if (row.err) {
			reject_line(csvr_name(r), row.lineno, row.raw, row.rawlen, "%s", row.err);
			continue;
		}
		if ((size_t)ti >= row.nfields || (size_t)li >= row.nfields) {
			reject_line(csvr_name(r), row.lineno, row.raw, row.rawlen, "%zu fields, fewer than the header's",
				    row.nfields);
			continue;
		}
		add(csvr_name(r), row.lineno, row.raw, row.rawlen, row.field[ti], row.field[li], dataset, &kept);
	}
	if (rc < 0)
		log_fatal(HERD_EXIT_FAIL, "%s: read error:", csvr_name(r));
	csvr_close(r);
	return kept;
}

static void read_dataset(const char *arg)
{
	const char *eq = strchr(arg, '='), *path = eq ? eq + 1 : arg;
	char *name;

	if (ndatasets == MAX_DATASETS)
		log_usage("more than %d datasets", MAX_DATASETS);
	if (eq && eq > arg) {
		name = xstrndup(arg, (size_t)(eq - arg));
	} else {
		const char *base = strrchr(path, '/');
		base = base ? base + 1 : path;
		name = xstrndup(base, strcspn(base, "."));
	}
	dataset_name[ndatasets] = name;
	long n;
	if (ends_with(path, ".csv") || ends_with(path, ".csv.gz"))
		n = read_csv(path, ndatasets);
	else if (ends_with(path, ".txt") || ends_with(path, ".txt.gz"))
		n = read_lines(path, ndatasets, 0);
	else
		n = read_lines(path, ndatasets, 1);
	if (n < 2)
		log_fatal(HERD_EXIT_FAIL, "%s: %ld usable examples; a dataset needs at least 2", path, n);
	log_info("%s: %ld examples from %s", name, n, path);
	ndatasets++;
}

static uint64_t rng_state; /* the split's, and a new classifier's draws: bert_rng_* */

/* ------------------------------------------------------------ features */

/* feats (nex, D): the features of every example, batched by length
 * (src/bert/window.h's tokenizing and order). */
static float *features(bert_model *m, const struct bert_features *f, int D)
{
	float *feats = xmalloc(sizeof(float) * nex * (size_t)D);
	const char **texts = xmalloc(sizeof *texts * (nex ? nex : 1));
	size_t *lens = xmalloc(sizeof *lens * (nex ? nex : 1));
	const int32_t **bids = xmalloc(sizeof *bids * (size_t)opt.batch);
	int *blens = xmalloc(sizeof(int) * (size_t)opt.batch);
	float *out = xmalloc(sizeof(float) * (size_t)opt.batch * D);
	struct bert_seqs s;
	char err[512];

	for (size_t i = 0; i < nex; i++)
		texts[i] = ex[i].text, lens[i] = strlen(ex[i].text);
	bert_seqs_make(&s, bert_get_tokenizer(m), texts, lens, NULL, nex, opt.max_len, 0, NULL);
	progress_start("texts", 0);
	int B;
	for (size_t b0 = 0; (B = bert_batch_at((const int32_t *const *)s.ids, s.lens, s.order, s.n, b0, opt.batch, bids,
					       blens)) > 0; b0 += (size_t)B) {
		if (bert_run_features(m, f, B, bids, blens, out, err, sizeof err) < 0)
			log_fatal(HERD_EXIT_FAIL, "%s", err);
		for (int b = 0; b < B; b++)
			memcpy(feats + s.text[s.order[b0 + b]] * D, out + (size_t)b * D, sizeof(float) * D);
		progress_update(b0 + (size_t)B, 0);
	}
	progress_end();
	bert_seqs_free(&s);
	free(texts), free(lens), free(bids), free(blens), free(out);
	return feats;
}

/* ------------------------------------------------------------ the head */

static void on_member(int member, int members, int epochs, double vloss, void *arg)
{
	if (members > 1)
		log_info("member %d of %d: %d epochs, validation loss %.4f", member, members, epochs, vloss);
}

/* ------------------------------------------------------------ report */

struct scores {
	long n, correct;
	long conf[BERT_MAX_LABELS][BERT_MAX_LABELS]; /* [true][predicted] */
	double acc, f1;
};

static void score(struct scores *s, int K)
{
	double f1 = 0;
	s->acc = s->n ? (double)s->correct / (double)s->n : 0;
	for (int k = 0; k < K; k++) {
		long tp = s->conf[k][k], fp = 0, fn = 0;
		for (int j = 0; j < K; j++)
			if (j != k)
				fp += s->conf[j][k], fn += s->conf[k][j];
		double p = tp + fp ? (double)tp / (double)(tp + fp) : 0, r = tp + fn ? (double)tp / (double)(tp + fn) : 0;
		f1 += p + r > 0 ? 2 * p * r / (p + r) : 0;
	}
	s->f1 = f1 / K;
}

static void confusion(FILE *f, int md, const char *title, const struct scores *sc)
{
	fprintf(f, md ? "\n### Confusion matrix, %s (rows: true, columns: predicted)\n\n| |"
		      : "\nconfusion matrix, %s (rows: true, columns: predicted)\n%-10s",
		title, "");
	for (int k = 0; k < opt.K; k++)
		fprintf(f, md ? " %s |" : " %9s", opt.labels[k]);
	if (md) {
		fprintf(f, "\n|---|");
		for (int k = 0; k < opt.K; k++)
			fprintf(f, "---|");
	}
	fprintf(f, "\n");
	for (int t = 0; t < opt.K; t++) {
		fprintf(f, md ? "| %s |" : "%-10s", opt.labels[t]);
		for (int p = 0; p < opt.K; p++)
			fprintf(f, md ? " %ld |" : " %9ld", sc->conf[t][p]);
		fprintf(f, "\n");
	}
}

static void report(FILE *f, int md, const char *model_desc, const char *feat, int D, int epochs, double vloss,
		   struct scores *sc, const long *ntrain, const long *nval, const char *cmdline, const char *head_hash,
		   const char *model_id)
{
	if (md) {
		fprintf(f, "# Model card: %s\n\n", model_id);
		fprintf(f, "A %d-class head (", opt.K);
		for (int k = 0; k < opt.K; k++)
			fprintf(f, "%s%s", k ? ", " : "", opt.labels[k]);
		fprintf(f, ") on the frozen %s, fitted by herd-train; with the head beside the encoder as\n"
			   "head.safetensors, herd-score writes \"model\":\"%s\". This card was written by\n"
			   "the command below and is rewritten whenever it runs again.\n\n", model_desc, model_id);
		if (opt.note)
			fprintf(f, "%s\n\n", opt.note);
		fprintf(f, "## Training\n\n```\n%s\n```\n\n", cmdline);
		fprintf(f, "- features: %s (%d values per text, standardized, folded into the head)\n", feat, D);
		fprintf(f, "- head: %s; labels: ", opt.hidden ? "one ReLU hidden layer" : "linear softmax");
		for (int k = 0; k < opt.K; k++)
			fprintf(f, "%s%s", k ? ", " : "", opt.labels[k]);
		fprintf(f, "\n- hidden units %d, ensemble of %d, L2 %g, learning rate %g, class weights %s, seed %llu\n",
			opt.hidden, opt.ensemble, opt.l2, opt.lr, opt.class_weights == CW_NONE ? "none" : opt.class_weights == CW_BALANCED ? "balanced" : "sqrt",
			opt.seed);
		fprintf(f, "- %d epochs in all (early stopping, patience %d); validation loss %.4f\n", epochs,
			opt.patience, vloss);
		fprintf(f, "- head SHA-256 (first 8 hex digits): %s\n\n", head_hash);
		fprintf(f, "## Validation (%.0f%% of each dataset, held out by a seeded shuffle)\n\n", opt.val * 100);
		fprintf(f, "| dataset | train | validation | accuracy | macro-F1 |\n|---|---|---|---|---|\n");
	} else {
		fprintf(f, "herd-train: %s; features %s (%d); %s x %d; %d epochs; validation loss %.4f\n", model_desc,
			feat, D, opt.hidden ? "ReLU MLP head" : "linear head", opt.ensemble, epochs, vloss);
		fprintf(f, "%-20s %7s %7s %9s %9s\n", "dataset", "train", "val", "accuracy", "macro-F1");
	}
	for (int d = 0; d <= ndatasets; d++) {
		const char *name = d < ndatasets ? dataset_name[d] : "all";
		if (d == ndatasets && ndatasets == 1)
			break;
		if (md)
			fprintf(f, "| %s | %ld | %ld | %.4f | %.4f |\n", name, ntrain[d], nval[d], sc[d].acc, sc[d].f1);
		else
			fprintf(f, "%-20s %7ld %7ld %9.4f %9.4f\n", name, ntrain[d], nval[d], sc[d].acc, sc[d].f1);
	}
	for (int d = 0; d < ndatasets; d++) {
		char title[128];
		snprintf(title, sizeof title, "%s validation", dataset_name[d]);
		confusion(f, md, title, &sc[d]);
	}
}

/* ------------------------------------------------------------ feature cache */

#define CACHE_MAGIC "herd-train features 1\n"

/* What the cached features depend on: encoder, features, max_len, texts. */
static void cache_key(bert_model *m, const char *feat, char hex[65])
{
	struct sha256 h;
	unsigned char d[32];
	char head[512];
	int n = snprintf(head, sizeof head, "%s|%s|%d|%zu|", bert_encoder_hash(m), feat, opt.max_len, nex);
	sha256_init(&h);
	sha256_update(&h, head, (size_t)n);
	for (size_t i = 0; i < nex; i++)
		sha256_update(&h, ex[i].text, strlen(ex[i].text) + 1);
	sha256_final(&h, d);
	sha256_hex(d, 32, hex);
}

/* The cached features when the key matches, else NULL. */
static float *cache_load(const char *key, int D)
{
	FILE *f = fopen(opt.cache, "rb");
	char line[128];
	float *X = NULL;
	if (!f)
		return NULL;
	if (fgets(line, sizeof line, f) && strcmp(line, CACHE_MAGIC) == 0 && fgets(line, sizeof line, f) &&
	    strncmp(line, key, 64) == 0) {
		X = xmalloc(sizeof(float) * nex * (size_t)D);
		if (fread(X, sizeof(float), nex * (size_t)D, f) != nex * (size_t)D) {
			free(X);
			X = NULL;
		}
	}
	fclose(f);
	return X;
}

static void cache_save(const char *key, const float *X, int D)
{
	FILE *f = fopen(opt.cache, "wb");
	if (!f) {
		log_warn("%s: cannot write the feature cache:", opt.cache);
		return;
	}
	fprintf(f, "%s%s\n", CACHE_MAGIC, key);
	fwrite(X, sizeof(float), nex * (size_t)D, f);
	if (fclose(f) != 0)
		log_warn("%s: write error:", opt.cache);
}

/* ------------------------------------------------------------ fine-tuning */

/* ------------------------------------------------------------ splits */

/* The examples tokenized once by a model's tokenizer and gathered by split
 * (0 training, 1 validation, 2 test): what fine-tuning trains and stops
 * on, and what --evaluate and the report score. */
struct splits {
	int32_t *ids;
	int *lens, *labels;
	const int32_t **ptr, **sids[3];
	int *slens[3], *slab[3];
	size_t *at[3], n[3];        /* at[s][j]: the example behind split s's j-th text */
	long count[BERT_MAX_LABELS]; /* training examples per class */
	struct bert_ft_set set[3];
};

static void splits_build(struct splits *s, const bert_tokenizer *tok)
{
	size_t n1 = nex ? nex : 1;
	memset(s, 0, sizeof *s);
	s->ids = xmalloc(sizeof(int32_t) * n1 * (size_t)opt.max_len);
	s->lens = xmalloc(sizeof(int) * n1), s->labels = xmalloc(sizeof(int) * n1);
	s->ptr = xmalloc(sizeof *s->ptr * n1);
	for (int sp = 0; sp < 3; sp++)
		s->at[sp] = xmalloc(sizeof(size_t) * n1);
	for (size_t i = 0; i < nex; i++) {
		s->lens[i] = bert_tokenize(tok, ex[i].text, strlen(ex[i].text), opt.max_len, s->ids + i * opt.max_len);
		s->ptr[i] = s->ids + i * opt.max_len;
		s->labels[i] = ex[i].label;
		s->at[ex[i].val][s->n[ex[i].val]++] = i;
		if (ex[i].val == 0)
			s->count[ex[i].label]++;
	}
	for (int sp = 0; sp < 3; sp++) {
		size_t m = s->n[sp] ? s->n[sp] : 1;
		s->sids[sp] = xmalloc(sizeof *s->sids[sp] * m);
		s->slens[sp] = xmalloc(sizeof(int) * m), s->slab[sp] = xmalloc(sizeof(int) * m);
		for (size_t j = 0; j < s->n[sp]; j++) {
			size_t i = s->at[sp][j];
			s->sids[sp][j] = s->ptr[i], s->slens[sp][j] = s->lens[i], s->slab[sp][j] = s->labels[i];
		}
		s->set[sp] = (struct bert_ft_set){s->n[sp], s->sids[sp], s->slens[sp], s->slab[sp]};
	}
}

static void splits_free(struct splits *s)
{
	free(s->ids), free(s->lens), free(s->labels), free(s->ptr);
	for (int sp = 0; sp < 3; sp++)
		free(s->at[sp]), free(s->sids[sp]), free(s->slens[sp]), free(s->slab[sp]);
}

/* Score model m on the validation and test splits: sc[split][dataset],
 * sc[split][ndatasets] for all datasets together. The model's classes are
 * matched to --labels by name (as a label in the data would be), so a
 * model whose classes come in another order is scored right. Returns 0, or
 * -1 with the reason in err. */
static int score_splits(bert_model *m, const struct splits *s, struct scores (*sc)[MAX_DATASETS + 1], char *err,
			size_t errlen)
{
	const struct bert_config *cfg = bert_get_config(m);
	int K = cfg->labels, to[BERT_MAX_LABELS];
	if (K <= 0)
		return snprintf(err, errlen, "%s: the model has no classifier head to score", cfg->name), -1;
	for (int k = 0; k < K; k++)
		if ((to[k] = label_index(cfg->label_names[k])) < 0)
			return snprintf(err, errlen, "%s: the model's class '%s' is none of --labels (%s...)", cfg->name,
					cfg->label_names[k], opt.labels[0]),
			       -1;
	memset(sc, 0, sizeof(struct scores) * 3 * (MAX_DATASETS + 1));
	int rc = 0;
	for (int sp = 1; sp <= 2 && rc == 0; sp++) {
		/* through the window's batching as herd-score scores (int8's
		 * near ties run again in fp32 there too), in split order */
		size_t n = s->n[sp], n1 = n ? n : 1;
		struct bert_seqs view = {n, (int32_t **)s->set[sp].ids, (int *)s->set[sp].lens,
					 xmalloc(sizeof(size_t) * n1), xmalloc(sizeof(size_t) * n1)};
		float *lg = xmalloc(sizeof(float) * n1 * (size_t)K);
		for (size_t j = 0; j < n; j++)
			view.text[j] = view.order[j] = j;
		rc = bert_window_run(m, &view, opt.batch, n, &(struct bert_window_out){.logits = lg}, err, errlen);
		for (size_t j = 0; j < n && rc == 0; j++) {
			int p = 0, y = s->set[sp].labels[j], d = ex[s->at[sp][j]].dataset;
			for (int k = 1; k < K; k++)
				p = lg[j * K + k] > lg[j * K + p] ? k : p;
			p = to[p];
			for (int w = 0; w < 2; w++) {
				struct scores *t = &sc[sp][w ? ndatasets : d];
				t->n++;
				t->correct += p == y;
				t->conf[y][p]++;
			}
		}
		free(view.text), free(view.order), free(lg);
	}
	for (int sp = 1; sp <= 2; sp++)
		for (int d = 0; d <= ndatasets; d++)
			score(&sc[sp][d], opt.K);
	return rc;
}

static void ft_on_batch(size_t done, size_t total, double loss, void *arg)
{
	progress_update(done, 0);
}

static void ft_on_epoch(const struct bert_ft_epoch *e, int best, void *arg)
{
	progress_end();
	log_info("epoch %d: training loss %.4f, validation loss %.4f, accuracy %.4f, %.0f s%s", e->epoch,
		 e->train_loss, e->val_loss, e->val_acc, e->seconds, best ? " (best so far)" : "");
	progress_start("texts", 0);
}

/* What a checkpoint must match to be resumed: the base model, every
 * setting that changes the weights (threads too: a step's sums depend on
 * the work split) and the examples with their labels and splits; not
 * where the results go (--output, --checkpoint, --card, --name) nor --resume. */
static void ft_fingerprint(const char *enc, int threads, char hex[65])
{
	struct sha256 h;
	unsigned char d[32];
	char head[1024];
	int n = snprintf(head, sizeof head,
			 "%s|threads %d|max-len %d|mode %d|rank %d|alpha %.17g|lr %.17g|wd %.17g|warmup %.17g|"
			 "schedule %d|clip %.17g|llrd %.17g|dropout %.17g|%.17g|smoothing %.17g|cw %d|batch %d|"
			 "epochs %d|patience %d|seed %llu|val %.17g|test %.17g|limit %ld|f16 %d|",
			 enc, threads, opt.max_len, (int)opt.finetune, opt.lora_rank, opt.lora_alpha, opt.lr,
			 opt.weight_decay, opt.warmup, (int)opt.schedule, opt.clip, opt.llrd, opt.dropout,
			 opt.attn_dropout, opt.smoothing, (int)opt.class_weights, opt.batch, opt.epochs, opt.patience,
			 opt.seed, opt.val, opt.test, opt.limit, opt.f16);
	sha256_init(&h);
	sha256_update(&h, head, (size_t)n);
	for (int k = 0; k < opt.K; k++)
		sha256_update(&h, opt.labels[k], strlen(opt.labels[k]) + 1);
	for (size_t i = 0; i < nex; i++) {
		char tail[48];
		n = snprintf(tail, sizeof tail, "|%d|%d|%d|", ex[i].label, ex[i].dataset, ex[i].val);
		sha256_update(&h, ex[i].text, strlen(ex[i].text));
		sha256_update(&h, tail, (size_t)n);
	}
	sha256_final(&h, d);
	sha256_hex(d, 32, hex);
}

static void results(FILE *f, int md, struct scores (*sc)[MAX_DATASETS + 1], int has_test);

static void ft_report(FILE *f, int md, const char *desc, const char *cmdline, const char *model_id,
		      const struct bert_ft_result *res, struct scores (*sc)[MAX_DATASETS + 1], const long *ntrain,
		      const long *nval, const long *ntest, double secs)
{
	const char *how = opt.finetune == FT_FULL ? "every weight" : "LoRA adapters";
	int has_test = opt.test > 0;
	if (md) {
		fprintf(f, "# Model card: %s\n\n", model_id);
		fprintf(f, "A %d-class sentiment model (", opt.K);
		for (int k = 0; k < opt.K; k++)
			fprintf(f, "%s%s", k ? ", " : "", opt.labels[k]);
		fprintf(f, ") fine-tuned by herd-train from the %s: %s trained%s, with a linear head on the pooled\n"
			   "sequence. herd-score writes \"model\":\"%s\". This card was written by the command below.\n\n",
			desc, how, opt.finetune == FT_LORA ? " (merged into the weights when the model loads)" : "", model_id);
		if (opt.finetune == FT_LORA)
			fprintf(f, "LoRA rank %d, alpha %g, on the query, key, value, attention output and both FFN "
				   "projections of every layer.\n\n", opt.lora_rank, opt.lora_alpha);
		if (opt.note)
			fprintf(f, "%s\n\n", opt.note);
		fprintf(f, "## Training\n\n```\n%s\n```\n\n", cmdline);
		fprintf(f, "- AdamW, learning rate %g (%s schedule after %g of the steps in warmup), weight decay %g, "
			   "layer-wise decay %g, clipping at global norm %g\n",
			opt.lr, opt.schedule == BERT_SCHED_LINEAR ? "linear" : opt.schedule == BERT_SCHED_COSINE ? "cosine" : "constant",
			opt.warmup, opt.weight_decay, opt.llrd, opt.clip);
		fprintf(f, "- batches of %d texts (at most %d tokens each), dropout %g (attention %g), label smoothing "
			   "%g, class weights %s, seed %llu\n",
			opt.batch, opt.max_len, opt.dropout, opt.attn_dropout, opt.smoothing,
			opt.class_weights == CW_NONE ? "none" : opt.class_weights == CW_BALANCED ? "balanced" : "sqrt",
			opt.seed);
		fprintf(f, "- %d epochs run (at most %d, early stopping on the validation loss with patience %d); best "
			   "epoch %d, validation loss %.4f; %ld steps%s\n",
			res->epochs_run, opt.epochs, opt.patience, res->best_epoch, res->best_val_loss, res->steps,
			res->resumed_from ? " (resumed from a checkpoint)" : "");
		fprintf(f, "- time: %.0f s in this run on %d threads (%s)\n\n", secs, opt.threads ? opt.threads : bert_cpu_count(),
			bert_cpu_gemm_name());
		if (has_test)
			fprintf(f, "## Data and splits\n\nEach dataset is shuffled with the seed and split: %g%% test (set "
				   "aside: neither training nor early stopping nor the choice of settings sees it; the "
				   "figures that count are those on it), %g%% validation (early stopping), the rest "
				   "training.\n\n", opt.test * 100, opt.val * 100);
		else
			fprintf(f, "## Data and splits\n\nEach dataset is shuffled with the seed and split: %g%% validation "
				   "(early stopping), the rest training. No test split (--test): the validation figures "
				   "below were also used to stop, so they flatter the model a little.\n\n", opt.val * 100);
		fprintf(f, "| dataset | train | validation | test |\n|---|---|---|---|\n");
		for (int d = 0; d < ndatasets; d++)
			fprintf(f, "| %s | %ld | %ld | %ld |\n", dataset_name[d], ntrain[d], nval[d], ntest[d]);
		fprintf(f, "\n## Loss curve\n\n| epoch | training loss | validation loss | validation accuracy | seconds |\n"
			   "|---|---|---|---|---|\n");
		for (int i = 0; i < res->nhist; i++) {
			char sec[32] = "(before the resume)";
			if (res->hist[i].seconds >= 0)
				snprintf(sec, sizeof sec, "%.0f", res->hist[i].seconds);
			fprintf(f, "| %d | %.4f | %.4f | %.4f | %s |\n", res->hist[i].epoch, res->hist[i].train_loss,
				res->hist[i].val_loss, res->hist[i].val_acc, sec);
		}
		fprintf(f, "\n## Results\n\n| dataset | split | examples | accuracy | macro-F1 |\n|---|---|---|---|---|\n");
	} else {
		fprintf(f, "herd-train: %s, %s; %d epochs (best %d), validation loss %.4f, %.0f s\n", desc, how,
			res->epochs_run, res->best_epoch, res->best_val_loss, secs);
	}
	results(f, md, sc, has_test);
}

/* The accuracy and macro-F1 of each dataset on the validation split (and
 * the test split when there is one), then the confusion matrices of the
 * split that counts. */
static void results(FILE *f, int md, struct scores (*sc)[MAX_DATASETS + 1], int has_test)
{
	static const char *const split_name[3] = {"train", "validation", "test"};
	if (!md)
		fprintf(f, "%-20s %-10s %7s %9s %9s\n", "dataset", "split", "n", "accuracy", "macro-F1");
	for (int sp = 1; sp <= 2; sp++) {
		if (sp == 2 && !has_test)
			break;
		for (int d = 0; d <= ndatasets; d++) {
			if (d == ndatasets && ndatasets == 1)
				break;
			const char *name = d < ndatasets ? dataset_name[d] : "all";
			const struct scores *x = &sc[sp][d];
			fprintf(f, md ? "| %s | %s | %ld | %.4f | %.4f |\n" : "%-20s %-10s %7ld %9.4f %9.4f\n", name,
				split_name[sp], x->n, x->acc, x->f1);
		}
	}
	int sp = has_test ? 2 : 1;
	for (int d = 0; d < ndatasets; d++) {
		char title[128];
		snprintf(title, sizeof title, "%s %s", dataset_name[d], split_name[sp]);
		confusion(f, md, title, &sc[sp][d]);
	}
}

static int finetune_main(const char *cmdline, const long *ntrain, const long *nval, const long *ntest)
{
	char err[1024];
	struct bert_options bo = {.device = BERT_DEVICE_CPU, .threads = 1, .max_len = opt.max_len};
	bert_model *bm = bert_load(opt.model, &bo, err, sizeof err);
	if (!bm)
		log_fatal(HERD_EXIT_FAIL, "%s", err);
	struct bert_config cfg = *bert_get_config(bm);
	if (opt.max_len > bert_max_tokens(&cfg))
		opt.max_len = bert_max_tokens(&cfg); /* what the position table holds */
	int base_labels = bert_get_head(bm) ? 0 : cfg.labels;
	cfg.labels = opt.K;
	struct bert_tmodel *m = bert_tmodel_new(&cfg, opt.finetune == FT_LORA ? opt.lora_rank : 0);
	int got = bert_tmodel_from_weights(m, bert_get_weights(bm), base_labels);
	/* a new classifier: N(0, 0.02) as Hugging Face initializes one */
	if (!(got & 2)) {
		const struct bert_tensor *w = &m->t[bert_tmodel_index(m, cfg.layers, BT_CLS_W)];
		rng_state = opt.seed ^ 0x5DEECE66DULL;
		for (size_t i = 0; i < w->n; i++)
			m->param[w->off + i] = (float)(0.02 * bert_rng_normal(&rng_state));
	}
	if (cfg.pooling == BERT_POOL_CLS_TANH && opt.finetune == FT_LORA)
		log_fatal(HERD_EXIT_FAIL, "%s: LoRA adapters go on a sentence encoder (BertModel, mean pooling); for a "
			  "BertForSequenceClassification checkpoint use --finetune full", opt.model);
	if (cfg.pooling == BERT_POOL_CLS_TANH && !(got & 1))
		log_fatal(HERD_EXIT_FAIL, "%s: no pooler weights to fine-tune", opt.model);
	char *adapter = xmalloc(strlen(opt.model) + 32);
	sprintf(adapter, "%s/adapter.safetensors", opt.model);
	FILE *af = fopen(adapter, "rb");
	if (af && opt.finetune == FT_LORA)
		log_fatal(HERD_EXIT_FAIL, "%s: the model has an adapter already; train LoRA adapters on the bare encoder "
			  "(scripts/build-default-model.sh --bare DIR builds the default's) or use --finetune full", adapter);
	if (af)
		fclose(af);
	free(adapter);
	char base_hash[9], desc[256];
	snprintf(base_hash, sizeof base_hash, "%s", bert_encoder_hash(bm));
	snprintf(desc, sizeof desc, "encoder in %s (model.safetensors %s: %d layers, hidden %d, %s pooling)", opt.model,
		 base_hash, cfg.layers, cfg.hidden, cfg.pooling == BERT_POOL_MEAN ? "mean" : "[CLS] tanh");
	const bert_tokenizer *tok = bert_get_tokenizer(bm);

	struct splits sp3;
	splits_build(&sp3, tok);
	struct bert_ft_set *set = sp3.set;
	size_t *n3 = sp3.n;
	const long *count = sp3.count;
	float cw[BERT_MAX_LABELS];
	for (int k = 0; k < opt.K; k++) {
		double bal = count[k] ? (double)n3[0] / ((double)opt.K * (double)count[k]) : 1;
		cw[k] = (float)(opt.class_weights == CW_NONE ? 1 : opt.class_weights == CW_BALANCED ? bal : sqrt(bal));
	}
	int threads = opt.threads ? opt.threads : bert_cpu_count();
	char fp[65];
	ft_fingerprint(base_hash, threads, fp);

	struct bert_ft_opts fo = {
		.epochs = opt.epochs, .batch = opt.batch, .patience = opt.patience, .threads = threads,
		.seed = opt.seed, .hidden_dropout = (float)opt.dropout, .attn_dropout = (float)opt.attn_dropout,
		.optim = {.lr = opt.lr, .weight_decay = opt.weight_decay, .beta1 = 0.9, .beta2 = 0.999, .eps = 1e-8,
			  .clip = opt.clip, .llrd = opt.llrd, .sched = opt.schedule},
		.warmup_frac = opt.warmup, .loss = {.class_weight = cw, .smoothing = (float)opt.smoothing},
		.lora_alpha = (float)opt.lora_alpha, .checkpoint = opt.checkpoint, .resume = opt.resume,
		.fingerprint = fp, .on_epoch = ft_on_epoch, .on_batch = ft_on_batch};
	log_info("fine-tuning %s (%s) on %zu texts, validating on %zu%s, %d threads", opt.model,
		 opt.finetune == FT_FULL ? "every weight" : "LoRA adapters", n3[0], n3[1],
		 n3[2] ? " (a test split held out)" : "", threads);
	static struct bert_ft_result res;
	progress_start("texts", 0);
	int rc = bert_finetune(m, &set[0], &set[1], &fo, &res, err, sizeof err);
	progress_end();
	if (rc < 0)
		log_fatal(HERD_EXIT_FAIL, "%s", err);
	if (res.resumed_from)
		log_info("resumed after epoch %d from %s", res.resumed_from, opt.checkpoint);

	/* the model directory */
	struct bert_export x = {.out_dir = opt.out, .base_dir = opt.model, .base_hash = base_hash,
				.hidden_dropout = (float)opt.dropout, .attn_dropout = (float)opt.attn_dropout,
				.lora_alpha = (float)opt.lora_alpha, .f16 = opt.f16};
	const char *base = strrchr(opt.out, '/');
	x.name = opt.name ? opt.name : base && base[1] ? base + 1 : opt.out;
	for (int k = 0; k < opt.K; k++)
		snprintf(x.labels[k], BERT_LABEL_LEN, "%s", opt.labels[k]);
	if (bert_export_dir(m, &x, err, sizeof err) < 0)
		log_fatal(HERD_EXIT_FAIL, "%s", err);

	/* score the model as written: load it back and predict every split */
	bert_model *out = bert_load(opt.out, &bo, err, sizeof err);
	if (!out)
		log_fatal(HERD_EXIT_FAIL, "%s (the model just written)", err);
	static struct scores sc[3][MAX_DATASETS + 1];
	if (score_splits(out, &sp3, sc, err, sizeof err) < 0)
		log_fatal(HERD_EXIT_FAIL, "%s", err);
	char model_id[128];
	snprintf(model_id, sizeof model_id, "%s@%s", bert_get_config(out)->name, bert_get_config(out)->hash);
	ft_report(stdout, 0, desc, cmdline, model_id, &res, sc, ntrain, nval, ntest, res.seconds);
	if (opt.card) {
		FILE *f = fopen(opt.card, "w");
		if (!f)
			log_fatal(HERD_EXIT_FAIL, "%s:", opt.card);
		ft_report(f, 1, desc, cmdline, model_id, &res, sc, ntrain, nval, ntest, res.seconds);
		if (fclose(f) != 0)
			log_fatal(HERD_EXIT_FAIL, "%s: write error:", opt.card);
	}
	log_info("wrote %s (%s)%s%s", opt.out, model_id, opt.card ? " and " : "", opt.card ? opt.card : "");
	bert_free(out);
	bert_free(bm);
	bert_tmodel_free(m);
	splits_free(&sp3);
	for (size_t i = 0; i < nex; i++)
		free(ex[i].text);
	free(ex);
	return 0;
}

/* --evaluate DIR: score a finished model (any that herd-score loads: an
 * adapter merged, a head beside it or inside) on the validation and test
 * splits that the same --seed, --val, --test and --limit give a training
 * run, without training anything: how a model made elsewhere, or several
 * runs' models, compare on the splits that were held out from them. */
static int evaluate_main(const long *ntrain, const long *nval, const long *ntest)
{
	char err[1024];
	struct bert_options bo = {.device = BERT_DEVICE_CPU, .precision = (enum bert_precision)opt.precision,
				  .threads = opt.threads, .max_len = opt.max_len, .int8_recheck = BERT_INT8_RECHECK};
	errno = 0;
	bert_model *m = bert_load(opt.evaluate, &bo, err, sizeof err);
	if (!m && errno == ENOTSUP)
		log_usage("%s", err); /* a precision this CPU cannot run, as herd-score says it */
	if (!m)
		log_fatal(HERD_EXIT_FAIL, "%s", err);
	const struct bert_config *cfg = bert_get_config(m);
	if (opt.max_len > bert_max_tokens(cfg))
		opt.max_len = bert_max_tokens(cfg);
	struct splits sp3;
	splits_build(&sp3, bert_get_tokenizer(m));
	static struct scores sc[3][MAX_DATASETS + 1];
	double t0 = herd_now_mono();
	if (score_splits(m, &sp3, sc, err, sizeof err) < 0)
		log_fatal(HERD_EXIT_FAIL, "%s: %s", opt.evaluate, err);
	static const char *const pname[] = {"fp32", "fp16", "bf16", "int8"};
	printf("herd-train: %s@%s (%s, %s) on the splits of seed %llu, %g validation%s: %.1f s\n", cfg->name, cfg->hash,
	       opt.evaluate, pname[opt.precision], opt.seed, opt.val, opt.test > 0 ? ", a test split" : "",
	       herd_now_mono() - t0);
	printf("%-20s %7s %7s %7s\n", "dataset", "train", "val", "test");
	for (int d = 0; d < ndatasets; d++)
		printf("%-20s %7ld %7ld %7ld\n", dataset_name[d], ntrain[d], nval[d], ntest[d]);
	results(stdout, 0, sc, opt.test > 0);
	splits_free(&sp3);
	bert_free(m);
	for (size_t i = 0; i < nex; i++)
		free(ex[i].text);
	free(ex);
	return 0;
}

/* ------------------------------------------------------------ main */

static void parse_labels(const char *list)
{
	opt.K = 0;
	for (const char *p = list; *p;) {
		size_t n = strcspn(p, ",");
		if (n == 0 || n >= BERT_LABEL_LEN || opt.K == BERT_MAX_LABELS)
			log_usage("--labels: '%s' needs 2..%d names of 1..%d bytes", list, BERT_MAX_LABELS,
				  BERT_LABEL_LEN - 1);
		memcpy(opt.labels[opt.K], p, n);
		opt.labels[opt.K++][n] = '\0';
		p += n + (p[n] == ',');
	}
	if (opt.K < 2)
		log_usage("--labels: '%s' needs at least 2 names", list);
}

static void parse_map(const char *list)
{
	char *copy = xstrdup(list), *save = NULL;
	for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(tok, '=');
		if (!eq || eq == tok || !eq[1] || opt.nmap == 64)
			log_usage("--label-map: '%s' is not FROM=TO", tok);
		*eq = '\0';
		opt.map_from[opt.nmap] = xstrdup(tok);
		opt.map_to[opt.nmap++] = xstrdup(eq + 1);
	}
	free(copy);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"model", required_argument, NULL, 'm'},
		{"output", required_argument, NULL, 'o'},
		{"out", required_argument, NULL, 'o'}, /* the old spelling */
		{"card", required_argument, NULL, OPT_CARD},
		{"labels", required_argument, NULL, OPT_LABELS},
		{"label-map", required_argument, NULL, OPT_LABEL_MAP},
		{"text-field", required_argument, NULL, OPT_TEXT_FIELD},
		{"label-field", required_argument, NULL, OPT_LABEL_FIELD},
		{"features", required_argument, NULL, OPT_FEATURES},
		{"hidden", required_argument, NULL, OPT_HIDDEN},
		{"val", required_argument, NULL, OPT_VAL},
		{"seed", required_argument, NULL, OPT_SEED},
		{"l2", required_argument, NULL, OPT_L2},
		{"class-weights", required_argument, NULL, OPT_CLASS_WEIGHTS},
		{"lr", required_argument, NULL, OPT_LR},
		{"epochs", required_argument, NULL, OPT_EPOCHS},
		{"patience", required_argument, NULL, OPT_PATIENCE},
		{"limit", required_argument, NULL, OPT_LIMIT},
		{"max-len", required_argument, NULL, OPT_MAX_LEN},
		{"batch", required_argument, NULL, 'b'},
		{"threads", required_argument, NULL, OPT_THREADS},
		{"cache", required_argument, NULL, OPT_CACHE},
		{"ensemble", required_argument, NULL, OPT_ENSEMBLE},
		{"dtype", required_argument, NULL, OPT_DTYPE},
		{"note", required_argument, NULL, OPT_NOTE},
		{"finetune", required_argument, NULL, OPT_FINETUNE},
		{"lora-rank", required_argument, NULL, OPT_LORA_RANK},
		{"lora-alpha", required_argument, NULL, OPT_LORA_ALPHA},
		{"weight-decay", required_argument, NULL, OPT_WEIGHT_DECAY},
		{"warmup", required_argument, NULL, OPT_WARMUP},
		{"schedule", required_argument, NULL, OPT_SCHEDULE},
		{"clip", required_argument, NULL, OPT_CLIP},
		{"llrd", required_argument, NULL, OPT_LLRD},
		{"dropout", required_argument, NULL, OPT_DROPOUT},
		{"attn-dropout", required_argument, NULL, OPT_ATTN_DROPOUT},
		{"label-smoothing", required_argument, NULL, OPT_SMOOTHING},
		{"checkpoint", required_argument, NULL, OPT_CHECKPOINT},
		{"resume", no_argument, NULL, OPT_RESUME},
		{"test", required_argument, NULL, OPT_TEST},
		{"name", required_argument, NULL, OPT_NAME},
		{"evaluate", required_argument, NULL, OPT_EVALUATE},
		{"precision", required_argument, NULL, OPT_PRECISION},
		CLI_REJECT_LONGOPTS,
		CLI_COMMON_LONGOPTS,
		{0},
	};
	int c;
	char err[512];

	cli_init(argc, argv);
	parse_labels("positive,negative,neutral");
	while ((c = cli_getopt(argc, argv, "b:m:o:hVqv", longopts)) != -1) {
		if (cli_common_option(c, optarg, usage))
			continue;
		switch (c) {
		case 'm': opt.model = optarg; break;
		case 'o': opt.out = optarg; break;
		case OPT_CARD: opt.card = optarg; break;
		case OPT_LABELS: parse_labels(optarg); break;
		case OPT_LABEL_MAP: parse_map(optarg); break;
		case OPT_TEXT_FIELD: opt.text_field = optarg; break;
		case OPT_LABEL_FIELD: opt.label_field = optarg; break;
		case OPT_FEATURES: opt.features = optarg; break;
		case OPT_HIDDEN: opt.hidden = (int)cli_long("--hidden", optarg, 0, 65536); break;
		case OPT_VAL: opt.val = cli_double("--val", optarg, 0.01, 0.9); break;
		case OPT_SEED: opt.seed = (unsigned long long)cli_long("--seed", optarg, 0, 1L << 62); break;
		case OPT_L2: opt.l2 = cli_double("--l2", optarg, 0, 10); break;
		case OPT_CLASS_WEIGHTS:
			if (strcmp(optarg, "none") == 0)
				opt.class_weights = CW_NONE;
			else if (strcmp(optarg, "balanced") == 0)
				opt.class_weights = CW_BALANCED;
			else if (strcmp(optarg, "sqrt") == 0)
				opt.class_weights = CW_SQRT;
			else
				log_usage("--class-weights: '%s' is not none, balanced or sqrt", optarg);
			break;
		case OPT_LR: opt.lr = cli_double("--lr", optarg, 1e-7, 1), opt.set_lr = 1; break;
		case OPT_EPOCHS: opt.epochs = (int)cli_long("--epochs", optarg, 1, 100000), opt.set_epochs = 1; break;
		case OPT_PATIENCE:
			opt.patience = (int)cli_long("--patience", optarg, 1, 100000), opt.set_patience = 1;
			break;
		case OPT_FINETUNE: {
			static const char *const names[] = {"none", "full", "lora", NULL};
			opt.finetune = cli_choice("--finetune", optarg, names);
			break;
		}
		case OPT_LORA_RANK: opt.lora_rank = (int)cli_long("--lora-rank", optarg, 1, 256); break;
		case OPT_LORA_ALPHA: opt.lora_alpha = cli_double("--lora-alpha", optarg, 1e-3, 1e4); break;
		case OPT_WEIGHT_DECAY: opt.weight_decay = cli_double("--weight-decay", optarg, 0, 1); break;
		case OPT_WARMUP: opt.warmup = cli_double("--warmup", optarg, 0, 0.9); break;
		case OPT_SCHEDULE: {
			static const char *const names[] = {"linear", "cosine", "constant", NULL};
			opt.schedule = (enum bert_sched)cli_choice("--schedule", optarg, names);
			break;
		}
		case OPT_CLIP: opt.clip = cli_double("--clip", optarg, 0, 1e6); break;
		case OPT_LLRD: opt.llrd = cli_double("--llrd", optarg, 0.1, 1); break;
		case OPT_DROPOUT: opt.dropout = cli_double("--dropout", optarg, 0, 0.9); break;
		case OPT_ATTN_DROPOUT: opt.attn_dropout = cli_double("--attn-dropout", optarg, 0, 0.9); break;
		case OPT_SMOOTHING: opt.smoothing = cli_double("--label-smoothing", optarg, 0, 0.9); break;
		case OPT_CHECKPOINT: opt.checkpoint = optarg; break;
		case OPT_RESUME: opt.resume = 1; break;
		case OPT_TEST: opt.test = cli_double("--test", optarg, 0.01, 0.5); break;
		case OPT_NAME: opt.name = optarg; break;
		case OPT_EVALUATE: opt.evaluate = optarg; break;
		case OPT_PRECISION: {
			static const char *const names[] = {"fp32", "int8", "bf16", NULL};
			static const int prec[] = {BERT_FP32, BERT_INT8, BERT_BF16};
			opt.precision = prec[cli_choice("--precision", optarg, names)], opt.set_precision = 1;
			break;
		}
		case OPT_LIMIT: opt.limit = cli_long("--limit", optarg, 2, 1L << 40); break;
		case OPT_MAX_LEN: opt.max_len = (int)cli_long("--max-len", optarg, 2, 512); break;
		case 'b': opt.batch = (int)cli_long("--batch", optarg, 1, 4096); break;
		case OPT_THREADS: opt.threads = (int)cli_long("--threads", optarg, 1, 1024); break;
		case OPT_CACHE: opt.cache = optarg; break;
		case OPT_NOTE: opt.note = optarg; break;
		case OPT_ENSEMBLE: opt.ensemble = (int)cli_long("--ensemble", optarg, 1, 64); break;
		case OPT_DTYPE:
			if (strcmp(optarg, "f32") == 0)
				opt.f16 = 0;
			else if (strcmp(optarg, "f16") == 0)
				opt.f16 = 1;
			else
				log_usage("--dtype: '%s' is not f32 or f16", optarg);
			break;
		default: log_usage("unexpected option");
		}
	}
	if (optind == argc)
		log_usage("no datasets: give one or more [NAME=]FILE");
	if (!opt.model)
		opt.model = "models/default";
	if (opt.set_precision && !opt.evaluate)
		log_usage("--precision goes with --evaluate (training runs in fp32)");
	if (opt.evaluate && opt.finetune != FT_NONE)
		log_usage("--evaluate scores a model and trains nothing: drop --finetune");
	if (opt.evaluate && (opt.resume || opt.checkpoint || opt.out || opt.card))
		log_usage("--evaluate writes nothing: drop --output, --card, --checkpoint and --resume");
	if (opt.finetune == FT_NONE && !opt.evaluate && (opt.test > 0 || opt.resume || opt.checkpoint))
		log_usage("--test, --checkpoint and --resume go with --finetune full or lora (or --test with --evaluate)");
	if (opt.finetune != FT_NONE) {
		if (!opt.out)
			log_usage("--finetune writes a model directory: give it with --output DIR");
		if (opt.resume && !opt.checkpoint)
			log_usage("--resume needs --checkpoint FILE");
		if (!opt.set_lr)
			opt.lr = opt.finetune == FT_LORA ? 5e-4 : 5e-5;
		if (!opt.set_epochs)
			opt.epochs = 4;
		if (!opt.set_patience)
			opt.patience = 2;
		if (opt.epochs > BERT_FT_MAX_EPOCHS)
			log_usage("--epochs: at most %d when fine-tuning", BERT_FT_MAX_EPOCHS);
	}

	/* the command line, for the card: an option and its value on a line,
	 * without the options that cannot change the head */
	buf_t cmd;
	buf_init(&cmd);
	buf_puts(&cmd, "herd-train");
	for (int i = 1; i < argc; i++) {
		static const char *const skip1[] = {"-q", "--quiet", "-v", "--verbose"};
		static const char *const skip2[] = {"--cache", "--threads", "--log-format", "--card"};
		int skip = 0;
		for (size_t k = 0; k < sizeof skip1 / sizeof skip1[0]; k++)
			skip |= strcmp(argv[i], skip1[k]) == 0;
		for (size_t k = 0; k < sizeof skip2 / sizeof skip2[0]; k++)
			if (strcmp(argv[i], skip2[k]) == 0 || (strncmp(argv[i], skip2[k], strlen(skip2[k])) == 0 &&
							       argv[i][strlen(skip2[k])] == '='))
				skip = argv[i][strlen(skip2[k])] == '=' ? 1 : 2;
		if (skip) {
			i += skip - 1;
			continue;
		}
		int value = i > 1 && argv[i - 1][0] == '-' && argv[i][0] != '-' && !strchr(argv[i - 1], '=') &&
			    strcmp(argv[i - 1], "-q") != 0 && strcmp(argv[i - 1], "-v") != 0 && i < optind;
		buf_puts(&cmd, value ? " " : " \\\n  ");
		int quote = strcspn(argv[i], " \t'\"$*?;&|<>()") != strlen(argv[i]);
		buf_puts(&cmd, quote ? "'" : "");
		buf_puts(&cmd, argv[i]);
		buf_puts(&cmd, quote ? "'" : "");
	}
	buf_putc(&cmd, '\0');

	for (int i = optind; i < argc; i++)
		read_dataset(argv[i]);
	long rejected = reject_count();

	/* shuffle each dataset; keep --limit of it; split */
	rng_state = opt.seed;
	long ntrain[MAX_DATASETS + 1] = {0}, nval[MAX_DATASETS + 1] = {0}, ntest[MAX_DATASETS + 1] = {0};
	struct example *kept = xmalloc(sizeof *kept * (nex ? nex : 1));
	size_t nkept = 0;
	for (int d = 0; d < ndatasets; d++) {
		size_t *idx = xmalloc(sizeof(size_t) * (nex ? nex : 1)), n = 0;
		for (size_t i = 0; i < nex; i++)
			if (ex[i].dataset == d)
				idx[n++] = i;
		bert_rng_shuffle(idx, n, &rng_state);
		if (opt.limit && n > (size_t)opt.limit)
			n = (size_t)opt.limit;
		size_t nt = opt.test > 0 ? (size_t)llround(opt.test * (double)n) : 0;
		nt = opt.test > 0 && nt < 1 ? 1 : nt;
		size_t nv = (size_t)llround(opt.val * (double)n);
		nv = nv < 1 ? 1 : nv;
		if (nt + nv >= n)
			log_fatal(HERD_EXIT_FAIL, "%s: %zu examples leave none for training after --val and --test",
				  dataset_name[d], n);
		for (size_t i = 0; i < n; i++) {
			kept[nkept] = ex[idx[i]];
			kept[nkept].val = i < nt ? 2 : i < nt + nv;
			ex[idx[i]].text = NULL;
			nkept++;
		}
		nval[d] = (long)nv, ntrain[d] = (long)(n - nv - nt), ntest[d] = (long)nt;
		nval[ndatasets] += (long)nv, ntrain[ndatasets] += (long)(n - nv - nt), ntest[ndatasets] += (long)nt;
		free(idx);
	}
	long nread = (long)nex;
	for (size_t i = 0; i < nex; i++)
		free(ex[i].text);
	free(ex);
	ex = kept, nex = nkept;
	if (opt.evaluate || opt.finetune != FT_NONE) {
		int rc = opt.evaluate ? evaluate_main(ntrain, nval, ntest) : finetune_main(cmd.p, ntrain, nval, ntest);
		buf_free(&cmd);
		return reject_finish(nread + rejected) | rc | herd_close_stdout();
	}

	struct bert_options bo = {.device = BERT_DEVICE_CPU, .threads = opt.threads, .max_len = opt.max_len};
	bert_model *m = bert_load(opt.model, &bo, err, sizeof err);
	if (!m)
		log_fatal(HERD_EXIT_FAIL, "%s", err);
	const struct bert_config *cfg = bert_get_config(m);
	struct bert_features feat;
	if (bert_features_parse(opt.features, cfg->layers, &feat, err, sizeof err) < 0)
		log_usage("--features: %s", err);
	int D = feat.n * cfg->hidden;
	char featname[256], desc[256];
	bert_features_format(&feat, cfg->layers, featname, sizeof featname);
	snprintf(desc, sizeof desc, "encoder in %s (model.safetensors %s: %d layers, hidden %d)", opt.model,
		 bert_encoder_hash(m), cfg->layers, cfg->hidden);
	log_info("%zu examples in %d datasets; pooling %s with %s", nex, ndatasets, featname, bert_device_info(m));

	double t0 = herd_now_mono();
	char key[65];
	float *X = NULL;
	if (opt.cache) {
		cache_key(m, featname, key);
		if ((X = cache_load(key, D)))
			log_info("features of %zu texts from %s", nex, opt.cache);
	}
	if (!X) {
		X = features(m, &feat, D);
		log_info("features of %zu texts in %.1f s", nex, herd_now_mono() - t0);
		if (opt.cache)
			cache_save(key, X, D);
	}

	/* the head (src/bert/headfit.c), fitted on the training rows and
	 * early-stopped on the validation rows */
	int *is_val = xmalloc(sizeof(int) * (nex ? nex : 1)), *ys = xmalloc(sizeof(int) * (nex ? nex : 1));
	size_t *va_ex = xmalloc(sizeof(size_t) * (size_t)(nval[ndatasets] ? nval[ndatasets] : 1)), nva = 0;
	long count[BERT_MAX_LABELS] = {0};
	for (size_t i = 0; i < nex; i++) {
		is_val[i] = ex[i].val != 0, ys[i] = ex[i].label;
		if (ex[i].val)
			va_ex[nva++] = i;
		else
			count[ex[i].label]++;
	}
	double cw[BERT_MAX_LABELS];
	for (int k = 0; k < opt.K; k++) {
		double bal = count[k] ? (double)ntrain[ndatasets] / ((double)opt.K * (double)count[k]) : 1;
		cw[k] = opt.class_weights == CW_NONE ? 1 : opt.class_weights == CW_BALANCED ? bal : sqrt(bal);
	}
	struct bert_headfit_opts hf = {.K = opt.K, .hidden = opt.hidden, .ensemble = opt.ensemble,
				       .epochs = opt.epochs, .patience = opt.patience, .l2 = opt.l2, .lr = opt.lr,
				       .class_weight = cw, .rng = &rng_state, .on_member = on_member};
	struct bert_head head = {.feat = feat};
	double vloss;
	t0 = herd_now_mono();
	int epochs = bert_headfit(X, nex, D, ys, is_val, &hf, &head, &vloss);
	log_info("head fitted in %d epochs, %.1f s", epochs, herd_now_mono() - t0);
	for (int k = 0; k < opt.K; k++)
		snprintf(head.labels[k], BERT_LABEL_LEN, "%s", opt.labels[k]);
	snprintf(head.encoder, sizeof head.encoder, "%s", bert_encoder_hash(m));
	char *out = opt.out ? xstrdup(opt.out) : NULL;
	if (!out) {
		out = xmalloc(strlen(opt.model) + 32);
		sprintf(out, "%s/head.safetensors", opt.model);
	}
	if (bert_head_save(&head, out, cfg->layers, opt.f16, err, sizeof err) < 0)
		log_fatal(HERD_EXIT_FAIL, "%s", err);

	/* score the head as written (F16 rounding and all): read it back and
	 * run it on the validation examples' raw features */
	struct bert_head written;
	if (bert_head_load(&written, out, cfg->hidden, cfg->layers, err, sizeof err) < 0)
		log_fatal(HERD_EXIT_FAIL, "%s", err);
	int *pred = xmalloc(sizeof(int) * (nva ? nva : 1));
	float lg[BERT_MAX_LABELS];
	for (size_t i = 0; i < nva; i++) {
		bert_head_forward(&written, 1, X + va_ex[i] * D, lg);
		pred[i] = 0;
		for (int k = 1; k < opt.K; k++)
			pred[i] = lg[k] > lg[pred[i]] ? k : pred[i];
	}
	bert_head_release(&written);
	struct scores sc[MAX_DATASETS + 1];
	memset(sc, 0, sizeof sc);
	for (size_t i = 0; i < nva; i++) {
		int d = ex[va_ex[i]].dataset, y = ys[va_ex[i]];
		for (int s = 0; s < 2; s++) {
			struct scores *t = &sc[s ? ndatasets : d];
			t->n++;
			t->correct += pred[i] == y;
			t->conf[y][pred[i]]++;
		}
	}
	for (int d = 0; d <= ndatasets; d++)
		score(&sc[d], opt.K);

	/* the head's hash, and the model's as herd-score will name it */
	char head_hash[9] = "?", model_hash[9] = "?", model_id[128];
	char *enc_path = xmalloc(strlen(opt.model) + 32), *ad_path = xmalloc(strlen(opt.model) + 32);
	sprintf(enc_path, "%s/model.safetensors", opt.model);
	sprintf(ad_path, "%s/adapter.safetensors", opt.model);
	FILE *af = fopen(ad_path, "rb");
	const char *paths[3] = {enc_path, af ? ad_path : out, out};
	if (af)
		fclose(af);
	if (bert_files_hash(paths + 2, 1, head_hash, err, sizeof err) < 0 ||
	    bert_files_hash(paths, af ? 3 : 2, model_hash, err, sizeof err) < 0)
		log_fatal(HERD_EXIT_FAIL, "%s", err);
	free(enc_path), free(ad_path);
	snprintf(model_id, sizeof model_id, "%s@%s", cfg->name, model_hash);
	report(stdout, 0, desc, featname, D, epochs, vloss, sc, ntrain, nval, cmd.p, head_hash, model_id);
	if (opt.card) {
		FILE *f = fopen(opt.card, "w");
		if (!f)
			log_fatal(HERD_EXIT_FAIL, "%s:", opt.card);
		report(f, 1, desc, featname, D, epochs, vloss, sc, ntrain, nval, cmd.p, head_hash, model_id);
		if (fclose(f) != 0)
			log_fatal(HERD_EXIT_FAIL, "%s: write error:", opt.card);
	}
	log_info("wrote %s%s%s", out, opt.card ? " and " : "", opt.card ? opt.card : "");

	bert_free(m);
	bert_head_release(&head);
	free(out), free(X), free(pred), free(va_ex), free(is_val), free(ys);
	for (size_t i = 0; i < nex; i++)
		free(ex[i].text);
	free(ex);
	buf_free(&cmd);
	int rc = reject_finish(nread + rejected);
	return rc | herd_close_stdout();
}
