/*
 * test_bert_default.c — the default model (models/default, `make models`)
 * against Hugging Face transformers on 200 real sentences (PhraseBank,
 * finance tweets, WSB comments) from tests/golden/bert-default.ndjson.gz
 * (scripts/make-bert-golden.py default): token ids identical, mean-pooled
 * embeddings within 1e-4, the head's logits close and the same label on
 * every sentence. Skips (exit 77) when models/default is not built.
 */
#include "bert/bert.h"
#include "bert/minijson.h"
#include "test.h"

#include <stdlib.h>
#include <zlib.h>

/* Embeddings: fp32 both sides, summation order differs; the bar. */
#define EMBEDDING_ATOL 1e-4
/* Logits through the head (2688 features, weights folded with 1/std):
 * the same bar; the largest difference seen is ~6e-6. Labels must agree
 * exactly. */
#define LOGIT_ATOL 1e-4

#define GOLDEN_SCRIPT "scripts/make-bert-golden.py default"

int main(void)
{
	const char *top = getenv("HERD_TOP");
	char path[4096], err[1024];
	snprintf(path, sizeof path, "%s/models/default/head.safetensors", top ? top : ".");
	FILE *probe = fopen(path, "rb");
	if (!probe) {
		printf("skip: %s not built (make models)\n", path);
		return 77;
	}
	fclose(probe);
	snprintf(path, sizeof path, "%s/models/default", top ? top : ".");
	struct bert_options opt = {.device = BERT_DEVICE_CPU, .max_len = 128};
	bert_model *m = bert_load(path, &opt, err, sizeof err);
	CHECK(m != NULL, "models/default loads: %s", m ? "" : err);
	if (!m)
		return test_report();
	const struct bert_config *cfg = bert_get_config(m);

	snprintf(path, sizeof path, "%s/tests/golden/bert-default.ndjson.gz", top ? top : ".");
	gzFile gz = gzopen(path, "rb");
	CHECK(gz != NULL, "%s opens (regenerate with %s)", path, GOLDEN_SCRIPT);
	if (!gz)
		return test_report();
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
			      "golden file starts with its magic line (regenerate with %s)", GOLDEN_SCRIPT);
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
	CHECK(n >= 200, "200 golden sentences read (%d)", n);
	CHECK(worst_emb <= EMBEDDING_ATOL, "embeddings within %g of transformers: max diff %g", EMBEDDING_ATOL, worst_emb);
	CHECK(worst_logit <= LOGIT_ATOL, "logits within %g of transformers + the head: max diff %g", LOGIT_ATOL,
	      worst_logit);
	printf("default model: %d sentences, ids %d/%d equal, labels %d/%d equal, max diff embedding %.3g logits %.3g\n",
	       n, ids_ok, n, labels_ok, n, worst_emb, worst_logit);
	bert_free(m);
	return test_report();
}
