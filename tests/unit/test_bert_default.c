/*
 * test_bert_default.c — the models `make models` builds, the default
 * (models/default, mpnet-fin3: MPNet) and the fast one (models/minilm-fin3:
 * BERT), each with its LoRA adapter merged at load and its head, against
 * Hugging Face transformers on 200 real sentences (PhraseBank, finance
 * tweets, WSB comments) from tests/golden/bert-default.ndjson.gz and
 * bert-minilm-fin3.ndjson.gz (scripts/make-bert-golden.py default ...):
 * token ids identical, mean-pooled embeddings within 1e-4, the head's
 * logits close and the same label on every sentence. A model not built is
 * skipped; exit 77 when neither is.
 */
#include "bert/bert.h"
#include "bert/minijson.h"
#include "test.h"

#include <stdlib.h>
#include <zlib.h>

/* Embeddings: fp32 both sides, summation order differs; the bar. */
#define EMBEDDING_ATOL 1e-4
/* Logits through the head (a linear layer on the mean-pooled sequence, in
 * both models): the same bar; the largest difference seen is ~4e-6.
 * Labels must agree exactly. */
#define LOGIT_ATOL 1e-4

/* One model against its golden file; 0 when the model is not built. */
static int check_model(const char *top, const char *dir, const char *golden, const char *script)
{
	char path[4096], err[1024];
	snprintf(path, sizeof path, "%s/%s/head.safetensors", top, dir);
	FILE *probe = fopen(path, "rb");
	if (!probe) {
		printf("skip %s: %s not built (make models)\n", dir, path);
		return 0;
	}
	fclose(probe);
	snprintf(path, sizeof path, "%s/%s", top, dir);
	struct bert_options opt = {.device = BERT_DEVICE_CPU, .max_len = 128};
	bert_model *m = bert_load(path, &opt, err, sizeof err);
	CHECK(m != NULL, "%s loads: %s", dir, m ? "" : err);
	if (!m)
		return 1;
	const struct bert_config *cfg = bert_get_config(m);

	snprintf(path, sizeof path, "%s/tests/golden/%s", top, golden);
	gzFile gz = gzopen(path, "rb");
	CHECK(gz != NULL, "%s opens (regenerate with %s)", path, script);
	if (!gz) {
		bert_free(m);
		return 1;
	}
	static char line[1 << 20];
	int n = 0, ids_ok = 0, labels_ok = 0, first = 1;
	double worst_emb = 0, worst_logit = 0;
	while (gzgets(gz, line, sizeof line)) {
		mjson_doc *d = mjson_parse(line, strlen(line), err, sizeof err);
		CHECK(d != NULL, "golden line parses: %s", d ? "" : err);
		if (!d)
			break;
		const struct mjson *o = mjson_root(d);
		if (first) {
			const char *magic;
			CHECK(mjson_get_str(o, "magic", &magic) == 1 && strcmp(magic, "herd-bert-golden") == 0,
			      "%s starts with its magic line (regenerate with %s)", golden, script);
			first = 0;
			mjson_free(d);
			continue;
		}
		const char *text, *label;
		mjson_get_str(o, "text", &text);
		mjson_get_str(o, "label", &label);
		int32_t ids[128];
		int len = bert_tokenize(bert_get_tokenizer(m), text, strlen(text), 128, ids);
		const struct mjson *want = mjson_get(o, "ids");
		int same = want && (int)want->len == len, i = 0;
		for (const struct mjson *v = want ? want->child : NULL; v && same; v = v->next, i++)
			same = v->inum == ids[i];
		ids_ok += same;
		CHECK(same, "token ids of '%.60s' equal transformers'", text);
		const int32_t *idp = ids;
		float logits[BERT_MAX_LABELS], emb[1024];
		if (bert_run(m, 1, &idp, &len, logits, NULL, emb, err, sizeof err) < 0) {
			CHECK(0, "bert_run: %s", err);
			mjson_free(d);
			continue;
		}
		i = 0;
		for (const struct mjson *v = mjson_get(o, "embedding")->child; v && i < cfg->hidden; v = v->next, i++) {
			double e = fabs(emb[i] - v->num);
			worst_emb = e > worst_emb ? e : worst_emb;
		}
		i = 0;
		for (const struct mjson *v = mjson_get(o, "logits")->child; v && i < cfg->labels; v = v->next, i++) {
			double e = fabs(logits[i] - v->num);
			worst_logit = e > worst_logit ? e : worst_logit;
		}
		int best = 0;
		for (int k = 1; k < cfg->labels; k++)
			best = logits[k] > logits[best] ? k : best;
		labels_ok += strcmp(cfg->label_names[best], label) == 0;
		CHECK(strcmp(cfg->label_names[best], label) == 0, "label of '%.60s': got %s, transformers %s", text,
		      cfg->label_names[best], label);
		n++;
		mjson_free(d);
	}
	gzclose(gz);
	CHECK(n >= 200, "%s: 200 golden sentences read (%d)", dir, n);
	CHECK(worst_emb <= EMBEDDING_ATOL, "%s: embeddings within %g of transformers: max diff %g", dir, EMBEDDING_ATOL,
	      worst_emb);
	CHECK(worst_logit <= LOGIT_ATOL, "%s: logits within %g of transformers + the head: max diff %g", dir, LOGIT_ATOL,
	      worst_logit);
	printf("%s: %d sentences, ids %d/%d equal, labels %d/%d equal, max diff embedding %.3g logits %.3g\n", dir, n,
	       ids_ok, n, labels_ok, n, worst_emb, worst_logit);
	bert_free(m);
	return 1;
}

int main(void)
{
	const char *top = getenv("HERD_TOP") ? getenv("HERD_TOP") : ".";
	int ran = check_model(top, "models/default", "bert-default.ndjson.gz", "scripts/make-bert-golden.py default");
	ran += check_model(top, "models/minilm-fin3", "bert-minilm-fin3.ndjson.gz",
			   "scripts/make-bert-golden.py default models/minilm-fin3 tests/golden/bert-minilm-fin3.ndjson.gz");
	if (!ran)
		return 77;
	return test_report();
}
