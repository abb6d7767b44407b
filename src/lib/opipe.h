/*
 * opipe.h — the pieces of an ordered pipeline, for a filter whose work per
 * record is worth several cores (herd-score): a thread reads lines ahead,
 * JSON is parsed and records serialized on a pool of threads, while the
 * caller's other threads do their own stage (a model) in between. Output order is input order; rejects, line
 * numbers, --rejects, --strict, progress and exit codes are exactly those
 * of stream_run (stream.h), whose callback interface opipe_run keeps.
 *
 *   opipe_pool *p = opipe_pool_new(threads);
 *   opipe_writer *w = opipe_writer_new(&s, p);
 *   opipe_run(&s, files, nfiles, p, on_record, ctx);   // on_record gathers
 *   ...                                                // records, hands them to w
 *   opipe_writer_free(w); opipe_pool_free(p);
 * or, for a filter whose work is record by record, opipe_map.
 *
 * With one thread nothing is started: opipe_run and opipe_map are
 * stream_run, so a run with --threads 1 is the plain loop. Not a general
 * task system: one job at a time per pool.
 */
#ifndef HERD_OPIPE_H
#define HERD_OPIPE_H

#include "buf.h"
#include "stream.h"
#include "tpool.h"

#include <jansson.h>
#include <stddef.h>

/* ------------------------------------------------------------ pool */

/* threads - 1 workers waiting for jobs, the caller being the last one.
 * Never fails (no thread left is fatal). Free with opipe_pool_free. */
typedef struct opipe_pool opipe_pool;
opipe_pool *opipe_pool_new(int threads);
int opipe_pool_size(const opipe_pool *p);
/* Its threads, for code that takes a tpool (src/bert/window.h); NULL for NULL. */
tpool *opipe_pool_threads(opipe_pool *p);
/* tpool_for (tpool.h) on the pool's threads: fn(arg, from, to, worker)
 * on [0, n) in blocks of block items handed out as threads come free. */
void opipe_pool_for(opipe_pool *p, size_t n, size_t block,
		    void (*fn)(void *arg, size_t from, size_t to, int worker), void *arg);
/* Stops and joins the workers; NULL does nothing. */
void opipe_pool_free(opipe_pool *p);

/* ------------------------------------------------------------ queue */

/* A bounded FIFO of pointers between two threads. Free with
 * opipe_queue_free once both sides are done with it. */
typedef struct opipe_queue opipe_queue;
opipe_queue *opipe_queue_new(size_t cap);
/* Append item, waiting while the queue is full. Returns 0, or -1 when
 * the queue was closed (the item was not taken: the caller still owns it). */
int opipe_queue_push(opipe_queue *q, void *item);
/* The oldest item, waiting while the queue is empty; NULL once the queue
 * is closed and empty. */
void *opipe_queue_pop(opipe_queue *q);
/* No more items: pops return what is left, then NULL; pushes fail. */
void opipe_queue_close(opipe_queue *q);
void opipe_queue_free(opipe_queue *q);

/* ------------------------------------------------------------ reading */

/* stream_run (stream.h) with lines read ahead by a thread of their own and
 * parsed on pool p; fn is called in input order on the calling thread, as
 * stream_run calls it (s->name, s->lineno, s->line valid), and may use p
 * itself. A NULL pool, or one of one thread, is stream_run. */
int opipe_run(stream_t *s, char **files, int nfiles, opipe_pool *p, stream_record_fn fn, void *arg);

/* A filter whose work is record by record (herd-score with VADER alone):
 * fn writes rec's output to out (NDJSON lines, each ending in "\n") and
 * returns how many records it wrote, or -1 with the reason to reject the
 * line in reason. Called on the pool's threads, part (< the pool's size)
 * naming the thread, for scratch space of its own; rec is borrowed. */
typedef int (*opipe_map_fn)(json_t *rec, buf_t *out, char *reason, size_t reasonlen, int part, void *arg);
/* stream_run for such a filter: lines read ahead by a thread, parsed,
 * mapped and freed on pool p (a record stays on one thread from its
 * parse to its free: malloc likes that best), then, in input order,
 * rejects reported and output written to stdout (a write error exits 1).
 * A NULL pool, or one of one thread: stream_run, record after record. */
int opipe_map(stream_t *s, char **files, int nfiles, opipe_pool *p, opipe_map_fn fn, void *arg);

/* ------------------------------------------------------------ writing */

/* Writes records to stdout as stream_emit does (counted in s->emitted;
 * a write error prints "write error: ..." and exits 1), serialized on
 * pool p's threads (the caller's pool, not busy meanwhile), written in the
 * order given. Free with opipe_writer_free. */
typedef struct opipe_writer opipe_writer;
opipe_writer *opipe_writer_new(stream_t *s, opipe_pool *p);
/* Write recs[0..n) and drop the references (the array stays the caller's). */
void opipe_writer_put(opipe_writer *w, json_t *const *recs, size_t n);
/* NULL does nothing. */
void opipe_writer_free(opipe_writer *w);

#endif
