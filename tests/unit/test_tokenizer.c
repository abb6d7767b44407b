/*
 * test_tokenizer.c — src/bert/tokenizer.c against Hugging Face's Python
 * BertTokenizer, id for id.
 *
 *   test_tokenizer                     self-contained checks: a small
 *       vocabulary written here (WordPiece, [UNK], truncation, the vocab
 *       file's rules), then every Unicode code point, in probes, against
 *       tests/golden/tokenizer-unicode.txt (uncased and cased)
 *   test_tokenizer golden VOCAB GOLDEN [DATA]   every line of a token
 *       golden file (tests/golden/tokens-*.txt[.gz]); texts come from the
 *       corpora under DATA (../shared/data) or from the edge-case file
 *   test_tokenizer sweep MODE BLOCK    the probe ids of one block of 4096
 *       code points, one line each (to diff against the script's --block)
 *   test_tokenizer ids VOCAB [--cased] [--max-len N] < NDJSON   ids of
 *       each {"text": …} line
 *   test_tokenizer bench VOCAB NDJSON [SECONDS [THREADS]]   sentences/s
 *       and MB/s of bert_tokenize at max_len 128
 *
 * Golden files come from scripts/make-token-golden.py; a mismatch names
 * the text's corpus and key, and what HF and we produced.
 */
#include "bert/bert.h"
#include "test.h"

#include <csv.h>
#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <utf8proc.h>
#include <zlib.h>

#define GOLDEN_MAGIC "herd-token-golden 1"
#define UNICODE_MAGIC "herd-tokenizer-unicode 1"
#define SCRIPT ".venv/bin/python scripts/make-token-golden.py"
#define REGEN "regenerate with: " SCRIPT
#define SWEEP_BLOCK 4096
#define MAX_IDS 65536 /* more word pieces than any golden text has */

static char tmpdir[] = "/tmp/herd-test-tokenizer-XXXXXX";

/* ---------------------------------------------------------- helpers */

static char *write_tmp(const char *name, const char *data, size_t len)
{
	static char path[4096];
	snprintf(path, sizeof path, "%s/%s", tmpdir, name);
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(data, 1, len, f) != len || fclose(f) != 0) {
		perror(path);
		exit(2);
	}
	return path;
}

static bert_tokenizer *load_str(const char *vocab, int lowercase)
{
	char err[256];
	bert_tokenizer *t = bert_tokenizer_load(write_tmp("vocab.txt", vocab, strlen(vocab)), lowercase, err, sizeof err);
	if (!t)
		fprintf(stderr, "load: %s\n", err);
	return t;
}

/* ids of text as a space-separated string, into buf */
static const char *ids_str(const int32_t *ids, int n, char *buf, size_t cap)
{
	size_t k = 0;
	buf[0] = '\0';
	for (int i = 0; i < n && k + 12 < cap; i++)
		k += (size_t)snprintf(buf + k, cap - k, i ? " %d" : "%d", ids[i]);
	return buf;
}

static const char *tokenize_n(const bert_tokenizer *t, const char *text, size_t len, int max_len)
{
	static char buf[8192];
	int32_t ids[1024];
	int n = max_len ? bert_tokenize(t, text, len, max_len, ids) : bert_wordpieces(t, text, len, ids, 1024);
	return ids_str(ids, n < 1024 ? n : 1024, buf, sizeof buf);
}

static const char *tokenize_str(const bert_tokenizer *t, const char *text, int max_len)
{
	return tokenize_n(t, text, strlen(text), max_len);
}

/* ---------------------------------------------------------- small vocabulary */

static const char small_vocab[] = "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\n" /* 0-4 */
				  "un\n##aff\n##able\nhello\n##s\n"      /* 5-9 */
				  ",\n.\n[\n]\na\n"                      /* 10-14 */
				  "b\n##b\nx\ncafe\n##\xc3\xa9\n"         /* 15-19: ##é */
				  "\xe4\xb8\xad\n##x\n";                 /* 20 中, 21 ##x */

