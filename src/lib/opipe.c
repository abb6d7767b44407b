/*
 * opipe.c — an ordered pipeline for NDJSON filters; see opipe.h.
 *
 * A reader thread turns input into chunks of lines (no parsing); the
 * caller's thread parses each chunk on its pool, then calls back in order
 * (opipe_run) or maps each record on the pool and writes the outputs in
 * order (opipe_map): rejects are reported there, so their messages and
 * the --rejects file keep input order. The writer serializes a batch on
 * the caller's pool into one buffer per part and writes the parts in
 * order. Chunks go round between the two threads through bounded queues:
 * reading never runs more than READ_AHEAD chunks ahead, and a slow reader
 * downstream holds everyone back.
 */
#include "opipe.h"
#include "buf.h"
#include "jsonx.h"
#include "log.h"
#include "ndjson.h"
#include "progress.h"
#include "reject.h"
#include "tpool.h"
#include "util.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHUNK_LINES 1024      /* lines per chunk the reader hands over */
#define CHUNK_BYTES (1 << 20) /* ... or fewer when lines are long */
#define READ_AHEAD 4          /* chunks read and not yet parsed */
#define CHUNKS (READ_AHEAD + 2) /* ... and the ones being read and parsed */
#define MIN_PARSE 64          /* lines per block parsed (or mapped) on one thread */
#define MIN_DUMP 64           /* records per block serialized on one thread */

/* ================================================================ pool */

/* A tpool whose threads free the parser's scratch when they end. */
struct opipe_pool {
	tpool *threads;
};

opipe_pool *opipe_pool_new(int threads)
{
	opipe_pool *p = xcalloc(1, sizeof *p);

	/* jx_parse_thread_free: the scratch of lines parsed on a worker (parse_part) */
	p->threads = tpool_new(threads, NULL, jx_parse_thread_free);
	return p;
}

int opipe_pool_size(const opipe_pool *p)
{
	return p ? tpool_size(p->threads) : 1;
}

tpool *opipe_pool_threads(opipe_pool *p)
{
	return p ? p->threads : NULL;
}

void opipe_pool_for(opipe_pool *p, size_t n, size_t block, void (*fn)(void *arg, size_t from, size_t to, int worker),
		    void *arg)
{
	tpool_for(opipe_pool_threads(p), n, block, fn, arg);
}

void opipe_pool_free(opipe_pool *p)
{
	if (!p)
		return;
	tpool_free(p->threads);
	free(p);
}

/* ================================================================ queue */

/* A ring of cap slots: items[head] is the oldest, n of them. */
struct opipe_queue {
	pthread_mutex_t mu;
	pthread_cond_t not_empty, not_full;
	void **items;
	size_t cap, head, n;
	int closed;
};

opipe_queue *opipe_queue_new(size_t cap)
{
	opipe_queue *q = xcalloc(1, sizeof *q);

	pthread_mutex_init(&q->mu, NULL);
	pthread_cond_init(&q->not_empty, NULL);
	pthread_cond_init(&q->not_full, NULL);
	q->cap = cap ? cap : 1;
	q->items = xcalloc(q->cap, sizeof *q->items);
	return q;
}

int opipe_queue_push(opipe_queue *q, void *item)
{
	pthread_mutex_lock(&q->mu);
	while (q->n == q->cap && !q->closed)
		pthread_cond_wait(&q->not_full, &q->mu);
	if (q->closed) {
		pthread_mutex_unlock(&q->mu);
		return -1;
	}
	q->items[(q->head + q->n++) % q->cap] = item;
	pthread_cond_signal(&q->not_empty);
	pthread_mutex_unlock(&q->mu);
	return 0;
}

void *opipe_queue_pop(opipe_queue *q)
{
	void *item = NULL;

	pthread_mutex_lock(&q->mu);
	while (q->n == 0 && !q->closed)
		pthread_cond_wait(&q->not_empty, &q->mu);
	if (q->n > 0) {
		item = q->items[q->head];
		q->head = (q->head + 1) % q->cap;
		q->n--;
		pthread_cond_signal(&q->not_full);
	}
	pthread_mutex_unlock(&q->mu);
	return item;
}

