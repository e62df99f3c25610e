#!/bin/sh
# Trains each arm of study 15 on a small set's validation split, once per seed, keeping each model
# (the best validated epoch) for the paired comparison of `lrml evaluate --compare`.
# Usage (repository root, after make-splits.sh):
#   sh tune/15-pair-relation/small/run-arms.sh ml100k "1 2 3" "cml lrml-dot lrml-cosine lrml-fit"
# Models land in the git-ignored tune/15-pair-relation/small/splits/models/.
set -e
. tune/15-pair-relation/arms.sh
DS=$1; SEEDS=${2:-"1 2 3"}; ARMS=${3:-"cml lrml-dot lrml-cosine lrml-fit"}
S=tune/15-pair-relation/small/splits
mkdir -p "$S/models"
for seed in $SEEDS; do
  for arm in $ARMS; do
    out="$S/models/$DS-$arm-$seed.lrml"
    [ -f "$out" ] && continue
    arm_flags "$arm"
    # shellcheck disable=SC2086
    node bin/lrml.js train --data "$S/$DS.valid-train.tsv" $flags --seed "$seed" \
      --valid "$S/$DS.valid.tsv" --valid-sampled 0 --patience 10 --out "$out" --quiet
  done
done
