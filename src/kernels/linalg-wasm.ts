// Host side of the WASM SIMD linear algebra module (assembly/linalg.ts): an n×n SPD matrix in a
// shared WebAssembly memory, in float64 or float32, inverted in place by the blocked three-phase
// algorithm of linalg-impl.ts. Each step is cut into stages; a stage is either one serial call
// (the small diagonal block) or a list of row-range tasks that may run on different threads at
// once (`SpdParallel`; the worker threads are Node-only and live in
// src/train/backends/ease-threads.ts). Tasks of one stage never read what another writes, and
// every entry is computed the same way whatever the split, so any number of threads gives the
// same bits. Uses only WebAssembly globals: runs in Node and (cross-origin isolated) browsers.

import { wasmBase64 } from './generated/linalg.js';
import { LINALG_BLOCK, spdInversePlan } from './linalg-impl.js';
import { compileKernel, LinearAllocator, pagesFor } from './wasm.js';

/**
 * Element type of the WASM SPD inverse.
 *
 * @example
 * ```ts
 * const p: SpdPrecision = 'float32'; // half the memory, twice the SIMD lanes
 * ```
 */
export type SpdPrecision = 'float64' | 'float32';

type RowOp = (a: number, n: number, jb: number, je: number, r0: number, r1: number) => void;

interface LinalgExports {
  heapBase(): number;
  cholUpdate64: RowOp; cholUpdate32: RowOp;
  cholPanel64: RowOp; cholPanel32: RowOp;
  invProd64: RowOp; invProd32: RowOp;
  cholDiag64(a: number, n: number, jb: number, je: number): number;
  cholDiag32(a: number, n: number, jb: number, je: number): number;
  saveDiag64(a: number, n: number, d: number): void;
  saveDiag32(a: number, n: number, d: number): void;
  invTri64(a: number, n: number, d: number, jb: number, je: number, nb: number, j0: number, j1: number): void;
  invTri32(a: number, n: number, d: number, jb: number, je: number, nb: number, j0: number, j1: number): void;
  symmetrize64(a: number, n: number, r0: number, r1: number): void;
  symmetrize32(a: number, n: number, r0: number, r1: number): void;
  negInvDiag64(a: number, n: number, d: number): void;
  negInvDiag32(a: number, n: number, d: number): void;
  easeWeights64(a: number, n: number, d: number, r0: number, r1: number): void;
  easeWeights32(a: number, n: number, d: number, r0: number, r1: number): void;
}

/**
 * Where the matrix lives in the shared memory (structured-clonable, for worker threads).
 *
 * @example
 * ```ts
 * const { a, d, n, precision, nb }: SpdLayout = matrix.layout;
 * ```
 */
export interface SpdLayout {
  n: number;
  precision: SpdPrecision;
  /** Block size (rows/columns per block). */
  nb: number;
  /** Byte offset of the n×n row-major matrix. */
  a: number;
  /** Byte offset of a length-n scratch vector (diag(L), then −1/diag(P)). */
  d: number;
}

/**
 * One row-range task of a parallel stage (structured-clonable): rows [r0, r1) of block [jb, je).
 *
 * @example
 * ```ts
 * const t: SpdTask = { op: 'invProd', jb: 0, je: 64, r0: 0, r1: 32 };
 * ```
 */
export interface SpdTask {
  op: 'cholUpdate' | 'cholPanel' | 'invTri' | 'invProd' | 'symmetrize' | 'easeWeights';
  jb: number;
  je: number;
  r0: number;
  r1: number;
}

/**
 * Runs the tasks of one stage, each on its own thread (task k on thread k), and resolves when all
 * are done. Without one, tasks run one after the other on this thread.
 *
 * @example
 * ```ts
 * const parallel: SpdParallel = async (tasks) => { for (const t of tasks) matrix.runTask(t); };
 * ```
 */
export type SpdParallel = (tasks: SpdTask[]) => Promise<void>;

