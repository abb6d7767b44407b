/*
 * send.c — how an alert leaves the machine; see alert.h. Slack and the
 * JSON webhook are HTTP POSTs through src/http's client (its retries,
 * backoff with jitter, Retry-After, redaction); e-mail is one SMTP
 * transaction through libcurl per event, retried on transient failures
 * (connection trouble, timeouts, SMTP 4xx replies) with the same backoff.
 *
 *   slack    {"text": "[critical] GME cascade …"}  (Slack's incoming-webhook
 *            shape, which Mattermost, Rocket.Chat and Discord's /slack
 *            endpoints accept; & < > escaped as Slack asks)
 *   webhook  the event record itself, with headers Idempotency-Key: KEY and
 *            X-Herd-Event: TYPE
 *   email    text/plain UTF-8, Subject "[herd] SEVERITY TYPE ENTITY",
 *            Message-ID <SHA1(KEY)@herd>, the text, the key and evidence
 */
#include "alert.h"
#include "http/http.h"
#include "lib/htime.h"
#include "lib/jsonx.h"
#include "lib/log.h"
#include "lib/ndjson.h"
#include "lib/sha1.h"
#include "lib/util.h"
#include "report/report.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Longest backoff between two SMTP attempts. */
#define SMTP_BACKOFF_CAP_S 60.0

struct alert_sender {
	const alert_config *c;
	http_client *http;
	CURL *smtp;
	unsigned long long rng;
};

/* ================================================================ config */

static char *env_dup(const char *name)
{
	const char *v = getenv(name);

	return v && *v ? xstrdup(v) : NULL;
}

int alert_config_env(alert_config *c, char *why, size_t whylen)
{
	/* A secret file that cannot be read is a setting to fix, like the
	 * others below: the caller stops before reading anything. */
	if (http_secret_env_read("HERD_SLACK_WEBHOOK", &c->slack_url, why, whylen) < 0 ||
	    http_secret_env_read("HERD_WEBHOOK_URL", &c->webhook_url, why, whylen) < 0 ||
	    http_secret_env_read("HERD_SMTP_PASSWORD", &c->smtp_pass, why, whylen) < 0)
		return -1;
	c->smtp_url = env_dup("HERD_SMTP_URL");
	c->smtp_from = env_dup("HERD_SMTP_FROM");
	c->smtp_to = env_dup("HERD_SMTP_TO");
	c->smtp_user = env_dup("HERD_SMTP_USER");
	c->smtp_tls = env_dup("HERD_SMTP_TLS");
	if (c->smtp_url && (!c->smtp_from || !c->smtp_to))
		return herd_errf(why, whylen, "HERD_SMTP_URL is set but HERD_SMTP_%s is not", c->smtp_from ? "TO" : "FROM");
	if (c->smtp_url && strncmp(c->smtp_url, "smtp://", 7) != 0 && strncmp(c->smtp_url, "smtps://", 8) != 0)
		return herd_errf(why, whylen, "HERD_SMTP_URL must start with smtp:// or smtps://");
	if (c->smtp_tls && strcmp(c->smtp_tls, "try") && strcmp(c->smtp_tls, "require") && strcmp(c->smtp_tls, "off"))
		return herd_errf(why, whylen, "HERD_SMTP_TLS is '%s', not try, require or off", c->smtp_tls);
	if (c->smtp_pass && !c->smtp_user)
		return herd_errf(why, whylen, "HERD_SMTP_PASSWORD is set but HERD_SMTP_USER is not");
	return 0;
}

void alert_config_free(alert_config *c)
{
	free(c->slack_url);
	free(c->webhook_url);
	free(c->smtp_url);
	free(c->smtp_from);
	free(c->smtp_to);
	free(c->smtp_user);
	free(c->smtp_pass);
	free(c->smtp_tls);
}

int alert_configured(const alert_config *c, enum alert_channel channel)
{
	switch (channel) {
	case ALERT_SLACK: return c->slack_url != NULL;
	case ALERT_WEBHOOK: return c->webhook_url != NULL;
	case ALERT_EMAIL: return c->smtp_url != NULL;
	default: return 0;
	}
}

/* ================================================================ text */

