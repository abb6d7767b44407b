/*
 * train_driver.c — times the training room's step (src/bert/train.c:
 * forward, backward, AdamW over every weight, i.e. full fine-tuning) for
 * scripts/bench-train.sh: loads a model directory (bert_load: BERT or
 * MPNet by config.json's model_type; bench-train.sh gives it the bare
 * encoder, as an adapter beside it would be merged), takes the first B
 * sequences of a file of token ids (one sequence per line, BERT's
 * [CLS] … [SEP] or MPNet's <s> … </s> included) as one packed batch
 * with made-up labels, runs one warm-up step and then R timed steps,
 * and prints the best and median milliseconds per step, the losses, and
 * the process's peak RSS.
 * Not built by make: bench-train.sh builds it against build/libbert.a.
 *
 *   train_driver DIR IDS B R THREADS
 */
#include "bert/bert.h"
#include "bert/model.h"
#include "bert/optim.h"
#include "bert/train.h"
#include "lib/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	if (argc != 6) {
		fprintf(stderr, "usage: train_driver DIR IDS B R THREADS\n");
		return 2;
	}
	int B = atoi(argv[3]), R = atoi(argv[4]), threads = atoi(argv[5]);
	char err[512];
	struct bert_options bo = {.device = BERT_DEVICE_CPU, .threads = 1};
	bert_model *bm = bert_load(argv[1], &bo, err, sizeof err);
	if (!bm) {
		fprintf(stderr, "train_driver: %s\n", err);
		return 1;
	}
	FILE *f = fopen(argv[2], "r");
	if (!f) {
		fprintf(stderr, "train_driver: %s: cannot open\n", argv[2]);
		return 1;
	}
	int32_t *ids = NULL;
	size_t n = 0, cap = 0;
	int *offsets = xmalloc(sizeof(int) * (size_t)(B + 1)), *labels = xmalloc(sizeof(int) * (size_t)B), b = 0;
	char *line = NULL;
	size_t lcap = 0;
	offsets[0] = 0;
	while (b < B && getline(&line, &lcap, f) > 0) {
		for (char *p = line, *end; (void)(end = NULL), *p && *p != '\n'; p = end) {
			long v = strtol(p, &end, 10);
			if (end == p)
				break;
			ids = xgrow(ids, n + 1, &cap, sizeof *ids);
			ids[n++] = (int32_t)v;
		}
		labels[b] = b % 3;
		offsets[++b] = (int)n;
	}
	fclose(f);
	free(line);
	B = b;
	struct bert_config cfg = *bert_get_config(bm);
	cfg.labels = 3;
	struct bert_tmodel *m = bert_tmodel_new(&cfg, 0);
	bert_tmodel_from_weights(m, bert_get_weights(bm), 0);
	bert_free(bm); /* the training copy is all a step needs */
	for (size_t i = 0; i < m->t[bert_tmodel_index(m, cfg.layers, BT_CLS_W)].n; i++)
		m->param[m->t[bert_tmodel_index(m, cfg.layers, BT_CLS_W)].off + i] = 0.01f * (float)((int)(i % 7) - 3);
	struct bert_optim_opts oo = {.lr = 2e-5, .weight_decay = 0.01, .beta1 = 0.9, .beta2 = 0.999, .eps = 1e-8,
				     .clip = 1.0, .llrd = 1, .total = R + 1, .sched = BERT_SCHED_CONSTANT};
	struct bert_adamw *a = bert_adamw_new(&oo, m->P);
	struct bert_trainer *t = bert_trainer_new(m, threads, 0.1f, 0.1f);
	double *ms = xmalloc(sizeof(double) * (size_t)(R + 1)), first = 0, last = 0;
	for (int r = 0; r <= R; r++) {
		double t0 = herd_now_mono();
		memset(m->grad, 0, sizeof(float) * m->P);
		double loss = bert_trainer_step(t, B, ids, offsets, labels, NULL, 1, (uint64_t)r, 1.0f, NULL);
		bert_adamw_step(a, m);
		ms[r] = (herd_now_mono() - t0) * 1e3;
		if (r == 0)
			first = loss;
		last = loss;
	}
	qsort(ms + 1, (size_t)R, sizeof *ms, cmp_double);
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	printf("herd B=%d N=%zu threads=%d best_ms=%.1f median_ms=%.1f loss0=%.4f loss%d=%.4f peak_rss_mb=%.0f\n", B, n,
	       bert_trainer_threads(t), ms[1], ms[1 + R / 2], first, R, last, ru.ru_maxrss / 1024.0);
	bert_trainer_free(t);
	bert_adamw_free(a);
	bert_tmodel_free(m);
	free(ids), free(offsets), free(labels), free(ms);
	return 0;
}
