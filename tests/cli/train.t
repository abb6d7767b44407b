herd-train (issue 3): a sentiment head fitted on a frozen encoder's pooled
features. The first cases use the tiny random BertModel of
scripts/make-bert-golden.py (tests/golden/bert-tiny-encoder) so they run
anywhere in seconds; the last one trains on a subset of the real data with
the default model, when both are there.

  $ herd-train --help | head -2
  Usage: herd-train [OPTIONS] [NAME=]FILE...
  Fine-tune a BERT encoder for sentiment, or fit a head on its frozen features.
  $ herd-train --version
  herd-train [0-9]+\.[0-9]+\.[0-9]+ (re)
  $ cp -r $TESTDIR/../golden/bert-tiny-encoder enc

Three formats: NDJSON (text and label fields), CSV (a header naming the
columns) and TEXT@LABEL lines (Financial PhraseBank's, Latin-1 allowed).
Labels are mapped (--label-map), matched without regard to case, and
bullish/bearish count as positive/negative; the rest are rejected with
their place.

  $ for i in 1 2 3 4 5 6 7 8; do
  >   echo '{"text":"shares rose, profit up","label":"positive"}'
  >   echo '{"text":"net loss, sales fell","label":"Negative"}'
  >   echo '{"text":"the company will report","label":"neutral"}'
  > done > a.ndjson
  $ echo '{"text":"","label":"neutral"}' >> a.ndjson
  $ echo '{"text":"strong growth","label":"great"}' >> a.ndjson
  $ printf 'text,label\n"buy, buy, buy",2\nsell the stock,0\nhold,1\nrates up,0\nprofit rose,2\nthe bank,1\n' > b.csv
  $ printf 'Profit rose .@positive\r\nSales fell .@negative\r\nThe report \xe9t\xe9 .@neutral\r\nno label here\r\nA @ in it@positive\r\n' > c.txt
  $ herd-train --model enc --hidden 8 --epochs 20 --label-map 2=bullish,0=bearish,1=neutral -o head.safetensors a.ndjson tweets=b.csv c.txt > report
  herd-train: a.ndjson:25: no text
  herd-train: a.ndjson:26: label 'great' is none of --labels (map it with --label-map)
  herd-train: a: 24 examples from a.ndjson
  herd-train: tweets: 6 examples from b.csv
  herd-train: c.txt:4: no '@' between text and label
  herd-train: c: 4 examples from c.txt
  herd-train: 34 examples in 3 datasets; pooling mean with cpu: .* (re)
  herd-train: features of 34 texts in .* s (re)
  herd-train: head fitted in [0-9]+ epochs, .* s (re)
  herd-train: wrote head.safetensors
  herd-train: 3 of 37 lines rejected (use --rejects FILE to keep them)
  [1]
  $ sed -E 's/[0-9]+\.[0-9]{4}/X/g; s/ [0-9]+ epochs/ N epochs/; s/ [0-9a-f]{8}:/ HASH:/; s/loss X/loss L/' report | head -6
  herd-train: encoder in enc (model.safetensors HASH: 2 layers, hidden 32); features mean (32); ReLU MLP head x 1; N epochs; validation loss L
  dataset                train     val  accuracy  macro-F1
  a                         19       5    X    X
  tweets                     5       1    X    X
  c                          3       1    X    X
  all                       27       7    X    X

The head goes beside the encoder as head.safetensors and herd-score uses
it; the model's hash covers the head, so a new head is a new model name.

  $ cp head.safetensors enc/
  $ echo '{"kind":"post","id":"x","title":null,"text":"profit rose"}' | herd-score -q --model enc | jq -c '.sentiment | [(.model | test("^enc@[0-9a-f]{8}$")), (.probs | keys_unsorted)]'
  [true,["positive","negative","neutral"]]

The same data, seed and settings give the same head, byte for byte; other
seeds draw other splits. --limit takes a seeded sample of each dataset.

  $ herd-train -q --model enc --hidden 8 --epochs 20 --label-map 2=bullish,0=bearish,1=neutral --max-rejects 3 --out again.safetensors a.ndjson tweets=b.csv c.txt > /dev/null 2>&1
  $ cmp head.safetensors again.safetensors && echo same head
  same head

--threads changes nothing either: the encoder's features are the same
bytes on any number of threads (issue 18). Here oneDNN's kernels are
capped at AVX2, as on a CPU without AVX-512, where 1, 2 and 3 threads
once gave three different heads.

  $ for t in 1 2 3; do ONEDNN_MAX_CPU_ISA=AVX2 herd-train -q --model enc --hidden 8 --epochs 20 --label-map 2=bullish,0=bearish,1=neutral --max-rejects 3 --threads $t -o t$t.safetensors a.ndjson tweets=b.csv c.txt > /dev/null 2>&1; done
  $ cmp t1.safetensors t2.safetensors && cmp t1.safetensors t3.safetensors && echo same head
  same head
  $ herd-train -q --model enc --epochs 5 --limit 9 --val 0.34 --output small.safetensors a.ndjson > small.report 2>/dev/null
  [1]
  $ sed -n 3p small.report
  a                          6       3 .* (re)

An ensemble of heads is written as one wider head (their logits averaged);
features can come from several layers and from max pooling.

  $ herd-train -q --model enc --hidden 4 --ensemble 3 --features mean@1,mean,max --epochs 5 -o ens.safetensors a.ndjson > ens.report 2>/dev/null
  [1]
  $ head -1 ens.report | grep -o 'features .*x 3'
  features mean@1,mean,max (96); ReLU MLP head x 3
  $ cp ens.safetensors enc/head.safetensors
  $ echo '{"kind":"post","id":"x","title":null,"text":"profit rose"}' | herd-score -q --model enc | jq -c '.sentiment.probs | keys_unsorted'
  ["positive","negative","neutral"]

The CUDA backend pools such features on the GPU too (--device cuda);
--device auto says where the model runs and why (until a GPU has checked
the backend since its last change, scripts/gpu-check.sh, auto keeps every
model on the CPU):

  $ echo '{"kind":"post","id":"x","title":null,"text":"profit rose"}' | herd-score --model enc 2>&1 >/dev/null | grep -o 'auto: .*)'
  auto: .*(no CUDA device|no CUDA backend|not yet verified on a GPU).*\) (re)

