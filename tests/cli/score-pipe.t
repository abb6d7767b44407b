herd-score's pipeline (issue 4, "the pipe keeps the GPU fed"; issue 2,
VADER's wall time): reading+parsing, scoring and writing overlap, each on
--threads threads. Whatever the thread count, the output, the messages,
the rejects file and the exit status are those of --threads 1 (no
pipeline), byte for byte: on 3,600 real WSB comments (the sample three
times, so that the reader hands over several chunks of 1,024 lines), with
VADER and with the tiny BERT checkpoint, bad lines interleaved, windows
cut at and between posts.

  $ [ -d "$SHARED" ] || exit 80
  $ G=$TESTDIR/../golden mini=$TESTDIR/../text/vader-mini
  $ herd-normalize -q --source reddit "$SHARED/wsb-early2021-esbenkc/wallstreetbets_comments.ndjson" > c.ndjson
  $ cat c.ndjson c.ndjson c.ndjson > posts.ndjson; wc -l < posts.ndjson
  3600

VADER: one thread (record after record), two, four (threads sharing
chunks of 1,024 lines); --sort-window, a BERT setting, changes nothing.

  $ herd-score --model vader --lexicon "$mini" --threads 1 posts.ndjson > v1
  $ for t in 2 4; do for w in 1 7 1024; do herd-score --model vader --lexicon "$mini" --threads $t --sort-window $w posts.ndjson | cmp - v1 || echo "threads $t window $w differs"; done; done
  $ wc -l < v1; grep -c '"sentiment":{"model":"vader@3.3.2"' v1
  3600
  3600

The tiny BERT model, with the token ids and logits of each post, in the
default windows and batches: the same bytes on 1, 2 and 4 threads.

  $ herd-score -q --model $G/bert-tiny --emit tokens,logits --threads 1 posts.ndjson > b1
  $ for t in 2 4; do herd-score -q --model $G/bert-tiny --emit tokens,logits --threads $t posts.ndjson | cmp - b1 || echo "threads $t differs"; done

The same with the GEMM kernels of other CPUs (issue 18: on an AMD EPYC
without AVX-512, 1 and 2 threads gave different last digits in 239 of
these posts, because a thread's rows went through GEMM calls of another
shape, which oneDNN's AVX2 kernels sum in another order; the engine now
cuts every GEMM into the same row blocks whatever the thread count).
ONEDNN_MAX_CPU_ISA caps oneDNN's kernels, so any x86 machine checks the
AVX2 and SSE4.1 paths; OPENBLAS_CORETYPE does the same in a GEMM=openblas
build (Haswell only where the CPU has AVX2 and FMA: a core type the CPU
lacks would die); each library ignores the other's variable. The device
line must name the capped kernels.

  $ has() { grep -qw "$1" /proc/cpuinfo; }
  $ caps=SSE41:Nehalem; if has avx2 && has fma; then caps="AVX2:Haswell $caps"; fi
  $ for cap in $caps; do
  >   e="ONEDNN_MAX_CPU_ISA=${cap%:*} OPENBLAS_CORETYPE=${cap#*:}"
  >   env $e herd-score --model $G/bert-tiny < /dev/null 2>&1 | grep -qi "sgemm (\(${cap%:*}\|${cap#*:}\))" || echo "$cap: not capped"
  >   env $e herd-score -q --model $G/bert-tiny --emit tokens,logits --threads 1 posts.ndjson > i1
  >   for t in 2 4; do env $e herd-score -q --model $G/bert-tiny --emit tokens,logits --threads $t posts.ndjson | cmp - i1 || echo "$cap: threads $t differs"; done
  > done

