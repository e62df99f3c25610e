#!/bin/sh
# The paired comparison of study 15 on the NCF ML-1M validation split: for each seed, every trained
# arm against CML of the same seed (99 given negatives, 95% intervals from a paired bootstrap over
# users; positive differences = the arm better than CML).
# Usage (repository root, after run-arms.sh):
#   sh tune/15-pair-relation/ml1m/compare-arms.sh "1 2 3" "lrml-dot lrml-fit"
set -e
SEEDS=${1:-"1 2 3"}; ARMS=${2:-"lrml-dot lrml-fit"}
D=${ML1M_DIR:-../shared/data/ml-1m}
O=tune/15-pair-relation/ml1m/models
for seed in $SEEDS; do
  compare=""
  for arm in $ARMS; do
    [ -f "$O/ml1m-$arm-$seed.lrml" ] && compare="$compare --compare $O/ml1m-$arm-$seed.lrml"
  done
  echo "== ML-1M validation, seed $seed: CML (reference) against$compare"
  # shellcheck disable=SC2086
  node bin/lrml.js evaluate --model "$O/ml1m-cml-$seed.lrml" $compare \
    --train "$D/ml-1m.valid-train.pairs.gz" --test "$D/ml-1m.valid.rating" --negatives "$D/ml-1m.valid.negative.gz" \
    --add-unknown-items --threads 1 --quiet
done
