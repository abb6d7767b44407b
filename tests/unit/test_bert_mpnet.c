/*
 * test_bert_mpnet.c — the engine's second architecture, MPNet, against
 * Hugging Face transformers: the tiny random MPNetModel of
 * scripts/make-mpnet-golden.py (tests/golden/mpnet-tiny: F32, no prefix;
 * mpnet-tiny-mlm: the same weights as MPNetForMaskedLM saves them, F16,
 * "mpnet." prefix) loaded through bert_load, tokenized with MPNet's
 * special tokens from tokenizer_config.json / special_tokens_map.json,
 * run, and compared with MPNetTokenizer's ids and transformers' pooled
 * vectors and last hidden states; the relative-position buckets against
 * PyTorch's for every distance up to 600; the fast forward against the
 * plain loops on 1 and 2 threads; CUDA refused with a reason.
 */
#include "bert/bert.h"
#include "bert/cpu.h"
#include "bert/minijson.h"
#include "bert/model.h"
#include "bert_golden.h"
#include "test.h"

#include <stdlib.h>

/* as test_bert_model.c: transformers' fp32 vs ours, summation order only */
#define GOLDEN_ATOL 1e-4
#define FORWARD_ATOL 2e-5
#define GOLDEN "tests/golden/mpnet-tiny.ndjson"
#define SCRIPT "scripts/make-mpnet-golden.py"

static int read_rows(mjson_doc **rows, int cap)
{
	FILE *f = fopen(path_of(GOLDEN), "r");
	char *line = NULL, err[200];
	size_t lcap = 0;
	ssize_t n;
	int count = 0;

	CHECK(f != NULL, "%s opens (regenerate with %s)", GOLDEN, SCRIPT);
	while (f && (n = getline(&line, &lcap, f)) > 0 && count < cap) {
		mjson_doc *d = mjson_parse(line, (size_t)n, err, sizeof err);
		CHECK(d != NULL, "golden line parses: %s", d ? "" : err);
		if (!d)
			break;
		rows[count++] = d;
	}
	free(line);
	if (f)
		fclose(f);
	const char *m;
	CHECK(count > 2 && mjson_get_str(mjson_root(rows[0]), "magic", &m) == 1 && strcmp(m, "herd-mpnet-golden") == 0,
	      "%s starts with its magic line (regenerate with %s)", GOLDEN, SCRIPT);
	return count;
}

static void test_buckets(const struct mjson *row)
{
	const struct mjson *b = mjson_get(row, "buckets");
	int64_t from = 0, bad = 0, n = 0;
	CHECK(b && b->type == MJSON_ARRAY && mjson_get_int(row, "from", &from) == 1, "the golden file has the buckets");
	for (const struct mjson *v = b ? b->child : NULL; v; v = v->next, n++)
		if (bert_relpos_bucket((int)(from + n)) != v->inum) {
			if (!bad++)
				fprintf(stderr, "distance %lld: bucket %d, PyTorch's %lld\n", (long long)(from + n),
					bert_relpos_bucket((int)(from + n)), (long long)v->inum);
		}
	CHECK(n == 1201 && bad == 0, "relative-position buckets equal PyTorch's at all %lld distances (%lld differ)",
	      (long long)n, (long long)bad);
}

