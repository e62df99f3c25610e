// Summaries over several seeds of one bench row: mean ± sample standard deviation of each figure.

/** Mean and sample standard deviation (n − 1; 0 for one value) of a list of numbers. */
export interface MeanSd {
  mean: number;
  sd: number;
  n: number;
}

/**
 * Mean and sample standard deviation of `values` (at least one).
 *
 * @example
 * ```ts
 * meanSd([0.45, 0.46, 0.47]); // { mean: 0.46, sd: 0.01, n: 3 }
 * ```
 */
export function meanSd(values: readonly number[]): MeanSd {
  const n = values.length;
  if (n === 0) throw new Error('meanSd: no values');
  let sum = 0;
  for (const v of values) sum += v;
  const mean = sum / n;
  let ss = 0;
  for (const v of values) ss += (v - mean) * (v - mean);
  return { mean, sd: n > 1 ? Math.sqrt(ss / (n - 1)) : 0, n };
}

/**
 * `mean ± sd` with `digits` decimals, or the value alone for one seed.
 *
 * @example
 * ```ts
 * formatMeanSd(meanSd([0.45, 0.46, 0.47]), 4); // '0.4600 ± 0.0100'
 * ```
 */
export function formatMeanSd(s: MeanSd, digits: number): string {
  return s.n > 1 ? `${s.mean.toFixed(digits)} ± ${s.sd.toFixed(digits)}` : s.mean.toFixed(digits);
}

/**
 * Parses a `--seeds` value: `1,2,3` or a range `1-3`, each a distinct non-negative integer.
 * Throws naming the flag on anything else.
 *
 * @example
 * ```ts
 * parseSeeds('1-3'); // [1, 2, 3]
 * parseSeeds('4,7'); // [4, 7]
 * ```
 */
export function parseSeeds(text: string): number[] {
  const range = /^(\d+)-(\d+)$/.exec(text.trim());
  let seeds: number[];
  if (range) {
    const [a, b] = [Number(range[1]), Number(range[2])];
    if (b < a) throw new Error(`--seeds: range ${text} is empty (write low-high, e.g. 1-3)`);
    seeds = Array.from({ length: b - a + 1 }, (_, t) => a + t);
  } else {
    seeds = text.split(',').map((s) => {
      const v = s.trim();
      if (!/^\d+$/.test(v)) throw new Error(`--seeds: "${v}" is not a non-negative integer (write e.g. 1,2,3 or 1-3)`);
      return Number(v);
    });
  }
  if (new Set(seeds).size !== seeds.length) throw new Error(`--seeds: ${text} repeats a seed`);
  return seeds;
}
