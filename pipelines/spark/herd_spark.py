"""herd_spark.py — herd's per-record stages on Apache Spark, through RDD.pipe().

    spark-submit pipelines/spark/herd_spark.py [OPTIONS] INPUT...

Spark reads the INPUTs (local paths, hdfs://, s3a://, globs; .gz files are
read whole, one partition each) into partitions of lines, and each
partition goes, as one task, through herd's own programs (shard.sh):

    herd-normalize | herd-score --model M | herd-aggregate --partial --lateness all

The agg_partial records are then keyed by (entity, window, start) and
shuffled so that every key's partials meet in one partition, where
herd-aggregate --merge combines them: the agg records are exactly those of
one herd process over all the input (tests/scale/check-spark.sh compares
them). They land:
  --sqlite DB      on the driver, through herd-load --db (a single machine:
                   SQLite takes one writer);
  --pg-copy DIR    on the executors: each partition writes PostgreSQL COPY
                   files with herd-load --pg-copy DIR (run id
                   spark-APP-WHAT-pPART-aATTEMPT); pipelines/pg-load.sh DIR DSN
                   loads them (DIR on storage every executor writes to);
  --out FILE       as NDJSON ('-' for stdout; the default without the others).
With --posts the scored posts land too.

Exit status: 0, or 1 when lines were rejected (kept with --rejects), 2 on
usage errors, 3 when the job failed (a task failed after Spark's retries:
the output is incomplete; a re-run is safe, every landing is idempotent).

Python here is glue: it never parses a post; every record is read and
written by herd's C programs. Spark only splits, schedules, retries and
shuffles. On a cluster, ship herd with the job (see pipelines/spark/README.md):
    --archives herd.tar.gz#herd   and   --bin herd/bin
    --archives model.tar.gz#model and   --model model
"""
import argparse
import os
import shlex
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
PARTIAL = '{"kind":"agg_partial",'
POST = '{"kind":"post",'


def parse_args(argv):
    p = argparse.ArgumentParser(
        prog="herd_spark.py",
        description="Run herd's normalize | score | aggregate --partial per Spark partition, merge, land.")
    p.add_argument("inputs", nargs="+", metavar="INPUT", help="raw records (or posts), NDJSON, .gz too")
    p.add_argument("--bin", default=os.path.join(TOP, "bin"),
                   help="herd's bin/ on the executors; relative: inside the task's directory, where "
                        "--archives unpacks (default: this checkout's bin/)")
    p.add_argument("--driver-bin", default=os.path.join(TOP, "bin"),
                   help="herd's bin/ on the driver, for --sqlite (default: this checkout's bin/)")
    p.add_argument("-m", "--model", default="vader", help="herd-score --model: vader (default) or a BERT model directory")
    p.add_argument("--vader", action="store_true", help="also add VADER when --model is a BERT model")
    p.add_argument("-w", "--window", default="1h,1d", help="aggregate windows (default 1h,1d)")
    p.add_argument("--source", help="the inputs hold bare items of this source (herd-normalize --source)")
    p.add_argument("--partitions", type=int, default=0,
                   help="input partitions at least (default: Spark's default parallelism)")
    p.add_argument("--posts", action="store_true", help="land the scored posts too")
    p.add_argument("--sqlite", metavar="DB", help="load into this SQLite file on the driver")
    p.add_argument("--pg-copy", metavar="DIR", help="write PostgreSQL COPY files into DIR from each partition")
    p.add_argument("--out", metavar="FILE", help="write the records as NDJSON ('-': stdout)")
    p.add_argument("--rejects", metavar="DIR",
                   help="keep rejected lines in DIR/STAGE.HOST.PID.ndjson (storage the executors share)")
    p.add_argument("--master", help="Spark master when not given by spark-submit (e.g. local[2])")
    a = p.parse_args(argv)
    if not (a.sqlite or a.pg_copy or a.out):
        a.out = "-"
    return a


def partial_key(line):
    """The (entity, window, start) part of an agg_partial line: herd writes
    these keys first and in this order (docs/records.md)."""
    i = line.find(',"posts":')
    return line[:i] if i > 0 else line


