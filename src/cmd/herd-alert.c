/*
 * herd-alert — the pipe's way out to people: event records go to Slack, a
 * JSON webhook and e-mail, at most once per event key and channel (across
 * runs, through the --state file), no more than --rate-limit per entity, with
 * retries. A run queues every event it reads in the state first, then
 * delivers everything queued, its own and what earlier runs could not
 * deliver, so that no event is lost to a receiver that was down or a run
 * that was killed. Sending lives in src/alert/send.c, the memory in
 * src/alert/state.c; this file decides what to send and reports.
 */
#include "alert/alert.h"
#include "lib/cli.h"
#include "lib/home.h"
#include "lib/htime.h"
#include "lib/jsonx.h"
#include "lib/log.h"
#include "lib/metrics.h"
#include "lib/stream.h"
#include "lib/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
	"Usage: herd-alert [OPTIONS] [FILE...]\n"
	"Send event records to Slack, a JSON webhook and e-mail, once per event key.\n"
	"\n"
	"Reads event records (docs/records.md; files, or stdin) and, for each that\n"
	"passes --min-severity and --types:\n"
	"  - seen before (its key is in --state)               -> not queued again;\n"
	"  - its entity already had --rate-limit alerts within the window before the\n"
	"    event's time ('at', event time, not the clock)   -> held back, and\n"
	"    remembered, so a rerun holds it back too;\n"
	"  - else queued: its record is kept in --state (alert_pending).\n"
	"Every event read is queued, and committed, before anything is sent. Then\n"
	"every queued event, this run's and those earlier runs could not deliver,\n"
	"oldest first, goes to each channel of --channels that does not have it yet. A\n"
	"delivery is recorded the moment the receiver accepts it, and an event\n"
	"leaves the queue once every channel has it. A channel still failing after\n"
	"the retries (unreachable) is not tried again in this run: its events stay\n"
	"queued for the next run (exit 1); a refusal (HTTP 4xx, SMTP 5xx) leaves\n"
	"that event queued and the channel goes on with the others.\n"
	"Writes to stdout one 'alert' event record per event delivered (key\n"
	"\"alert:\" + the event's key; evidence: the event's key and type, the\n"
	"channels and the text), which herd-load can keep. Other record kinds, and\n"
	"events of type alert, are skipped; a malformed event is rejected.\n"
	"\n"
	"Channels and their settings (environment; NAME_FILE may hold the value of\n"
	"a secret NAME instead; secrets never appear in messages):\n"
	"  slack     HERD_SLACK_WEBHOOK   Slack-compatible incoming webhook URL\n"
	"            (secret); posts {\"text\": \"[critical] GME cascade at …\"}\n"
	"  webhook   HERD_WEBHOOK_URL     any URL (secret); posts the event record\n"
	"            as JSON with headers Idempotency-Key: KEY, X-Herd-Event: TYPE\n"
	"  email     HERD_SMTP_URL        smtp://host:587 (STARTTLS when offered) or\n"
	"            smtps://host:465; HERD_SMTP_FROM, HERD_SMTP_TO (comma-separated),\n"
	"            HERD_SMTP_USER and HERD_SMTP_PASSWORD (secret) to log in,\n"
	"            HERD_SMTP_TLS=require to refuse plain text (try, off). One mail\n"
	"            per event, Message-ID <SHA-1 of the key@herd>\n"
	"Transient failures (network errors, timeouts, HTTP 429 with Retry-After,\n"
	"HTTP 5xx, SMTP 4xx) are retried with exponential backoff and jitter.\n"
	"\n"
	"A setting that is wrong (a NAME_FILE that cannot be read, HERD_SMTP_URL\n"
	"without HERD_SMTP_TO, --channels naming one not set) is a usage error (exit 2)\n"
	"found before any input is read; --check finds it without reading any.\n"
	"\n"
	"Options:\n"
	"      --state FILE        herd's state file (tables alert_events,\n"
	"                          alert_deliveries and alert_pending; default\n"
	"                          $HERD_HOME/state.db, else ./state.db, which\n"
	"                          herd-fetch shares)\n"
	"      --check             check the settings and the state file, say which\n"
	"                          channels are set and how many events are queued,\n"
	"                          and exit (0; 2 for a wrong setting): read nothing,\n"
	"                          send nothing (cron runs it before consuming input)\n"
	"      --channels LIST     slack, webhook, email (default: every channel\n"
	"                          configured in the environment; old spelling: --to)\n"
	"      --min-severity S    info, warn or critical (default warn)\n"
	"      --types LIST        event types to send (default\n"
	"                          cascade,signal,heat,discovery; 'all')\n"
	"      --rate-limit N/D    at most N alerts per entity within any D of event\n"
	"                          time (default 5/1d; 'off'; old spelling: --rate)\n"
	"      --dry-run           send nothing and remember nothing: print the alert\n"
	"                          records (evidence.dry_run) that would be written\n"
	"      --retries N         extra attempts per delivery (default 3)\n"
	"      --retry-wait DUR    first backoff ceiling (500ms, 2s, 1m; a bare number\n"
	"                          is seconds), doubled each retry (default 2s)\n"
	"      --timeout DUR       one attempt's limit (default 20s)\n" CLI_REJECT_HELP CLI_COMMON_HELP
	"\n"
	"Exit status: 0 when every queued event was delivered; 1 when some stay\n"
	"queued after a failed delivery (they are sent by the next run), or lines\n"
	"were rejected; 2 on a wrong setting.\n"
	"\n"
	"Metrics (--prometheus): events by outcome (pending: still queued at the end),\n"
	"deliveries and failures by channel.\n"
	"\n"
	"Examples:\n"
	"  herd-detect --state state.db agg.ndjson > events.ndjson\n"
	"  HERD_SLACK_WEBHOOK_FILE=/etc/herd/slack herd-alert --state state.db events.ndjson\n"
	"  herd-alert --dry-run --channels slack,email --min-severity info events.ndjson\n"
	"  herd-alert --check --state state.db && echo settings ok\n";

