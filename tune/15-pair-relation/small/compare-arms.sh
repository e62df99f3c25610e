#!/bin/sh
# The paired comparison of study 15: for each seed, every trained arm against CML of the same seed,
# on the validation split (full ranking, 95% intervals from a paired bootstrap over users).
# Usage (repository root, after run-arms.sh):
#   sh tune/15-pair-relation/small/compare-arms.sh ml100k "1 2 3" "lrml-dot lrml-cosine lrml-fit"
set -e
DS=$1; SEEDS=${2:-"1 2 3"}; ARMS=${3:-"lrml-dot lrml-cosine lrml-fit"}
S=tune/15-pair-relation/small/splits
for seed in $SEEDS; do
  compare=""
  for arm in $ARMS; do
    [ -f "$S/models/$DS-$arm-$seed.lrml" ] && compare="$compare --compare $S/models/$DS-$arm-$seed.lrml"
  done
  echo "== $DS, seed $seed: CML (reference) against$compare"
  # shellcheck disable=SC2086
  node bin/lrml.js evaluate --model "$S/models/$DS-cml-$seed.lrml" $compare \
    --train "$S/$DS.valid-train.tsv" --test "$S/$DS.valid.tsv" --threads 1 --quiet
done