void alert_text(const json_t *ev, buf_t *b)
{
	const char *sev = jx_str(ev, "severity");
	buf_t more = BUF_INIT;

	buf_printf(b, "[%s] %s %s at %s: score %.2f", sev ? sev : "info", jx_str(ev, "entity"), jx_str(ev, "type"),
		   jx_str(ev, "at"), jx_num(ev, "score", 0));
	report_event_text(ev, &more);
	if (more.len)
		buf_printf(b, " — %s", more.p);
	buf_free(&more);
}

/* ================================================================ sender */

alert_sender *alert_sender_new(const alert_config *c)
{
	alert_sender *s = xcalloc(1, sizeof *s);
	http_opts o = {0};
	char ua[96];

	snprintf(ua, sizeof ua, "herd-alert/%s", HERD_VERSION);
	o.user_agent = ua;
	o.retries = c->retries;
	o.backoff_base_s = c->retry_wait;
	o.timeout_ms = c->timeout_ms;
	o.connect_timeout_ms = c->timeout_ms;
	s->c = c;
	s->http = http_new(&o); /* copies the user agent */
	s->rng = (unsigned long long)getpid() * 0x9E3779B97F4A7C15ULL + 1;
	return s;
}

void alert_sender_free(alert_sender *s)
{
	if (!s)
		return;
	http_free(s->http);
	if (s->smtp)
		curl_easy_cleanup(s->smtp);
	free(s);
}

/* ---------------------------------------------------------------- HTTP */

static int post(alert_sender *s, const char *url, const char *body, const char *const *headers, const char *what,
		int *attempts, char *why, size_t whylen)
{
	http_request req = {0};
	http_response r;
	enum http_result res;
	int rc;

	req.method = "POST";
	req.url = url;
	req.body = body;
	req.what = what;
	for (int i = 0; headers[i] && i < 7; i++)
		req.headers[i] = headers[i];
	http_response_init(&r);
	res = http_send(s->http, &req, NULL, &r, why, whylen);
	*attempts = r.attempts;
	if (res == HTTP_OK && r.status >= 200 && r.status < 300) {
		rc = ALERT_SENT;
	} else if (res == HTTP_OK) { /* a 4xx other than 429: the receiver refuses it for good */
		herd_errf(why, whylen, "%s: HTTP %ld", what, r.status);
		rc = ALERT_REFUSED;
	} else { /* every attempt failed, or a rate limit longer than we wait */
		rc = ALERT_UNREACHABLE;
	}
	http_redact(why);
	http_response_free(&r);
	return rc;
}

/* Slack's text escaping: & < > only. */
static void slack_escape(buf_t *b, const char *s)
{
	for (; *s; s++) {
		if (*s == '&')
			buf_puts(b, "&amp;");
		else if (*s == '<')
			buf_puts(b, "&lt;");
		else if (*s == '>')
			buf_puts(b, "&gt;");
		else
			buf_putc(b, *s);
	}
}

static int send_slack(alert_sender *s, const json_t *ev, int *attempts, char *why, size_t whylen)
{
	static const char *const headers[] = {"Content-Type: application/json", NULL};
	buf_t text = BUF_INIT, esc = BUF_INIT, body = BUF_INIT;
	json_t *payload;
	int rc;

	alert_text(ev, &text);
	slack_escape(&esc, text.p);
	payload = json_pack("{s:s}", "text", esc.p);
	ndjson_dump(&body, payload);
	rc = post(s, s->c->slack_url, body.p, headers, "slack", attempts, why, whylen);
	json_decref(payload);
	buf_free(&text);
	buf_free(&esc);
	buf_free(&body);
	return rc;
}

static int send_webhook(alert_sender *s, const json_t *ev, int *attempts, char *why, size_t whylen)
{
	buf_t body = BUF_INIT, key = BUF_INIT, type = BUF_INIT;
	const char *headers[4];
	int rc;

	ndjson_dump(&body, ev);
	buf_printf(&key, "Idempotency-Key: %s", jx_str(ev, "key"));
	buf_printf(&type, "X-Herd-Event: %s", jx_str(ev, "type"));
	headers[0] = "Content-Type: application/json";
	headers[1] = key.p;
	headers[2] = type.p;
	headers[3] = NULL;
	rc = post(s, s->c->webhook_url, body.p, headers, "webhook", attempts, why, whylen);
	buf_free(&body);
	buf_free(&key);
	buf_free(&type);
	return rc;
}

