/*
 * http.h — herd's one HTTP client (libcurl), shared by every source herd-fetch
 * collects from: one easy handle reused for every request (keep-alive
 * connections and TLS sessions survive between pages), connect and total
 * timeouts, gzip, a User-Agent naming herd and its version, and the
 * politeness every API asks for: retries with capped exponential backoff and
 * full jitter on 5xx, timeouts, resets and truncated bodies; 429 with
 * Retry-After (seconds or an HTTP date); waits a source asks for after
 * reading its own rate-limit headers or an in-body throttle.
 *
 * What differs between APIs is not here: the caller says through http_policy
 * what must happen before each request is sent (the request budget), how to
 * read a 2xx body (Alpha Vantage throttles inside an HTTP 200) and how long
 * its rate-limit headers say to wait. Secrets never reach a message: every
 * text this module prints passes http_redact, which masks each secret
 * registered with http_secret_add (http_secret_env registers what it reads).
 *
 * Sleeping goes through http_sleep: with HERD_FAKE_SLEEP set, intended sleeps
 * are recorded ("sleep SECONDS REASON" lines, to the file it names, or stderr
 * when it is "1") instead of slept, so tests measure waits without waiting.
 * Not thread-safe: one client per thread.
 */
#ifndef HERD_HTTP_H
#define HERD_HTTP_H

#include <stddef.h>

#include "lib/buf.h"

/* Defaults (herd-fetch --help states them). */
#define HTTP_CONNECT_TIMEOUT_MS 10000 /* a host that does not answer in 10 s is down */
#define HTTP_TIMEOUT_MS 30000         /* a whole request, body included */
#define HTTP_RETRIES 4                /* extra attempts after the first */
#define HTTP_RETRIES_MAX 10
#define HTTP_BACKOFF_BASE_S 1.0       /* ceiling of the first backoff; doubles per attempt */
#define HTTP_BACKOFF_CAP_S 60.0       /* largest backoff ceiling */
#define HTTP_MAX_WAIT_S 900.0         /* longest single wait accepted (Retry-After, a reset) */

typedef struct http_opts {
	const char *user_agent;  /* NULL: http_default_user_agent() */
	long connect_timeout_ms; /* 0: HTTP_CONNECT_TIMEOUT_MS */
	long timeout_ms;         /* 0: HTTP_TIMEOUT_MS */
	int retries;             /* -1: HTTP_RETRIES */
	double backoff_base_s;   /* 0: HTTP_BACKOFF_BASE_S */
	double backoff_cap_s;    /* 0: HTTP_BACKOFF_CAP_S */
	double max_wait_s;       /* 0: HTTP_MAX_WAIT_S */
} http_opts;

typedef struct http_request {
	const char *method;          /* "GET" (NULL) or "POST" */
	const char *url;             /* may hold a secret (Alpha Vantage's apikey): never printed unredacted */
	const char *body;            /* POST body (application/x-www-form-urlencoded) or NULL */
	const char *headers[8];      /* "Name: value" lines, NULL-terminated; may hold secrets */
	const char *userpwd;         /* HTTP basic auth "id:secret", or NULL */
	const char *if_none_match;   /* an ETag to revalidate, or NULL */
	const char *if_modified_since; /* a Last-Modified to revalidate, or NULL */
	const char *what;            /* for messages: "reddit wallstreetbets/new page 2" */
	int cookies;                 /* send back the cookies this host set, keep those it sets */
} http_request;

typedef struct http_header {
	char *name;  /* lower case */
	char *value; /* trimmed */
} http_header;

/* A response. http_response_init fills a struct the caller owns;
 * http_response_free releases what it holds (and NULL-safe fields). */
typedef struct http_response {
	long status;          /* HTTP status of the final attempt; 0 when none came */
	buf_t body;           /* the (decompressed) body */
	http_header *headers; /* of the final response */
	size_t nheaders, capheaders;
	int attempts;         /* our attempts at this request, those that never connected included */
	int sends;            /* sends that reached a server (libcurl's own re-sends included) */
	double seconds;       /* wall time of the final attempt */
	void *parsed;         /* for the policy's classify: what it made of the body (owner frees) */
	double retry_at;      /* HTTP_LIMITED by a wait: the moment (http_now() seconds) the
			       * provider allows the next request; 0 for a spent quota */
} http_response;

void http_response_init(http_response *r);
void http_response_free(http_response *r);
/* A header of the final response (name in any case), or NULL. */
const char *http_header_get(const http_response *r, const char *name);

/* What a policy makes of a response. */
enum http_verdict {
	HTTP_V_OK,      /* use it */
	HTTP_V_RETRY,   /* try again after *wait seconds (0: the usual backoff) */
	HTTP_V_LIMITED, /* the provider's quota is spent: stop asking it */
};

