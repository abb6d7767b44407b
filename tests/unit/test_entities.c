/*
 * test_entities.c — entity extraction (src/text/entities.c) on a small
 * dictionary built here, so the rules are tested apart from the data files:
 * cashtags, stop words, word tickers and shouting, single letters, aliases
 * (cased, recall, multi-word), URLs and r/ references, recall context, the
 * word and never flags of the files; plus
 * the dictionary loader's errors, the shared options and post extraction
 * (src/text/entopts.c) and SHA-1 (src/lib/sha1.c), which gives NewsAPI
 * posts their ids.
 */
#include "lib/sha1.h"
#include "test.h"
#include "text/entities.h"
#include "text/entopts.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/* Each case: mode, text, the expected entities (sorted, comma-separated). */
static const struct {
	int mode;
	const char *text, *want;
} cases[] = {
	/* cashtags: always, any case, class suffix; never amounts */
	{ENT_PRECISION, "$GME and $gme and $BRK.B", "BRK.B,GME"},
	{ENT_PRECISION, "$5 $100k $1.2M US$5 $$$ $", ""},
	{ENT_PRECISION, "$ON and $A are tickers", "A,ON"},
	{ENT_PRECISION, "$TOOLONG is not a cashtag, $XYZ5 neither", ""},
	{ENT_CASHTAGS, "$AMC GME GameStop", "AMC"},
	{ENT_NONE, "$AMC GME", ""},
	/* bare capitals: dictionary, not stop-listed, never single letters */
	{ENT_PRECISION, "GME to the moon, AMC too", "AMC,GME"},
	{ENT_PRECISION, "ON ARE GO CAN LOW IT DD YOLO CEO A", ""},
	{ENT_PRECISION, "XYZ is not in the dictionary", ""},
	{ENT_PRECISION, "I own F and T", ""},
	{ENT_PRECISION, "BUY AMC AND HOLD", "AMC"},
	{ENT_PRECISION, "BRK.B or BRK.A? BRK.C", "BRK,BRK.B"},
	{ENT_PRECISION, "GMEs fundamentals, TSLA's run", "GME,TSLA"},
	{ENT_PRECISION, "GME🚀🚀 and “AMC”", "AMC,GME"},
	{ENT_PRECISION, "gme is lower case", ""},
	{ENT_PRECISION, "DON'T GME'S", "GME"},
	{ENT_PRECISION, "@GME is a handle, #GME a hashtag", "GME"},
	/* word tickers: taken unless the text around shouts */
	{ENT_PRECISION, "MARA for me, couldn't get into RIOT", "MARA,RIOT"},
	{ENT_PRECISION, "WE WILL RIOT IN THE STREETS", ""},
	/* URLs and r/ u/ references are not mentions */
	{ENT_PRECISION, "see https://example.com/GME?x=AMC and www.GME.com", ""},
	{ENT_PRECISION, "r/GME and u/AMC and /r/wallstreetbets", ""},
	{ENT_PRECISION, "[his GME YOLO](https://i.redd.it/AMC.png)", "GME"},
	/* aliases: any case, word boundaries, spaces and hyphens, longest first */
	{ENT_PRECISION, "GameStop, gamestop, GAMESTOP", "GME"},
	{ENT_PRECISION, "game  stop and Game-Stop", "GME"},
	{ENT_PRECISION, "gamestopped is not gamestop's", "GME"},
	{ENT_PRECISION, "Bed Bath & Beyond", "BBBY"},
	{ENT_PRECISION, "Apple pie, not an apple", "AAPL"},
	{ENT_PRECISION, "an apple a day", ""},
	{ENT_PRECISION, "I use Coinbase", ""},
	/* recall: the doubtful ones, in context only */
	{ENT_RECALL, "bought ON 50c and A calls", "A,ON"},
	{ENT_RECALL, "GME, ON and AMC", "AMC,GME,ON"},
	{ENT_RECALL, "turn it ON and GO", ""},
	{ENT_RECALL, "I HAVE BEEN WAITING FOR THIS ALL DAY CALLS", ""},
	{ENT_RECALL, "pltr calls and riot calls, but gold stock", "PLTR,RIOT"},
	{ENT_RECALL, "pltr is fun", ""},
	{ENT_RECALL, "sold my Coinbase shares", "COIN"},
	{ENT_RECALL, "apple shares", "AAPL"},
	{ENT_RECALL, "IT'S A trap", ""},
	{ENT_RECALL, "PT calls and XX calls", "XX"},
	{ENT_PRECISION, "PT calls and XX calls", ""},
	{ENT_RECALL, "still holding QWXZ, bought ZZZQ at $5", "QWXZ,ZZZQ"},
	{ENT_PRECISION, "still holding QWXZ, bought ZZZQ at $5", ""},
	{ENT_RECALL, "I AM HOLDING QWXZ FOREVER", ""},
	{ENT_RECALL, "QWXZ is nice", ""},
};