/* ---------------------------------------------------------------- SMTP */

struct upload {
	const char *p;
	size_t left;
};

static size_t on_read(char *out, size_t size, size_t n, void *arg)
{
	struct upload *u = arg;
	size_t k = size * n < u->left ? size * n : u->left;

	memcpy(out, u->p, k);
	u->p += k;
	u->left -= k;
	return k;
}

/* "=?UTF-8?B?…?=" when s is not plain ASCII (RFC 2047), else s. */
static void header_text(buf_t *b, const char *s)
{
	static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t n = strlen(s);
	int ascii = 1;

	for (size_t i = 0; i < n; i++)
		ascii &= (unsigned char)s[i] >= 0x20 && (unsigned char)s[i] < 0x7f;
	if (ascii) {
		buf_puts(b, s);
		return;
	}
	buf_puts(b, "=?UTF-8?B?");
	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned char)s[i] << 16 | (i + 1 < n ? (unsigned char)s[i + 1] << 8 : 0) |
			     (i + 2 < n ? (unsigned char)s[i + 2] : 0);

		buf_putc(b, b64[v >> 18 & 63]);
		buf_putc(b, b64[v >> 12 & 63]);
		buf_putc(b, i + 1 < n ? b64[v >> 6 & 63] : '=');
		buf_putc(b, i + 2 < n ? b64[v & 63] : '=');
	}
	buf_puts(b, "?=");
}

/* The message, CRLF line endings (libcurl dot-stuffs the body). */
static void build_mail(const alert_config *c, const json_t *ev, buf_t *m)
{
	char date[64], id[SHA1_HEX_LEN];
	const char *key = jx_str(ev, "key"), *sev = jx_str(ev, "severity");
	time_t now = time(NULL); /* the Date header is when it was sent: wall clock, like a log line */
	struct tm tm;
	buf_t subject = BUF_INIT, text = BUF_INIT;

	gmtime_r(&now, &tm);
	strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S +0000", &tm);
	sha1_hex(key, strlen(key), id);
	buf_printf(&subject, "[herd] %s %s %s", sev ? sev : "info", jx_str(ev, "type"), jx_str(ev, "entity"));
	alert_text(ev, &text);
	buf_printf(m, "Date: %s\r\nFrom: %s\r\nTo: %s\r\nSubject: ", date, c->smtp_from, c->smtp_to);
	header_text(m, subject.p);
	buf_printf(m, "\r\nMessage-ID: <%s@herd>\r\nMIME-Version: 1.0\r\n"
		      "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n",
		   id);
	buf_printf(m, "%s\r\n\r\nevent key: %s\r\nevidence: ", text.p, key);
	ndjson_dump(m, json_object_get(ev, "evidence") ? json_object_get(ev, "evidence") : json_null());
	buf_puts(m, "\r\n");
	buf_free(&subject);
	buf_free(&text);
}

/* "<a@b>" for each comma-separated address. */
static struct curl_slist *recipients(const char *list)
{
	struct curl_slist *l = NULL;
	char *copy = xstrdup(list), *save = NULL;

	for (char *a = strtok_r(copy, ",", &save); a; a = strtok_r(NULL, ",", &save)) {
		char addr[512];

		while (*a == ' ')
			a++;
		if (!*a)
			continue;
		snprintf(addr, sizeof addr, "<%s>", a);
		l = curl_slist_append(l, addr);
	}
	free(copy);
	return l;
}

static double uniform(alert_sender *s)
{
	s->rng ^= s->rng >> 12;
	s->rng ^= s->rng << 25;
	s->rng ^= s->rng >> 27;
	return (double)((s->rng * 2685821657736338717ULL) >> 11) / 9007199254740992.0;
}

