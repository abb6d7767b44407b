/*
 * tpool.c — the thread pool of tpool.h. A job's fields are written under
 * mu and read by a worker after it saw gen change, also under mu; the
 * caller waits on done until no worker is pending.
 */
#include "tpool.h"
#include "util.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct tpool {
	int n;             /* threads, the caller included */
	pthread_t *th;     /* th[1..n) */
	pthread_mutex_t mu;
	pthread_cond_t go, done;
	unsigned long gen; /* bumped for each job */
	int pending;       /* workers still on the job */
	int quit;
	void (*fn)(void *ctx, int worker, int n);
	void *ctx;
	void (*start)(void), (*stop)(void);
};

struct tpool_worker {
	tpool *p;
	int worker;
};

static void *worker_main(void *arg)
{
	struct tpool_worker *tw = arg;
	tpool *p = tw->p;
	int worker = tw->worker;
	unsigned long seen = 0;

	free(tw);
	if (p->start)
		p->start();
	pthread_mutex_lock(&p->mu);
	for (;;) {
		while (p->gen == seen && !p->quit)
			pthread_cond_wait(&p->go, &p->mu);
		if (p->quit)
			break;
		seen = p->gen;
		void (*fn)(void *, int, int) = p->fn;
		void *ctx = p->ctx;
		pthread_mutex_unlock(&p->mu);
		fn(ctx, worker, p->n);
		pthread_mutex_lock(&p->mu);
		if (--p->pending == 0)
			pthread_cond_signal(&p->done);
	}
	pthread_mutex_unlock(&p->mu);
	if (p->stop)
		p->stop();
	return NULL;
}

tpool *tpool_new(int n, void (*start)(void), void (*stop)(void))
{
	tpool *p = xcalloc(1, sizeof *p);

	p->n = n > 1 ? n : 1;
	p->start = start, p->stop = stop;
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->go, NULL);
	pthread_cond_init(&p->done, NULL);
	p->th = xcalloc((size_t)p->n, sizeof *p->th);
	for (int i = 1; i < p->n; i++) {
		struct tpool_worker *tw = xmalloc(sizeof *tw);
		tw->p = p, tw->worker = i;
		int e = pthread_create(&p->th[i], NULL, worker_main, tw);
		if (e != 0) {
			fprintf(stderr, "herd: cannot start a thread: %s\n", strerror(e));
			exit(HERD_EXIT_FAIL);
		}
	}
	return p;
}

int tpool_size(const tpool *p)
{
	return p ? p->n : 1;
}

void tpool_run(tpool *p, void (*fn)(void *ctx, int worker, int n), void *ctx)
{
	if (p->n == 1) {
		fn(ctx, 0, 1);
		return;
	}
	pthread_mutex_lock(&p->mu);
	p->fn = fn, p->ctx = ctx;
	p->pending = p->n - 1;
	p->gen++;
	pthread_cond_broadcast(&p->go);
	pthread_mutex_unlock(&p->mu);
	fn(ctx, 0, p->n);
	pthread_mutex_lock(&p->mu);
	while (p->pending)
		pthread_cond_wait(&p->done, &p->mu);
	pthread_mutex_unlock(&p->mu);
}

/* A tpool_for job: blocks handed out through next alone. */
struct tpool_for_job {
	void (*fn)(void *arg, size_t from, size_t to, int worker);
	void *arg;
	size_t total, block; /* [0, total) in blocks of block */
	size_t next;         /* the next block to take (atomic) */
};

static void for_work(void *ctx, int worker, int n)
{
	struct tpool_for_job *j = ctx;

	(void)n;
	for (;;) {
		size_t from = __atomic_fetch_add(&j->next, 1, __ATOMIC_RELAXED) * j->block;
		if (from >= j->total)
			return;
		j->fn(j->arg, from, from + j->block < j->total ? from + j->block : j->total, worker);
	}
}

void tpool_for(tpool *p, size_t n, size_t block, void (*fn)(void *arg, size_t from, size_t to, int worker), void *arg)
{
	if (block == 0)
		block = 1;
	if (tpool_size(p) <= 1 || n <= block) {
		if (n)
			fn(arg, 0, n, 0);
		return;
	}
	struct tpool_for_job j = {fn, arg, n, block, 0};
	tpool_run(p, for_work, &j);
}

void tpool_free(tpool *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->mu);
	p->quit = 1;
	pthread_cond_broadcast(&p->go);
	pthread_mutex_unlock(&p->mu);
	for (int i = 1; i < p->n; i++)
		pthread_join(p->th[i], NULL);
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->go);
	pthread_cond_destroy(&p->done);
	free(p->th);
	free(p);
}