enum {
	OPT_STATE = CLI_FIRST_PROGRAM_OPTION,
	OPT_TO,
	OPT_MIN_SEVERITY,
	OPT_TYPES,
	OPT_RATE,
	OPT_DRY_RUN,
	OPT_RETRIES,
	OPT_RETRY_WAIT,
	OPT_TIMEOUT,
	OPT_CHECK,
};

static const char *const severities[] = {"info", "warn", "critical", NULL};

/* What happened to the events, for the summary and the metrics: those
 * read (duplicate, held, filtered, skipped) and those queued, this run's
 * or earlier ones' (delivered, or still pending at the end). */
enum outcome { O_DELIVERED, O_DUPLICATE, O_HELD, O_FILTERED, O_PENDING, O_SKIPPED, O_N };
static const char *const outcome_names[O_N] = {"delivered", "duplicate", "rate_limited",
					       "filtered",  "pending",   "skipped"};

struct run {
	sqlite3 *state;
	alert_sender *sender;
	int channels[ALERT_NCHANNELS]; /* selected by --channels */
	int min_severity;
	json_t *types; /* object: type -> true, or NULL for all */
	long rate_n;   /* 0: no limit */
	int64_t rate_per;
	int dry_run;
	int down[ALERT_NCHANNELS]; /* unreachable in this run: not tried again until the next */
	json_t *queued;            /* keys this run queued (an object used as a set) */
	long outcomes[O_N];
	long earlier; /* events delivered that an earlier run had queued */
	long sent[ALERT_NCHANNELS], failed[ALERT_NCHANNELS];
};

static int severity_rank(const char *s)
{
	for (int i = 0; s && severities[i]; i++)
		if (strcmp(s, severities[i]) == 0)
			return i;
	return -1;
}

/* A string field that must be there, non-empty. */
static const char *need(stream_t *s, const json_t *rec, const char *key, int *bad)
{
	const char *v = jx_str(rec, key);

	if (!*bad && (!v || !*v)) {
		stream_reject(s, "event: field '%s' is %s, not a non-empty string", key,
			      json_object_get(rec, key) ? jx_type_name(json_object_get(rec, key)) : "missing");
		*bad = 1;
	}
	return v;
}