static int send_email(alert_sender *s, const json_t *ev, int *attempts, char *why, size_t whylen)
{
	const alert_config *c = s->c;
	struct curl_slist *rcpt = recipients(c->smtp_to);
	buf_t msg = BUF_INIT;
	char from[512], errbuf[CURL_ERROR_SIZE];
	int rc = ALERT_UNREACHABLE;

	snprintf(from, sizeof from, "<%s>", c->smtp_from);
	build_mail(c, ev, &msg);
	if (!s->smtp && !(s->smtp = curl_easy_init()))
		log_fatal(HERD_EXIT_FAIL, "libcurl: cannot create a handle");
	*attempts = 0;
	for (int attempt = 0;; attempt++) {
		struct upload u = {msg.p, msg.len};
		CURLcode e;
		long code = 0;
		int transient;

		curl_easy_reset(s->smtp);
		curl_easy_setopt(s->smtp, CURLOPT_URL, c->smtp_url);
		curl_easy_setopt(s->smtp, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
		curl_easy_setopt(s->smtp, CURLOPT_MAIL_FROM, from);
		curl_easy_setopt(s->smtp, CURLOPT_MAIL_RCPT, rcpt);
		curl_easy_setopt(s->smtp, CURLOPT_READFUNCTION, on_read);
		curl_easy_setopt(s->smtp, CURLOPT_READDATA, &u);
		curl_easy_setopt(s->smtp, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(s->smtp, CURLOPT_NOSIGNAL, 1L);
		curl_easy_setopt(s->smtp, CURLOPT_CONNECTTIMEOUT_MS, c->timeout_ms);
		curl_easy_setopt(s->smtp, CURLOPT_TIMEOUT_MS, c->timeout_ms);
		curl_easy_setopt(s->smtp, CURLOPT_ERRORBUFFER, errbuf);
		curl_easy_setopt(s->smtp, CURLOPT_USE_SSL,
				 !c->smtp_tls || strcmp(c->smtp_tls, "try") == 0 ? (long)CURLUSESSL_TRY
				 : strcmp(c->smtp_tls, "require") == 0          ? (long)CURLUSESSL_ALL
										: (long)CURLUSESSL_NONE);
		if (c->smtp_user) {
			curl_easy_setopt(s->smtp, CURLOPT_USERNAME, c->smtp_user);
			if (c->smtp_pass)
				curl_easy_setopt(s->smtp, CURLOPT_PASSWORD, c->smtp_pass);
		}
		errbuf[0] = '\0';
		e = curl_easy_perform(s->smtp);
		curl_easy_getinfo(s->smtp, CURLINFO_RESPONSE_CODE, &code);
		(*attempts)++;
		if (e == CURLE_OK) {
			rc = ALERT_SENT;
			break;
		}
		/* 4xx replies are the server's "try again later"; so are
		 * connections that fail or stall. 5xx and the rest are final. */
		transient = (code >= 400 && code < 500) || e == CURLE_COULDNT_CONNECT || e == CURLE_OPERATION_TIMEDOUT ||
			    e == CURLE_COULDNT_RESOLVE_HOST || e == CURLE_SEND_ERROR || e == CURLE_RECV_ERROR ||
			    e == CURLE_GOT_NOTHING;
		if (code > 0)
			herd_errf(why, whylen, "email: SMTP %ld (%s)", code, errbuf[0] ? errbuf : curl_easy_strerror(e));
		else
			herd_errf(why, whylen, "email: %s", errbuf[0] ? errbuf : curl_easy_strerror(e));
		http_redact(why);
		rc = transient ? ALERT_UNREACHABLE : ALERT_REFUSED;
		if (!transient || attempt >= c->retries)
			break;
		http_sleep(http_backoff(attempt, c->retry_wait, SMTP_BACKOFF_CAP_S, uniform(s)), why);
	}
	if (rc < 0 && *attempts > 1) {
		size_t n = strlen(why);

		snprintf(why + n, whylen - n, " (gave up after %d attempts)", *attempts);
	}
	curl_slist_free_all(rcpt);
	buf_free(&msg);
	return rc;
}

int alert_send(alert_sender *s, enum alert_channel channel, const json_t *ev, int *attempts, char *why,
	       size_t whylen)
{
	why[0] = '\0';
	*attempts = 0;
	switch (channel) {
	case ALERT_SLACK: return send_slack(s, ev, attempts, why, whylen);
	case ALERT_WEBHOOK: return send_webhook(s, ev, attempts, why, whylen);
	case ALERT_EMAIL: return send_email(s, ev, attempts, why, whylen);
	default: herd_errf(why, whylen, "no such channel"); return ALERT_REFUSED;
	}
}