static void test_small(void)
{
	bert_tokenizer *t = load_str(small_vocab, 1);
	char err[256];
	if (!t) {
		CHECK(0, "the small vocabulary loads");
		return;
	}
	CHECK(bert_vocab_size(t) == 22, "22 lines, 22 tokens (got %d)", bert_vocab_size(t));
	CHECK(bert_token_id(t, "[CLS]") == 2 && bert_token_id(t, "##able") == 7, "token ids are line numbers - 1");
	CHECK(bert_token_id(t, "nope") == -1, "an absent token has id -1");
	CHECK_STR(bert_token_str(t, 6), "##aff", "token 6");
	CHECK(bert_token_str(t, 22) == NULL && bert_token_str(t, -1) == NULL, "ids out of range have no string");

	CHECK_STR(tokenize_str(t, "unaffable", 0), "5 6 7", "greedy longest match with ## continuations");
	CHECK_STR(tokenize_str(t, "UnAffable HELLOs", 0), "5 6 7 8 9", "uncased: lower case first");
	CHECK_STR(tokenize_str(t, "unaffablez hello", 0), "1 8", "a word with no match is one [UNK]");
	CHECK_STR(tokenize_str(t, "hello,a.b", 0), "8 10 14 11 15", "punctuation splits words");
	CHECK_STR(tokenize_str(t, "  \t\n", 0), "", "only white space: no pieces");
	CHECK_STR(tokenize_str(t, "", 2), "2 3", "empty text: [CLS] [SEP]");
	CHECK_STR(tokenize_str(t, "a b a b a", 5), "2 14 15 14 3", "truncation keeps [CLS] and [SEP]");
	CHECK_STR(tokenize_str(t, "a b a b a", 2), "2 3", "max_len 2: [CLS] [SEP] only");
	CHECK_STR(tokenize_str(t, "unaffable unaffable", 4), "2 5 6 3", "truncation may cut a word's pieces");
	CHECK_STR(tokenize_str(t, "unaffablez a", 3), "2 1 3", "a failed word counts once against the limit");
	CHECK_STR(tokenize_str(t, "Caf\xc3\xa9 caf\x65\xcc\x81", 0), "18 18", "accents stripped (precomposed or not)");
	CHECK_STR(tokenize_str(t, "a\xe4\xb8\xad" "b", 0), "14 20 15", "a CJK ideograph is a word of its own");
	CHECK_STR(tokenize_str(t, "x[MASK]x [SEP] [mask]", 0), "17 4 17 3 12 1 13", "special tokens are kept whole");
	static const char nul[] = "a\x00" "b\x7f" "b\xef\xbf\xbd" "b\xe2\x80\x8b" "b";
	CHECK_STR(tokenize_n(t, nul, sizeof nul - 1, 0), "14 16 16 16 16",
		  "NUL, DEL, U+FFFD and U+200B vanish without splitting the word");
	CHECK_STR(tokenize_str(t, "a\xff" "b\xc3" "b\xed\xa0\x80" "b", 0), "14 16 16 16",
		  "bytes that are not UTF-8 vanish as U+FFFD does");
	CHECK_STR(tokenize_str(t, "a\xe2\x80\xa8" "b\xc2\xa0" "b", 0), "14 15 15", "U+2028 and NBSP split words");

	char word[256];
	memset(word, 'x', 101);
	word[101] = '\0';
	CHECK_STR(tokenize_str(t, word, 0), "1", "101 characters: [UNK] without looking");
	word[100] = '\0';
	char want[512] = "17";
	for (int i = 1; i < 100; i++)
		strcat(want, " 21");
	CHECK_STR(tokenize_str(t, word, 0), want, "100 characters are still word pieces");

	int32_t ids[4];
	int n = bert_wordpieces(t, "a b a b a b", 11, ids, 4);
	CHECK(n == 6 && ids[3] == 15, "bert_wordpieces counts past cap (%d)", n);

	/* one word of 4500 code points ("A\u0301," x 1500): the scratch
	 * buffers leave the stack; NFC, lower, NFD all run on it */
	enum { REP = 1500 };
	static char big[REP * 4];
	static int32_t big_ids[2 * REP + 8];
	for (int i = 0; i < REP; i++)
		memcpy(big + 4 * i, "A\xcc\x81,", 4);
	n = bert_wordpieces(t, big, sizeof big, big_ids, 2 * REP + 8);
	int pattern = n == 2 * REP;
	for (int i = 0; pattern && i < n; i++)
		pattern = big_ids[i] == (i % 2 ? 10 : 14);
	CHECK(pattern, "a 4500-character word: a , a , ... (%d pieces)", n);
	bert_tokenizer_free(t);

	t = load_str(small_vocab, 0);
	CHECK_STR(tokenize_str(t, "hello Hello", 0), "8 1", "cased: no lower case");
	CHECK_STR(tokenize_str(t, "cafe\xcc\x81", 0), "1", "cased: accents kept (café is not in the vocabulary)");
	bert_tokenizer_free(t);

	/* vocab.txt's own rules: universal newlines, later duplicates win */
	t = load_str("[UNK]\r\n[CLS]\r[SEP]\nab\nab\nc", 1);
	CHECK(t && bert_vocab_size(t) == 6, "\\r\\n, \\r and \\n all end a line; no newline at the end");
	CHECK(t && bert_token_id(t, "ab") == 4, "a duplicate token takes the later line's id, as a Python dict does");
	CHECK(t && bert_token_id(t, "c") == 5, "the last line needs no newline");
	bert_tokenizer_free(t);

	t = bert_tokenizer_load(write_tmp("bad.txt", "a\nb\n", 4), 1, err, sizeof err);
	CHECK(!t && strstr(err, "no [UNK] token"), "a vocabulary without [UNK] is refused: %s", err);
	t = bert_tokenizer_load("/nonexistent/vocab.txt", 1, err, sizeof err);
	CHECK(!t && strstr(err, "/nonexistent/vocab.txt: No such file"), "a missing file is named: %s", err);
	t = bert_tokenizer_load(write_tmp("empty.txt", "", 0), 1, err, sizeof err);
	CHECK(!t && strstr(err, "empty vocabulary"), "an empty file is refused: %s", err);
	bert_tokenizer_free(NULL);
}

