/*
 * tpool.h — a fixed pool of threads that runs one job at a time on all of
 * them: tpool_run(p, fn, ctx) calls fn(ctx, worker, n) on every thread,
 * the caller being worker 0, and returns when all are done. The BERT
 * engine's layers (src/bert/cpu.c: GEMM row blocks handed out, rows
 * split) and opipe's blocks (src/lib/opipe.c: blocks handed out as
 * threads come free) are both built on it. Depends on pthreads and util alone, so src/bert can
 * use it.
 */
#ifndef HERD_TPOOL_H
#define HERD_TPOOL_H

typedef struct tpool tpool;

/* n threads in all (the caller included; n < 1 is 1). Each new thread
 * calls start() first and stop() last, when not NULL: per-thread settings
 * and scratch (the caller's thread is the caller's business). No thread
 * left to start is fatal. */
tpool *tpool_new(int n, void (*start)(void), void (*stop)(void));
int tpool_size(const tpool *p);
/* fn(ctx, worker, n) on every thread; returns when every call has. */
void tpool_run(tpool *p, void (*fn)(void *ctx, int worker, int n), void *ctx);
void tpool_free(tpool *p);

#endif
