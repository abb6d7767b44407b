/*
 * fuzz_config.c — libFuzzer harness for a model directory's config.json
 * (read by src/bert/model.c through src/bert/minijson.c) and, through the
 * same JSON reader, any JSON text: the files a user downloads with a model.
 *
 * Input: one control byte, then a JSON text.
 *   - bit 0 clear: the text is config.json in a model directory whose
 *     other files are the tiny golden checkpoint's (tests/golden/bert-tiny:
 *     vocab.txt, model.safetensors). bert_load must refuse a config that
 *     does not fit the weights with a reason, never crash or allocate by a
 *     number it did not check; when it accepts, one forward pass over a
 *     short sequence must run and give probabilities that sum to 1.
 *   - bit 0 set: mjson_parse alone, against jansson as the oracle: what
 *     minijson accepts jansson accepts (minijson is stricter on depth and
 *     keeps big integers as doubles), with the same strings, numbers and
 *     shapes (for a repeated key, jansson keeps the last, minijson all).
 */
#include "fuzz.h"

#include <jansson.h>
#include <math.h>
#include <string.h>
#include <sys/stat.h>

#include "bert/bert.h"
#include "bert/minijson.h"

static char dir[64];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const char *const files[] = {"vocab.txt", "model.safetensors", "tokenizer_config.json"};
	char src[512], dst[512];

	(void)argc, (void)argv;
	snprintf(dir, sizeof dir, "/tmp/herd-fuzz-config-%d", (int)getpid());
	mkdir(dir, 0700);
	for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
		snprintf(src, sizeof src, "%s/tests/golden/bert-tiny/%s", FUZZ_TOP, files[i]);
		snprintf(dst, sizeof dst, "%s/%s", dir, files[i]);
		unlink(dst);
		if (symlink(src, dst) != 0)
			abort();
	}
	return 0;
}

/* minijson's node n against jansson's value j. */
static void same(const struct mjson *n, const json_t *j)
{
	switch (n->type) {
	case MJSON_NULL:
		if (!json_is_null(j))
			abort();
		break;
	case MJSON_BOOL:
		if (!json_is_boolean(j) || (n->num != 0) != json_is_true(j))
			abort();
		break;
	case MJSON_NUMBER:
		if (!json_is_number(j))
			abort();
		if (n->is_int && json_is_integer(j) ? n->inum != json_integer_value(j)
						    : !(n->num == json_number_value(j) ||
							(isinf(n->num) && isinf(json_number_value(j)))))
			abort();
		break;
	case MJSON_STRING:
		if (!json_is_string(j) || json_string_length(j) != n->len || memcmp(json_string_value(j), n->str, n->len))
			abort();
		break;
	case MJSON_ARRAY: {
		size_t i = 0;
		if (!json_is_array(j) || json_array_size(j) != n->len)
			abort();
		for (const struct mjson *c = n->child; c; c = c->next)
			same(c, json_array_get(j, i++));
		break;
	}
	case MJSON_OBJECT:
		if (!json_is_object(j))
			abort();
		for (const struct mjson *c = n->child; c; c = c->next) {
			const struct mjson *last = c;
			for (const struct mjson *d = c->next; d; d = d->next)
				if (d->keylen == c->keylen && memcmp(d->key, c->key, c->keylen) == 0)
					last = d;
			if (last == c) /* jansson keeps the last of a repeated key */
				same(c, json_object_getn(j, c->key, c->keylen));
		}
		break;
	}
}

static void differential(const char *text, size_t len)
{
	char err[256];
	json_error_t e;
	mjson_doc *d = mjson_parse(text, len, err, sizeof err);
	json_t *j;

	if (!d)
		return;
	j = json_loadb(text, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &e);
	if (!j) {
		if (strstr(e.text, "too big") || strstr(e.text, "maximum parsing depth")) {
			mjson_free(d);
			return; /* big integers minijson keeps as doubles */
		}
		fprintf(stderr, "fuzz_config: minijson accepts what jansson rejects: %s\n", e.text);
		abort();
	}
	same(mjson_root(d), j);
	json_decref(j);
	mjson_free(d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bert_options o = {.device = BERT_DEVICE_CPU, .threads = 1, .max_batch = 2, .max_len = 16};
	char path[128], err[512];
	bert_model *m;
	FILE *f;

	if (size < 1 || size > 1 << 16)
		return 0;
	if (data[0] & 1) {
		differential((const char *)data + 1, size - 1);
		return 0;
	}
	snprintf(path, sizeof path, "%s/config.json", dir);
	if (!(f = fopen(path, "wb")) || fwrite(data + 1, 1, size - 1, f) != size - 1 || fclose(f) != 0)
		abort();
	err[0] = '\0';
	if (!(m = bert_load(dir, &o, err, sizeof err))) {
		if (!err[0])
			abort(); /* a refusal says why */
		return 0;
	}
	{
		const struct bert_config *c = bert_get_config(m);
		int32_t ids[8];
		const int32_t *seqs[1] = {ids};
		int n = bert_tokenize(bert_get_tokenizer(m), "gme to the moon", 15, 8, ids);
		float probs[BERT_MAX_LABELS], sum = 0;

		if (c->labels > 0 && c->labels <= BERT_MAX_LABELS &&
		    bert_run(m, 1, seqs, &n, NULL, probs, NULL, err, sizeof err) == 0) {
			for (int k = 0; k < c->labels; k++)
				sum += probs[k];
			if (!(fabsf(sum - 1) < 1e-4f))
				abort(); /* a softmax sums to 1 */
		}
	}
	bert_free(m);
	return 0;
}