/* ---------------------------------------------------------- the Unicode sweep */

/*
 * A vocabulary with every code point (except surrogates, \n and \r) alone
 * and after "##": word pieces are then single characters, so the ids spell
 * out exactly what BasicTokenizer made of the text. Each code point c goes
 * through a probe that tests it alone, inside a word, before a combining
 * accent, and around Σ (Final_Sigma's context). scripts/make-token-golden.py
 * builds the same vocabulary and probes.
 */
#define SWEEP_SPECIALS 5

static int sweep_skip(uint32_t c)
{
	return c == '\n' || c == '\r' || (c >= 0xD800 && c <= 0xDFFF);
}

static size_t utf8_put(char *p, uint32_t c)
{
	if (c < 0x80) {
		p[0] = (char)c;
		return 1;
	}
	if (c < 0x800) {
		p[0] = (char)(0xC0 | c >> 6);
		p[1] = (char)(0x80 | (c & 0x3F));
		return 2;
	}
	if (c < 0x10000) {
		p[0] = (char)(0xE0 | c >> 12);
		p[1] = (char)(0x80 | (c >> 6 & 0x3F));
		p[2] = (char)(0x80 | (c & 0x3F));
		return 3;
	}
	p[0] = (char)(0xF0 | c >> 18);
	p[1] = (char)(0x80 | (c >> 12 & 0x3F));
	p[2] = (char)(0x80 | (c >> 6 & 0x3F));
	p[3] = (char)(0x80 | (c & 0x3F));
	return 4;
}

static const char *sweep_vocab(void)
{
	static char path[4096];
	snprintf(path, sizeof path, "%s/sweep-vocab.txt", tmpdir);
	if (access(path, R_OK) == 0)
		return path;
	FILE *f = fopen(path, "wb");
	if (!f) {
		perror(path);
		exit(2);
	}
	fputs("[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\n", f);
	char b[8];
	for (int pass = 0; pass < 2; pass++)
		for (uint32_t c = 0; c < 0x110000; c++) {
			if (sweep_skip(c))
				continue;
			if (pass)
				fputs("##", f);
			fwrite(b, 1, utf8_put(b, c), f);
			fputc('\n', f);
		}
	if (fclose(f) != 0) {
		perror(path);
		exit(2);
	}
	return path;
}

/* The probe for c: "c ac b c\u0301 cΣ AcΣ AΣc AΣcA" */
static size_t sweep_probe(char *p, uint32_t c)
{
	static const char *const parts[] = {"", " a", "b ", "\xcc\x81 ", "\xce\xa3 A", "\xce\xa3 A\xce\xa3", " A\xce\xa3", "A"};
	size_t n = 0;
	for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
		if (i) {
			size_t k = strlen(parts[i]);
			memcpy(p + n, parts[i], k);
			n += k;
		}
		if (i + 1 < sizeof parts / sizeof parts[0])
			n += utf8_put(p + n, c);
	}
	return n;
}

static int sweep_ids(const bert_tokenizer *t, uint32_t c, int32_t *ids, int cap)
{
	char text[64];
	size_t n = sweep_probe(text, c);
	return bert_wordpieces(t, text, n, ids, cap);
}

