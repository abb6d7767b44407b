herd-score: VADER sentiment on posts, exact against vaderSentiment 3.3.2
(issue 2, item 6). Most cases use the small made-up lexicons in
tests/text/vader-mini (their expected numbers come from the reference run
with the same files); the last ones need the real lexicon (data/vader, from
scripts/fetch-vader.sh) and are skipped when it cannot be had.

  $ herd-score --help | head -2
  Usage: herd-score [OPTIONS] [FILE...]
  Add sentiment (VADER, or a BERT model) to posts.
  $ herd-score --version
  herd-score [0-9]+\.[0-9]+\.[0-9]+ (re)
  $ mini=$TESTDIR/../text/vader-mini

A post gets "vader" and, with VADER as the only model, "sentiment"; the
text scored is title + "\n" + text ("Great day\nThe book was good." scores
0.7906, "Great day" alone 0.6249); records of other kinds, and records
without a kind, pass through unchanged, in input order.

  $ cat > in.ndjson <<'EOF'
  > {"kind":"post","id":"t:1","title":null,"text":"The book was good."}
  > {"kind":"metric","source":"yahoo","entity":"GME","at":"2021-01-27T00:00:00Z","name":"bar","value":347.51}
  > {"kind":"post","id":"t:2","title":"Great day","text":"The book was good."}
  > {"kind":"post","id":"t:3","title":"Great day","text":""}
  > {"hello":"world"}
  > {"kind":"post","id":"t:4","text":"The book was bad."}
  > {"kind":"post","id":"t:5","title":"","text":"The book was on the table."}
  > EOF
  $ herd-score --model vader --lexicon "$mini" in.ndjson
  {"kind":"post","id":"t:1","title":null,"text":"The book was good.","vader":{"neg":0.0,"neu":0.508,"pos":0.492,"compound":0.4404},"sentiment":{"model":"vader@3.3.2","label":"positive","score":0.4404,"confidence":0.4404}}
  {"kind":"metric","source":"yahoo","entity":"GME","at":"2021-01-27T00:00:00Z","name":"bar","value":347.51}
  {"kind":"post","id":"t:2","title":"Great day","text":"The book was good.","vader":{"neg":0.0,"neu":0.364,"pos":0.636,"compound":0.7906},"sentiment":{"model":"vader@3.3.2","label":"positive","score":0.7906,"confidence":0.7906}}
  {"kind":"post","id":"t:3","title":"Great day","text":"","vader":{"neg":0.0,"neu":0.196,"pos":0.804,"compound":0.6249},"sentiment":{"model":"vader@3.3.2","label":"positive","score":0.6249,"confidence":0.6249}}
  {"hello":"world"}
  {"kind":"post","id":"t:4","text":"The book was bad.","vader":{"neg":0.538,"neu":0.462,"pos":0.0,"compound":-0.5423},"sentiment":{"model":"vader@3.3.2","label":"negative","score":-0.5423,"confidence":0.5423}}
  {"kind":"post","id":"t:5","title":"","text":"The book was on the table.","vader":{"neg":0.0,"neu":1.0,"pos":0.0,"compound":0.0},"sentiment":{"model":"vader@3.3.2","label":"neutral","score":0.0,"confidence":0.0}}

Scoring is idempotent: fields already there are replaced where they stand,
nothing else moves. --batch changes nothing in the output.

  $ herd-score --model vader --lexicon "$mini" in.ndjson > once
  $ herd-score --model vader --lexicon "$mini" once | cmp - once && echo same
  same
  $ herd-score --model vader --lexicon "$mini" --batch 3 in.ndjson | cmp - once && echo same
  same
  $ echo '{"kind":"post","vader":{"old":1},"text":"ok","sentiment":null,"z":1}' | herd-score -m vader --lexicon "$mini"
  {"kind":"post","vader":{"neg":0.0,"neu":0.0,"pos":1.0,"compound":0.296},"text":"ok","sentiment":{"model":"vader@3.3.2","label":"positive","score":0.296,"confidence":0.296},"z":1}

