/*
 * export.h — writes a model the training room trained (train.h) as a
 * model directory that bert_load, herd-score and Hugging Face
 * transformers read (export.c says which files). herd-train is the caller.
 */
#ifndef HERD_BERT_EXPORT_H
#define HERD_BERT_EXPORT_H

#include "bert/train.h"

#include <stddef.h>

struct bert_export {
	const char *out_dir;   /* created when absent; files replaced one by one, atomically */
	const char *base_dir;  /* the model trained from (vocab.txt, tokenizer_config.json; LoRA: all of it) */
	const char *base_hash; /* LoRA: the hash of the base's model.safetensors */
	const char *name;      /* herd.json's name: herd-score's "model" */
	char labels[BERT_MAX_LABELS][BERT_LABEL_LEN];
	float hidden_dropout, attn_dropout; /* for config.json */
	float lora_alpha;
	int f16;               /* adapter and head in F16 */
};

/* Write m to x->out_dir. Returns 0, or -1 with "path: reason" in err. */
int bert_export_dir(const struct bert_tmodel *m, const struct bert_export *x, char *err, size_t errlen);

#endif