static uint32_t sweep_crc(const bert_tokenizer *t, uint32_t block)
{
	uLong crc = crc32(0, NULL, 0);
	int32_t ids[64];
	for (uint32_t c = block * SWEEP_BLOCK; c < (block + 1) * SWEEP_BLOCK; c++) {
		if (sweep_skip(c))
			continue;
		int n = sweep_ids(t, c, ids, 64);
		unsigned char b[4 * 65];
		int32_t v[65];
		v[0] = n;
		memcpy(v + 1, ids, (size_t)(n < 64 ? n : 64) * 4);
		for (int i = 0; i <= n && i < 65; i++)
			for (int k = 0; k < 4; k++)
				b[4 * i + k] = (unsigned char)((uint32_t)v[i] >> (8 * k));
		crc = crc32(crc, b, (uInt)(4 * (n < 64 ? n + 1 : 65)));
	}
	return (uint32_t)crc;
}

static const char *top_path(const char *rel)
{
	static char path[4096];
	const char *top = getenv("HERD_TOP");
	snprintf(path, sizeof path, "%s/%s", top && *top ? top : ".", rel);
	return path;
}

static void test_unicode(void)
{
	const char *golden = top_path("tests/golden/tokenizer-unicode.txt");
	FILE *f = fopen(golden, "r");
	char line[256], err[256];
	bert_tokenizer *tok[2] = {NULL, NULL};
	int blocks = 0, bad = 0;

	if (!f) {
		CHECK(0, "%s: %s", golden, strerror(errno));
		return;
	}
	if (!fgets(line, sizeof line, f) || strncmp(line, UNICODE_MAGIC, strlen(UNICODE_MAGIC)) != 0) {
		CHECK(0, "%s: not a herd-tokenizer-unicode 1 file; " REGEN " --unicode", golden);
		fclose(f);
		return;
	}
	while (fgets(line, sizeof line, f)) {
		char mode[16];
		unsigned block, want;
		if (line[0] == '#' || sscanf(line, "%15s %x %x", mode, &block, &want) != 3)
			continue;
		int cased = strcmp(mode, "cased") == 0;
		if (!tok[cased] && !(tok[cased] = bert_tokenizer_load(sweep_vocab(), !cased, err, sizeof err))) {
			CHECK(0, "sweep vocabulary: %s", err);
			break;
		}
		uint32_t got = sweep_crc(tok[cased], block);
		blocks++;
		if (got != want) {
			bad++;
			CHECK(0, "%s code points U+%04X..U+%04X: probe ids differ from Hugging Face's (crc %08x, want %08x); "
				 "compare `build/tests/test_tokenizer sweep %s %u` with `" SCRIPT " --block %s %u`",
			      mode, block * SWEEP_BLOCK, (block + 1) * SWEEP_BLOCK - 1, got, want, mode, block, mode, block);
		}
	}
	fclose(f);
	CHECK(blocks == 2 * (0x110000 / SWEEP_BLOCK), "%s covers every code point in both modes (%d blocks)", golden, blocks);
	printf("unicode sweep: %d blocks of %d code points, %d differ (utf8proc %s, Unicode %s)\n", blocks, SWEEP_BLOCK,
	       bad, utf8proc_version(), utf8proc_unicode_version());
	bert_tokenizer_free(tok[0]);
	bert_tokenizer_free(tok[1]);
}

static int cmd_sweep(const char *mode, const char *block_s)
{
	char err[256];
	int cased = strcmp(mode, "cased") == 0;
	uint32_t block = (uint32_t)strtoul(block_s, NULL, 0);
	bert_tokenizer *t = bert_tokenizer_load(sweep_vocab(), !cased, err, sizeof err);
	if (!t) {
		fprintf(stderr, "%s\n", err);
		return 2;
	}
	int32_t ids[64];
	char buf[1024];
	for (uint32_t c = block * SWEEP_BLOCK; c < (block + 1) * SWEEP_BLOCK; c++) {
		if (sweep_skip(c))
			continue;
		int n = sweep_ids(t, c, ids, 64);
		printf("%04X %s\n", c, ids_str(ids, n < 64 ? n : 64, buf, sizeof buf));
	}
	bert_tokenizer_free(t);
	return 0;
}

/* ---------------------------------------------------------- corpora */

/*
 * The texts a golden file names by corpus and key. Each corpus is one
 * file under DATA read one way; scripts/make-token-golden.py has the same
 * table. Keys are 1-based line numbers, CSV data rows or array indices.
 */
