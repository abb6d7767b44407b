/*
 * tpool.h — a fixed pool of threads that runs one job at a time on all of
 * them: tpool_run(p, fn, ctx) calls fn(ctx, worker, n) on every thread,
 * the caller being worker 0, and returns when all are done. The BERT
 * engine's layers (src/bert/cpu.c: GEMM row blocks handed out, rows
 * split), tpool_for's blocks handed out as threads come free (opipe's
 * parsing and writing, src/bert/window.c's tokenizing) are built on it. Depends on pthreads and util alone, so src/bert can
 * use it.
 */
#ifndef HERD_TPOOL_H
#define HERD_TPOOL_H

#include <stddef.h>

typedef struct tpool tpool;

/* n threads in all (the caller included; n < 1 is 1). Each new thread
 * calls start() first and stop() last, when not NULL: per-thread settings
 * and scratch (the caller's thread is the caller's business). No thread
 * left to start is fatal. */
tpool *tpool_new(int n, void (*start)(void), void (*stop)(void));
int tpool_size(const tpool *p);
/* fn(ctx, worker, n) on every thread; returns when every call has. */
void tpool_run(tpool *p, void (*fn)(void *ctx, int worker, int n), void *ctx);
/* fn(arg, from, to, worker) on [0, n) in blocks of block items (the last
 * one shorter), handed out to the threads as they come free (a thread
 * the machine puts aside holds up no one): the caller is worker 0, the
 * others 1 .. tpool_size - 1 (for scratch of their own). A block starts
 * at a multiple of block, so from / block numbers it. n <= block, one
 * thread, or a NULL pool: one call fn(arg, 0, n, 0). Returns when all are
 * done. */
void tpool_for(tpool *p, size_t n, size_t block, void (*fn)(void *arg, size_t from, size_t to, int worker), void *arg);
void tpool_free(tpool *p);

#endif