void opipe_queue_close(opipe_queue *q)
{
	pthread_mutex_lock(&q->mu);
	q->closed = 1;
	pthread_cond_broadcast(&q->not_empty);
	pthread_cond_broadcast(&q->not_full);
	pthread_mutex_unlock(&q->mu);
}

void opipe_queue_free(opipe_queue *q)
{
	if (!q)
		return;
	pthread_mutex_destroy(&q->mu);
	pthread_cond_destroy(&q->not_empty);
	pthread_cond_destroy(&q->not_full);
	free(q->items);
	free(q);
}

/* ================================================================ reading */

/* One line of a chunk: where it is in the chunk's text, and what the
 * parse made of it (a record, or the reason to reject it). */
struct line {
	size_t off, len;
	long lineno;
	unsigned long long bytes; /* input bytes read once it was */
	json_t *rec;
	char *reason;
	/* opipe_map */
	int parsed;               /* a record (the map may still reject it) */
	int part;                 /* the part that mapped it */
	int emitted;              /* records it wrote */
	size_t out_end;           /* its output ends here in its part's buffer */
};

/* What the reader met after a chunk's lines: reported by the caller's
 * thread in its place among the rejects. */
enum event { EV_NONE, EV_OPEN, EV_READ };

/* Lines of one file, back to back in text (each NUL-terminated). */
struct chunk {
	const char *name;         /* the file's name in messages (owned by the reader) */
	buf_t text;
	struct line *lines;
	size_t n, cap;
	unsigned long long bytes; /* input bytes read after the chunk */
	enum event ev;
	int errnum;
	long evline;              /* EV_READ: the last line read */
	buf_t *outs;              /* opipe_map: output per part */
	int nouts;
};

/* Chunks go round: spare -> the reader fills one -> q -> the caller
 * parses and delivers it -> spare, their memory kept (freeing a large
 * buffer per chunk costs malloc a consolidation of its free lists). */
struct reader {
	char **files;
	int nfiles;
	char **names;      /* per file, its name in messages */
	opipe_queue *q;    /* chunks read */
	opipe_queue *spare; /* chunks to fill */
};

/* Empty c, keeping its memory. */
static void chunk_reset(struct chunk *c)
{
	for (size_t i = 0; i < c->n; i++) {
		json_decref(c->lines[i].rec);
		free(c->lines[i].reason);
	}
	c->n = 0;
	buf_reset(&c->text);
	c->bytes = 0, c->ev = EV_NONE, c->errnum = 0, c->evline = 0;
}

static void chunk_free(struct chunk *c)
{
	chunk_reset(c);
	for (int k = 0; k < c->nouts; k++)
		buf_free(&c->outs[k]);
	free(c->outs);
	buf_free(&c->text);
	free(c->lines);
	free(c);
}

/* An empty chunk for the lines of file name, or NULL when the caller has
 * stopped reading. */
static struct chunk *reader_take(struct reader *rd, const char *name)
{
	struct chunk *c = opipe_queue_pop(rd->spare);

	if (c)
		c->name = name;
	return c;
}

/* Hand c over; 0, or -1 when the caller has stopped reading (c freed). */
static int reader_push(struct reader *rd, struct chunk *c)
{
	if (opipe_queue_push(rd->q, c) == 0)
		return 0;
	chunk_free(c);
	return -1;
}