struct corpus {
	const char *name, *path;
	enum { C_LATIN1_AT, C_CSV_COL0, C_NDJSON, C_JSON_ARRAY } kind;
	const char *field; /* C_NDJSON, JSON_ARRAY: "a" or "a.b" */
	char **text;       /* [key], loaded on first use */
	size_t *len;
	size_t n;
	int loaded;
};

static struct corpus corpora[] = {
	{"phrasebank", "financial-phrasebank/Sentences_50Agree.txt", C_LATIN1_AT, NULL, NULL, NULL, 0, 0},
	{"tfns", "twitter-financial-news-sentiment/sent_train.csv", C_CSV_COL0, NULL, NULL, NULL, 0, 0},
	{"wsb-comments", "wsb-early2021-esbenkc/wallstreetbets_comments.ndjson", C_NDJSON, "body", NULL, NULL, 0, 0},
	{"wsb-titles", "wsb-early2021-esbenkc/wallstreetbets.ndjson", C_NDJSON, "title", NULL, NULL, 0, 0},
	{"wsb-selftext", "wsb-early2021-esbenkc/wallstreetbets.ndjson", C_NDJSON, "selftext", NULL, NULL, 0, 0},
	{"semeval-stocktwits", "semeval2017-task5-microblogs/Microblog_Trainingdata-stocktwits_full.json", C_JSON_ARRAY,
	 "message.body", NULL, NULL, 0, 0},
	{"semeval-twitter", "semeval2017-task5-microblogs/Microblog_Trainingdata-twitter_full.json", C_JSON_ARRAY, "text",
	 NULL, NULL, 0, 0},
	{"edge", NULL, C_NDJSON, "text", NULL, NULL, 0, 0}, /* path: tests/golden/tokenizer-edge.ndjson */
};

static void corpus_add(struct corpus *c, size_t key, const char *s, size_t len)
{
	if (key >= c->n) {
		size_t n = c->n ? c->n : 1024;
		while (n <= key)
			n *= 2;
		c->text = realloc(c->text, n * sizeof *c->text);
		c->len = realloc(c->len, n * sizeof *c->len);
		memset(c->text + c->n, 0, (n - c->n) * sizeof *c->text);
		c->n = n;
	}
	c->text[key] = malloc(len + 1);
	memcpy(c->text[key], s, len);
	c->text[key][len] = '\0';
	c->len[key] = len;
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	size_t cap = 1 << 20, n = 0;
	char *b = malloc(cap);
	for (size_t got; (got = fread(b + n, 1, cap - n - 1, f)) > 0;)
		if ((n += got) + 1 == cap)
			b = realloc(b, cap *= 2);
	fclose(f);
	b[n] = '\0';
	*len = n;
	return b;
}

static json_t *json_path(json_t *v, const char *path)
{
	char key[64];
	while (v && *path) {
		size_t k = strcspn(path, ".");
		snprintf(key, sizeof key, "%.*s", (int)k, path);
		v = json_object_get(v, key);
		path += k + (path[k] == '.');
	}
	return v;
}

struct csv_state {
	struct corpus *c;
	size_t row, col;
};

static void csv_field(void *s, size_t len, void *arg)
{
	struct csv_state *st = arg;
	if (st->col++ == 0 && st->row > 0)
		corpus_add(st->c, st->row, s, len);
}

static void csv_row(int ch, void *arg)
{
	struct csv_state *st = arg;
	st->row++;
	st->col = 0;
}