/**
 * Largest byte size a 32-bit WebAssembly memory can hold (65536 pages of 64 KiB).
 *
 * @example
 * ```ts
 * const fits = wasmSpdBytes(n) <= WASM_MEMORY_LIMIT; // float64: n ≤ about 23,000
 * ```
 */
export const WASM_MEMORY_LIMIT = 65536 * 65536;

/**
 * Bytes of WASM memory an n×n matrix needs (plus the diagonal vector and two pages of the module's own).
 *
 * @example
 * ```ts
 * wasmSpdBytes(3706); // ≈ 110 MB in float64
 * wasmSpdBytes(3706, 'float32'); // ≈ 55 MB
 * ```
 */
export function wasmSpdBytes(n: number, precision: SpdPrecision = 'float64'): number {
  const e = precision === 'float64' ? 8 : 4;
  return n * n * e + n * e + 16 + 65536 * 2;
}

/**
 * Instantiates the linear algebra module on a shared memory (the main thread and every worker
 * thread each make their own instance over the same memory).
 *
 * @example
 * ```ts
 * const x = instantiateLinalg(matrix.module, matrix.memory);
 * ```
 */
export function instantiateLinalg(module: WebAssembly.Module, memory: WebAssembly.Memory): LinalgExports {
  return new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as LinalgExports;
}

/**
 * Runs one row-range task on an instance (the worker threads call this on their own instance).
 *
 * @example
 * ```ts
 * runSpdTask(x, layout, { op: 'symmetrize', jb: 0, je: 0, r0: 0, r1: n });
 * ```
 */
export function runSpdTask(x: LinalgExports, l: SpdLayout, t: SpdTask): void {
  const f = l.precision === 'float64';
  switch (t.op) {
    case 'cholUpdate': (f ? x.cholUpdate64 : x.cholUpdate32)(l.a, l.n, t.jb, t.je, t.r0, t.r1); break;
    case 'cholPanel': (f ? x.cholPanel64 : x.cholPanel32)(l.a, l.n, t.jb, t.je, t.r0, t.r1); break;
    case 'invTri': (f ? x.invTri64 : x.invTri32)(l.a, l.n, l.d, t.jb, t.je, l.nb, t.r0, t.r1); break;
    case 'invProd': (f ? x.invProd64 : x.invProd32)(l.a, l.n, t.jb, t.je, t.r0, t.r1); break;
    case 'symmetrize': (f ? x.symmetrize64 : x.symmetrize32)(l.a, l.n, t.r0, t.r1); break;
    case 'easeWeights': (f ? x.easeWeights64 : x.easeWeights32)(l.a, l.n, l.d, t.r0, t.r1); break;
  }
}

/**
 * Cuts rows [r0, r1) into `parts` ranges of about equal cost, where row r costs `cost(r)` (ranges
 * may be empty).
 *
 * @example
 * ```ts
 * splitRows(0, 100, 2, () => 1); // [[0, 50], [50, 100]]
 * ```
 */
export function splitRows(r0: number, r1: number, parts: number, cost: (r: number) => number = () => 1): [number, number][] {
  let total = 0;
  for (let r = r0; r < r1; r++) total += cost(r);
  const out: [number, number][] = [];
  let start = r0;
  let acc = 0;
  let r = r0;
  for (let p = 1; p < parts; p++) {
    const target = (total * p) / parts;
    while (r < r1 && acc + cost(r) / 2 <= target) acc += cost(r++);
    out.push([start, r]);
    start = r;
  }
  out.push([start, r1]);
  return out;
}

/**
 * A symmetric positive definite matrix in shared WASM memory, inverted in place by the SIMD
 * kernels on one or more threads. Fill `a` (its lower triangle is what counts), `await
 * invert()`, then read the full symmetric inverse from `a`, or turn it into EASE weights with
 * `easeWeights()`.
 *
 * @example
 * ```ts
 * const w = WasmSpdMatrix.tryCreate(n, { precision: 'float64' });
 * if (w !== null) {
 *   w.a.set(myMatrix);
 *   if ((await w.invert()) >= 0) throw new Error('not SPD');
 *   // w.a now holds the inverse
 * }
 * ```
 */