Bad lines are reported with their place, counted, kept with --rejects, and
never stop the batch; the exit status is 1 unless --max-rejects allows them.

  $ printf '%s\n' '{"kind":"post","id":"a","text":"no good"}' 'not json' '{"kind":"post","id":"b","text":5}' \
  >   '[1]' '{"kind":"post","id":"c"}' '{"kind":"post","id":"d","title":7,"text":"x"}' \
  >   '{"kind":"post","id":"e","text":null}' > bad.ndjson
  $ printf '{"kind":"post","id":"f","text":"\377"}\n{"kind":"post","id":"g","text":"ok"}' >> bad.ndjson
  $ herd-score --model vader --lexicon "$mini" --rejects rej.ndjson bad.ndjson 2>err
  {"kind":"post","id":"a","text":"no good","vader":{"neg":0.706,"neu":0.294,"pos":0.0,"compound":-0.3412},"sentiment":{"model":"vader@3.3.2","label":"negative","score":-0.3412,"confidence":0.3412}}
  {"kind":"post","id":"g","text":"ok","vader":{"neg":0.0,"neu":0.0,"pos":1.0,"compound":0.296},"sentiment":{"model":"vader@3.3.2","label":"positive","score":0.296,"confidence":0.296}}
  [1]
  $ cat err
  herd-score: bad.ndjson:2: invalid JSON at column 3: '[' or '{' expected near 'not'
  herd-score: bad.ndjson:3: field 'text' is number, not a string
  herd-score: bad.ndjson:4: record is a JSON array, not an object (herd reads one object per line: jq -c '.[]' FILE splits an array)
  herd-score: bad.ndjson:5: post has no field 'text'
  herd-score: bad.ndjson:6: field 'title' is number, not a string or null
  herd-score: bad.ndjson:7: field 'text' is null, not a string
  herd-score: bad.ndjson:8: invalid UTF-8 at byte 33
  herd-score: 7 of 9 lines rejected (kept in rej.ndjson)
  $ wc -l < rej.ndjson
  7
  $ head -2 rej.ndjson
  not json
  {"kind":"post","id":"b","text":5}
  $ herd-score -q --model vader --lexicon "$mini" --max-rejects 7 bad.ndjson 2>/dev/null | wc -l
  2
  $ herd-score -q --model vader --lexicon "$mini" --strict bad.ndjson 2>&1 >/dev/null
  herd-score: bad.ndjson:2: invalid JSON at column 3: '[' or '{' expected near 'not'
  herd-score: 1 of 2 lines rejected (use --rejects FILE to keep them)
  [1]

Empty input gives empty output; a 2 MB post is one line like any other.

  $ herd-score --model vader --lexicon "$mini" < /dev/null
  $ awk 'BEGIN { printf "{\"kind\":\"post\",\"text\":\""; for (i = 0; i < 400000; i++) printf "good "; print "\"}" }' \
  >   | herd-score --model vader --lexicon "$mini" | tail -c 140
  "vader":{"neg":0.0,"neu":0.0,"pos":1.0,"compound":1.0},"sentiment":{"model":"vader@3.3.2","label":"positive","score":1.0,"confidence":1.0}}

Set-up and usage errors: a missing lexicon is an error (exit 1) that says
where to get one; so is a missing BERT model (tests/cli/score-bert.t has
the BERT cases).

  $ herd-score --model vader --lexicon /nonexistent < /dev/null
  herd-score: /nonexistent/vader_lexicon.txt: No such file or directory
  [1]
  $ herd-score --model models/default < /dev/null
  herd-score: models/default/config.json: No such file or directory (the default model is built by `make models`)
  [1]
  $ herd-score --model vader --batch 0 < /dev/null
  herd-score: --batch: 0 is out of range [1, 1048576]
  Try 'herd-score --help' for more information.
  [2]
  $ herd-score --model vader --lexicon "$mini" in.ndjson > /dev/full
  herd-score: write error: No space left on device
  [1]

With the real lexicon (data/vader beside bin/, fetched when missing): the
reference's own examples, emoji included.

  $ top=$TESTDIR/../..
  $ "$top/scripts/fetch-vader.sh" -q || exit 80
  $ printf '%s\n' '{"kind":"post","text":"VADER is smart, handsome, and funny."}' \
  >   '{"kind":"post","text":"Today SUX!"}' '{"kind":"post","text":"Not bad at all"}' \
  >   '{"kind":"post","text":"Catch utf-8 emoji such as \ud83d\udc98 and \ud83d\udc8b and \ud83d\ude01"}' \
  >   | herd-score --model vader | grep -o '"vader":{[^}]*}'
  "vader":{"neg":0.0,"neu":0.254,"pos":0.746,"compound":0.8316}
  "vader":{"neg":0.779,"neu":0.221,"pos":0.0,"compound":-0.5461}
  "vader":{"neg":0.0,"neu":0.513,"pos":0.487,"compound":0.431}
  "vader":{"neg":0.0,"neu":0.583,"pos":0.417,"compound":0.875}
