#!/bin/sh
# Study 15 on the NCF ML-1M validation split: each arm once per seed, one thread (deterministic),
# validated on the 99-negative validation file, best validated epoch kept, for the paired
# comparison of compare-arms.sh. Reads ../shared/data/ml-1m (never copied into the repository).
# Usage (repository root, after `npm run build`):
#   sh tune/15-pair-relation/ml1m/run-arms.sh "1 2 3" "cml lrml-dot lrml-fit"
# Models land in the git-ignored tune/15-pair-relation/ml1m/models/.
set -e
. tune/15-pair-relation/arms.sh
SEEDS=${1:-"1 2 3"}; ARMS=${2:-"cml lrml-dot lrml-fit"}
D=${ML1M_DIR:-../shared/data/ml-1m}
O=tune/15-pair-relation/ml1m/models
mkdir -p "$O"
for seed in $SEEDS; do
  for arm in $ARMS; do
    out="$O/ml1m-$arm-$seed.lrml"
    [ -f "$out" ] && continue
    arm_flags "$arm"
    echo "== $(date -u +%H:%M:%S) $arm seed $seed"
    # shellcheck disable=SC2086
    node bin/lrml.js train --data "$D/ml-1m.valid-train.pairs.gz" $flags --seed "$seed" --threads 1 \
      --valid-negatives "$D/ml-1m.valid.negative.gz" --patience 10 --out "$out"
  done
done
