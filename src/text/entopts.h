/*
 * entopts.h — the entity options herd-normalize and herd-import share:
 * --entities MODE and --dict DIR as the command line gives them, their
 * help text, loading the dictionary they name (or the installed default,
 * data/entities), and running the extractor on a post's title and text.
 * One piece of code, so that both programs find the same entities in the
 * same text and say the same things about bad options.
 *
 * The extraction itself is entities.c; this file only wires it to options
 * and to post records. Errors here are the user's (exit 2) or a missing
 * dictionary (exit 1): both end the program, as option errors do.
 */
#ifndef HERD_ENTOPTS_H
#define HERD_ENTOPTS_H

#include <getopt.h>
#include <jansson.h>

#include "text/entities.h"

/* Option codes: above cli.h's common ones, below CLI_FIRST_PROGRAM_OPTION. */
enum { ENT_OPT_ENTITIES = 1050, ENT_OPT_DICT };

#define ENT_OPTS_LONGOPTS                                           \
	{"entities", required_argument, NULL, ENT_OPT_ENTITIES},    \
	{"dict", required_argument, NULL, ENT_OPT_DICT}

/* Help text for the options above; dflt says the program's default mode
 * (a string literal: "default precision"). Lines fit 80 columns. */
#define ENT_OPTS_HELP(dflt)                                                        \
	"      --entities MODE     what to find in the text (" dflt "):\n"            \
	"                          precision: cashtags, dictionary tickers that are\n"  \
	"                            not stop-listed, names and aliases;\n"              \
	"                          recall: also stop-listed and single-letter tickers,\n" \
	"                            lower-case tickers, cased aliases in any case and\n" \
	"                            unlisted capitals (penny stocks), where the words\n" \
	"                            around say ticker (calls, puts, shares, holding,\n"  \
	"                            50c, $12, a ticker beside it) and the text is not\n" \
	"                            shouting in capitals;\n"                            \
	"                          cashtags: cashtags only; none: no extraction\n"       \
	"      --dict DIR          entity dictionary: tickers.tsv, aliases.tsv and\n"    \
	"                          stoplist.txt in DIR (docs/entities.md); repeat to\n"  \
	"                          add more; the first replaces the default,\n"          \
	"                          data/entities of the installation or $HERD_HOME\n"

/* The options as given. The caller owns the struct; ent_opts_free
 * releases what it holds. */
typedef struct ent_opts {
	int mode;          /* ENT_*: the default until --entities says otherwise */
	int mode_given;    /* --entities was given */
	const char **dirs; /* --dict DIRs in order (borrowed from argv) */
	int ndirs;
} ent_opts;

/* Start with default mode (ENT_PRECISION for herd-normalize). */
void ent_opts_init(ent_opts *o, int mode);
/* Handle option c (from cli_getopt) with its argument: 1 when it was
 * --entities or --dict, 0 when it is not ours. A bad MODE is a usage
 * error (exit 2). */
int ent_opts_option(ent_opts *o, int c, const char *arg);
/* The dictionary the mode needs — the --dict directories, else the
 * installed data/entities — or NULL for a mode that needs none (none,
 * cashtags). A dictionary that cannot be found or read ends the program
 * with its reason (exit 1). Free with ent_dict_free. */
ent_dict *ent_opts_dict(const ent_opts *o);
void ent_opts_free(ent_opts *o);

/* Add to out what the post's "title" and "text" mention under mode (the
 * fields that are strings; others are skipped). out is not finished. */
void ent_extract_post(const ent_dict *d, int mode, const json_t *post, ent_set *out);

#endif