static void *reader_main(void *arg)
{
	struct reader *rd = arg;
	unsigned long long total = 0;

	for (int i = 0; i < rd->nfiles; i++) {
		ndjson_reader *r = ndjson_open(rd->files[i]);
		struct chunk *c;
		char *text;
		size_t len;
		int rc;

		if (!r) {
			int e = errno;
			if (!(c = reader_take(rd, rd->names[i] = xstrdup(rd->files[i]))))
				break;
			c->ev = EV_OPEN, c->errnum = e, c->bytes = total;
			if (reader_push(rd, c) < 0)
				break;
			continue;
		}
		rd->names[i] = xstrdup(ndjson_name(r));
		if (!(c = reader_take(rd, rd->names[i]))) {
			ndjson_close(r);
			break;
		}
		while ((rc = ndjson_read(r, &text, &len)) > 0) {
			if (stream_blank(text, len))
				continue;
			c->lines = xgrow(c->lines, c->n + 1, &c->cap, sizeof *c->lines);
			c->lines[c->n++] = (struct line){.off = c->text.len, .len = len, .lineno = ndjson_lineno(r),
							 .bytes = total + ndjson_bytes(r)};
			buf_put(&c->text, text, len);
			buf_putc(&c->text, '\0');
			if (c->n >= CHUNK_LINES || c->text.len >= CHUNK_BYTES) {
				c->bytes = c->lines[c->n - 1].bytes;
				if (reader_push(rd, c) < 0 || !(c = reader_take(rd, rd->names[i])))
					break;
			}
		}
		if (rc > 0) { /* stopped by the caller */
			ndjson_close(r);
			break;
		}
		if (rc < 0)
			c->ev = EV_READ, c->errnum = errno, c->evline = ndjson_lineno(r);
		total += ndjson_bytes(r);
		c->bytes = total;
		ndjson_close(r);
		if (reader_push(rd, c) < 0)
			break;
	}
	opipe_queue_close(rd->q);
	return NULL;
}

static void parse_part(void *arg, size_t from, size_t to, int part)
{
	struct chunk *c = arg;
	char reason[512];

	(void)part;
	for (size_t i = from; i < to; i++) {
		struct line *l = &c->lines[i];
		l->rec = stream_parse(c->text.p + l->off, l->len, reason, sizeof reason);
		if (!l->rec)
			l->reason = xstrdup(reason);
	}
}

static void chunk_end(stream_t *s, struct chunk *c);

/* The lines of c in order, as stream_run's process_line takes them.
 * Returns 1 when the run must stop. */
static int deliver(stream_t *s, struct chunk *c, stream_record_fn fn, void *arg)
{
	s->name = c->name;
	for (size_t i = 0; i < c->n; i++) {
		struct line *l = &c->lines[i];
		int stop;

		s->lineno = l->lineno;
		s->lines++;
		s->line = c->text.p + l->off;
		s->len = l->len;
		if (!l->rec) {
			stop = reject_line(s->name, s->lineno, s->line, s->len, "%s", l->reason);
		} else {
			s->records++;
			s->reason[0] = '\0';
			int rc = fn(s, l->rec, arg);
			json_decref(l->rec);
			l->rec = NULL;
			stop = rc < 0 ? reject_line(s->name, s->lineno, s->line, s->len, "%s",
						    s->reason[0] ? s->reason : "rejected")
				      : s->stop;
		}
		if (stop)
			return 1;
		s->bytes = l->bytes;
		progress_update((unsigned long long)s->records, s->bytes);
	}
	chunk_end(s, c);
	return 0;
}

/* After c's lines: its input bytes, and what the reader met. */
static void chunk_end(stream_t *s, struct chunk *c)
{
	s->bytes = c->bytes;
	errno = c->errnum;
	if (c->ev == EV_OPEN)
		log_error("%s:", c->name);
	else if (c->ev == EV_READ)
		log_error("%s: read error after line %ld:", c->name, c->evline);
	if (c->ev != EV_NONE)
		s->io_error = 1;
}

/* What a run does with each chunk, on the caller's thread: returns 1
 * when the run must stop. */
typedef int (*chunk_fn)(stream_t *s, opipe_pool *p, struct chunk *c, void *ctx);