typedef struct http_policy {
	/* Right before every request goes out on a connection: 0 to send,
	 * -1 to stop with why (the day's budget is spent). Called once per
	 * send, libcurl's own silent re-sends on a reused connection that was
	 * found closed included, and not for an attempt that never connected:
	 * what it counts is what reached the server. NULL: always send. */
	int (*before)(void *arg, char *why, size_t whylen);
	/* Before each attempt connects, without counting anything: -1 to stop
	 * with why when before would refuse anyway (the budget is spent
	 * already), so that no connection is opened for nothing. NULL: go. */
	int (*ready)(void *arg, char *why, size_t whylen);
	/* After a 2xx: what the body says (invalid JSON, an in-body throttle).
	 * For RETRY and LIMITED, why says what happened. NULL: always OK. */
	enum http_verdict (*classify)(http_response *r, void *arg, double *wait, char *why, size_t whylen);
	/* After any response: seconds to wait before the next request of this
	 * client, from the source's rate-limit headers (0: none). A 429 without
	 * Retry-After waits this long too. NULL: none. */
	double (*pace)(const http_response *r, void *arg, char *why, size_t whylen);
	void *arg;
} http_policy;

enum http_result {
	HTTP_OK,      /* a final response: r->status says which (2xx, 304, a 4xx other than 429) */
	HTTP_FAILED,  /* every attempt failed (5xx, timeouts, resets, truncation, bad bodies) or an
		       * error no retry can mend (a bad URL, a TLS failure); why says what */
	HTTP_STOPPED, /* policy->before refused to send (budget spent); why says so */
	HTTP_LIMITED, /* rate limited for longer than max_wait, or the quota is spent; why says so */
};

typedef struct http_client http_client;

/* A client with its own curl handle; exits 1 when curl cannot start.
 * Free with http_free (NULL does nothing). */
http_client *http_new(const http_opts *o);
void http_free(http_client *c);

/*
 * Send req (with the retries, waits and budget checks above) and fill r
 * (reset first). Returns an http_result; why (redacted) tells what went
 * wrong for anything but HTTP_OK.
 */
enum http_result http_send(http_client *c, const http_request *req, const http_policy *p, http_response *r,
			   char *why, size_t whylen);

/*
 * No request of c before until (http_now() seconds): a wait the provider
 * asked for, carried over from an earlier run. The next http_send sleeps
 * it out, or returns HTTP_LIMITED at once when it is longer than max_wait.
 * what and reason say who asked and why, for the message. A hold earlier
 * than the one c has does nothing.
 */
void http_hold(http_client *c, double until, const char *what, const char *reason);
/* When c may send again, if that is still ahead (and why, in why); else 0:
 * what a run keeps in its state file for the next one. */
double http_held_until(const http_client *c, char *why, size_t whylen);

/* The User-Agent used when none is given: "herd-fetch/VERSION (…)", with
 * $HERD_CONTACT (an e-mail or URL, as Wikimedia asks) when set. */
const char *http_default_user_agent(void);

/* ---------------------------------------------------------------- waiting */

/* Seconds a Retry-After value asks for (delta-seconds or an HTTP date,
 * against now, Unix seconds); -1 when it is neither. */
double http_retry_after(const char *value, double now);
/* The n-th backoff (0-based): uniform in [0, min(cap, base * 2^n)]; u is a
 * uniform number in [0, 1) (full jitter). */
double http_backoff(int n, double base, double cap, double u);
/* Sleep s seconds (or record the sleep, HERD_FAKE_SLEEP); reason is
 * printed with it. */
void http_sleep(double s, const char *reason);
/* Wall-clock seconds since the epoch (fetching may read the clock). */
double http_now(void);

/* ---------------------------------------------------------------- secrets */

/* Remember s (4 bytes or longer) as a secret: http_redact masks it, as
 * given and URL-encoded. The string is copied. */
void http_secret_add(const char *s);
/*
 * A secret from the environment: $NAME, else the first line of the file
 * named by $NAME_FILE (trailing whitespace removed). Registered with
 * http_secret_add. Returns a new string (free it), or NULL when neither is
 * set; a $NAME_FILE that cannot be read is fatal (exit 1).
 */
char *http_secret_env(const char *name);
/* The same, for a caller that judges the failure itself (herd-alert makes
 * it a usage error): 0 with *out (NULL when neither is set), or -1 with
 * "PATH: cannot read NAME_FILE: reason" in why and *out NULL. */
int http_secret_env_read(const char *name, char **out, char *why, size_t whylen);
/* Replace every registered secret in s (NUL-terminated, edited in place)
 * with "***". Returns s. */
char *http_redact(char *s);
/* 1 when s[0..n) contains a registered secret. */
int http_has_secret(const char *s, size_t n);
/* log_msg through http_redact: every message of the fetcher goes here. */
void http_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---------------------------------------------------------------- URLs */

/* Append s to b percent-encoded for a query value or a path segment
 * (unreserved characters kept; space as %20). */
void http_url_encode(buf_t *b, const char *s);

#endif