static void join(const ent_set *s, char *out, size_t n)
{
	out[0] = '\0';
	for (size_t i = 0; i < s->n; i++)
		snprintf(out + strlen(out), n - strlen(out), "%s%s", i ? "," : "", s->v[i]);
}

static ent_dict *small_dict(void)
{
	static const char *const tickers[] = {"GME", "AMC", "TSLA", "PLTR", "MARA", "BRK.B", "BRK", "ON", "ARE",
					      "GO", "CAN", "LOW", "IT", "DD", "A", "F", "T", "COIN", "AAPL",
					      "BBBY", "RIOT", "GOLD", "ALL"};
	static const char *const stops[] = {"ON", "ARE", "GO", "CAN", "LOW", "IT", "DD", "YOLO", "CEO", "A", "ALL"};
	ent_dict *d = ent_dict_new();

	for (size_t i = 0; i < sizeof tickers / sizeof tickers[0]; i++)
		ent_dict_add_ticker(d, tickers[i]);
	for (size_t i = 0; i < sizeof stops / sizeof stops[0]; i++)
		ent_dict_add_stop(d, stops[i]);
	/* RIOT and GOLD are words too: written to a file to test the "word" flag */
	ent_dict_add_alias(d, "GameStop", "GME", 0);
	ent_dict_add_alias(d, "Game Stop", "GME", 0);
	ent_dict_add_alias(d, "Bed Bath & Beyond", "BBBY", 0);
	ent_dict_add_alias(d, "Bed Bath", "BBBY", ENT_ALIAS_RECALL);
	ent_dict_add_alias(d, "Apple", "AAPL", ENT_ALIAS_CASED);
	ent_dict_add_alias(d, "Coinbase", "COIN", ENT_ALIAS_RECALL);
	ent_dict_add_alias(d, "pltr", "PLTR", ENT_ALIAS_RECALL);
	return d;
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	fputs(text, f);
	fclose(f);
}

