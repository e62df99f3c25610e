// Command-line flags of model options, declared once and listed by the families that take them
// (`flags` of a ModelFamily); `lrml train` and `lrml tune` add the union of every registered
// family's flags.

import type { FamilyFlag } from './types.js';

const ALL: readonly FamilyFlag[] = [
  { flag: '--dim <n>', option: 'dim', type: 'integer', description: 'embedding dimension d' },
  { flag: '--memories <n>', option: 'numMemories', type: 'integer', description: 'LRML memory slots N' },
  { flag: '--margin <x>', option: 'margin', type: 'number', description: 'hinge margin' },
  { flag: '--learning-rate <x>', option: 'learningRate', type: 'number', description: 'learning rate' },
  { flag: '--lr-schedule <s>', option: 'learningRateSchedule', type: 'string', description: 'learning rate over the epochs: constant | linear | cosine (decays to ~0 by the last epoch)' },
  { flag: '--batch-size <n>', option: 'batchSize', type: 'integer', description: 'positives per optimiser step' },
  { flag: '--epochs <n>', option: 'epochs', type: 'integer', description: 'training epochs' },
  { flag: '--negatives <n>', option: 'negatives', type: 'integer', description: 'negatives in each draw (per positive, or per shared block: lrml default 40 for its users\' blocks of 8, cml 1)' },
  { flag: '--negative-mode <m>', option: 'negativeMode', type: 'string', description: 'with several negatives: sum | hardest' },
  { flag: '--loss <l>', option: 'loss', type: 'string', description: 'hinge | softplus (smooth hinge) | softmax (sampled softmax over the negatives; see docs/lrml-losses.md)' },
  { flag: '--temperature <x>', option: 'temperature', type: 'number', description: 'temperature τ of softplus / softmax (lrml default 0.25; cml 1, 0.2 with --preset softmax; 0.05-0.5 typical)' },
  { flag: '--rank-weighting', option: 'rankWeighting', type: 'boolean', description: 'hinge: weight by log(1 + numItems·violators/negatives), as CML (WARP-style)' },
  { flag: '--negative-relation <m>', option: 'negativeRelation', type: 'string', description: 'LRML negative pair relation: own | copy (authors\' code)' },
  { flag: '--distance <d>', option: 'distance', type: 'string', description: 'l2 | l2sq | l1' },
  { flag: '--clip <m>', option: 'clip', type: 'string', description: 'unit-ball constraint: rows | lookup (authors\' code) | none' },
  { flag: '--clip-memory', option: 'clipMemory', type: 'boolean', description: 'also clip memory keys and values to norm ≤ 1 (LRML default)' },
  { flag: '--no-clip-memory', option: 'clipMemory', type: 'boolean', description: 'do not clip memory keys and values' },
  { flag: '--max-key-norm <x>', option: 'maxKeyNorm', type: 'number', description: 'with memory clipping: largest norm of a memory key (default 1; larger = sharper attention)' },
  { flag: '--attention <a>', option: 'attention', type: 'string', description: 'LRML attention logits: dot (paper) | cosine (σ·cos(K, p⊙q)) | fit (−‖p + M − q‖²/τₐ) | fit-hard (best-fitting slot); docs/lrml.md' },
  { flag: '--attention-scale <x>', option: 'attentionScale', type: 'number', description: 'σ of --attention cosine: logits in [−σ, σ] (default 10)' },
  { flag: '--attention-tau <x>', option: 'attentionTemperature', type: 'number', description: 'τₐ of --attention fit / fit-hard (default 0.1)' },
  { flag: '--relation-centering', option: 'relationCentering', type: 'boolean', description: 'subtract the mean memory value row after each step: uniform attention then gives r = 0' },
  { flag: '--slot-diversity <x>', option: 'slotDiversity', type: 'number', description: 'λ ≥ 0 of the slot-diversity term λ·mean over k≠l of cos²(Kₖ, Kₗ) + cos²(Mₖ, Mₗ), once per step (0 = off; docs/lrml.md)' },
  { flag: '--embed-lr-scale <x>', option: 'embeddingLearningRateScale', type: 'number', description: 'multiplies the learning rate of P and Q (0 = frozen, the memory alone trains)' },
  { flag: '--sampler-alpha <x>', option: 'samplerAlpha', type: 'number', description: 'negative sampling ∝ popularity^alpha (0 = uniform)' },
  { flag: '--negative-sharing <g>', option: 'negativeSharing', type: 'integer-or-auto', description: 'lrml, cml: positives that share one draw of negatives (which: --share-within): auto (lrml default: 8 with the sampled softmax, within users\' blocks always, consecutive positives on catalogues of at least batch × (1 + negatives) / 2 items; else 1) | 1 (cml default: each its own) | g (docs/lrml.md)' },
  { flag: '--share-within <s>', option: 'shareWithin', type: 'string', description: 'lrml, cml: with --negative-sharing g > 1, which positives share a draw: user (lrml default: a user\'s positives in blocks of g, each block\'s negatives scored once by LRML\'s kernel) | consecutive (cml default: g in a row of the shuffled epoch; --preset per-positive: lrml\'s previous default; docs/lrml.md)' },
  { flag: '--optimizer <o>', option: 'optimizer', type: 'string', description: 'adam | adagrad | sgd' },
  { flag: '--l2 <x>', option: 'l2', type: 'number', description: 'L2 regularisation weight' },
  { flag: '--init-scale <x>', option: 'initScale', type: 'number', description: 'std of the embedding initialisation' },
  { flag: '--memory-init-scale <x>', option: 'memoryInitScale', type: 'number', description: 'std of the memory initialisation' },
  { flag: '--threads <n>', option: 'threads', type: 'integer', description: 'lrml, cml: worker threads of the training (> 1: Hogwild, not deterministic); ease: threads of the inverse (default: one per core; the same weights for any count)' },
  { flag: '--backend <b>', option: 'backend', type: 'string', description: 'auto | wasm | ts: the training kernel (lrml, cml, hlr) or the inverse (ease) in WebAssembly SIMD or TypeScript; auto = wasm when available' },
  { flag: '--history-length <n>', option: 'historyLength', type: 'integer', description: 'hlr: at most this many of the user\'s items make the history' },
  { flag: '--history-temperature <x>', option: 'historyTemperature', type: 'number', description: 'hlr: temperature of the target–history attention' },
  { flag: '--precision <p>', option: 'precision', type: 'string', description: 'EASE: float64 | float32 (the WASM inverse: half the memory, about twice as fast)' },
  { flag: '--seed <n>', option: 'seed', type: 'integer', description: 'random seed' },
];

/**
 * The shared flags of these model options, in the order of --help (each option's flags, e.g.
 * `--clip-memory` and `--no-clip-memory` for clipMemory).
 *
 * @example
 * ```ts
 * const flags = optionFlags(['dim', 'epochs', 'seed']);
 * ```
 */
export function optionFlags(options: readonly string[]): readonly FamilyFlag[] {
  return ALL.filter((f) => options.includes(f.option));
}