def run(a, sc):
    from pyspark import StorageLevel

    # shard.sh's text goes with the command (bash -c), so executors need
    # no copy of it: only herd's bin/ (and the model).
    with open(os.path.join(HERE, "shard.sh")) as f:
        cmd = ["bash", "-c", f.read(), "shard.sh", a.bin, a.window, a.model]
    if a.vader:
        cmd.append("--vader")
    if a.source:
        cmd += ["--source", a.source]
    if a.posts:
        cmd.append("--posts")
    if a.rejects:
        os.makedirs(a.rejects, exist_ok=True)
        cmd += ["--rejects", os.path.abspath(a.rejects)]

    lines = sc.textFile(",".join(a.inputs), a.partitions or sc.defaultParallelism)
    # Each partition through herd's stages; kept, since posts and
    # partials are both taken from it.
    shards = lines.pipe(" ".join(shlex.quote(c) for c in cmd)).persist(StorageLevel.MEMORY_AND_DISK)
    partials = shards.filter(lambda l: l.startswith(PARTIAL))
    nparts = max(1, shards.getNumPartitions())
    merge = " ".join(shlex.quote(c) for c in [os.path.join(a.bin, "herd-aggregate"), "-q", "--merge"])
    aggs = (partials.keyBy(partial_key).partitionBy(nparts).values().pipe(merge))
    posts = shards.filter(lambda l: l.startswith(POST)) if a.posts else None
    outputs = [("posts", posts), ("aggregates", aggs)] if posts is not None else [("aggregates", aggs)]

    if a.pg_copy:
        app = sc.applicationId.replace("_", "-")
        binp, dirp = a.bin, a.pg_copy

        def land(what):
            def f(index, it):
                from pyspark import TaskContext
                run_id = "spark-%s-%s-p%05d-a%d" % (app, what, index, TaskContext.get().attemptNumber())
                p = subprocess.Popen([os.path.join(binp, "herd-load"), "-q", "--pg-copy", dirp, "--run-id", run_id],
                                     stdin=subprocess.PIPE, text=True)
                for line in it:
                    p.stdin.write(line + "\n")
                p.stdin.close()
                rc = p.wait()
                if rc > 1:
                    raise RuntimeError("herd-load --pg-copy failed (exit %d) in partition %d" % (rc, index))
                yield rc
            return f
        for what, rdd in outputs:
            statuses = rdd.mapPartitionsWithIndex(land(what)).collect()
            if any(statuses):
                print("herd_spark: herd-load rejected lines of %s (see the executors' stderr)" % what, file=sys.stderr)

    sinks = []
    if a.sqlite:
        sinks.append(subprocess.Popen([os.path.join(a.driver_bin, "herd-load"), "-q", "--db", a.sqlite],
                                      stdin=subprocess.PIPE, text=True))
    out = None
    if a.out:
        out = sys.stdout if a.out == "-" else open(a.out, "w")
    if sinks or out:
        for what, rdd in outputs:
            for line in rdd.toLocalIterator():
                for s in sinks:
                    s.stdin.write(line + "\n")
                if out:
                    out.write(line + "\n")
    if out and out is not sys.stdout:
        out.close()
    rc = 0
    for s in sinks:
        s.stdin.close()
        r = s.wait()
        if r > 1:
            raise RuntimeError("herd-load --db failed (exit %d)" % r)
        rc |= r
    shards.unpersist()
    if a.rejects and any(os.path.getsize(os.path.join(a.rejects, f)) for f in os.listdir(a.rejects)):
        print("herd_spark: rejected lines kept in %s" % a.rejects, file=sys.stderr)
        rc = 1
    return rc


def main(argv=None):
    a = parse_args(sys.argv[1:] if argv is None else argv)
    from pyspark import SparkConf, SparkContext

    conf = SparkConf().setAppName("herd")
    if a.master:
        conf.setMaster(a.master)
    sc = SparkContext(conf=conf)
    sc.setLogLevel("WARN")
    try:
        return run(a, sc)
    except Exception as e:  # a task failed for good (after Spark's retries), or a lander did
        print("herd_spark: the job failed, the output is incomplete: %s" % str(e).splitlines()[0], file=sys.stderr)
        return 3
    finally:
        sc.stop()


if __name__ == "__main__":
    sys.exit(main())
