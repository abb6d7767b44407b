/*
 * alert.h — what herd-alert needs besides the record stream: its memory
 * in the state file (which event keys went to which channel, which were
 * held back by the rate limit) and the three ways an alert leaves the
 * machine: a Slack-compatible webhook, a generic JSON webhook (both
 * through src/http's client: retries, backoff, Retry-After) and e-mail
 * over SMTP (libcurl, with the same backoff).
 *
 * Every event, then exactly once per event key and channel: a run first
 * queues every event it reads (its record kept in the state, committed
 * before anything is sent), then delivers every queued event, this run's
 * and those earlier runs could not deliver; a delivery is recorded, and
 * committed, the moment the receiver accepts it, and a key recorded for
 * a channel is never sent to it again. An event leaves the queue once
 * every channel has it. The one gap is a crash between the receiver's
 * answer and that commit: the event is sent again by the next run (at
 * least once), and the webhook carries the key as Idempotency-Key and the
 * mail a Message-ID made from it, so that the receiver keeps it once.
 *
 * Secrets (webhook URLs, the SMTP password) are registered with
 * http_secret_add, so every message printed here is redacted.
 */
#ifndef HERD_ALERT_H
#define HERD_ALERT_H

#include <jansson.h>
#include <sqlite3.h>
#include <stdint.h>

#include "lib/buf.h"

/* ---------------------------------------------------------------- state */

enum alert_channel { ALERT_SLACK, ALERT_WEBHOOK, ALERT_EMAIL, ALERT_NCHANNELS };
/* "slack", "webhook", "email", then NULL (a list for cli_choice). */
extern const char *const alert_channel_names[ALERT_NCHANNELS + 1];

/* What the state says of an event key. */
enum alert_status {
	ALERT_NEW,        /* never seen */
	ALERT_PENDING,    /* queued, some channel not delivered yet: every run tries again */
	ALERT_DELIVERED,  /* every channel of its run delivered */
	ALERT_SUPPRESSED, /* held back by the rate limit: never sent */
};

/*
 * Open (creating when absent) the state file — a herd SQLite file
 * (store_sqlite_open: schema_version, WAL), shared with herd-fetch — and
 * its alert_ tables (docs/storage.md). With dry_run, everything this run
 * writes stays in one transaction that alert_state_close rolls back, and
 * a dry run without a state file works on an empty one in memory.
 * Exits 1 when the file cannot be used. One per process; close with
 * alert_state_close.
 */
sqlite3 *alert_state_open(const char *path, int dry_run);
/* Commit (or, for a dry run, roll back) and close. 0, or 1 after saying why. */
int alert_state_close(sqlite3 *db, int dry_run);

/* The key's status (ALERT_NEW when unknown). */
enum alert_status alert_state_status(sqlite3 *db, const char *key);
/* 1 when the key was delivered to channel. */
int alert_state_sent(sqlite3 *db, const char *key, enum alert_channel channel);
/* Alerts the entity was sent (or is being sent) with "at" in (at - per, at]. */
long alert_state_recent(sqlite3 *db, const char *entity, int64_t at, int64_t per);

/* Record the event (status, entity, type, at, severity) and a delivery
 * outcome; each is committed at once (outside a dry run and a batch).
 * error may be NULL and must hold no secret. */
void alert_state_set(sqlite3 *db, const json_t *event, enum alert_status status);
void alert_state_delivery(sqlite3 *db, const char *key, enum alert_channel channel, int ok, int attempts,
			  const char *error);

/*
 * The queue of events not delivered to every channel yet (alert_pending):
 * the event's whole record, kept until it is delivered, so that every
 * later run sends it again without reading it again (at least once; the
 * keys make it exactly once per channel, see above).
 *   alert_state_begin/commit  one transaction around a batch of queueing
 *                             (nothing in a dry run, which is one already)
 *   alert_state_queue         keep the event's record (once per key)
 *   alert_state_queued        1 when the key's record is kept
 *   alert_state_pending       every kept record, oldest "at" first: a new
 *                             JSON array (json_decref it)
 *   alert_state_done          delivered everywhere: status delivered and
 *                             the record dropped, in one transaction
 */
void alert_state_begin(sqlite3 *db);
void alert_state_commit(sqlite3 *db);
void alert_state_queue(sqlite3 *db, const json_t *event);
int alert_state_queued(sqlite3 *db, const char *key);
json_t *alert_state_pending(sqlite3 *db);
void alert_state_done(sqlite3 *db, const json_t *event);

/* ---------------------------------------------------------------- sending */

typedef struct alert_config {
	char *slack_url;   /* HERD_SLACK_WEBHOOK(_FILE), or NULL */
	char *webhook_url; /* HERD_WEBHOOK_URL(_FILE), or NULL */
	char *smtp_url;    /* HERD_SMTP_URL: smtp://host:port or smtps://host:port */
	char *smtp_from;   /* HERD_SMTP_FROM */
	char *smtp_to;     /* HERD_SMTP_TO: comma-separated addresses */
	char *smtp_user;   /* HERD_SMTP_USER, or NULL */
	char *smtp_pass;   /* HERD_SMTP_PASSWORD(_FILE), or NULL */
	char *smtp_tls;    /* HERD_SMTP_TLS: try (default), require or off */
	int retries;       /* extra attempts after the first */
	double retry_wait; /* first backoff ceiling in seconds, doubled each retry */
	long timeout_ms;   /* one attempt */
} alert_config;

/* Fill c from the environment (secrets registered for redaction).
 * Returns 0, or -1 with why (HERD_SMTP_URL without HERD_SMTP_TO, say). */
int alert_config_env(alert_config *c, char *why, size_t whylen);
void alert_config_free(alert_config *c);
/* 1 when the channel has what it needs in c. */
int alert_configured(const alert_config *c, enum alert_channel channel);

/* The one-line text of an alert: "[critical] GME cascade at …: score 7.40
 * — start · 3 sources · led by …". */
void alert_text(const json_t *event, buf_t *out);

typedef struct alert_sender alert_sender;
/* A sender for config c (which must outlive it); alert_sender_free(NULL)
 * does nothing. */
alert_sender *alert_sender_new(const alert_config *c);
void alert_sender_free(alert_sender *s);

/* alert_send's outcomes. */
enum {
	ALERT_SENT = 0,         /* the receiver accepted it */
	ALERT_REFUSED = -1,     /* the receiver refused this event (HTTP 4xx, SMTP 5xx): final for it */
	ALERT_UNREACHABLE = -2, /* still failing after the retries (network, timeout, HTTP 5xx or 429,
				 * SMTP 4xx): the channel is down for now */
};

/*
 * Deliver one event to one channel, retrying transient failures (network
 * errors, timeouts, HTTP 429 and 5xx, SMTP 4xx) with backoff. Returns
 * ALERT_SENT, or ALERT_REFUSED or ALERT_UNREACHABLE with a redacted reason
 * in why. *attempts gets the attempts made.
 */
int alert_send(alert_sender *s, enum alert_channel channel, const json_t *event, int *attempts, char *why,
	       size_t whylen);

#endif
