# The arms of study 15 (issue #19): `arm_flags ARM` sets $flags to the training flags of one arm,
# the same on every dataset. Sourced by small/run-arms.sh, small/run-warm.sh, ml1m/run-arms.sh and
# ml1m/run-warm.sh (from the repository root). From-scratch arms validate every 5 (CML) or 4 (LRML)
# epochs; the warm arms (`cml-more`, `warm-*`) start from the CML model of the same seed, P and Q
# frozen for `warm-*`, and their scripts validate every epoch. The joint arms (`joint-*`, run-warm.sh)
# continue `warm-*` with every parameter training at a lower rate; `cml-more2` gives CML the same
# (continuing `cml-more`).
arm_flags() {
  case $1 in
    cml) flags="--family cml --preset softmax --eval-every 5" ;;
    lrml-dot) flags="--family lrml --eval-every 4" ;;
    lrml-cosine) flags="--family lrml --attention cosine --attention-scale 10 --eval-every 4" ;;
    lrml-cosine3) flags="--family lrml --attention cosine --attention-scale 3 --eval-every 4" ;;
    lrml-cosine-centred) flags="--family lrml --attention cosine --attention-scale 10 --relation-centering --eval-every 4" ;;
    lrml-fit) flags="--family lrml --attention fit --attention-tau 0.1 --eval-every 4" ;;
    lrml-div) flags="--family lrml --slot-diversity 1 --eval-every 4" ;;
    lrml-div1000) flags="--family lrml --slot-diversity 1000 --eval-every 4" ;;
    cml-more) flags="--family cml --preset softmax" ;;
    warm-dot) flags="--family lrml --embed-lr-scale 0" ;;
    warm-dot-c) flags="--family lrml --embed-lr-scale 0 --relation-centering" ;;
    warm-cos10) flags="--family lrml --embed-lr-scale 0 --attention cosine --attention-scale 10" ;;
    warm-cos10-c) flags="--family lrml --embed-lr-scale 0 --attention cosine --attention-scale 10 --relation-centering" ;;
    warm-cos3) flags="--family lrml --embed-lr-scale 0 --attention cosine --attention-scale 3" ;;
    warm-fit) flags="--family lrml --embed-lr-scale 0 --attention fit --attention-tau 0.1" ;;
    warm-fit-c) flags="--family lrml --embed-lr-scale 0 --attention fit --attention-tau 0.1 --relation-centering" ;;
    joint-dot) flags="--family lrml" ;;
    joint-fit) flags="--family lrml --attention fit --attention-tau 0.1" ;;
    cml-more2) flags="--family cml --preset softmax" ;;
    *) echo "unknown arm $1" >&2; exit 2 ;;
  esac
}