export class WasmSpdMatrix {
  /** The n×n row-major matrix, a view into the shared WASM memory (valid as long as this object lives). */
  readonly a: Float64Array | Float32Array;
  /** Where the matrix is, for worker threads. */
  readonly layout: SpdLayout;
  private constructor(
    private readonly x: LinalgExports,
    /** The compiled module (worker threads instantiate it on `memory`). */
    readonly module: WebAssembly.Module,
    /** The shared memory holding the matrix. */
    readonly memory: WebAssembly.Memory,
    layout: SpdLayout,
  ) {
    this.layout = layout;
    const len = layout.n * layout.n;
    this.a = layout.precision === 'float64' ? new Float64Array(memory.buffer, layout.a, len) : new Float32Array(memory.buffer, layout.a, len);
  }

  /** Matrix order. */
  get n(): number {
    return this.layout.n;
  }

  /**
   * Compiles (once) and instantiates the module on a shared memory with room for an n×n matrix;
   * null when WebAssembly SIMD or shared memory is unavailable, or the matrix exceeds 4 GiB
   * (callers then use the TypeScript kernels).
   *
   * @example
   * ```ts
   * const w = WasmSpdMatrix.tryCreate(1000, { precision: 'float32' });
   * ```
   */
  static tryCreate(n: number, opts: { precision?: SpdPrecision; nb?: number } = {}): WasmSpdMatrix | null {
    const r = WasmSpdMatrix.open(n, opts);
    return 'matrix' in r ? r.matrix : null;
  }

  /**
   * Like {@link WasmSpdMatrix.tryCreate}, saying why when the matrix cannot be made here: the
   * matrix over the 4 GiB of a 32-bit WebAssembly memory, the module not compiling (no
   * WebAssembly SIMD or shared memory), or the memory not allocated.
   *
   * @example
   * ```ts
   * const r = WasmSpdMatrix.open(20000, { precision: 'float64' });
   * if ('unavailable' in r) console.warn(r.unavailable);
   * ```
   */
  static open(n: number, opts: { precision?: SpdPrecision; nb?: number } = {}): { matrix: WasmSpdMatrix } | { unavailable: string } {
    const precision = opts.precision ?? 'float64';
    const nb = opts.nb ?? LINALG_BLOCK;
    const bytes = wasmSpdBytes(n, precision);
    const gib = (b: number): string => `${(b / 2 ** 30).toFixed(2)} GiB`;
    if (bytes > WASM_MEMORY_LIMIT) return { unavailable: `a ${n}×${n} ${precision} matrix needs ${gib(bytes)}, above the 4 GiB of a WebAssembly memory` };
    let module: WebAssembly.Module;
    try {
      module = compileKernel('linalg', wasmBase64);
    } catch (e) {
      return { unavailable: `the WebAssembly SIMD module does not compile here (${(e as Error).message})` };
    }
    try {
      const pages = pagesFor(bytes);
      const memory = new WebAssembly.Memory({ initial: 1, maximum: Math.min(65536, pages + 1), shared: true });
      const x = instantiateLinalg(module, memory);
      const e = precision === 'float64' ? 8 : 4;
      const alloc = new LinearAllocator(memory, x.heapBase());
      const a = alloc.alloc(n * n * e);
      const d = alloc.alloc(n * e);
      alloc.commit();
      return { matrix: new WasmSpdMatrix(x, module, memory, { n, precision, nb, a, d }) };
    } catch (e) {
      return { unavailable: `a shared WebAssembly memory of ${gib(bytes)} could not be allocated (${(e as Error).message})` };
    }
  }

