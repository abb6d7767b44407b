/*
 * owindow.h — records in windows through a model, pipelined (issue 4:
 * keep the model fed). Records wait in a window until it holds `window`
 * items (records with a text to score) or the input ends; each window
 * goes through the stages (herd-score's scorers: BERT, VADER) and is
 * written in input order. Three windows go round: while the calling
 * thread runs the model on one (the model runs where it was loaded, as
 * the CPU engine's GEMM library wants its threads set up), a reading
 * thread reads, parses and prepares the next (tokens) and finishes and
 * writes the one before, spreading its work over the pool (opipe.h).
 * With one thread it is one loop: fill, prepare, run, finish, write.
 *
 * Rejects, line numbers, --rejects, --strict, progress and exit codes
 * are stream_run's (stream.h). JSON and stream work only: what a stage
 * does with its texts is the stage's.
 */
#ifndef HERD_OWINDOW_H
#define HERD_OWINDOW_H

#include "buf.h"
#include "opipe.h"
#include "stream.h"

#include <jansson.h>
#include <stddef.h>

/* A stage sets its fields on a window's items (items[i], whose text is
 * texts[i][0..lens[i])) in up to three steps, each may be NULL. prepare,
 * on the reading thread while the window before is run, does the CPU's
 * share before the model and returns what run needs. run, on the calling
 * thread, runs the model and nothing else (a GPU waits for no JSON): 0, or
 * -1 with a message in err (fatal). finish, on the reading thread before
 * the window is written, sets the fields and frees what prepare made;
 * stages finish in order, so fields keep their order. The counters are
 * owindow_run's: texts passed, and (when timed) CPU seconds in run and in
 * prepare + finish. */
struct owindow_stage {
	const char *name;
	void *(*prepare)(struct owindow_stage *st, json_t *const *items, const char *const *texts,
			 const size_t *lens, size_t n);
	int (*run)(struct owindow_stage *st, void *prep, char *err, size_t errlen);
	void (*finish)(struct owindow_stage *st, void *prep, json_t *const *items, const char *const *texts,
		       const size_t *lens, size_t n);
	long texts;
	double seconds, prep_seconds;
};

/* Is rec an item? 1: yes, its text appended to b; 0: no, it passes
 * through as it is; -1: rejected, the reason in reason. */
typedef int (*owindow_text_fn)(json_t *rec, buf_t *b, char *reason, size_t reasonlen);

#define OWINDOW_STAGES 2

struct owindow_opts {
	size_t window;   /* items per window (>= 1) */
	int threads;     /* 1: no pipeline, one window after the other */
	int timed;       /* count CPU seconds in the stages */
	opipe_pool *pool; /* the reading thread's (parsing, preparing, writing) */
	owindow_text_fn text;
	struct owindow_stage *stages[OWINDOW_STAGES];
	int nstages;
};

/* Read files (stdin when none) as stream_run does, records through the
 * stages in windows, all written to stdout in input order. */
void owindow_run(stream_t *s, char **files, int nfiles, const struct owindow_opts *o);

#endif
