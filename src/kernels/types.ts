// Types shared by the kernels. Kernels import nothing from the rest of the project.

/** Distance between p + r and q: authors' code uses `l2` = sqrt(Σ e² + 1e-3). */
export type Distance = 'l2' | 'l2sq' | 'l1';
/** How the negative pair (u, j) gets its relation: its own attention, or a copy of the positive's (authors' code). */
export type NegativeRelation = 'own' | 'copy';
/** `rows`: clip touched P/Q rows to norm ≤ 1 after each update; `lookup`: clip looked-up vectors in the forward pass (authors' code); `none`. */
export type ClipMode = 'rows' | 'lookup' | 'none';
/** Optimiser: Adam is lazy (per touched row) for P and Q, dense for K and M. */
export type Optimizer = 'adam' | 'adagrad' | 'sgd';
/** With several negatives per positive: sum the hinge over all, or keep only the hardest (largest loss). */
export type NegativeMode = 'sum' | 'hardest';
/**
 * Loss of a positive (u, i) with k sampled negatives j (docs/lrml-losses.md has the formulas,
 * gradients and when each helps); hₙ = margin + D(u,i) − D(u,jₙ), τ = `temperature`:
 * - `hinge`: max(0, hₙ) per negative (inactive triplets cost no backward pass);
 * - `softplus`: τ·log(1 + exp(hₙ/τ)) per negative, a smooth hinge (→ hinge as τ → 0);
 * - `softmax`: sampled softmax / InfoNCE over the positive and its k negatives on logits −D/τ:
 *   −log(exp(−D(u,i)/τ) / (exp(−D(u,i)/τ) + Σₙ exp(−D(u,jₙ)/τ))); needs negativeMode `sum`.
 */
export type TripletLoss = 'hinge' | 'softplus' | 'softmax';
/**
 * How the memory attention a = softmax(l) gets its logits l (docs/lrml.md, docs/lrml-study.md §16);
 * s = p ⊙ q, σ = `attentionScale`, τₐ = `attentionTemperature`:
 * - `dot`: lₖ = Kₖ · s (the paper's; the default);
 * - `cosine`: lₖ = σ · (Kₖ · s) / (‖Kₖ‖ ‖s‖ + 1e-8) (pair.ts: `COSINE_ATTENTION_EPS`), logits in [−σ, σ]
 *   whatever the norms;
 * - `fit`: lₖ = −‖p + Mₖ − q‖² / τₐ, a soft-min over the slots of how well each value fits the pair
 *   (computed as −(2 (p − q) · Mₖ + ‖Mₖ‖²) / τₐ: the dropped −‖p − q‖²/τₐ is the same for every
 *   slot, and the softmax does not see it); the keys K are not used;
 * - `fit-hard`: the fit logits, but a is one-hot on the best slot (the first of equal ones), so
 *   r = M_best; no gradient flows through the choice (a subgradient).
 */
export type AttentionKind = 'dot' | 'cosine' | 'fit' | 'fit-hard';

/**
 * How a pair's attention gets its logits (absent = `dot`, the paper's): see {@link AttentionKind}.
 *
 * @example
 * ```ts
 * const o: AttentionOptions = { attention: 'cosine', attentionScale: 10 };
 * ```
 */
export interface AttentionOptions {
  attention?: AttentionKind;
  /** σ of `cosine` (default pair.ts: DEFAULT_ATTENTION_SCALE, 10). */
  attentionScale?: number;
  /** τₐ of `fit` / `fit-hard` (default pair.ts: DEFAULT_ATTENTION_TEMPERATURE, 0.1). */
  attentionTemperature?: number;
}