/* The reader on its thread, each chunk through each() here, in order. */
static int read_chunks(stream_t *s, char **files, int nfiles, opipe_pool *p, chunk_fn each, void *ctx)
{
	static char *stdin_only[] = {"-"};
	struct reader rd;
	struct chunk *c;
	pthread_t th;
	int stopped = 0;

	if (nfiles == 0) {
		files = stdin_only;
		nfiles = 1;
	}
	rd = (struct reader){.files = files, .nfiles = nfiles, .names = xcalloc((size_t)nfiles, sizeof(char *)),
			     .q = opipe_queue_new(CHUNKS), .spare = opipe_queue_new(CHUNKS)};
	for (int i = 0; i < CHUNKS; i++) {
		c = xcalloc(1, sizeof *c);
		buf_init(&c->text);
		opipe_queue_push(rd.spare, c);
	}
	if (pthread_create(&th, NULL, reader_main, &rd) != 0)
		log_fatal(HERD_EXIT_FAIL, "cannot start a thread:");
	progress_start(s->progress_label, progress_total_of(files, nfiles));
	while (!stopped && (c = opipe_queue_pop(rd.q))) {
		stopped = each(s, p, c, ctx);
		chunk_reset(c);
		if (opipe_queue_push(rd.spare, c) < 0)
			chunk_free(c);
	}
	opipe_queue_close(rd.q); /* a reader still going stops at its next chunk */
	opipe_queue_close(rd.spare);
	pthread_join(th, NULL);
	jx_parse_thread_free(); /* this thread parsed too: its scratch, should it end now */
	while ((c = opipe_queue_pop(rd.q)))
		chunk_free(c);
	while ((c = opipe_queue_pop(rd.spare)))
		chunk_free(c);
	progress_end();
	s->name = NULL;
	for (int i = 0; i < nfiles; i++)
		free(rd.names[i]);
	free(rd.names);
	opipe_queue_free(rd.q);
	opipe_queue_free(rd.spare);
	return stopped;
}

struct run_ctx {
	stream_record_fn fn;
	void *arg;
};

static int run_chunk(stream_t *s, opipe_pool *p, struct chunk *c, void *ctx)
{
	struct run_ctx *r = ctx;

	opipe_pool_for(p, c->n, MIN_PARSE, parse_part, c);
	return deliver(s, c, r->fn, r->arg);
}

int opipe_run(stream_t *s, char **files, int nfiles, opipe_pool *p, stream_record_fn fn, void *arg)
{
	struct run_ctx r = {fn, arg};

	if (opipe_pool_size(p) <= 1)
		return stream_run(s, files, nfiles, fn, arg);
	return read_chunks(s, files, nfiles, p, run_chunk, &r);
}

/* ================================================================ mapping */

struct map_ctx {
	opipe_map_fn fn;
	void *arg;
	struct chunk *c;
	buf_t one; /* one thread: a record's output */
};

/* Lines [from, to) of the chunk: parsed, mapped into this part's buffer. */
static void map_part(void *arg, size_t from, size_t to, int part)
{
	struct map_ctx *m = arg;
	struct chunk *c = m->c;
	int blk = (int)(from / MIN_PARSE);
	buf_t *out = &c->outs[blk];
	char reason[512];

	for (size_t i = from; i < to; i++) {
		struct line *l = &c->lines[i];
		json_t *rec = stream_parse(c->text.p + l->off, l->len, reason, sizeof reason);

		l->part = blk;
		if (!rec) {
			l->reason = xstrdup(reason);
		} else {
			l->parsed = 1;
			reason[0] = '\0';
			l->emitted = m->fn(rec, out, reason, sizeof reason, part, m->arg);
			json_decref(rec);
			if (l->emitted < 0) {
				l->emitted = 0;
				l->reason = xstrdup(reason[0] ? reason : "rejected");
			}
		}
		l->out_end = out->len;
	}
}

static void write_out(const char *p, size_t n)
{
	if (n && fwrite(p, 1, n, stdout) != n)
		log_fatal(HERD_EXIT_FAIL, "write error:");
}

/* The chunk mapped on the pool; then, in order, its rejects reported and
 * counted and its output written, up to the line --strict stops at. */
