// How the bench scripts hand back a result: one JSON line (with the Node version and the date)
// under --json, else the script's own text.

/** What every printed bench result carries last: the Node version and the ISO date. */
export interface BenchStamp {
  node: string;
  date: string;
}

/**
 * The result with the Node version and the date added (last, in the JSON).
 *
 * @example
 * ```ts
 * const result = stamped({ model: 'm.lrml', p50Ms: 1.2 }); // { model, p50Ms, node: 'v20…', date: '2026-…' }
 * ```
 */
export function stamped<T extends object>(result: T): T & BenchStamp {
  return { ...result, node: process.version, date: new Date().toISOString() };
}

/**
 * Writes the result on stdout: one JSON line when `json`, else `text(result)`.
 *
 * @example
 * ```ts
 * printResult(result, a.json, (r) => `p50 ${fixed2(r.p50Ms)} ms\n`);
 * ```
 */
export function printResult<T>(result: T, json: boolean, text: (r: T) => string): void {
  process.stdout.write(json ? `${JSON.stringify(result)}\n` : text(result));
}

/**
 * A time or ratio with two decimals, as the bench texts print them.
 *
 * @example
 * ```ts
 * fixed2(1.23456); // '1.23'
 * ```
 */
export function fixed2(x: number): string {
  return x.toFixed(2);
}