static int corpus_load(struct corpus *c, const char *data)
{
	char path[4096];
	size_t len;
	if (c->path)
		snprintf(path, sizeof path, "%s/%s", data, c->path);
	else
		snprintf(path, sizeof path, "%s", top_path("tests/golden/tokenizer-edge.ndjson"));
	char *buf = slurp(path, &len);
	c->loaded = 1;
	if (!buf) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return -1;
	}
	if (c->kind == C_CSV_COL0) {
		struct csv_parser p;
		struct csv_state st = {c, 0, 0};
		csv_init(&p, 0);
		csv_parse(&p, buf, len, csv_field, csv_row, &st);
		csv_fini(&p, csv_field, csv_row, &st);
		csv_free(&p);
	} else if (c->kind == C_JSON_ARRAY) {
		json_error_t e;
		json_t *a = json_loadb(buf, len, JSON_ALLOW_NUL, &e);
		for (size_t i = 0; i < json_array_size(a); i++) {
			json_t *s = json_path(json_array_get(a, i), c->field);
			if (json_is_string(s))
				corpus_add(c, i + 1, json_string_value(s), json_string_length(s));
		}
		json_decref(a);
	} else {
		size_t key = 0;
		for (char *line = buf, *end; line < buf + len; line = end + 1) {
			end = memchr(line, '\n', (size_t)(buf + len - line));
			if (!end)
				end = buf + len;
			key++;
			if (c->kind == C_LATIN1_AT) {
				char *e = end, *at;
				if (e > line && e[-1] == '\r')
					e--;
				for (at = e; at > line && at[-1] != '@'; at--)
					;
				if (at == line) /* no '@': the whole line */
					at = e + 1;
				char out[8192];
				size_t k = 0;
				for (char *p = line; p < at - 1 && k + 2 < sizeof out; p++)
					k += utf8_put(out + k, (unsigned char)*p);
				corpus_add(c, key, out, k);
			} else {
				json_error_t e;
				json_t *o = json_loadb(line, (size_t)(end - line), JSON_ALLOW_NUL, &e);
				json_t *s = json_path(o, c->field);
				if (json_is_string(s))
					corpus_add(c, key, json_string_value(s), json_string_length(s));
				json_decref(o);
			}
		}
	}
	free(buf);
	return 0;
}

static const char *corpus_text(const char *name, size_t key, const char *data, size_t *len)
{
	for (size_t i = 0; i < sizeof corpora / sizeof corpora[0]; i++) {
		struct corpus *c = &corpora[i];
		if (strcmp(c->name, name) != 0)
			continue;
		if (!c->loaded)
			corpus_load(c, data);
		if (key >= c->n || !c->text[key])
			return NULL;
		*len = c->len[key];
		return c->text[key];
	}
	return NULL;
}

/* ---------------------------------------------------------- golden files */

static char *gz_line(gzFile f, char **buf, size_t *cap)
{
	size_t n = 0;
	if (!*buf)
		*buf = malloc(*cap = 65536);
	for (;;) {
		if (!gzgets(f, *buf + n, (int)(*cap - n)))
			return n ? *buf : NULL;
		n += strlen(*buf + n);
		if (n > 0 && (*buf)[n - 1] == '\n') {
			(*buf)[n - 1] = '\0';
			return *buf;
		}
		*buf = realloc(*buf, *cap *= 2);
	}
}

static int parse_ids(char *s, int32_t *ids, int cap)
{
	int n = 0;
	for (char *p = s, *e; *p && n < cap; p = e) {
		long v = strtol(p, &e, 10);
		if (e == p)
			break;
		ids[n++] = (int32_t)v;
	}
	return n;
}

