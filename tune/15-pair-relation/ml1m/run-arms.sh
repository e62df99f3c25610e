#!/bin/sh
# Study 15 on the NCF ML-1M validation split: each arm once per seed, one thread (deterministic),
# validated on the 99-negative validation file, best validated epoch kept, for the paired
# comparison of compare-arms.sh. Reads ../shared/data/ml-1m (never copied into the repository).
# Usage (repository root, after `npm run build`):
#   sh tune/15-pair-relation/ml1m/run-arms.sh "1 2 3" "cml lrml-dot lrml-fit"
# Models land in the git-ignored tune/15-pair-relation/ml1m/models/.
set -e
SEEDS=${1:-"1 2 3"}; ARMS=${2:-"cml lrml-dot lrml-fit"}
D=${ML1M_DIR:-../shared/data/ml-1m}
O=tune/15-pair-relation/ml1m/models
mkdir -p "$O"
for seed in $SEEDS; do
  for arm in $ARMS; do
    out="$O/ml1m-$arm-$seed.lrml"
    [ -f "$out" ] && continue
    case $arm in
      cml) flags="--family cml --preset softmax --eval-every 5" ;;
      lrml-dot) flags="--family lrml --eval-every 4" ;;
      lrml-cosine) flags="--family lrml --attention cosine --attention-scale 10 --eval-every 4" ;;
      lrml-cosine3) flags="--family lrml --attention cosine --attention-scale 3 --eval-every 4" ;;
      lrml-fit) flags="--family lrml --attention fit --attention-tau 0.1 --eval-every 4" ;;
      *) echo "unknown arm $arm" >&2; exit 2 ;;
    esac
    echo "== $(date -u +%H:%M:%S) $arm seed $seed"
    # shellcheck disable=SC2086
    node bin/lrml.js train --data "$D/ml-1m.valid-train.pairs.gz" $flags --seed "$seed" --threads 1 \
      --valid-negatives "$D/ml-1m.valid.negative.gz" --patience 10 --out "$out"
  done
done
