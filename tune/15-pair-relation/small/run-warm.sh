#!/bin/sh
# Study 15, mechanism 4 (issue #19): LRML warm-started from the CML model of the same seed
# (run-arms.sh's `cml` arm), the embeddings frozen (--embed-lr-scale 0) so that only the memory
# (keys and values: 2·N·d parameters) trains, with each attention; and, for a fair comparison, the
# same CML model trained for the same extra epochs at the same rate (`cml-more`).
# The second phase (section 20): `joint-dot`, `joint-fit` continue `warm-dot`, `warm-fit` with every
# parameter training at a lower rate; `cml-more2` gives CML the same, continuing `cml-more`.
# Usage (repository root, after make-splits.sh and run-arms.sh … "cml"):
#   sh tune/15-pair-relation/small/run-warm.sh ml100k "1 2 3" "cml-more warm-dot warm-cos10 warm-fit"
#   sh tune/15-pair-relation/small/run-warm.sh ml100k "1 2 3" "cml-more2 joint-dot joint-fit"
# EPOCHS (default 12) and LR (default 0.002; 0.0005 for the second phase) set the extra training;
# models land in splits/models/.
set -e
. tune/15-pair-relation/arms.sh
DS=$1; SEEDS=${2:-"1 2 3"}; ARMS=${3:-"cml-more warm-dot warm-cos10 warm-fit"}
EPOCHS=${EPOCHS:-12}
S=tune/15-pair-relation/small/splits
for seed in $SEEDS; do
  for arm in $ARMS; do
    case $arm in
      cml-more2) base="$S/models/$DS-cml-more-$seed.lrml"; rate=${LR:-0.0005} ;;
      joint-*) base="$S/models/$DS-warm-${arm#joint-}-$seed.lrml"; rate=${LR:-0.0005} ;;
      *) base="$S/models/$DS-cml-$seed.lrml"; rate=${LR:-0.002} ;;
    esac
    [ -f "$base" ] || { echo "missing $base: train it first (run-arms.sh … cml, or this script's first phase)" >&2; exit 2; }
    out="$S/models/$DS-$arm-$seed.lrml"
    [ -f "$out" ] && continue
    arm_flags "$arm"
    # shellcheck disable=SC2086
    node bin/lrml.js train --data "$S/$DS.valid-train.tsv" $flags --init-from "$base" --seed "$seed" \
      --epochs "$EPOCHS" --learning-rate "$rate" --eval-every 1 \
      --valid "$S/$DS.valid.tsv" --valid-sampled 0 --patience 4 --out "$out" --quiet
  done
done