/* The alert record for an event delivered (or, dry, to be delivered). */
static void emit_alert(stream_t *s, struct run *r, const json_t *ev, int64_t at)
{
	char when[HTIME_LEN];
	json_t *a = json_object(), *evidence = json_object(), *chans = json_array();
	buf_t key = BUF_INIT, text = BUF_INIT;

	buf_printf(&key, "alert:%s", jx_str(ev, "key"));
	alert_text(ev, &text);
	for (int c = 0; c < ALERT_NCHANNELS; c++)
		if (r->channels[c])
			json_array_append_new(chans, json_string(alert_channel_names[c]));
	json_object_set_new(evidence, "event", json_string(jx_str(ev, "key")));
	json_object_set_new(evidence, "type", json_string(jx_str(ev, "type")));
	json_object_set_new(evidence, "channels", chans);
	json_object_set_new(evidence, "text", json_string(text.p));
	if (r->dry_run)
		json_object_set_new(evidence, "dry_run", json_true());
	json_object_set_new(a, "kind", json_string("event"));
	json_object_set_new(a, "type", json_string("alert"));
	json_object_set_new(a, "entity", json_string(jx_str(ev, "entity")));
	json_object_set_new(a, "at", json_string(htime_format(at, when))); /* canonical, whatever form came */
	json_object_set_new(a, "key", json_string(key.p));
	json_object_set(a, "score", json_object_get(ev, "score"));
	if (jx_str(ev, "severity"))
		json_object_set(a, "severity", json_object_get(ev, "severity"));
	json_object_set_new(a, "evidence", evidence);
	stream_emit(s, a);
	json_decref(a);
	buf_free(&key);
	buf_free(&text);
}

/* The first phase: each event read is checked and, when new, queued. */
static int on_record(stream_t *s, json_t *rec, void *arg)
{
	struct run *r = arg;
	const char *kind = jx_str(rec, "kind"), *key, *type, *entity, *sev;
	enum alert_status st;
	int bad = 0;
	int64_t at;

	if (!kind || strcmp(kind, "event") != 0) {
		r->outcomes[O_SKIPPED]++;
		return 0;
	}
	key = need(s, rec, "key", &bad);
	type = need(s, rec, "type", &bad);
	entity = need(s, rec, "entity", &bad);
	if (bad)
		return -1;
	for (const char *p = key; *p; p++)
		if ((unsigned char)*p < 0x20)
			return stream_reject(s, "event: field 'key' holds a control character");
	if (htime_from_json(json_object_get(rec, "at"), &at) < 0)
		return stream_reject(s, "event: field 'at' is not a time");
	if (!json_is_number(json_object_get(rec, "score")))
		return stream_reject(s, "event: field 'score' is not a number");
	sev = jx_str(rec, "severity");
	if (strcmp(type, "alert") == 0) {
		r->outcomes[O_SKIPPED]++; /* never alert on alerts */
		return 0;
	}
	if (severity_rank(sev ? sev : "info") < r->min_severity || (r->types && !json_object_get(r->types, type))) {
		r->outcomes[O_FILTERED]++;
		return 0;
	}

	st = alert_state_status(r->state, key);
	if (st == ALERT_DELIVERED || st == ALERT_SUPPRESSED) {
		r->outcomes[O_DUPLICATE]++;
		log_debug("%s: already %s", key, st == ALERT_DELIVERED ? "delivered" : "held back");
		return 0;
	}
	if (st == ALERT_PENDING) {
		/* Queued by an earlier run; one older than alert_pending kept
		 * no record of it: keep it now. */
		if (!alert_state_queued(r->state, key))
			alert_state_queue(r->state, rec);
		return 0;
	}
	if (r->rate_n > 0 && alert_state_recent(r->state, entity, at, r->rate_per) >= r->rate_n) {
		char per[32], when[HTIME_LEN];

		alert_state_set(r->state, rec, ALERT_SUPPRESSED);
		r->outcomes[O_HELD]++;
		log_info("%s: held back: %s had %ld alerts in the %s before %s", key, entity, r->rate_n,
			 htime_format_duration(r->rate_per, per), htime_format(at, when));
		return 0;
	}
	alert_state_set(r->state, rec, ALERT_PENDING);
	alert_state_queue(r->state, rec);
	json_object_set_new(r->queued, key, json_true());
	return 0;
}

/* The second phase: every queued event to each selected channel that does
 * not have it yet; an event every channel has leaves the queue. */
static void deliver(stream_t *s, struct run *r)
{
	json_t *pending = alert_state_pending(r->state), *ev;
	size_t i;

	json_array_foreach(pending, i, ev) {
		const char *key = jx_str(ev, "key");
		int complete = 1;
		int64_t at = 0;

		for (int c = 0; c < ALERT_NCHANNELS; c++) {
			char why[512];
			int attempts = 0, rc;

			if (!r->channels[c] || alert_state_sent(r->state, key, c))
				continue;
			if (r->down[c]) {
				complete = 0;
				continue;
			}
			rc = r->dry_run ? ALERT_SENT : alert_send(r->sender, c, ev, &attempts, why, sizeof why);
			alert_state_delivery(r->state, key, c, rc == ALERT_SENT, attempts, rc == ALERT_SENT ? NULL : why);
			if (rc == ALERT_SENT) {
				r->sent[c]++;
				continue;
			}
			r->failed[c]++;
			complete = 0;
			log_warn("%s: %s not delivered: %s", key, alert_channel_names[c], why);
			if (rc == ALERT_UNREACHABLE) {
				r->down[c] = 1;
				log_warn("%s is unreachable: not tried again in this run; its events stay queued for the next",
					 alert_channel_names[c]);
			}
		}
		if (!complete) {
			r->outcomes[O_PENDING]++;
			continue;
		}
		alert_state_done(r->state, ev);
		r->outcomes[O_DELIVERED]++;
		if (!json_object_get(r->queued, key))
			r->earlier++;
		htime_from_json(json_object_get(ev, "at"), &at);
		emit_alert(s, r, ev, at);
	}
	json_decref(pending);
}

