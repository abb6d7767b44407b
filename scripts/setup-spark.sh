#!/bin/sh
# setup-spark.sh — PySpark for pipelines/spark/ (herd on Apache Spark) in
# its own environment, .venv-spark (ignored by git): PyPI's pyspark wheel
# carries Spark itself (~320 MB unpacked, about 25 s to install here); it
# needs a Java 17+ runtime (Debian: openjdk-17-jre-headless). Never needed
# to build or test herd: tests/scale/check-spark.sh skips without it.
set -eu
cd "$(dirname "$0")/.."
command -v java >/dev/null || echo "setup-spark: no java on PATH: Spark needs Java 17 or later (apt-get install openjdk-17-jre-headless)" >&2
[ -x .venv-spark/bin/python ] || python3 -m venv .venv-spark
.venv-spark/bin/pip install -q "pyspark>=3.5,<5"
echo "setup-spark: .venv-spark ready (pyspark $(.venv-spark/bin/python -c 'import pyspark; print(pyspark.__version__)'))"
