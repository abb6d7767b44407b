/*
 * herd-aggregate — posts to `agg` records: per entity and tumbling window
 * in event time (docs/records.md). Streaming: windows close when the
 * watermark passes them (src/agg/table.c); the state of each window is
 * exactly mergeable (src/agg/cell.c), so shards aggregated with --partial
 * and combined with --merge print the same bytes as one pass; each post id
 * counts once per entity and window, in one pass and across shards.
 */
#include "agg/cell.h"
#include "agg/table.h"
#include "lib/cli.h"
#include "lib/htime.h"
#include "lib/jsonx.h"
#include "lib/log.h"
#include "lib/stream.h"
#include "lib/util.h"

#include <stdlib.h>
#include <string.h>

static const char usage[] =
	"Usage: herd-aggregate [OPTIONS] [FILE...]\n"
	"Aggregate posts per entity into tumbling time windows (agg records).\n"
	"\n"
	"Reads post records (scored or not) and writes one agg record per entity\n"
	"and window (docs/records.md): posts, distinct non-null authors, posts per\n"
	"source/community, sentiment and engagement (score + replies). A post's\n"
	"polarity is sentiment.score, or vader.compound when it has no sentiment;\n"
	"sentiment is {n, mean, weighted, bull, bear} over the posts that have one\n"
	"(null when none): weighted uses 1 + ln(1 + max(0, engagement.score)) as\n"
	"weights; bull/bear count sentiment.label positive/negative (VADER-only:\n"
	"compound >= 0.05 / <= -0.05). Means are printed with 6 decimals.\n"
	"Windows are in event time (created_at) and epoch-aligned (1d windows\n"
	"start at 00:00 UTC, 7d ones on Thursdays). A post counts once in each\n"
	"window for each of its entities; posts without entities are skipped and\n"
	"counted on stderr. A post id (the dedup key) counts once per entity and\n"
	"window: the first occurrence wins, and later copies (dumps repeat posts)\n"
	"add nothing, whatever they say; they are counted on stderr. A post\n"
	"without an id is rejected.\n"
	"\n"
	"Streaming: a window is written once the watermark (the latest created_at\n"
	"seen, minus --lateness) passes its end, so memory holds only the open\n"
	"windows. A post older than that, whose window was already written, is\n"
	"late: it is rejected whole (reported, kept with --rejects, exit 1), never\n"
	"added to a window that was already written. To count the rejected late\n"
	"posts after all, aggregate them with --partial --lateness all and --merge\n"
	"them with the partials of the main run. Output is sorted by window end,\n"
	"then window length, then entity; with one --window that is start order.\n"
	"\n"
	"Options:\n"
	"  -w, --window LIST       window lengths, e.g. 15m,1h,1d (default 1h)\n"
	"      --lateness DUR|all  how far behind the latest post a post may arrive\n"
	"                          (default 1h; 0 for sorted input); 'all' keeps every\n"
	"                          window open to the end of input (unsorted input)\n"
	"      --partial           write agg_partial records: the agg keys plus the\n"
	"                          exact mergeable state: the window's posts by id\n"
	"                          (author, source, engagement, fixed-point sentiment\n"
	"                          terms): about 100 bytes a post and window\n"
	"      --merge             read agg_partial records (from shards, any order)\n"
	"                          and write the agg records one pass gives; with\n"
	"                          --partial, write merged partials (tree merges)\n"
	"      --pass WHAT         which input records are copied to the output:\n"
	"                          other (default: kinds this run does not aggregate,\n"
	"                          e.g. metric, event), all (posts too, for a loader\n"
	"                          downstream), none (only agg records)\n"
	CLI_REJECT_HELP CLI_COMMON_HELP
	"\n"
	"Shards: herd-aggregate --partial on each part of the posts, then\n"
	"herd-aggregate --merge on all the partials, prints exactly what one pass\n"
	"over all posts prints, as long as no post was late in either run. A post\n"
	"id in several shards counts once: the merge keeps the copy in the first\n"
	"partial it reads, so when the copies of an id may differ, give the\n"
	"partials in input order (identical copies merge alike in any order).\n"
	"--merge holds every window until the end of its input.\n"
	"\n"
	"Examples:\n"
	"  herd-score --model vader posts.ndjson | herd-aggregate --window 1h,1d\n"
	"  parallel --pipe herd-aggregate --partial --window 1d < posts.ndjson \\\n"
	"    | herd-aggregate --merge > agg.ndjson\n";