static int cmd_golden(const char *vocab, const char *golden, const char *data)
{
	gzFile f = gzopen(golden, "rb");
	char *line = NULL, err[512], want_sha[80] = "";
	size_t cap = 0;
	static int32_t want[MAX_IDS], got[MAX_IDS], want128[MAX_IDS];
	bert_tokenizer *tok[2] = {NULL, NULL};
	int texts = 0, missing = 0, bad = 0, shown = 0;

	if (!f) {
		fprintf(stderr, "%s: %s\n", golden, strerror(errno));
		return 2;
	}
	if (!gz_line(f, &line, &cap) || strncmp(line, GOLDEN_MAGIC, strlen(GOLDEN_MAGIC)) != 0) {
		fprintf(stderr, "%s: not a " GOLDEN_MAGIC " file; " REGEN "\n", golden);
		return 2;
	}
	while (gz_line(f, &line, &cap)) {
		if (sscanf(line, "# vocab sha256 %64s", want_sha) == 1 || line[0] == '#' || !line[0])
			continue;
		/* mode <TAB> corpus <TAB> key <TAB> ids (untruncated) <TAB> ids at max_len 128, or "=" */
		char *fld[5];
		int nf = 0;
		for (char *p = line; nf < 5; nf++) {
			fld[nf] = p;
			p = strchr(p, '\t');
			if (!p) {
				nf++;
				break;
			}
			*p++ = '\0';
		}
		if (nf != 5) {
			CHECK(0, "%s: malformed line (%d fields)", golden, nf);
			continue;
		}
		int cased = strcmp(fld[0], "cased") == 0;
		if (!tok[cased] && !(tok[cased] = bert_tokenizer_load(vocab, !cased, err, sizeof err))) {
			fprintf(stderr, "%s\n", err);
			return 2;
		}
		size_t len;
		const char *text = corpus_text(fld[1], strtoul(fld[2], NULL, 10), data, &len);
		if (!text) {
			missing++;
			if (missing <= 5)
				fprintf(stderr, "%s %s: text not found (data changed?)\n", fld[1], fld[2]);
			continue;
		}
		texts++;
		int nw = parse_ids(fld[3], want, MAX_IDS);
		int n = bert_wordpieces(tok[cased], text, len, got + 1, MAX_IDS - 2);
		int ok = n + 2 == nw;
		if (ok) {
			got[0] = bert_token_id(tok[cased], "[CLS]");
			got[n + 1] = bert_token_id(tok[cased], "[SEP]");
			ok = memcmp(got, want, (size_t)nw * sizeof *got) == 0;
		}
		/* at max_len 128 */
		int n128 = strcmp(fld[4], "=") == 0 ? nw : parse_ids(fld[4], want128, MAX_IDS);
		int32_t *w128 = strcmp(fld[4], "=") == 0 ? want : want128;
		int32_t ids128[128];
		int g128 = bert_tokenize(tok[cased], text, len, 128, ids128);
		int ok128 = g128 == n128 && memcmp(ids128, w128, (size_t)g128 * 4) == 0;
		if (!ok || !ok128) {
			bad++;
			if (shown++ < 10) {
				static char a[65536], b[65536];
				int ng = n + 2 < MAX_IDS ? n + 2 : MAX_IDS;
				got[0] = bert_token_id(tok[cased], "[CLS]");
				got[ng - 1] = bert_token_id(tok[cased], "[SEP]");
				fprintf(stderr, "%s %s %s%s:\n  text: %.300s\n  hf:   %.2000s\n  herd: %.2000s\n", fld[0], fld[1],
					fld[2], ok ? " (only at max_len 128)" : "", text,
					ok ? ids_str(w128, n128, a, sizeof a) : ids_str(want, nw, a, sizeof a),
					ok ? ids_str(ids128, g128, b, sizeof b) : ids_str(got, ng, b, sizeof b));
			}
		}
	}
	gzclose(f);
	free(line);
	CHECK(bad == 0, "%s: %d of %d texts tokenized differently from Hugging Face", golden, bad, texts);
	CHECK(missing == 0, "%s: %d texts not found under %s", golden, missing, data);
	CHECK(texts > 0, "%s has texts", golden);
	printf("%s: %d texts, %d mismatches, %d missing (vocab sha256 %.12s…)\n", golden, texts, bad, missing, want_sha);
	bert_tokenizer_free(tok[0]);
	bert_tokenizer_free(tok[1]);
	return test_report();
}

/* ---------------------------------------------------------- ids and bench */

static int read_texts(FILE *in, char ***texts, size_t **lens)
{
	char *line = NULL;
	size_t cap = 0, n = 0, alloc = 0;
	ssize_t len;
	*texts = NULL;
	*lens = NULL;
	while ((len = getline(&line, &cap, in)) > 0) {
		json_error_t e;
		json_t *o = json_loadb(line, (size_t)len, JSON_ALLOW_NUL, &e);
		json_t *s = json_object_get(o, "text");
		if (json_is_string(s)) {
			if (n == alloc) {
				alloc = alloc ? alloc * 2 : 1024;
				*texts = realloc(*texts, alloc * sizeof **texts);
				*lens = realloc(*lens, alloc * sizeof **lens);
			}
			(*lens)[n] = json_string_length(s);
			(*texts)[n] = malloc((*lens)[n] + 1);
			memcpy((*texts)[n], json_string_value(s), (*lens)[n] + 1);
			n++;
		}
		json_decref(o);
	}
	free(line);
	return (int)n;
}

