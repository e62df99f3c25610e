#!/bin/sh
# Trains each arm of study 15 on a small set's validation split, once per seed, keeping each model
# (the best validated epoch) for the paired comparison of `lrml evaluate --compare`.
# Usage (repository root, after make-splits.sh):
#   sh tune/15-pair-relation/small/run-arms.sh ml100k "1 2 3" "cml lrml-dot lrml-cosine lrml-fit"
# Models land in the git-ignored tune/15-pair-relation/small/splits/models/.
set -e
DS=$1; SEEDS=${2:-"1 2 3"}; ARMS=${3:-"cml lrml-dot lrml-cosine lrml-fit"}
S=tune/15-pair-relation/small/splits
mkdir -p "$S/models"
for seed in $SEEDS; do
  for arm in $ARMS; do
    out="$S/models/$DS-$arm-$seed.lrml"
    [ -f "$out" ] && continue
    case $arm in
      cml) flags="--family cml --preset softmax --eval-every 5" ;;
      lrml-dot) flags="--family lrml --eval-every 4" ;;
      lrml-cosine) flags="--family lrml --attention cosine --attention-scale 10 --eval-every 4" ;;
      lrml-cosine-centred) flags="--family lrml --attention cosine --attention-scale 10 --relation-centering --eval-every 4" ;;
      lrml-fit) flags="--family lrml --attention fit --attention-tau 0.1 --eval-every 4" ;;
      *) echo "unknown arm $arm" >&2; exit 2 ;;
    esac
    # shellcheck disable=SC2086
    node bin/lrml.js train --data "$S/$DS.valid-train.tsv" $flags --seed "$seed" \
      --valid "$S/$DS.valid.tsv" --valid-sampled 0 --patience 10 --out "$out" --quiet
  done
done
