#!/bin/sh
# Study 15, mechanism 4 on the NCF ML-1M validation split (issue #19): LRML warm-started from the
# CML model of the same seed (run-arms.sh's `cml` arm) with the embeddings frozen
# (--embed-lr-scale 0), so that only the memory trains, with each attention; and the CML model
# trained for the same extra epochs at the same rate (`cml-more`), for a fair comparison.
# Usage (repository root, after run-arms.sh … cml):
#   sh tune/15-pair-relation/ml1m/run-warm.sh "1 2 3" "cml-more warm-dot warm-fit"
# EPOCHS (default 12) and LR (default 0.002) set the extra training.
set -e
. tune/15-pair-relation/arms.sh
SEEDS=${1:-"1 2 3"}; ARMS=${2:-"cml-more warm-dot warm-fit"}
EPOCHS=${EPOCHS:-12}; LR=${LR:-0.002}
D=${ML1M_DIR:-../shared/data/ml-1m}
O=tune/15-pair-relation/ml1m/models
for seed in $SEEDS; do
  base="$O/ml1m-cml-$seed.lrml"
  [ -f "$base" ] || { echo "missing $base: run run-arms.sh \"$seed\" cml first" >&2; exit 2; }
  for arm in $ARMS; do
    out="$O/ml1m-$arm-$seed.lrml"
    [ -f "$out" ] && continue
    arm_flags "$arm"
    echo "== $(date -u +%H:%M:%S) $arm seed $seed"
    # shellcheck disable=SC2086
    node bin/lrml.js train --data "$D/ml-1m.valid-train.pairs.gz" $flags --init-from "$base" --seed "$seed" \
      --threads 1 --epochs "$EPOCHS" --learning-rate "$LR" --eval-every 1 \
      --valid-negatives "$D/ml-1m.valid.negative.gz" --patience 4 --out "$out"
  done
done
