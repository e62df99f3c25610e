#!/bin/sh
# Study 15, mechanism 4's second phase (issue #19): the warm-started LRML (run-warm.sh's `warm-dot`,
# `warm-fit`: memory trained, P and Q frozen) continues with every parameter training at a lower
# rate (`joint-dot`, `joint-fit`); CML gets the same extra epochs at the same rate, continuing its
# `cml-more` model (`cml-more2`), so both sides have had the same schedule.
# Usage (repository root, after run-warm.sh … "cml-more warm-dot warm-fit"):
#   sh tune/15-pair-relation/small/run-joint.sh ml100k "1 2 3" "cml-more2 joint-dot joint-fit"
# EPOCHS (default 12) and LR (default 0.0005) set the joint phase; models land in splits/models/.
set -e
. tune/15-pair-relation/arms.sh
DS=$1; SEEDS=${2:-"1 2 3"}; ARMS=${3:-"cml-more2 joint-dot joint-fit"}
EPOCHS=${EPOCHS:-12}; LR=${LR:-0.0005}
S=tune/15-pair-relation/small/splits
for seed in $SEEDS; do
  for arm in $ARMS; do
    case $arm in
      cml-more2) base="$S/models/$DS-cml-more-$seed.lrml" ;;
      joint-*) base="$S/models/$DS-warm-${arm#joint-}-$seed.lrml" ;;
      *) echo "not a joint-phase arm: $arm" >&2; exit 2 ;;
    esac
    [ -f "$base" ] || { echo "missing $base: run run-warm.sh first" >&2; exit 2; }
    out="$S/models/$DS-$arm-$seed.lrml"
    [ -f "$out" ] && continue
    arm_flags "$arm"
    # shellcheck disable=SC2086
    node bin/lrml.js train --data "$S/$DS.valid-train.tsv" $flags --init-from "$base" --seed "$seed" \
      --epochs "$EPOCHS" --learning-rate "$LR" --eval-every 1 \
      --valid "$S/$DS.valid.tsv" --valid-sampled 0 --patience 4 --out "$out" --quiet
  done
done
