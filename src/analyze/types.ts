// What `analyzeRelations` finds out about an LRML model's relation vectors: the shared result
// shape that the analysis (src/analyze) computes and the report (src/report) draws.

/** Cross-validated score of one linear probe on one feature set (means over the folds). */
export interface ProbeScore {
  /** Mean held-out accuracy over the folds (threshold 0.5). */
  accuracy: number;
  /** Mean held-out ROC AUC over the folds (ties count one half). */
  auc: number;
  /** Standard deviation of the fold AUCs. */
  aucStd: number;
}

/** The feature sets every probe is run on. */
export type ProbeFeatures = 'relation' | 'joint' | 'random';

/**
 * One binary question asked of the pairs (e.g. "was the rating high?"), answered by a
 * cross-validated logistic-regression probe on each feature set:
 * `relation` = r(u, i); `joint` = p ⊙ q (the attention's input); `random` = seeded Gaussian
 * vectors of the same dimension (chance level).
 */
export interface ProbeResult {
  /** Stable key: `rating`, `time`, `genre:Drama`, `user:gender`, `user:age`. */
  target: string;
  /** What the positive and negative classes are, in words (e.g. "rating ≥ 4 vs ≤ 2"). */
  description: string;
  /** Pairs used (after balancing caps and dropping unlabelled pairs). */
  n: number;
  /** Pairs in the positive class. */
  positives: number;
  /** Accuracy of always predicting the larger class. */
  majorityRate: number;
  /** Folds of the cross-validation. */
  folds: number;
  scores: Record<ProbeFeatures, ProbeScore>;
}

/** How concentrated the memory attention is. */
export interface AttentionSummary {
  numMemories: number;
  /** Mean attention weight of each slot over the analysed pairs (sums to 1). */
  meanBySlot: number[];
  /** How often each slot is a pair's largest weight (fractions, sum to 1). */
  argmaxShare: number[];
  /** Entropy of a pair's attention divided by log N (1 = uniform), per analysed pair. */
  normalizedEntropy: Float64Array;
  /** The largest attention weight of each analysed pair (1/N = uniform). */
  maxWeight: Float64Array;
  /** max − min of each analysed pair's attention logits (K (p ⊙ q) for `dot`, the model's own otherwise; 0 = uniform); set by `analyzeRelations`. */
  logitRange?: Float64Array;
  /** √(mean ‖r − r̄‖²) / ‖r̄‖ over the analysed pairs (0 = one constant relation); set by `analyzeRelations`. */
  relationSpread?: number;
}

/** One item that a memory slot is about. */
export interface SlotItem {
  /** External item id. */
  id: string;
  /** Title, when an items file gave one. */
  title?: string;
  /** Mean attention weight of the slot over the analysed pairs with this item. */
  weight: number;
  /** Analysed pairs with this item. */
  pairs: number;
}

/** The items whose pairs attend most to one slot. */
export interface SlotItems {
  slot: number;
  items: SlotItem[];
}

/** One analysed pair in the 2-D projection, with whatever labels are known for it. */
export interface ProjectedPair {
  x: number;
  y: number;
  user: string;
  item: string;
  /** The explicit rating, when known. */
  rating?: number;
  /** Chronological position within the user's history, 0 = first … 1 = last, when known. */
  time?: number;
  /** The item's first listed genre, when known. */
  genre?: string;
}

/** A 2-D projection of the relation vectors. */
export interface Projection {
  method: 'pca';
  /** Share of the total variance each of the two components explains. */
  explainedVariance: [number, number];
  points: ProjectedPair[];
}

/** Everything `analyzeRelations` returns. */
export interface RelationAnalysis {
  model: { kind: string; dim: number; numMemories: number; numUsers: number; numItems: number };
  /** Pairs whose relation vectors were computed (a seeded sample of the known pairs). */
  pairs: number;
  /** Pairs of the data that the model does not know (unknown user or item), skipped. */
  skippedPairs: number;
  seed: number;
  probes: ProbeResult[];
  projection: Projection;
  attention: AttentionSummary;
  slots: SlotItems[];
  /** Notes on what could not be analysed and why (e.g. "no timestamps: time probe skipped"). */
  notes: string[];
}
