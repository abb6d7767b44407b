/*
 * optim.h — the training loop's arithmetic on a parameter block
 * (train.h's bert_tmodel): AdamW with decoupled weight decay (PyTorch's
 * torch.optim.AdamW, step for step), the learning-rate schedule (linear
 * warmup, then linear or cosine decay to 0, or constant), optional
 * layer-wise learning-rate decay, and clipping by the global gradient
 * norm (torch.nn.utils.clip_grad_norm_). Frozen tensors are skipped.
 * No I/O; the state is two float arrays a checkpoint saves (ckpt.c).
 */
#ifndef HERD_BERT_OPTIM_H
#define HERD_BERT_OPTIM_H

#include "bert/train.h"

enum bert_sched { BERT_SCHED_LINEAR, BERT_SCHED_COSINE, BERT_SCHED_CONSTANT };

struct bert_optim_opts {
	double lr;           /* peak learning rate */
	double weight_decay; /* decoupled, on 2-D tensors only */
	double beta1, beta2, eps;
	double clip;         /* max global gradient norm; 0 = no clipping */
	double llrd;         /* layer-wise decay: layer l's rate × llrd^(L-1-l), embeddings × llrd^L; 1 = off */
	long warmup;         /* steps of linear warmup from 0 */
	long total;          /* steps in all (the decay reaches 0 there) */
	enum bert_sched sched;
};

struct bert_adamw {
	struct bert_optim_opts o;
	size_t P;
	float *m, *v; /* (P) first and second moments */
	long step;    /* steps taken */
};

/* Zeroed state for a block of P floats. Free with bert_adamw_free. */
struct bert_adamw *bert_adamw_new(const struct bert_optim_opts *o, size_t P);
void bert_adamw_free(struct bert_adamw *a);
/* The learning rate at step s (0-based: the step about to be taken). */
double bert_lr_at(const struct bert_optim_opts *o, long s);
/* The global L2 norm of m's gradients (frozen tensors out). */
double bert_grad_norm(const struct bert_tmodel *m);
/* Clip (when o.clip > 0), then one AdamW step at bert_lr_at(step) on every
 * tensor not frozen; step++. Returns the gradient norm before clipping. */
double bert_adamw_step(struct bert_adamw *a, struct bert_tmodel *m);

#endif