static void test_golden(mjson_doc **rows, int nrows, const char *name)
{
	char err[512], rel[64];
	snprintf(rel, sizeof rel, "tests/golden/%s", name);
	struct bert_options opt = {.device = BERT_DEVICE_CPU, .threads = 2};
	bert_model *m = bert_load(path_of(rel), &opt, err, sizeof err);
	CHECK(m != NULL, "%s loads: %s", name, m ? "" : err);
	if (!m)
		return;
	const struct bert_config *cfg = bert_get_config(m);
	CHECK(cfg->arch == BERT_ARCH_MPNET && cfg->pooling == BERT_POOL_MEAN && cfg->type_vocab == 0 &&
		      cfg->pos_offset == 2 && cfg->rel_buckets == 32 && bert_max_tokens(cfg) == 94,
	      "%s: an MPNet encoder, mean pooled, no token types, positions from 2 (94 tokens at most)", name);
	const bert_tokenizer *tok = bert_get_tokenizer(m);
	CHECK(bert_token_id(tok, "<s>") == 0 && bert_token_id(tok, "<mask>") == bert_vocab_size(tok) - 1,
	      "%s: MPNet's vocabulary (<s> first, <mask> last)", name);
	double worst_pooled = 0, worst_hidden = 0;
	int seen = 0, ids_ok = 1, longest = 0;
	for (int r = 0; r < nrows; r++) {
		const char *mn, *text;
		if (mjson_get_str(mjson_root(rows[r]), "model", &mn) != 1 || strcmp(mn, name) != 0)
			continue;
		const struct mjson *o = mjson_root(rows[r]);
		mjson_get_str(o, "text", &text);
		seen++;
		int32_t ids[128];
		int len = bert_tokenize(tok, text, strlen(text), bert_max_tokens(cfg), ids);
		const struct mjson *want = mjson_get(o, "ids");
		int same = want && (int)want->len == len, i = 0;
		for (const struct mjson *v = want ? want->child : NULL; v && same; v = v->next, i++)
			same = ids[i] == v->inum;
		if (!same) {
			ids_ok = 0;
			CHECK(0, "%s: token ids of '%s' equal MPNetTokenizer's", name, text);
			continue;
		}
		longest = len > longest ? len : longest;
		const int32_t *idp = ids;
		float pooled[32];
		int rc = bert_run(m, 1, &idp, &len, NULL, NULL, pooled, err, sizeof err);
		CHECK(rc == 0, "bert_run on '%s': %s", text, rc ? err : "");
		if (rc)
			continue;
		double d = maxdiff_json(pooled, mjson_get(o, "pooled"), (size_t)cfg->hidden);
		worst_pooled = d > worst_pooled ? d : worst_pooled;
		const struct mjson *hid = mjson_get(o, "hidden");
		if (hid) {
			float *h = malloc(sizeof(float) * (size_t)len * cfg->hidden);
			int off[2] = {0, len};
			struct bert_out out = {.hidden = h};
			bert_cpu_forward_ref(cfg, bert_get_weights(m), 1, ids, off, &out);
			d = maxdiff_json(h, hid, (size_t)len * cfg->hidden);
			worst_hidden = d > worst_hidden ? d : worst_hidden;
			free(h);
		}
	}
	CHECK(seen >= 14 && longest >= 89, "%s has golden rows (%d, the longest %d tokens)", name, seen, longest);
	CHECK(ids_ok, "%s: every text's token ids equal MPNetTokenizer's", name);
	CHECK(worst_pooled <= GOLDEN_ATOL, "%s: pooled vectors within %g of transformers: max diff %g", name,
	      GOLDEN_ATOL, worst_pooled);
	if (strcmp(name, "mpnet-tiny") == 0)
		CHECK(worst_hidden <= GOLDEN_ATOL && worst_hidden > 0,
		      "%s: last hidden states (ref forward) within %g of transformers: max diff %g", name, GOLDEN_ATOL,
		      worst_hidden);
	printf("%s: max diff pooled %.3g hidden %.3g\n", name, worst_pooled, worst_hidden);
	bert_free(m);
}

/* The fast forward on 1 and 2 threads against the plain loops, lengths
 * on both attention paths, with a pad token inside one text (its position
 * is padding_idx, the next ones do not count it). */
static void test_fast_vs_ref(void)
{
	char err[512];
	struct bert_options opt = {.device = BERT_DEVICE_CPU, .threads = 1};
	bert_model *m = bert_load(path_of("tests/golden/mpnet-tiny"), &opt, err, sizeof err);
	CHECK(m != NULL, "mpnet-tiny loads: %s", m ? "" : err);
	if (!m)
		return;
	const struct bert_config *cfg = bert_get_config(m);
	const struct bert_weights *w = bert_get_weights(m);
	enum { B = 4 };
	int offsets[B + 1] = {0, 1, 9, 89, 92}; /* lengths 1, 8, 80, 3 */
	int N = offsets[B], C = cfg->hidden;
	int32_t *ids = malloc(sizeof(int32_t) * N);
	for (int i = 0; i < N; i++)
		ids[i] = 3 + (i * 7919) % (cfg->vocab - 3);
	ids[5] = 1; /* <pad> in running text */
	int pos[92];
	bert_cpu_positions(cfg, B, ids, offsets, pos);
	CHECK(pos[0] == 2 && pos[1] == 2 && pos[4] == 5 && pos[5] == 1 && pos[6] == 6 && pos[91] == 4,
	      "positions count from 2 per sequence and skip a pad token (padding_idx 1)");
	float *ref = malloc(sizeof(float) * (size_t)N * C), *got = malloc(sizeof(float) * (size_t)N * C);
	float *one = malloc(sizeof(float) * (size_t)N * C);
	bert_cpu_forward_ref(cfg, w, B, ids, offsets, &(struct bert_out){.hidden = ref});
	for (int threads = 1; threads <= 2; threads++) {
		struct bert_cpu *c = bert_cpu_new(cfg, w, threads);
		bert_cpu_run(c, B, ids, offsets, &(struct bert_out){.hidden = got});
		double md = 0;
		for (size_t i = 0; i < (size_t)N * C; i++) {
			double d = fabs(got[i] - ref[i]);
			md = d > md || d != d ? d : md;
		}
		CHECK(md <= FORWARD_ATOL, "MPNet fast forward on %d thread(s) within %g of the ref: max diff %g", threads,
		      FORWARD_ATOL, md);
		if (threads == 1)
			memcpy(one, got, sizeof(float) * (size_t)N * C);
		else
			CHECK(memcmp(one, got, sizeof(float) * (size_t)N * C) == 0,
			      "MPNet fast forward: the same bytes on 2 threads as on 1");
		bert_cpu_free(c);
	}
	free(ref), free(got), free(one), free(ids);

	/* longer than the positions allow: refused */
	int32_t many[95];
	for (int i = 0; i < 95; i++)
		many[i] = 7;
	const int32_t *mp = many;
	int n = 95;
	CHECK(bert_run(m, 1, &mp, &n, NULL, NULL, NULL, err, sizeof err) < 0 && strstr(err, "1..94"),
	      "95 tokens are refused (94 positions after MPNet's offset of 2): %s", err);
	bert_free(m);

	/* CUDA: --device cuda takes MPNet to the backend (on a machine
	 * without a GPU it is refused for that reason, not for MPNet's);
	 * auto runs it on the CPU here: no GPU, or (model.c's
	 * CUDA_AUTO_VERIFIED) a backend not yet checked on one */
	opt.device = BERT_DEVICE_CUDA;
	m = bert_load(path_of("tests/golden/mpnet-tiny"), &opt, err, sizeof err);
	if (m)
		CHECK(bert_get_device(m) == BERT_DEVICE_CUDA, "--device cuda runs MPNet on the GPU: %s",
		      bert_device_info(m));
	else
		CHECK(strstr(err, "device cuda: ") == err && !strstr(err, "MPNet"),
		      "--device cuda: refused only for want of a GPU: %s", err);
	bert_free(m);
	opt.device = BERT_DEVICE_AUTO;
	m = bert_load(path_of("tests/golden/mpnet-tiny"), &opt, err, sizeof err);
	CHECK(m && bert_get_device(m) == BERT_DEVICE_CPU && strstr(bert_device_info(m), "(auto: "),
	      "--device auto runs MPNet on the CPU and says why: %s", m ? bert_device_info(m) : err);
	bert_free(m);
}

