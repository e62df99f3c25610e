#!/bin/sh
# Leave-latest-out splits of ml-100k (read from ../shared/data, never copied into the repo: the
# files land in the git-ignored splits/ folder) and ml-latest-small, each split twice:
# all → train + test (each user's latest interaction), then train → valid-train + valid.
# Configs here train on *.valid-train.tsv and validate on *.valid.tsv only.
# Run from the repository root after `npm run build`:  sh tune/15-pair-relation/small/make-splits.sh
set -e
S=tune/15-pair-relation/small/splits
mkdir -p "$S"
node bin/lrml.js split --data ../shared/data/ml-100k/u.data --columns 0,1,2,3 --train-out "$S/ml100k.train.tsv" --test-out "$S/ml100k.test.tsv"
node bin/lrml.js split --data "$S/ml100k.train.tsv" --train-out "$S/ml100k.valid-train.tsv" --test-out "$S/ml100k.valid.tsv"
node bin/lrml.js split --data data/ml-latest-small/ratings.csv --train-out "$S/mls.train.tsv" --test-out "$S/mls.test.tsv"
node bin/lrml.js split --data "$S/mls.train.tsv" --train-out "$S/mls.valid-train.tsv" --test-out "$S/mls.valid.tsv"