/** Everything a triplet training kernel needs to know (LRML; CML is LRML with numMemories = 0). */
export interface TripletKernelConfig extends AttentionOptions {
  numUsers: number;
  numItems: number;
  dim: number;
  /** Memory slots N; 0 means no relation vector (r = 0): that is CML. */
  numMemories: number;
  negativeRelation: NegativeRelation;
  distance: Distance;
  clip: ClipMode;
  /** Also clip rows of the memory values M to norm ≤ 1 and of the keys K to norm ≤ maxKeyNorm. */
  clipMemory: boolean;
  /** With clipMemory: the largest norm of a key row (default 1; larger keys allow sharper attention). */
  maxKeyNorm?: number;
  margin: number;
  /**
   * L2 regularisation weight (0 = none): each triplet (u, i, j) that contributes to the loss adds
   * l2·(‖P[u]‖² + ‖Q[i]‖² + ‖Q[j]‖²) on the raw (unclipped) rows; K and M are not regularised.
   * The loss reported is the hinge alone.
   */
  l2: number;
  /** Negatives per positive (≥ 1). */
  negatives: number;
  negativeMode: NegativeMode;
  /**
   * Loss per example (default `hinge`, the only loss before these options existed); see
   * {@link TripletLoss}. With `softplus` / `softmax` every sampled triplet contributes (gets a
   * gradient and its l2 term), so no backward pass is skipped.
   */
  loss?: TripletLoss;
  /** τ of `softplus` and `softmax` (> 0, default 1); unused by `hinge`. */
  temperature?: number;
  /**
   * `hinge` only (default false): WARP-style rank weighting of CML (Hsieh et al. 2017). With V of
   * the k negatives violating the margin (hₙ > 0), the example's hinge loss (sum over violators,
   * or the hardest one) is multiplied by w = log(1 + ⌊numItems·V/k⌋), w held constant in the
   * gradient; the l2 term is not weighted.
   */
  rankWeighting?: boolean;
  /**
   * After each optimiser step, subtract the mean of the memory value rows from every row
   * (Mₖ −= (1/N) Σₗ Mₗ, before clipMemory), so that no common offset survives in M: a uniform
   * attention then gives r = 0, and a relation can only come from pair-specific attention.
   * Default false.
   */
  relationCentering?: boolean;
  /**
   * λ ≥ 0 of the slot-diversity term (default 0 = off), added to the batch loss once per step:
   * λ · (1/(N(N−1))) · Σ_{k≠l} [cos²(Kₖ, Kₗ) + cos²(Mₖ, Mₗ)] over the rows of the keys and the
   * memory values (cosine with ‖x‖ = sqrt(Σx² + 1e-8): lrml-impl.ts `SLOT_DIVERSITY_EPS`), so
   * that the keys (pair-specific attention) and the values (different relations) are pushed
   * towards mutually orthogonal directions; 0 with fewer than two slots. Its gradient joins the
   * batch's gradient of K and M before their optimiser update.
   */
  slotDiversity?: number;
  /**
   * Multiplies the learning rate of P and Q (default 1); 0 freezes them: no update and no change
   * of their optimiser state, while K and M train (e.g. from a CML warm start).
   */
  embeddingLearningRateScale?: number;
  /**
   * How the WASM kernel runs an example with dot attention and the sides' own relations:
   * `blocked` takes all of its sides at once as small dense products, `pairs` two at a time (the
   * kernel before the blocked path), `deferred` is the blocked path with the relation's products
   * moved to once per example or per distinct item of a batch (l2 and l2sq distances; l1 runs
   * blocked), and `auto` (default) takes `deferred` for the batches whose distinct items are
   * fewer than 0.4 of their sides (where it pays), `blocked` for the others. Same maths up to
   * float32 rounding; for benchmarks and cross-checks (other attentions and the copied relation
   * always run in pairs; the TypeScript kernel ignores it).
   */
  kernelPath?: 'blocked' | 'pairs' | 'deferred' | 'auto';
  /**
   * Whether the WASM kernel scores consecutive examples of one user with the same negatives (the
   * blocks of negatives shared within a user, TripletOptions.shareWithin 'user') as one group:
   * the negatives' distances once for all the group's positives. Default true; taken for the
   * sampled softmax on the blocked path (not deferred) with l2 / l2sq, no lookup clip and no l2.
   * Same maths as each example on its own up to float32 rounding; false is for tests and
   * benchmarks (the TypeScript kernel ignores it).
   */
  groupSharedNegatives?: boolean;
  /**
   * Multiplies the learning rate of P (the users' rows) on top of embeddingLearningRateScale
   * (default 1). With negatives shared within users' blocks of g positives a user's row is
   * updated once per block rather than once per positive.
   */
  userLearningRateScale?: number;
  optimizer: Optimizer;
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
}

/** Row-major parameter arrays of an LRML/CML model. K and M are empty when numMemories = 0. */
export interface TripletParams {
  /** numUsers × dim */
  P: Float32Array;
  /** numItems × dim */
  Q: Float32Array;
  /** numMemories × dim */
  K: Float32Array;
  /** numMemories × dim */
  M: Float32Array;
}

/** Progress of one epoch, reported by {@link TripletKernel.runEpoch}. */
export interface EpochProgress {
  /** Positives processed so far in this epoch. */
  done: number;
  /** Summed loss so far in this epoch. */
  loss: number;
}

/** A training kernel over a model's parameters (its own copy: call `read` to get them back). */
export interface TripletKernel<Params = TripletParams> {
  /** Worker threads used (1 = this thread, deterministic). */
  readonly threads: number;
  /**
   * True when runEpoch has copied `users`, `pos` and `neg` before it returns its promise (the
   * worker-thread kernel): the caller may refill them for the next call while it trains.
   */
  readonly inputCopied?: boolean;
  /**
   * Trains on `count` positives (users[t], pos[t]) with negatives neg[t*negatives .. +negatives),
   * in order, `batchSize` positives per optimiser step. Resolves to the summed loss.
   * Yields to the event loop now and then; stops with an error if `signal` aborts.
   */
  runEpoch(
    users: Int32Array,
    pos: Int32Array,
    neg: Int32Array,
    count: number,
    batchSize: number,
    onProgress?: (p: EpochProgress) => void,
    signal?: AbortSignal,
  ): Promise<number>;
  /**
   * Sets the learning rate of the following steps (a schedule calls it between epochs; the
   * optimiser state is kept). Must be finite and > 0.
   */
  setLearningRate(learningRate: number): void;
  /** Copies the kernel's current parameters into `out` (same shapes as given at creation). */
  read(out: Params): void;
  /** Frees workers and memory. */
  dispose(): Promise<void>;
}