/* A copy of mpnet-tiny whose config.json has key's value replaced by
 * value (a JSON text): bert_load must refuse it naming the file and the
 * reason (why). */
static void refused(const char *key, const char *value, const char *why)
{
	char dir[] = "/tmp/herd-mpnet-XXXXXX", cmd[8192], err[512], text[4096], out[4096], pat[128];
	FILE *f = fopen(path_of("tests/golden/mpnet-tiny/config.json"), "r");
	size_t n = f ? fread(text, 1, sizeof text - 1, f) : 0;
	if (f)
		fclose(f);
	text[n] = '\0';
	snprintf(pat, sizeof pat, "\"%s\": ", key);
	char *v = strstr(text, pat), *e;
	int depth = 0;
	CHECK(v != NULL && mkdtemp(dir) != NULL, "mpnet-tiny's config.json has %s", key);
	if (!v)
		return;
	v += strlen(pat);
	for (e = v; *e && (depth > 0 || (*e != ',' && *e != '\n')); e++)
		depth += (*e == '[' || *e == '{') - (*e == ']' || *e == '}');
	snprintf(out, sizeof out, "%.*s%s%s", (int)(v - text), text, value, e);
	snprintf(cmd, sizeof cmd, "cp %s/* %s/", path_of("tests/golden/mpnet-tiny"), dir);
	CHECK(system(cmd) == 0, "%s made", dir);
	snprintf(cmd, sizeof cmd, "%s/config.json", dir);
	f = fopen(cmd, "w");
	CHECK(f && fputs(out, f) >= 0 && fclose(f) == 0, "config.json with %s %s written", key, value);
	struct bert_options opt = {.device = BERT_DEVICE_CPU, .threads = 1};
	bert_model *m = bert_load(dir, &opt, err, sizeof err);
	CHECK(!m && strstr(err, "config.json") && strstr(err, why), "%s %s is refused: %s", key, value, m ? "loaded" : err);
	bert_free(m);
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	CHECK(system(cmd) == 0, "%s removed", dir);
}

int main(void)
{
	const char *t = getenv("HERD_TOP");
	snprintf(golden_top, sizeof golden_top, "%s", t ? t : ".");
	mjson_doc *rows[64];
	int n = read_rows(rows, 64);
	if (n > 1)
		test_buckets(mjson_root(rows[1]));
	test_golden(rows, n, "mpnet-tiny");
	test_golden(rows, n, "mpnet-tiny-mlm");
	test_fast_vs_ref();
	refused("relative_attention_num_buckets", "64", "not supported (MPNet's 32)");
	refused("max_position_embeddings", "2", "leaves no position");
	refused("architectures", "[\"MPNetForSequenceClassification\"]", "MPNetModel or MPNetForMaskedLM");
	refused("model_type", "\"roberta\"", "\"bert\" or \"mpnet\"");
	for (int i = 0; i < n; i++)
		mjson_free(rows[i]);
	return test_report();
}
