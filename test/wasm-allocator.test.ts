// The bump allocator of the WASM kernels' linear memory (src/kernels/wasm.ts) past 2 GiB: a model
// of 1M items × d 100 with Adam state fills more than 2³¹ bytes, where bitwise alignment wrapped
// to negative offsets (training then failed with "Invalid typed array length").
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LinearAllocator, WASM_PAGE } from '../src/kernels/wasm.js';

test('LinearAllocator: 16-byte aligned, increasing offsets beyond 2 GiB; commit grows to hold them', () => {
  let pages = 1;
  const memory = { get buffer() { return { byteLength: pages * WASM_PAGE }; }, grow(n: number) { pages += n; return pages - n; } } as unknown as WebAssembly.Memory;
  const a = new LinearAllocator(memory, 1000);
  const offs = [a.alloc(1_500_000_000), a.alloc(1_000_000_001), a.alloc(40), a.alloc(16)];
  assert.deepEqual(offs, [1008, 1_500_001_008, 2_500_001_024, 2_500_001_072]);
  assert.equal(a.end, 2_500_001_088);
  a.commit();
  assert.equal(pages, Math.ceil(2_500_001_088 / WASM_PAGE));
});