enum {
	OPT_LATENESS = CLI_FIRST_PROGRAM_OPTION,
	OPT_PARTIAL,
	OPT_MERGE,
	OPT_PASS,
};

#define MAX_WINDOWS 16
#define MAX_ENTITIES 4096 /* per post; more is not a post but a list */

struct run {
	agg_table *t;
	int64_t lens[MAX_WINDOWS];
	size_t nlens;
	int merge, partial;
	enum cli_pass pass;
	long no_entities, late;
	long repeated;          /* posts whose id a window of theirs had counted */
	long long held;         /* --merge: posts of partials a window held already */
	stream_t *s;
};

static void emit_cell(const agg_cell *c, void *arg)
{
	struct run *r = arg;
	json_t *rec = r->partial ? agg_cell_to_partial(c) : agg_cell_to_agg(c);

	stream_emit(r->s, rec);
	json_decref(rec);
}

static int cmp_strp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int aggregate_post(stream_t *s, struct run *r, const json_t *post)
{
	json_t *ents = json_object_get(post, "entities"), *v;
	const char *names[MAX_ENTITIES];
	char scratch[512], err[256], t1[HTIME_LEN], t2[HTIME_LEN];
	agg_contrib k;
	size_t n = 0, i, uniq = 0;
	int64_t at;

	if (htime_from_json(json_object_get(post, "created_at"), &at) < 0)
		return stream_reject(s, "field 'created_at' is missing or not a time");
	if (!json_is_array(ents))
		return stream_reject(s, "field 'entities' is %s, not an array", ents ? jx_type_name(ents) : "missing");
	if (json_array_size(ents) > MAX_ENTITIES)
		return stream_reject(s, "field 'entities' has %zu entries (at most %d)", json_array_size(ents),
				     MAX_ENTITIES);
	json_array_foreach(ents, i, v) {
		if (!json_is_string(v) || json_string_length(v) == 0)
			return stream_reject(s, "field 'entities' holds %s, not a symbol", jx_type_name(v));
		names[n++] = json_string_value(v);
	}
	if (n == 0) {
		r->no_entities++;
		return 0;
	}
	qsort(names, n, sizeof *names, cmp_strp); /* the contract says sorted and unique; make sure */
	for (i = 0; i < n; i++)
		if (i == 0 || strcmp(names[i], names[uniq - 1]) != 0)
			names[uniq++] = names[i];
	if (agg_contrib_from_post(&k, post, scratch, sizeof scratch, err, sizeof err) < 0)
		return stream_reject(s, "%s", err);
	if (agg_table_is_late(r->t, at, r->lens, r->nlens)) {
		r->late++;
		return stream_reject(s, "late post: created_at %s is in a window already written (watermark %s); see --lateness",
				     htime_format(at, t1), htime_format(agg_table_watermark(r->t), t2));
	}
	if (agg_table_add(r->t, at, names, uniq, r->lens, r->nlens, &k) > 0)
		r->repeated++;
	agg_table_flush(r->t, 0, emit_cell, r);
	return 0;
}

static int on_record(stream_t *s, json_t *rec, void *arg)
{
	struct run *r = arg;
	const char *kind = jx_str(rec, "kind");
	char err[256];

	if (!kind)
		return stream_reject(s, "no 'kind': not a herd record");
	if (!r->merge && strcmp(kind, "post") == 0) {
		if (r->pass == CLI_PASS_ALL)
			stream_emit(s, rec);
		return aggregate_post(s, r, rec);
	}
	if (r->merge && strcmp(kind, "agg_partial") == 0) {
		agg_cell *c = agg_cell_from_partial(rec, err, sizeof err);
		if (!c)
			return stream_reject(s, "%s", err);
		if (r->pass == CLI_PASS_ALL)
			stream_emit(s, rec);
		r->held += (long long)agg_table_merge(r->t, c);
		return 0;
	}
	if (r->pass != CLI_PASS_NONE)
		stream_emit(s, rec);
	return 0;
}