int main(void)
{
	char dir[] = "/tmp/test_entities.XXXXXX", path[256], err[512], got[256];
	ent_dict *d = small_dict();
	ent_set s = ENT_SET_INIT;
	char hex[SHA1_HEX_LEN];

	CHECK(mkdtemp(dir) != NULL, "a temporary directory");
	snprintf(path, sizeof path, "%s/tickers.tsv", dir);
	write_file(path, "# words\nRIOT\tRiot Platforms\tstock\tword\nGOLD\tBarrick\tstock\tword\nPT\tPintec\tstock\n"
			 "XX\tEx\tstock\n");
	snprintf(path, sizeof path, "%s/stoplist.txt", dir);
	write_file(path, "PT\tnever\nXX\n");
	CHECK(ent_dict_load_dir(d, dir, err, sizeof err) == 0, "loading tickers.tsv and stoplist.txt: %s", err);
	CHECK(ent_dict_is_stop(d, "PT") && ent_dict_is_ticker(d, "PT"), "PT is a ticker and a stop word");
	CHECK(ent_dict_is_ticker(d, "RIOT") && !ent_dict_is_stop(d, "RIOT"), "RIOT is a ticker, not a stop word");
	CHECK(ent_dict_is_stop(d, "ON") && ent_dict_is_ticker(d, "ON"), "ON is both");

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		ent_set_clear(&s);
		ent_extract(d, cases[i].mode, cases[i].text, strlen(cases[i].text), &s);
		ent_set_finish(&s);
		join(&s, got, sizeof got);
		CHECK(strcmp(got, cases[i].want) == 0, "%s \"%s\": got [%s], want [%s]", ent_mode_name(cases[i].mode),
		      cases[i].text, got, cases[i].want);
	}

	/* The set: upper-cased, sorted, unique; bad symbols refused. */
	ent_set_clear(&s);
	CHECK(ent_set_add(&s, "tsla") == 0 && ent_set_add(&s, "AMC") == 0 && ent_set_add(&s, "TSLA") == 0,
	      "adding symbols");
	CHECK(ent_set_add(&s, "") < 0 && ent_set_add(&s, "$X") < 0 && ent_set_add(&s, "WAYTOOLONGSYMBOL") < 0,
	      "empty, '$' and over-long symbols are refused");
	ent_set_finish(&s);
	join(&s, got, sizeof got);
	CHECK_STR(got, "AMC,TSLA", "set after finish");

	/* Loader errors name the file and line. */
	snprintf(path, sizeof path, "%s/aliases.tsv", dir);
	write_file(path, "GameStop\tGME\nBroken line without tab\n");
	CHECK(ent_dict_load_dir(d, dir, err, sizeof err) < 0 && strstr(err, "aliases.tsv:2: expected ALIAS<TAB>SYMBOL"),
	      "a bad alias line is reported with its line: %s", err);
	write_file(path, "GameStop\tGME\tloud\n");
	CHECK(ent_dict_load_dir(d, dir, err, sizeof err) < 0 && strstr(err, "aliases.tsv:1: unknown flag"),
	      "an unknown alias flag is reported: %s", err);
	unlink(path);
	snprintf(path, sizeof path, "%s/stoplist.txt", dir);
	write_file(path, "OK\n$BAD\n");
	CHECK(ent_dict_load_dir(d, dir, err, sizeof err) < 0 && strstr(err, "stoplist.txt:2: not a word"),
	      "a bad stop word is reported: %s", err);
	write_file(path, "OK\talways\n");
	CHECK(ent_dict_load_dir(d, dir, err, sizeof err) < 0 && strstr(err, "stoplist.txt:1: unknown flag"),
	      "an unknown stop-list flag is reported: %s", err);
	unlink(path);
	snprintf(path, sizeof path, "%s/tickers.tsv", dir);
	unlink(path);
	CHECK(ent_dict_load_dir(d, dir, err, sizeof err) < 0 && strstr(err, "no dictionary here"),
	      "an empty directory is an error: %s", err);
	rmdir(dir);
	CHECK(ent_mode_parse("recall") == ENT_RECALL && ent_mode_parse("fuzzy") < 0, "mode names");

	/* The options herd-normalize and herd-import share, and a post's title
	 * and text (strings only) through the extractor. */
	{
		ent_opts o;
		char *argv_dirs[] = {"a", "b"};
		json_t *post = json_pack("{s:s, s:s, s:i}", "title", "GameStop", "text", "$amc and TSLA", "url", 5);

		ent_opts_init(&o, ENT_NONE);
		CHECK(ent_opts_option(&o, ENT_OPT_ENTITIES, "recall") == 1 && o.mode == ENT_RECALL && o.mode_given,
		      "--entities recall");
		CHECK(ent_opts_option(&o, ENT_OPT_DICT, argv_dirs[0]) == 1 && ent_opts_option(&o, ENT_OPT_DICT, argv_dirs[1]) == 1 &&
			      o.ndirs == 2 && o.dirs[1] == argv_dirs[1],
		      "--dict twice: two directories, in order");
		CHECK(ent_opts_option(&o, 'q', NULL) == 0, "other options are not ours");
		o.mode = ENT_CASHTAGS;
		CHECK(ent_opts_dict(&o) == NULL, "cashtags need no dictionary");
		ent_opts_free(&o);
		CHECK(o.dirs == NULL && o.ndirs == 0, "free leaves no directories");

		ent_set_clear(&s);
		ent_extract_post(d, ENT_PRECISION, post, &s);
		ent_set_finish(&s);
		join(&s, got, sizeof got);
		CHECK_STR(got, "AMC,GME,TSLA", "a post's title and text");
		json_decref(post);
	}

	/* SHA-1 against FIPS 180-2 test vectors. */
	CHECK_STR(sha1_hex("abc", 3, hex), "a9993e364706816aba3e25717850c26c9cd0d89d", "SHA-1 of abc");
	CHECK_STR(sha1_hex("", 0, hex), "da39a3ee5e6b4b0d3255bfef95601890afd80709", "SHA-1 of nothing");
	{
		const char *m = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
		CHECK_STR(sha1_hex(m, strlen(m), hex), "84983e441c3bd26ebaae4aa1f95129e5e54670f1", "SHA-1 of 448 bits");
	}
	{
		char *mil = malloc(1000000);
		memset(mil, 'a', 1000000);
		CHECK_STR(sha1_hex(mil, 1000000, hex), "34aa973cd4c4daa4f61eeb2bdbad27316534016f", "SHA-1 of a million a");
		free(mil);
	}
	ent_set_free(&s);
	ent_dict_free(d);
	return test_report();
}