VADER beside the model (--vader, and --hybrid's routing): the same bytes,
"vader" after "sentiment" as ever.

  $ herd-score -q --model $G/bert-tiny --hybrid --lexicon "$mini" --threads 1 posts.ndjson > h1
  $ herd-score -q --model $G/bert-tiny --hybrid --lexicon "$mini" --threads 4 posts.ndjson | cmp - h1 && echo same
  same
  $ herd-score -q --model $G/bert-tiny --vader --lexicon "$mini" --threads 2 posts.ndjson | head -1 | grep -o '"sentiment":{"model".*"vader":{.*}}$' | wc -l
  1

Windows of 33 posts in batches of 8 (the last window ends mid-window:
3,600 = 109 × 33 + 3): the same bytes on 1 and 3 threads too. (Before
issue 18 only the labels and scores were: the engine split a batch's
rows by thread, and at such small batches the split moved the last float
digits of a few posts' logits.)

  $ herd-score -q --model $G/bert-tiny --emit logits --threads 1 --sort-window 33 --batch 8 posts.ndjson > b33
  $ herd-score -q --model $G/bert-tiny --emit logits --threads 3 --sort-window 33 --batch 8 posts.ndjson | cmp - b33 && echo same
  same
  $ jq -r '.sentiment.model' b1 | sort | uniq -c | sed 's/^ *//'
  3600 bert-tiny@b01f848b

Bad lines and other records among the posts: every 97th line is not JSON,
every 89th a post without text, every 50th a metric (passed through),
every 400th a blank line. Messages keep input order and name the right
lines (the first 20, then a count); the rejects file keeps the lines in
order; the exit status is the same.

  $ awk 'NR % 97 == 0 { print "not json " NR } NR % 89 == 0 { print "{\"kind\":\"post\",\"id\":\"bad" NR "\"}" }
  >      NR % 50 == 0 { print "{\"kind\":\"metric\",\"name\":\"m" NR "\"}" } NR % 400 == 0 { print "" } { print }' posts.ndjson > mixed.ndjson
  $ wc -l < mixed.ndjson
  3758
  $ herd-score --model vader --lexicon "$mini" --threads 1 --rejects rej mixed.ndjson > o1 2> e1; echo $?; mv rej r1
  1
  $ herd-score --model vader --lexicon "$mini" --threads 4 --sort-window 100 --rejects rej mixed.ndjson > o4 2> e4; echo $?; mv rej r4
  1
  $ cmp o1 o4 && cmp e1 e4 && cmp r1 r4 && echo same
  same
  $ head -3 e4; tail -2 e4
  herd-score: mixed.ndjson:90: post has no field 'text'
  herd-score: mixed.ndjson:99: invalid JSON at column 3: '[' or '{' expected near 'not'
  herd-score: mixed.ndjson:183: post has no field 'text'
  herd-score: more bad lines: only counting them from now on
  herd-score: 77 of 3749 lines rejected (kept in rej)
  $ grep -c . r4; grep -c '"kind":"metric"' o4; wc -l < o4
  77
  72
  3672
  $ herd-score -q --model $G/bert-tiny --threads 1 mixed.ndjson > o1 2> e1
  [1]
  $ herd-score -q --model $G/bert-tiny --threads 2 --sort-window 50 mixed.ndjson > o2 2> e2
  [1]
  $ cmp o1 o2 && cmp e1 e2 && echo same
  same

--metrics counts the same records in, out and rejected.

  $ for t in 1 4; do herd-score -q --model vader --lexicon "$mini" --threads $t --max-rejects 100 --metrics m$t.prom mixed.ndjson > /dev/null 2>&1; grep -o '^herd_records_[a-z]*{[^}]*} [0-9]*' m$t.prom | sed 's/{.*}//' | tr '\n' ' '; echo; done
  herd_records_in 3749 herd_records_out 3672 herd_records_rejected 77 
  herd_records_in 3749 herd_records_out 3672 herd_records_rejected 77 

--strict stops at the first bad line, with what came before it written;
several files go in order, one that cannot be opened is said in its place.

  $ herd-score --model vader --lexicon "$mini" --threads 4 --strict mixed.ndjson > s4 2> e4; echo $?
  1
  $ herd-score --model vader --lexicon "$mini" --threads 1 --strict mixed.ndjson 2> e1 | cmp - s4 && cmp e1 e4 && cat e4
  herd-score: mixed.ndjson:90: post has no field 'text'
  herd-score: 1 of 90 lines rejected (use --rejects FILE to keep them)
  $ grep -c '"kind":"post"' s4; wc -l < s4
  88
  89
  $ for t in 1 3; do herd-score -q --model vader --lexicon "$mini" --threads $t c.ndjson missing.ndjson c.ndjson > f$t 2> e$t; echo $?; done
  1
  1
  $ cmp f1 f3 && cmp e1 e3 && cat e3 && wc -l < f3
  herd-score: missing.ndjson: No such file or directory
  2400

Non-posts alone, and nothing at all.

  $ awk '{ print "{\"kind\":\"metric\",\"n\":" NR "}" }' posts.ndjson | herd-score --model vader --lexicon "$mini" --threads 4 --sort-window 10 | tail -1
  {"kind":"metric","n":3600}
  $ herd-score --model vader --lexicon "$mini" --threads 4 < /dev/null | wc -c
  0