Errors: no data, bad option values, a head from another encoder.

  $ herd-train --model enc
  herd-train: no datasets: give one or more [NAME=]FILE
  Try 'herd-train --help' for more information.
  [2]
  $ herd-train --model enc --features mean@9 a.ndjson 2>&1 | tail -2
  herd-train: --features: features 'mean@9': 'mean@9' names no layer 1..2
  Try 'herd-train --help' for more information.
  $ herd-train --model enc --class-weights odd a.ndjson
  herd-train: --class-weights: 'odd' is not none, balanced or sqrt
  Try 'herd-train --help' for more information.
  [2]
  $ cp -r $TESTDIR/../golden/bert-tiny-encoder other && printf x >> other/model.safetensors
  $ cp head.safetensors other/
  $ echo '{"kind":"post","text":"x"}' | herd-score --model other
  herd-score: other/head.safetensors: trained on encoder [0-9a-f]{8}, but model.safetensors is [0-9a-f]{8} \(retrain it with herd-train\) (re)
  [1]

Fine-tuning (issue 13) needs a directory to write the model to; --test,
--checkpoint and --resume go with it (tests/bert/check-train-resume.sh
tests the runs themselves).

  $ herd-train --model enc --finetune lora a.ndjson
  herd-train: --finetune writes a model directory: give it with --output DIR
  Try 'herd-train --help' for more information.
  [2]
  $ herd-train --model enc --test 0.1 a.ndjson
  herd-train: --test, --checkpoint and --resume go with --finetune full or lora (or --test with --evaluate)
  Try 'herd-train --help' for more information.
  [2]
  $ herd-train --model enc --finetune full --out m --resume a.ndjson
  herd-train: --resume needs --checkpoint FILE
  Try 'herd-train --help' for more information.
  [2]
  $ herd-train --model enc --finetune half --out m a.ndjson 2>&1 | head -1
  herd-train: --finetune: 'half' is not none, full or lora
  $ herd-train -q --model enc --finetune lora --lora-rank 2 --epochs 1 --out m --rejects bad.ndjson a.ndjson > ft.report
  herd-train: a.ndjson:25: no text
  herd-train: a.ndjson:26: label 'great' is none of --labels (map it with --label-map)
  herd-train: 2 of 26 lines rejected (kept in bad.ndjson)
  [1]
  $ wc -l < bad.ndjson
  2
  $ ls m
  adapter.safetensors
  config.json
  head.safetensors
  herd.json
  model.safetensors
  tokenizer_config.json
  vocab.txt
  $ echo '{"kind":"post","id":"x","text":"profit rose"}' | herd-score -q --model m | jq -c '.sentiment.model | test("^m@[0-9a-f]{8}$")'
  true
  $ herd-train -q --model $TESTDIR/../golden/bert-tiny --finetune lora --out m2 --max-rejects 2 a.ndjson
  herd-train: a.ndjson:25: no text
  herd-train: a.ndjson:26: label 'great' is none of --labels (map it with --label-map)
  herd-train: .*/bert-tiny: LoRA adapters go on a sentence encoder \(BertModel, mean pooling\); for a BertForSequenceClassification checkpoint use --finetune full (re)
  [1]
  $ herd-train -q --model m --finetune lora --out m3 --max-rejects 2 a.ndjson
  herd-train: a.ndjson:25: no text
  herd-train: a.ndjson:26: label 'great' is none of --labels (map it with --label-map)
  herd-train: m/adapter.safetensors: the model has an adapter already; train LoRA adapters on the bare encoder (scripts/build-default-model.sh --bare DIR builds the default's) or use --finetune full
  [1]
  $ ls m2 m3 2>&1
  ls: cannot access 'm2': No such file or directory
  ls: cannot access 'm3': No such file or directory
  [2]

--evaluate scores a finished model on the validation (and --test) splits
that the same --seed, --val and --test give a training run, and trains
nothing: the fine-tuning run's own figures come back, and a model's classes
are matched to --labels by name, whatever their order.

  $ herd-train -q --evaluate m --max-rejects 2 a.ndjson > ev.report
  herd-train: a.ndjson:25: no text
  herd-train: a.ndjson:26: label 'great' is none of --labels (map it with --label-map)
  herd-train: 2 of 26 lines rejected (use --rejects FILE to keep them)
  $ awk '$2 == "validation"' ft.report > a; awk '$2 == "validation"' ev.report > b; cmp a b && wc -l < a
  1
  $ herd-train -q --evaluate m --labels neutral,negative,positive --max-rejects 2 a.ndjson 2>/dev/null > ev2.report
  $ awk '$2 == "validation"' ev2.report | cmp - a
  $ awk '/^(positive|negative|neutral) / { print $1, $2, $3, $4 }' ev.report | sort > c1
  $ awk '/^(positive|negative|neutral) / { print $1, $4, $3, $2 }' ev2.report | sort | cmp - c1 && echo same predictions
  same predictions
  $ herd-train -q --evaluate m --test 0.2 --max-rejects 2 a.ndjson 2>/dev/null | awk '$2 == "validation" || $2 == "test" { print $2, $3 }'
  validation 5
  test 5
  $ herd-train -q --evaluate m --labels positive,negative --max-rejects 9 a.ndjson 2>&1 | tail -1
  herd-train: m: m: the model's class 'neutral' is none of --labels (positive...)
  $ herd-train -q --evaluate nosuch --max-rejects 2 a.ndjson 2>&1 | tail -1 | sed 's/json: .*/json: .../'
  herd-train: nosuch/config.json: ...
  $ herd-train --evaluate m --finetune lora a.ndjson
  herd-train: --evaluate scores a model and trains nothing: drop --finetune
  Try 'herd-train --help' for more information.
  [2]
  $ herd-train --evaluate m -o x a.ndjson
  herd-train: --evaluate writes nothing: drop --output, --card, --checkpoint and --resume
  Try 'herd-train --help' for more information.
  [2]

--precision scores it as herd-score would run it on the CPU (int8's
accuracy on held-out texts); it goes with --evaluate only.

  $ herd-train -q --evaluate m --precision int8 --max-rejects 2 a.ndjson 2>/dev/null | head -1 | grep -o '(m, int8)'
  (m, int8)
  $ herd-train -q --evaluate m --precision int8 --max-rejects 2 a.ndjson 2>/dev/null | awk '$2 == "validation" { print $3 }'
  5
  $ herd-train --model enc --precision int8 a.ndjson
  herd-train: --precision goes with --evaluate (training runs in fp32)
  Try 'herd-train --help' for more information.
  [2]
  $ herd-train --evaluate m --precision half a.ndjson 2>&1 | head -1
  herd-train: --precision: 'half' is not fp32, int8 or bf16

On the real data with the default model: a short run on 300 sentences of
each dataset gets well above chance (a third) on both validation splits.

  $ [ -d "$SHARED" ] && [ -f "$TESTDIR/../../models/default/model.safetensors" ] || exit 80
  $ herd-train -q --model $TESTDIR/../../models/default --limit 300 --hidden 64 -o fin.safetensors \
  >   --label-map 0=negative,1=positive,2=neutral \
  >   phrasebank=$SHARED/financial-phrasebank/Sentences_50Agree.txt tweets=$SHARED/twitter-financial-news-sentiment/sent_train.csv |
  >   awk '$1 == "phrasebank" || $1 == "tweets" { print $1, $2, $3, ($4 > 0.6 ? "accuracy over 0.6" : "accuracy " $4) }'
  phrasebank 240 60 accuracy over 0.6
  tweets 240 60 accuracy over 0.6