static void summary(const struct run *r)
{
	char chans[256] = "";
	size_t n = 0;

	for (int c = 0; c < ALERT_NCHANNELS; c++)
		if (r->channels[c])
			n += (size_t)snprintf(chans + n, sizeof chans - n, "%s%s %ld%s", n ? ", " : "",
					      alert_channel_names[c], r->sent[c],
					      r->failed[c] ? " (some failed)" : "");
	char earlier[64] = "";

	if (r->earlier)
		snprintf(earlier, sizeof earlier, " (%ld queued by earlier runs)", r->earlier);
	log_info("%s%ld delivered%s, %ld already sent, %ld held back by --rate-limit, %ld filtered, %ld pending, %ld skipped; "
		 "%s %s",
		 r->dry_run ? "dry run: " : "", r->outcomes[O_DELIVERED], earlier, r->outcomes[O_DUPLICATE],
		 r->outcomes[O_HELD], r->outcomes[O_FILTERED], r->outcomes[O_PENDING], r->outcomes[O_SKIPPED],
		 r->dry_run ? "would send" : "sent", n ? chans : "to no channel");
	if (r->outcomes[O_PENDING] && !r->dry_run)
		log_warn("%ld events stay queued in the state file: the next run sends them", r->outcomes[O_PENDING]);
	for (int o = 0; o < O_N; o++)
		metrics_gauge("herd_alert_events", "Events read, by what became of them.", "outcome", outcome_names[o],
			      (double)r->outcomes[o]);
	for (int c = 0; c < ALERT_NCHANNELS; c++) {
		if (!r->channels[c])
			continue;
		metrics_gauge("herd_alert_deliveries", "Deliveries accepted by the receiver, by channel.", "channel",
			      alert_channel_names[c], (double)r->sent[c]);
		metrics_gauge("herd_alert_failures", "Deliveries that failed after their retries, by channel.", "channel",
			      alert_channel_names[c], (double)r->failed[c]);
	}
}

