#!/bin/sh
# Study 15, mechanism 4 (issue #19): LRML warm-started from the CML model of the same seed
# (run-arms.sh's `cml` arm), the embeddings frozen (--embed-lr-scale 0) so that only the memory
# (keys and values: 2·N·d parameters) trains, with each attention; and, for a fair comparison, the
# same CML model trained for the same extra epochs at the same rate (`cml-more`).
# Usage (repository root, after make-splits.sh and run-arms.sh … "cml"):
#   sh tune/15-pair-relation/small/run-warm.sh ml100k "1 2 3" "cml-more warm-dot warm-cos10 warm-fit"
# EPOCHS (default 12) and LR (default 0.002) set the extra training; models land in splits/models/.
set -e
. tune/15-pair-relation/arms.sh
DS=$1; SEEDS=${2:-"1 2 3"}; ARMS=${3:-"cml-more warm-dot warm-cos10 warm-fit"}
EPOCHS=${EPOCHS:-12}; LR=${LR:-0.002}
S=tune/15-pair-relation/small/splits
for seed in $SEEDS; do
  base="$S/models/$DS-cml-$seed.lrml"
  [ -f "$base" ] || { echo "missing $base: run run-arms.sh $DS \"$seed\" cml first" >&2; exit 2; }
  for arm in $ARMS; do
    out="$S/models/$DS-$arm-$seed.lrml"
    [ -f "$out" ] && continue
    arm_flags "$arm"
    # shellcheck disable=SC2086
    node bin/lrml.js train --data "$S/$DS.valid-train.tsv" $flags --init-from "$base" --seed "$seed" \
      --epochs "$EPOCHS" --learning-rate "$LR" --eval-every 1 \
      --valid "$S/$DS.valid.tsv" --valid-sampled 0 --patience 4 --out "$out" --quiet
  done
done
