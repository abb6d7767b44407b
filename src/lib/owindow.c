/*
 * owindow.c — records in windows through a model, pipelined (owindow.h).
 */
#include "owindow.h"
#include "log.h"
#include "util.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define WINDOWS 3 /* one filled, one run, one written */

/* A window of records: the reading thread fills it and prepares it, the
 * calling thread runs the model on it, the reading thread finishes and
 * writes it, and fills it again. */
struct window {
	json_t **recs;    /* records in input order (references held) */
	size_t nrecs, cap;
	json_t **items;   /* the items among them, in order */
	size_t *off;      /* each item's text in text */
	size_t *len;
	const char **texts;
	size_t nitems;
	buf_t text;       /* texts of the items, back to back */
	void *prep[OWINDOW_STAGES]; /* per stage: what its prepare() made */
	int scored;       /* back from the calling thread, to be written */
};

struct pipeline {
	const struct owindow_opts *o;
	struct window *w;   /* the window being filled */
	opipe_queue *q;     /* windows to run; NULL: one thread does all */
	opipe_queue *done;  /* windows run, or new: to write, then fill */
	opipe_writer *out;  /* on the reading thread's pool */
	stream_t *s;
	char **files;
	int nfiles;
};

static double cpu_seconds(void)
{
	struct timespec t;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static struct window *window_new(void)
{
	struct window *w = xcalloc(1, sizeof *w);

	buf_init(&w->text);
	return w;
}

/* Frees the window and the records it still holds; NULL does nothing. */
static void window_free(struct window *w)
{
	if (!w)
		return;
	for (size_t i = 0; i < w->nrecs; i++)
		json_decref(w->recs[i]);
	free(w->recs), free(w->items), free(w->off), free(w->len), free(w->texts);
	buf_free(&w->text);
	free(w);
}

/* On the calling thread: the model(s) on the window's items. */
static void window_score(struct pipeline *p, struct window *w)
{
	char err[512];

	for (int k = 0; k < p->o->nstages && w->nitems > 0; k++) {
		struct owindow_stage *st = p->o->stages[k];
		double t0 = p->o->timed ? cpu_seconds() : 0;
		if (st->run && st->run(st, w->prep[k], err, sizeof err) < 0)
			log_fatal(HERD_EXIT_FAIL, "%s: %s", st->name, err);
		if (p->o->timed)
			st->seconds += cpu_seconds() - t0;
	}
	w->scored = 1;
}

/* On the reading thread: the fields set, the records written (and let
 * go), the window emptied for the next records. */
static void window_write(struct pipeline *p, struct window *w)
{
	for (int k = 0; k < p->o->nstages && w->nitems > 0; k++) {
		struct owindow_stage *st = p->o->stages[k];
		double t0 = p->o->timed ? cpu_seconds() : 0;
		if (st->finish)
			st->finish(st, w->prep[k], w->items, w->texts, w->len, w->nitems);
		st->texts += (long)w->nitems;
		if (p->o->timed)
			st->prep_seconds += cpu_seconds() - t0;
	}
	opipe_writer_put(p->out, w->recs, w->nrecs);
	w->nrecs = w->nitems = 0;
	buf_reset(&w->text);
	memset(w->prep, 0, sizeof w->prep);
	w->scored = 0;
}

/* On the reading thread: prepare the window being filled and hand it to
 * the calling thread (or run and write it here); take the next one to
 * fill, writing it first if it comes back run. */
static void window_send(struct pipeline *p)
{
	struct window *w = p->w;

	if (w->nrecs == 0)
		return;
	for (size_t i = 0; i < w->nitems; i++)
		w->texts[i] = w->text.p + w->off[i];
	for (int k = 0; k < p->o->nstages && w->nitems > 0; k++) {
		struct owindow_stage *st = p->o->stages[k];
		double t0 = p->o->timed ? cpu_seconds() : 0;
		if (st->prepare)
			w->prep[k] = st->prepare(st, w->items, w->texts, w->len, w->nitems);
		if (p->o->timed)
			st->prep_seconds += cpu_seconds() - t0;
	}
	if (!p->q) {
		window_score(p, w);
		window_write(p, w);
		return;
	}
	if (opipe_queue_push(p->q, w) < 0 || !(p->w = opipe_queue_pop(p->done)))
		log_fatal(HERD_EXIT_FAIL, "the scoring thread has stopped"); /* never: the queues close at the end */
	if (p->w->scored)
		window_write(p, p->w);
}

static void window_add(struct window *w, json_t *rec, int item)
{
	if (w->nrecs == w->cap) {
		w->cap = w->cap ? w->cap * 2 : 64;
		w->recs = xrealloc(w->recs, w->cap * sizeof *w->recs);
		w->items = xrealloc(w->items, w->cap * sizeof *w->items);
		w->off = xrealloc(w->off, w->cap * sizeof *w->off);
		w->len = xrealloc(w->len, w->cap * sizeof *w->len);
		w->texts = xrealloc(w->texts, w->cap * sizeof *w->texts);
	}
	w->recs[w->nrecs++] = json_incref(rec);
	if (item)
		w->items[w->nitems++] = rec;
}

static int on_record(stream_t *s, json_t *rec, void *arg)
{
	struct pipeline *p = arg;
	struct window *w = p->w;
	size_t at = w->text.len;
	int item = p->o->text(rec, &w->text, s->reason, sizeof s->reason);

	if (item < 0) {
		w->text.len = at;
		return -1;
	}
	window_add(w, rec, item);
	if (!item) {
		if (w->nitems == 0 && w->nrecs >= p->o->window)
			window_send(p); /* no item waits: cut anywhere, the batches stay the same */
		return 0;
	}
	w->off[w->nitems - 1] = at;
	w->len[w->nitems - 1] = w->text.len - at;
	if (w->nitems >= p->o->window)
		window_send(p);
	return 0;
}

/* The reading thread's run: records into windows, sent; at the end, the
 * windows still out written as they come back. */
static void *read_main(void *arg)
{
	struct pipeline *p = arg;
	struct window *w;

	opipe_run(p->s, p->files, p->nfiles, p->o->pool, on_record, p);
	window_send(p);
	if (p->q) {
		window_free(p->w);
		p->w = NULL;
		opipe_queue_close(p->q);
		while ((w = opipe_queue_pop(p->done))) {
			if (w->scored)
				window_write(p, w);
			window_free(w);
		}
	}
	return NULL;
}

void owindow_run(stream_t *s, char **files, int nfiles, const struct owindow_opts *o)
{
	struct pipeline p = {.o = o, .s = s, .files = files, .nfiles = nfiles};

	p.w = window_new();
	p.out = opipe_writer_new(s, o->pool);
	if (o->threads == 1) {
		read_main(&p);
	} else {
		pthread_t reading;
		struct window *w;
		p.q = opipe_queue_new(1);
		p.done = opipe_queue_new(WINDOWS);
		for (int i = 0; i < WINDOWS - 1; i++)
			opipe_queue_push(p.done, window_new());
		if (pthread_create(&reading, NULL, read_main, &p) != 0)
			log_fatal(HERD_EXIT_FAIL, "cannot start the reading thread:");
		while ((w = opipe_queue_pop(p.q))) {
			window_score(&p, w);
			opipe_queue_push(p.done, w);
		}
		opipe_queue_close(p.done); /* the reading thread writes what is left and ends */
		pthread_join(reading, NULL);
		opipe_queue_free(p.q);
		opipe_queue_free(p.done);
	}
	opipe_writer_free(p.out);
	window_free(p.w);
}
