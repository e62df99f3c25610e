// Host side of the WASM SIMD linear algebra module (assembly/linalg.ts): one instance per
// matrix, with its own memory grown to hold the n×n float64 matrix. Uses only WebAssembly
// globals, so it runs in Node and in browsers.

import { wasmBase64 } from './generated/linalg.js';
import { LINALG_BLOCK, type SpdInverseStep } from './linalg-impl.js';
import { compileKernel, LinearAllocator } from './wasm.js';

interface LinalgExports {
  memory: WebAssembly.Memory;
  heapBase(): number;
  choleskyBlock(a: number, n: number, jb: number, je: number): number;
  invTriBlock(a: number, n: number, jb: number, je: number, nb: number): void;
  inverseProductBlock(a: number, n: number, ib: number, ie: number): void;
  symmetrizeFromLower(a: number, n: number): void;
}

/**
 * Largest byte size a 32-bit WebAssembly memory can hold (65536 pages of 64 KiB).
 *
 * @example
 * ```ts
 * const fits = wasmSpdBytes(n) <= WASM_MEMORY_LIMIT; // n ≤ about 23,000
 * ```
 */
export const WASM_MEMORY_LIMIT = 65536 * 65536;

/**
 * Bytes of WASM memory an n×n float64 matrix needs (plus two pages for the module's own data).
 *
 * @example
 * ```ts
 * wasmSpdBytes(3706); // ≈ 110 MB
 * ```
 */
export function wasmSpdBytes(n: number): number {
  return n * n * 8 + 65536 * 2;
}

/**
 * A symmetric positive definite matrix in WASM memory, inverted in place by the SIMD kernels
 * step by step ({@link spdInversePlan} from linalg-impl.ts gives the steps). Fill `a` (its lower
 * triangle is what counts), run the steps in order, then `symmetrize()`.
 *
 * @example
 * ```ts
 * const w = WasmSpdMatrix.tryCreate(n);
 * if (w !== null) {
 *   w.a.set(myMatrix);
 *   for (const s of spdInversePlan(n)) if (w.runStep(s) >= 0) throw new Error('not SPD');
 *   w.symmetrize(); // w.a now holds the inverse
 * }
 * ```
 */
export class WasmSpdMatrix {
  /** The n×n row-major matrix, a view into WASM memory (valid as long as this object lives). */
  readonly a: Float64Array;
  private constructor(private readonly x: LinalgExports, private readonly off: number, readonly n: number, private readonly nb: number) {
    this.a = new Float64Array(x.memory.buffer, off, n * n);
  }

  /**
   * Compiles (once) and instantiates the module with room for an n×n float64 matrix; null when
   * WebAssembly is unavailable, the module cannot be compiled synchronously, or the memory
   * cannot grow that far (callers then use the TypeScript kernels).
   */
  static tryCreate(n: number, nb = LINALG_BLOCK): WasmSpdMatrix | null {
    if (wasmSpdBytes(n) > WASM_MEMORY_LIMIT) return null;
    try {
      const mod = compileKernel('linalg', wasmBase64);
      const inst = new WebAssembly.Instance(mod, {});
      const x = inst.exports as unknown as LinalgExports;
      const alloc = new LinearAllocator(x.memory, x.heapBase());
      const off = alloc.alloc(n * n * 8);
      alloc.commit();
      return new WasmSpdMatrix(x, off, n, nb);
    } catch {
      return null;
    }
  }

  /** Runs one step of the blocked inverse; returns −1 or (Cholesky steps) a non-positive pivot's index. */
  runStep(s: SpdInverseStep): number {
    if (s.phase === 0) return this.x.choleskyBlock(this.off, this.n, s.start, s.end);
    if (s.phase === 1) this.x.invTriBlock(this.off, this.n, s.start, s.end, this.nb);
    else this.x.inverseProductBlock(this.off, this.n, s.start, s.end);
    return -1;
  }

  /** Copies the lower triangle onto the upper one. */
  symmetrize(): void {
    this.x.symmetrizeFromLower(this.off, this.n);
  }
}