static int map_chunk(stream_t *s, opipe_pool *p, struct chunk *c, void *ctx)
{
	struct map_ctx *m = ctx;
	size_t i, stop_start = 0;
	int stop = 0;

	int blocks = (int)((c->n + MIN_PARSE - 1) / MIN_PARSE);
	if (c->nouts < blocks) {
		c->outs = xrealloc(c->outs, sizeof *c->outs * (size_t)blocks);
		for (int k = c->nouts; k < blocks; k++)
			buf_init(&c->outs[k]);
		c->nouts = blocks;
	}
	for (int k = 0; k < c->nouts; k++)
		buf_reset(&c->outs[k]);
	m->c = c;
	opipe_pool_for(p, c->n, MIN_PARSE, map_part, m);
	s->name = c->name;
	for (i = 0; i < c->n; i++) {
		struct line *l = &c->lines[i];

		s->lineno = l->lineno;
		s->lines++;
		s->line = c->text.p + l->off;
		s->len = l->len;
		s->records += l->parsed;
		if (l->reason && reject_line(s->name, s->lineno, s->line, s->len, "%s", l->reason)) {
			stop = 1;
			stop_start = i > 0 && c->lines[i - 1].part == l->part ? c->lines[i - 1].out_end : 0;
			break;
		}
		s->emitted += l->emitted;
		s->bytes = l->bytes;
		progress_update((unsigned long long)s->records, s->bytes);
	}
	for (int k = 0; k < c->nouts; k++) {
		if (stop && k == c->lines[i].part) {
			write_out(c->outs[k].p, stop_start);
			break;
		}
		write_out(c->outs[k].p, c->outs[k].len);
	}
	if (!stop)
		chunk_end(s, c);
	return stop;
}

/* One thread: stream_run, each record mapped and written as it comes. */
static int map_record(stream_t *s, json_t *rec, void *arg)
{
	struct map_ctx *m = arg;
	char reason[512] = "";
	int n;

	buf_reset(&m->one);
	n = m->fn(rec, &m->one, reason, sizeof reason, 0, m->arg);
	if (n < 0)
		return stream_reject(s, "%s", reason[0] ? reason : "rejected");
	write_out(m->one.p, m->one.len);
	s->emitted += n;
	return 0;
}

int opipe_map(stream_t *s, char **files, int nfiles, opipe_pool *p, opipe_map_fn fn, void *arg)
{
	struct map_ctx m = {.fn = fn, .arg = arg};
	int rc;

	buf_init(&m.one);
	if (opipe_pool_size(p) <= 1)
		rc = stream_run(s, files, nfiles, map_record, &m);
	else
		rc = read_chunks(s, files, nfiles, p, map_chunk, &m);
	buf_free(&m.one);
	return rc;
}

/* ================================================================ writing */

struct opipe_writer {
	stream_t *s;
	opipe_pool *pool;
	buf_t *bufs;   /* one per block of MIN_DUMP records */
	size_t nbufs;
	json_t **recs; /* the batch being serialized */
};

static void dump_part(void *arg, size_t from, size_t to, int worker)
{
	opipe_writer *w = arg;
	buf_t *b = &w->bufs[from / MIN_DUMP];

	for (size_t i = from; i < to; i++) {
		ndjson_dump(b, w->recs[i]);
		buf_putc(b, '\n');
		json_decref(w->recs[i]);
	}
}

opipe_writer *opipe_writer_new(stream_t *s, opipe_pool *p)
{
	opipe_writer *w = xcalloc(1, sizeof *w);

	w->s = s;
	w->pool = p;
	return w;
}

void opipe_writer_put(opipe_writer *w, json_t *const *recs, size_t n)
{
	size_t blocks = (n + MIN_DUMP - 1) / MIN_DUMP;

	if (blocks > w->nbufs) {
		w->bufs = xrealloc(w->bufs, sizeof *w->bufs * blocks);
		for (size_t k = w->nbufs; k < blocks; k++)
			buf_init(&w->bufs[k]);
		w->nbufs = blocks;
	}
	for (size_t k = 0; k < blocks; k++)
		buf_reset(&w->bufs[k]);
	w->recs = (json_t **)recs;
	opipe_pool_for(w->pool, n, MIN_DUMP, dump_part, w);
	for (size_t k = 0; k < blocks; k++)
		write_out(w->bufs[k].p, w->bufs[k].len);
	w->s->emitted += (long)n;
}

void opipe_writer_free(opipe_writer *w)
{
	if (!w)
		return;
	for (size_t k = 0; k < w->nbufs; k++)
		buf_free(&w->bufs[k]);
	free(w->bufs);
	free(w);
}