/* --rate-limit N/D; 0 for "off". */
static void parse_rate(struct run *r, const char *arg)
{
	char *slash, *copy;

	if (strcmp(arg, "off") == 0) {
		r->rate_n = 0;
		return;
	}
	copy = xstrdup(arg);
	if (!(slash = strchr(copy, '/')))
		log_usage("--rate-limit: '%s' is not N/DURATION (like 5/1d) or off", arg);
	*slash = '\0';
	r->rate_n = cli_long("--rate-limit", copy, 1, 1000000);
	r->rate_per = cli_duration("--rate-limit", slash + 1);
	free(copy);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"state", required_argument, NULL, OPT_STATE},
		{"channels", required_argument, NULL, OPT_TO},
		{"to", required_argument, NULL, OPT_TO}, /* the old spelling */
		{"min-severity", required_argument, NULL, OPT_MIN_SEVERITY},
		{"types", required_argument, NULL, OPT_TYPES},
		{"rate-limit", required_argument, NULL, OPT_RATE},
		{"rate", required_argument, NULL, OPT_RATE}, /* the old spelling */
		{"dry-run", no_argument, NULL, OPT_DRY_RUN},
		{"retries", required_argument, NULL, OPT_RETRIES},
		{"retry-wait", required_argument, NULL, OPT_RETRY_WAIT},
		{"timeout", required_argument, NULL, OPT_TIMEOUT},
		{"check", no_argument, NULL, OPT_CHECK},
		CLI_REJECT_LONGOPTS,
		CLI_COMMON_LONGOPTS,
		{0}};
	struct run r = {0};
	alert_config cfg = {0};
	const char *state_path = NULL, *to = NULL, *types = "cascade,signal,heat,discovery";
	char *state_default = herd_home_file("state.db"), why[512];
	int c, rc, any = 0, check = 0;
	stream_t s;

	cli_init(argc, argv);
	r.min_severity = 1;
	r.rate_n = 5;
	r.rate_per = 86400;
	cfg.retries = 3;
	cfg.retry_wait = 2;
	cfg.timeout_ms = 20000;
	while ((c = cli_getopt(argc, argv, "hVqv", longopts)) != -1) {
		if (cli_common_option(c, optarg, usage))
			continue;
		switch (c) {
		case OPT_STATE: state_path = optarg; break;
		case OPT_TO: to = optarg; break;
		case OPT_MIN_SEVERITY: r.min_severity = cli_choice("--min-severity", optarg, severities); break;
		case OPT_TYPES: types = optarg; break;
		case OPT_RATE: parse_rate(&r, optarg); break;
		case OPT_DRY_RUN: r.dry_run = 1; break;
		case OPT_RETRIES: cfg.retries = (int)cli_long("--retries", optarg, 0, 10); break;
		case OPT_RETRY_WAIT: cfg.retry_wait = cli_seconds("--retry-wait", optarg, 0.001, 600); break;
		case OPT_TIMEOUT: cfg.timeout_ms = (long)(cli_seconds("--timeout", optarg, 0.1, 600) * 1000); break;
		case OPT_CHECK: check = 1; break;
		default: log_usage("unexpected option");
		}
	}
	if (alert_config_env(&cfg, why, sizeof why) < 0)
		log_usage("%s", why);
	if (strcmp(types, "all") != 0) {
		char *copy = xstrdup(types), *save = NULL;

		r.types = json_object();
		for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save))
			json_object_set_new(r.types, t, json_true());
		free(copy);
	}
	if (to) {
		char *copy = xstrdup(to), *save = NULL;

		for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
			int found = cli_choice("--channels", t, alert_channel_names);

			if (!r.dry_run && !alert_configured(&cfg, found))
				log_usage("--channels %s: %s is not set", t,
					  found == ALERT_SLACK     ? "HERD_SLACK_WEBHOOK"
					  : found == ALERT_WEBHOOK ? "HERD_WEBHOOK_URL"
								   : "HERD_SMTP_URL");
			r.channels[found] = 1;
		}
		free(copy);
	} else {
		for (int k = 0; k < ALERT_NCHANNELS; k++)
			r.channels[k] = alert_configured(&cfg, k);
	}
	for (int k = 0; k < ALERT_NCHANNELS; k++)
		any |= r.channels[k];
	if (!any && !r.dry_run)
		log_usage("no channel: set HERD_SLACK_WEBHOOK, HERD_WEBHOOK_URL or HERD_SMTP_URL (or use --dry-run)");
	if (!any) /* a dry run with nothing configured: which events, to no channel */
		log_warn("dry run: no channel is set (HERD_SLACK_WEBHOOK, HERD_WEBHOOK_URL, HERD_SMTP_URL): "
			 "the events that would go are shown, with no channel");

	r.state = alert_state_open(state_path ? state_path : state_default, r.dry_run || check);
	if (check) {
		json_t *pending = alert_state_pending(r.state);
		char chans[64] = "";
		size_t n = 0;

		for (int k = 0; k < ALERT_NCHANNELS; k++)
			if (r.channels[k])
				n += (size_t)snprintf(chans + n, sizeof chans - n, "%s%s", n ? ", " : "",
						      alert_channel_names[k]);
		log_info("settings ok: %s %s; %zu events queued in %s", r.dry_run ? "dry run, would send to" : "channels",
			 chans, json_array_size(pending), state_path ? state_path : state_default);
		json_decref(pending);
		rc = alert_state_close(r.state, 1);
		alert_config_free(&cfg);
		json_decref(r.types);
		free(state_default);
		return rc;
	}
	r.sender = r.dry_run ? NULL : alert_sender_new(&cfg);
	r.queued = json_object();
	stream_init(&s);
	s.progress_label = "events";
	/* Queue what is read, in one transaction, before anything is sent. */
	alert_state_begin(r.state);
	stream_run(&s, argv + optind, argc - optind, on_record, &r);
	alert_state_commit(r.state);
	deliver(&s, &r);
	summary(&r);
	rc = stream_finish(&s);
	for (int k = 0; k < ALERT_NCHANNELS; k++)
		if (r.failed[k])
			rc = HERD_EXIT_FAIL;
	rc |= alert_state_close(r.state, r.dry_run);
	alert_sender_free(r.sender);
	alert_config_free(&cfg);
	json_decref(r.types);
	json_decref(r.queued);
	free(state_default);
	return rc | herd_close_stdout();
}
