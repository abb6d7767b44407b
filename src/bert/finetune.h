/*
 * finetune.h — the training loop over the training room (train.h): epochs
 * of shuffled batches, AdamW (optim.h) with its schedule over the whole
 * run, LoRA adapters formed and differentiated around each step (lora.h)
 * when the model has them, the validation loss after each epoch, early
 * stopping on it (the best epoch's parameters are kept), and a checkpoint
 * after each epoch (safetensors: the trained parameters, AdamW's moments,
 * the best parameters so far, the counters and the loss history; no
 * timings, so its bytes depend on the run alone) that a later run resumes from. Everything random is a function of the seed,
 * the epoch and the step, never of a generator's running state, so a run
 * killed at any moment and resumed from its last checkpoint ends with the
 * same bytes as a run never interrupted (same seed, same threads).
 * herd-train is the caller; no printing (progress through callbacks).
 */
#ifndef HERD_BERT_FINETUNE_H
#define HERD_BERT_FINETUNE_H

#include "bert/optim.h"
#include "bert/train.h"

#include <stddef.h>
#include <stdint.h>

#define BERT_FT_MAX_EPOCHS 256
#define BERT_CKPT_FORMAT "herd-train-checkpoint-1"

/* Labelled token sequences (from bert_tokenize). */
struct bert_ft_set {
	size_t n;
	const int32_t *const *ids;
	const int *lens;
	const int *labels;
};

struct bert_ft_epoch {
	int epoch;                  /* 1-based */
	double train_loss, val_loss, val_acc;
	double seconds;             /* this epoch's training and validation; -1 when it ran before a resume */
};

struct bert_ft_opts {
	int epochs, batch, patience, threads;
	unsigned long long seed;
	float hidden_dropout, attn_dropout;
	struct bert_optim_opts optim; /* total and warmup in steps: bert_finetune fills total */
	double warmup_frac;           /* warmup as a share of all steps (when optim.warmup is 0) */
	struct bert_loss_opts loss;
	float lora_alpha;             /* with m->lora_rank > 0 */
	const char *checkpoint;       /* written after each epoch when not NULL */
	int resume;                   /* start from checkpoint when it exists */
	const char *fingerprint;      /* a checkpoint made with another must not be resumed */
	void (*on_epoch)(const struct bert_ft_epoch *e, int best, void *arg);
	void (*on_batch)(size_t done, size_t total, double loss, void *arg);
	void *arg;
};

struct bert_ft_result {
	int epochs_run, best_epoch, resumed_from; /* resumed_from: 0 when not resumed */
	double best_val_loss;
	long steps;
	struct bert_ft_epoch hist[BERT_FT_MAX_EPOCHS];
	int nhist;
	double seconds; /* this process's training time */
};

/* Train m on tr, validating on va; on return m holds the best epoch's
 * parameters (for LoRA: the adapters, and the weights formed from them).
 * Returns 0, or -1 with a message in err (a checkpoint that is corrupt or
 * made for another run: nothing is trained then). */
int bert_finetune(struct bert_tmodel *m, const struct bert_ft_set *tr, const struct bert_ft_set *va,
		  const struct bert_ft_opts *o, struct bert_ft_result *res, char *err, size_t errlen);

/* The mean cross-entropy of s under m, dropout off, and each
 * sequence's predicted label into pred (may be NULL). */
double bert_ft_eval(struct bert_trainer *t, const struct bert_ft_set *s, int batch, int *pred);

#endif