static int cmd_ids(int argc, char **argv)
{
	int cased = 0, max_len = 0;
	char err[512];
	for (int i = 3; i < argc; i++) {
		if (strcmp(argv[i], "--cased") == 0)
			cased = 1;
		else if (strcmp(argv[i], "--max-len") == 0 && i + 1 < argc)
			max_len = atoi(argv[++i]);
	}
	bert_tokenizer *t = bert_tokenizer_load(argv[2], !cased, err, sizeof err);
	if (!t) {
		fprintf(stderr, "%s\n", err);
		return 2;
	}
	char **texts;
	size_t *lens;
	int n = read_texts(stdin, &texts, &lens);
	static int32_t ids[MAX_IDS];
	static char buf[16 * MAX_IDS];
	for (int i = 0; i < n; i++) {
		int k = max_len ? bert_tokenize(t, texts[i], lens[i], max_len, ids)
				: bert_wordpieces(t, texts[i], lens[i], ids, MAX_IDS);
		puts(ids_str(ids, k < MAX_IDS ? k : MAX_IDS, buf, sizeof buf));
	}
	bert_tokenizer_free(t);
	return 0;
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* One benchmark thread: texts i, i + step, ... in rounds until secs have
 * passed; all threads share one tokenizer (it is const). */
struct bench {
	const bert_tokenizer *t;
	char **texts;
	size_t *lens;
	int n, first, step;
	double secs;
	long texts_done, ids_done;
	double elapsed;
};

static void *bench_thread(void *arg)
{
	struct bench *b = arg;
	int32_t ids[128];
	double t0 = now(), t1;
	do {
		for (int i = b->first; i < b->n; i += b->step) {
			b->ids_done += bert_tokenize(b->t, b->texts[i], b->lens[i], 128, ids);
			b->texts_done++;
		}
	} while ((t1 = now()) - t0 < b->secs);
	b->elapsed = t1 - t0;
	return NULL;
}

static int cmd_bench(int argc, char **argv)
{
	char err[512];
	bert_tokenizer *t = bert_tokenizer_load(argv[2], 1, err, sizeof err);
	if (!t) {
		fprintf(stderr, "%s\n", err);
		return 2;
	}
	FILE *in = fopen(argv[3], "r");
	if (!in) {
		perror(argv[3]);
		return 2;
	}
	char **texts;
	size_t *lens, bytes = 0;
	int n = read_texts(in, &texts, &lens);
	fclose(in);
	double secs = argc > 4 ? atof(argv[4]) : 2.0;
	int nt = argc > 5 ? atoi(argv[5]) : 1;
	if (nt < 1 || nt > 64 || n == 0) {
		fprintf(stderr, "bench: threads must be 1..64, and there must be texts\n");
		return 2;
	}
	for (int i = 0; i < n; i++)
		bytes += lens[i];
	struct bench b[64];
	pthread_t th[64];
	for (int k = 0; k < nt; k++) {
		b[k] = (struct bench){t, texts, lens, n, k, nt, secs, 0, 0, 0};
		pthread_create(&th[k], NULL, bench_thread, &b[k]);
	}
	long done = 0, ids = 0;
	double elapsed = 0;
	for (int k = 0; k < nt; k++) {
		pthread_join(th[k], NULL);
		done += b[k].texts_done;
		ids += b[k].ids_done;
		elapsed = b[k].elapsed > elapsed ? b[k].elapsed : elapsed;
	}
	double rate = done / elapsed;
	printf("herd: %d sentences, %.1f MB, %d threads, %.1f s: %.0f sentences/s, %.1f MB/s, %.0f ids/s\n", n,
	       bytes / 1e6, nt, elapsed, rate, rate * bytes / n / 1e6, ids / elapsed);
	bert_tokenizer_free(t);
	return 0;
}

/* ---------------------------------------------------------- main */

static void cleanup(void)
{
	static const char *const names[] = {"vocab.txt", "bad.txt", "empty.txt", "sweep-vocab.txt"};
	char path[4096];
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		snprintf(path, sizeof path, "%s/%s", tmpdir, names[i]);
		unlink(path);
	}
	rmdir(tmpdir);
}

int main(int argc, char **argv)
{
	int rc;
	if (!mkdtemp(tmpdir)) {
		perror(tmpdir);
		return 2;
	}
	if (argc == 1) {
		test_small();
		test_unicode();
		rc = test_report();
	} else if (strcmp(argv[1], "golden") == 0 && argc >= 4) {
		const char *data = argc > 4 ? argv[4] : getenv("SHARED") ? getenv("SHARED") : "../shared/data";
		rc = cmd_golden(argv[2], argv[3], data);
	} else if (strcmp(argv[1], "sweep") == 0 && argc == 4) {
		rc = cmd_sweep(argv[2], argv[3]);
	} else if (strcmp(argv[1], "ids") == 0 && argc >= 3) {
		rc = cmd_ids(argc, argv);
	} else if (strcmp(argv[1], "bench") == 0 && argc >= 4) {
		rc = cmd_bench(argc, argv);
	} else {
		fprintf(stderr, "usage: test_tokenizer [golden VOCAB GOLDEN [DATA] | sweep MODE BLOCK | "
				"ids VOCAB [--cased] [--max-len N] | bench VOCAB NDJSON [SECONDS [THREADS]]]\n");
		rc = 2;
	}
	cleanup();
	return rc;
}