/* "15m,1h,1d" -> sorted, unique lengths. */
static void parse_windows(struct run *r, const char *arg)
{
	char *copy = xstrdup(arg), *save = NULL, *item;

	r->nlens = 0;
	for (item = strtok_r(copy, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
		int64_t len = cli_duration("--window", item);
		size_t i;

		for (i = 0; i < r->nlens && r->lens[i] != len; i++)
			;
		if (i < r->nlens)
			continue;
		if (r->nlens == MAX_WINDOWS)
			log_usage("--window: more than %d windows", MAX_WINDOWS);
		for (i = r->nlens++; i > 0 && r->lens[i - 1] > len; i--)
			r->lens[i] = r->lens[i - 1];
		r->lens[i] = len;
	}
	free(copy);
	if (r->nlens == 0)
		log_usage("--window: no window in '%s'", arg);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"window", required_argument, NULL, 'w'},
		{"lateness", required_argument, NULL, OPT_LATENESS},
		{"partial", no_argument, NULL, OPT_PARTIAL},
		{"merge", no_argument, NULL, OPT_MERGE},
		{"pass", required_argument, NULL, OPT_PASS},
		CLI_REJECT_LONGOPTS,
		CLI_COMMON_LONGOPTS,
		{0}};
	struct run r = {.nlens = 1, .lens = {3600}, .pass = CLI_PASS_OTHER};
	int64_t lateness = 3600;
	int have_window = 0, have_lateness = 0, c, stopped;
	stream_t s;

	cli_init(argc, argv);
	while ((c = cli_getopt(argc, argv, "w:hVqv", longopts)) != -1) {
		if (cli_common_option(c, optarg, usage))
			continue;
		switch (c) {
		case 'w':
			parse_windows(&r, optarg);
			have_window = 1;
			break;
		case OPT_LATENESS:
			if (strcmp(optarg, "all") == 0)
				lateness = AGG_LATENESS_ALL;
			else if (strcmp(optarg, "0") == 0)
				lateness = 0;
			else
				lateness = cli_duration("--lateness", optarg);
			have_lateness = 1;
			break;
		case OPT_PARTIAL: r.partial = 1; break;
		case OPT_MERGE: r.merge = 1; break;
		case OPT_PASS: r.pass = cli_choice("--pass", optarg, cli_pass_names); break;
		default: log_usage("unexpected option");
		}
	}
	if (r.merge && (have_window || have_lateness))
		log_usage("--merge takes windows from the partials and closes them at the end: no --window or --lateness");
	r.t = agg_table_new(r.merge ? AGG_LATENESS_ALL : lateness, r.partial);
	r.s = &s;

	stream_init(&s);
	s.progress_label = r.merge ? "partials" : "posts";
	stopped = stream_run(&s, argv + optind, argc - optind, on_record, &r);
	if (!stopped)
		agg_table_flush(r.t, 1, emit_cell, &r);
	if (r.no_entities)
		log_info("%ld post%s without entities skipped", r.no_entities, r.no_entities == 1 ? "" : "s");
	if (r.repeated)
		log_info("%ld repeated post%s: %s id was counted already (once per entity and window)", r.repeated,
			 r.repeated == 1 ? "" : "s", r.repeated == 1 ? "its" : "their");
	if (r.held)
		log_info("%lld repeat%s skipped: post ids another partial had counted in the same window (one per entity "
			 "and window)", r.held, r.held == 1 ? "" : "s");
	if (r.late)
		log_warn("%ld late post%s rejected: their windows were already written (raise --lateness, or "
			 "--lateness all for unsorted input)", r.late, r.late == 1 ? "" : "s");
	log_debug("at most %zu windows open at once", agg_table_peak(r.t));
	agg_table_free(r.t);
	return stream_finish(&s) | herd_close_stdout();
}
