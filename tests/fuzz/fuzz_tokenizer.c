/*
 * fuzz_tokenizer.c — libFuzzer harness for the BERT WordPiece tokenizer
 * (src/bert/tokenizer.c): the one part of the engine that reads text from
 * outside, and its vocab.txt loader.
 *
 * Input: one control byte, then either the text (scored with a small
 * synthetic vocabulary this harness writes: the special tokens, every
 * printable ASCII character with and without "##", some words and pieces,
 * accented, CJK and emoji tokens) or, when bit 1 is set, a vocab.txt up to
 * the first NUL byte and the text after it. Bit 0 picks uncased or cased;
 * the rest picks max_len. Besides sanitizer reports it checks:
 *   - bert_tokenize writes at most max_len ids, every id in the
 *     vocabulary, [CLS] first and [SEP] last (when the vocabulary has them);
 *   - untruncated, bert_tokenize is [CLS] + bert_wordpieces + [SEP];
 *   - bert_wordpieces with a small cap writes a prefix of the full list.
 */
#include "fuzz.h"

#include <string.h>

#include "bert/bert.h"

#define MAX_IDS 4096

static bert_tokenizer *fixed[2]; /* [cased, uncased] over the synthetic vocabulary */
static int32_t ids[MAX_IDS + 2], pieces[MAX_IDS], small[8];

static bert_tokenizer *load_synthetic(int lowercase)
{
	static const char *const words[] = {
		"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "the", "to", "moon", "gme", "GME", "hold", "##s", "##ing",
		"##ed", "un", "##able", "short", "##er", "squeeze", "é", "##é", "cafe", "café", "中", "国", "🚀", "💎",
		"##🙌", "ß", "straße", "İ", "σ", "ς", "a", "##a", "[unused0]"};
	char path[] = "/tmp/herd-fuzz-vocab-XXXXXX", err[256];
	bert_tokenizer *t;
	FILE *f;
	int fd = mkstemp(path);

	if (fd < 0 || !(f = fdopen(fd, "w")))
		abort();
	for (size_t i = 0; i < sizeof words / sizeof *words; i++)
		fprintf(f, "%s\n", words[i]);
	for (int c = 33; c < 127; c++)
		fprintf(f, "%c\n##%c\n", c, c);
	fclose(f);
	t = bert_tokenizer_load(path, lowercase, err, sizeof err);
	unlink(path);
	if (!t) {
		fprintf(stderr, "fuzz_tokenizer: %s\n", err);
		abort();
	}
	return t;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	fixed[0] = load_synthetic(0);
	fixed[1] = load_synthetic(1);
	return 0;
}

static void check(const bert_tokenizer *tok, const char *text, size_t len, int max_len)
{
	int32_t v = bert_vocab_size(tok), cls = bert_token_id(tok, "[CLS]"), sep = bert_token_id(tok, "[SEP]");
	int n = bert_tokenize(tok, text, len, max_len, ids), np, ns;

	if (n < 0 || n > max_len)
		abort();
	for (int i = 0; i < n; i++)
		if (ids[i] < 0 || ids[i] >= v)
			abort();
	if (cls >= 0 && sep >= 0 && (n < 2 || ids[0] != cls || ids[n - 1] != sep))
		abort();
	np = bert_wordpieces(tok, text, len, pieces, MAX_IDS);
	if (np < 0)
		abort();
	if (cls >= 0 && sep >= 0 && np <= MAX_IDS) {
		n = bert_tokenize(tok, text, len, np + 2, ids);
		if (n != np + 2 || memcmp(ids + 1, pieces, (size_t)np * sizeof *ids) != 0)
			abort(); /* untruncated: [CLS] + the word pieces + [SEP] */
	}
	ns = bert_wordpieces(tok, text, len, small, 8);
	if (ns != np || memcmp(small, pieces, (size_t)(np < 8 ? np : 8) * sizeof *small) != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *text = data + 1, *nul;
	int lowercase, max_len;
	bert_tokenizer *tok;
	char err[256];
	size_t len;

	if (size < 1 || size > 1 << 16)
		return 0;
	lowercase = data[0] & 1;
	max_len = 2 + (data[0] >> 2) * 8; /* 2 .. 506 */
	len = size - 1;
	if (!(data[0] & 2)) {
		check(fixed[lowercase], (const char *)text, len, max_len);
		return 0;
	}
	err[0] = '\0';
	nul = memchr(text, '\0', len);
	if (!nul)
		return 0;
	tok = bert_tokenizer_load(fuzz_file(text, (size_t)(nul - text)), lowercase, err, sizeof err);
	if (!tok) {
		if (!err[0])
			abort(); /* a refusal says why */
		return 0;
	}
	len -= (size_t)(nul - text) + 1;
	check(tok, (const char *)nul + 1, len, max_len);
	bert_tokenizer_free(tok);
	return 0;
}