  /**
   * Runs one row-range task on this thread.
   *
   * @example
   * ```ts
   * matrix.runTask({ op: 'symmetrize', jb: 0, je: 0, r0: 0, r1: matrix.n });
   * ```
   */
  runTask(t: SpdTask): void {
    runSpdTask(this.x, this.layout, t);
  }

  /** The default SpdParallel: the tasks one after the other on this thread. */
  private readonly serial: SpdParallel = (tasks) => {
    for (const t of tasks) this.runTask(t);
    return Promise.resolve();
  };

  /**
   * Inverts the matrix in place (reads its lower triangle; leaves the full symmetric inverse).
   * `threads` tasks per parallel stage, run by `parallel`; `afterStep(done, total)` is awaited
   * after each block step with the multiply-adds done so far (for progress and cancellation: it
   * may throw). Resolves to −1, or the index of the first non-positive pivot (the matrix is not
   * positive definite; `a` then holds garbage).
   *
   * @example
   * ```ts
   * const bad = await matrix.invert({ afterStep: async (done, total) => report(done / total) });
   * ```
   */
  async invert(opts: { threads?: number; parallel?: SpdParallel; afterStep?: (done: number, total: number) => Promise<void> } = {}): Promise<number> {
    const { n, nb, precision } = this.layout;
    const { a, d } = this.layout;
    const threads = opts.threads ?? 1;
    const parallel = opts.parallel ?? this.serial;
    const f = precision === 'float64';
    const x = this.x;
    const steps = spdInversePlan(n, nb);
    const total = steps.reduce((s, t) => s + t.cost, 0);
    let done = 0;
    const rows = (op: SpdTask['op'], jb: number, je: number, r0: number, r1: number): SpdTask[] =>
      splitRows(r0, r1, threads).map(([s, e]) => ({ op, jb, je, r0: s, r1: e }));
    let diagSaved = false;
    for (const s of steps) {
      const { start: jb, end: je } = s;
      if (s.phase === 0) {
        await parallel(rows('cholUpdate', jb, je, jb, n));
        const bad = f ? x.cholDiag64(a, n, jb, je) : x.cholDiag32(a, n, jb, je);
        if (bad >= 0) return bad;
        if (je < n) await parallel(rows('cholPanel', jb, je, je, n));
      } else if (s.phase === 1) {
        if (!diagSaved) {
          if (f) x.saveDiag64(a, n, d);
          else x.saveDiag32(a, n, d);
          diagSaved = true;
        }
        await parallel(rows('invTri', jb, je, jb, je));
      } else {
        await parallel(rows('invProd', jb, je, jb, je));
      }
      done += s.cost;
      await opts.afterStep?.(done, total);
    }
    // row r copies n − r − 1 entries
    await parallel(splitRows(0, n, threads, (r) => n - r).map(([r0, r1]) => ({ op: 'symmetrize', jb: 0, je: 0, r0, r1 })));
    return -1;
  }

  /**
   * Turns the inverse P (after {@link invert}) into the EASE weights in place:
   * B = −P·diag(1/diag(P)), zero diagonal; then returns a float32 copy (the model's B).
   *
   * @example
   * ```ts
   * await matrix.invert();
   * const B = await matrix.easeWeights(); // Float32Array n×n
   * ```
   */
  async easeWeights(opts: { threads?: number; parallel?: SpdParallel } = {}): Promise<Float32Array> {
    const { n, a, d } = this.layout;
    if (this.layout.precision === 'float64') this.x.negInvDiag64(a, n, d);
    else this.x.negInvDiag32(a, n, d);
    const parallel = opts.parallel ?? this.serial;
    await parallel(splitRows(0, n, opts.threads ?? 1).map(([r0, r1]) => ({ op: 'easeWeights', jb: 0, je: 0, r0, r1 })));
    if (this.a instanceof Float32Array) return this.a.slice();
    const out = new Float32Array(n * n);
    out.set(this.a);
    return out;
  }
}
