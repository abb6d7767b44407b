/*
 * metrics.h — Prometheus text-format metrics for batch jobs: every herd
 * program takes `--prometheus FILE` (cli.c) and, at exit, writes what the run
 * did there for node_exporter's textfile collector: when it started, how
 * long it took, its exit status, the last time it succeeded, records in,
 * out and rejected, plus gauges the program adds (per-channel deliveries,
 * rows deleted, budget left…).
 *
 * The file is written whole under a temporary name beside FILE and renamed
 * over it, so the collector never reads half a file; name it *.prom in the
 * collector's directory (the temporary name does not end in .prom). Every
 * sample carries program="herd-X" and task="FILE's name without .prom",
 * so the files of different programs, and of one program run at several
 * places of a pipeline (one file each), merge without clashing series.
 *
 * Written from an exit hook (on_exit), so a run that fails or calls
 * log_fatal still leaves a file saying so. Nothing here affects the exit
 * status: a metrics file that cannot be written is reported on stderr.
 * Reading the clock here is bookkeeping about the run, like logging.
 */
#ifndef HERD_METRICS_H
#define HERD_METRICS_H

/* --prometheus FILE: remember the path, start the run's clock and arrange for
 * the file to be written at exit. Exits 2 (usage) when FILE's directory
 * does not exist. Calling it again replaces the path. */
void metrics_open(const char *path);
/* 1 when --prometheus was given. */
int metrics_enabled(void);

/* The run's record counts (stream_finish sets them from its totals);
 * rejected comes from reject_count(). Counts never set are not written. */
void metrics_set_records(long long in, long long out);

/*
 * Set a gauge: name (Prometheus charset, e.g. "herd_alert_sent"), its help
 * text (one line), an optional extra label (label and value may be NULL;
 * not "program" or "task") beside program and task, and the value. Setting the same name and label value
 * again replaces the value. The first help given for a name is kept.
 */
void metrics_gauge(const char *name, const char *help, const char *label, const char *value, double v);

/* Write the file now with exit status `status` (the exit hook calls this).
 * Returns 0, or -1 after reporting why. Does nothing without --prometheus. */
int metrics_write(int status);

#endif
