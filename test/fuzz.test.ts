// Seeded fuzzing of the public loaders: mutated interaction files (csv, tsv, MovieLens .dat,
// NCF, gzip) and mutated model files (truncated, flipped bytes, mangled header JSON). Every
// case must either load or throw an LrmlError: never another exception, never a hang.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { loadInteractions, toCsr } from '../src/data/load.js';
import { loadGivenNegatives } from '../src/io/negatives-file.js';
import { decodeModel, encodeModel, type LoadedModel } from '../src/io/format.js';
import { LrmlError } from '../src/errors.js';
import { Rng } from '../src/rng.js';
import { getFamily } from '../src/train/families.js';
import type { LoadOptions } from '../src/data/types.js';
import { editModelHeader, plantedDataset } from './helpers.js';
import { syntheticTriplet, wrap } from './recommend-fixtures.js';

const DATA_CASES = 300;
const MODEL_CASES = 400;
const dir = mkdtempSync(join(tmpdir(), 'lrml-fuzz-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

const pick = <T>(rng: Rng, xs: readonly T[]): T => xs[rng.int(xs.length)];

/** A small valid interaction file in one of the formats lrml reads. */
function dataFile(rng: Rng): { text: string; format: LoadOptions['format'] } {
  const kind = pick(rng, ['csv', 'tsv', 'dat', 'ncf-rating', 'ncf-pairs'] as const);
  const lines: string[] = [];
  if (kind === 'csv' && rng.float() < 0.7) lines.push('userId,movieId,rating,timestamp');
  if (kind === 'tsv' && rng.float() < 0.5) lines.push('user\titem\trating');
  const n = 5 + rng.int(40);
  for (let k = 0; k < n; k++) {
    const u = pick(rng, [`${rng.int(12)}`, `user${rng.int(6)}`, `"u,${rng.int(3)}"`, `ü${rng.int(4)}`]);
    const i = `${rng.int(20)}`;
    const r = pick(rng, ['1', '2.5', '4', '5', '3.0']);
    const t = `${978300000 + rng.int(100000)}`;
    if (kind === 'csv') lines.push(`${u},${i},${r},${t}`);
    else if (kind === 'tsv') lines.push(`${u.replace(/"/g, '')}\t${i}\t${r}`);
    else if (kind === 'dat') lines.push(`${rng.int(12)}::${i}::${r}::${t}`);
    else if (kind === 'ncf-rating') lines.push(`${rng.int(12)}\t${i}\t${r}\t${t}`);
    else lines.push(`${rng.int(12)}\t${i}`);
  }
  return { text: `${lines.join(pick(rng, ['\n', '\r\n']))}${rng.float() < 0.8 ? '\n' : ''}`, format: kind };
}

const JUNK = ['', ',', '\t', '::', '"', '""', '\n', '\r', '\0', 'NaN', '-Infinity', '1e999', '-0', '0x10', '\uFEFF', '\u00e9', '\u{1F600}', 'x'.repeat(300), '\\', ';', '  '];

/** Mutates bytes: truncation, flips, insertions, deletions, junk fields, duplicated ranges. */
function mutateBytes(rng: Rng, input: Uint8Array, rounds: number): Uint8Array {
  let b = input;
  for (let r = 0; r < rounds; r++) {
    const op = rng.int(6);
    const at = b.length === 0 ? 0 : rng.int(b.length);
    if (op === 0) b = b.subarray(0, at);
    else if (op === 1 && b.length > 0) {
      b = b.slice();
      b[at] ^= 1 << rng.int(8);
    } else if (op === 2) {
      const junk = new TextEncoder().encode(pick(rng, JUNK));
      const raw = rng.float() < 0.3 ? Uint8Array.from({ length: 1 + rng.int(4) }, () => rng.int(256)) : junk;
      const out = new Uint8Array(b.length + raw.length);
      out.set(b.subarray(0, at));
      out.set(raw, at);
      out.set(b.subarray(at), at + raw.length);
      b = out;
    } else if (op === 3) {
      const end = Math.min(b.length, at + rng.int(12));
      const out = new Uint8Array(b.length - (end - at));
      out.set(b.subarray(0, at));
      out.set(b.subarray(end), at);
      b = out;
    } else if (op === 4 && b.length > 0) {
      b = b.slice();
      b[at] = rng.int(256);
    } else {
      const len = Math.min(b.length - at, rng.int(64));
      const out = new Uint8Array(b.length + len);
      out.set(b.subarray(0, at + len));
      out.set(b.subarray(at, at + len), at + len);
      out.set(b.subarray(at + len), at + 2 * len);
      b = out;
    }
  }
  return b;
}

/** Fails the test unless `e` is an LrmlError (what the loaders may throw). */
function expectLrmlError(e: unknown, what: string): void {
  if (!(e instanceof LrmlError)) assert.fail(`${what}: not an LrmlError: ${(e as Error)?.stack ?? String(e)}`);
  assert.ok(e.message.length > 0, `${what}: empty message`);
}

test(`fuzz: ${DATA_CASES} mutated interaction files load or throw an LrmlError`, { timeout: 60_000 }, async () => {
  const rng = new Rng(20240517);
  const outcomes = { loaded: 0, refused: 0 };
  for (let c = 0; c < DATA_CASES; c++) {
    const { text, format } = dataFile(rng);
    let bytes = mutateBytes(rng, new TextEncoder().encode(text), rng.int(4));
    const gz = rng.float() < 0.2;
    if (gz) {
      bytes = new Uint8Array(gzipSync(bytes));
      if (rng.float() < 0.7) bytes = mutateBytes(rng, bytes, 1 + rng.int(2));
    }
    const path = join(dir, `case${c}.${gz ? 'csv.gz' : 'txt'}`);
    writeFileSync(path, bytes);
    const options: LoadOptions = {};
    if (rng.float() < 0.5) options.format = format;
    if (rng.float() < 0.3) options.skipBadLines = true;
    if (rng.float() < 0.15) options.minRating = 3;
    if (rng.float() < 0.15) options.kcore = 2;
    const what = `data case ${c} (${JSON.stringify(options)}, ${bytes.length} bytes)`;
    try {
      const data = await loadInteractions(path, options);
      const csr = toCsr(data);
      assert.equal(csr.numRows, data.users.size, what);
      assert.ok(data.item.every((i) => i >= 0 && i < data.items.size), what);
      outcomes.loaded++;
      // a negatives file of the same kind of junk, read against the maps just loaded
      if (c % 3 === 0) {
        const neg = `(${data.users.id(0)},${data.items.id(0)})\t${data.items.id(0)}\t7\n`;
        const npath = join(dir, `case${c}.negative`);
        writeFileSync(npath, mutateBytes(rng, new TextEncoder().encode(neg.repeat(3)), rng.int(3)));
        await loadGivenNegatives(npath, data.users, data.items, { unknown: pick(rng, ['skip', 'add-items', 'error'] as const) }).catch((e) => expectLrmlError(e, `${what}, negatives`));
      }
    } catch (e) {
      expectLrmlError(e, what);
      outcomes.refused++;
    }
  }
  assert.ok(outcomes.loaded > 20 && outcomes.refused > 20, `both outcomes exercised: ${JSON.stringify(outcomes)}`);
});

/** Small models of every kind, one file each. */
async function baseModels(): Promise<LoadedModel[]> {
  const data = plantedDataset(2, 16, 12, 2, 4);
  const out: LoadedModel[] = [wrap(syntheticTriplet('lrml', { dim: 4, numMemories: 2 }, 16, 12, 2, 3), data), wrap(syntheticTriplet('cml', { dim: 3 }, 16, 12, 2, 4), null)];
  const recipes: Record<string, Record<string, unknown>> = { bpr: { dim: 3, epochs: 1 }, pop: {}, ease: { lambda: 10 }, ials: { dim: 3, epochs: 1 } };
  for (const [kind, o] of Object.entries(recipes)) out.push(wrap(await getFamily(kind).fit(data.train, o), data));
  return out;
}

const JSON_JUNK: unknown[] = [null, 0, -1, 1.5, 1e300, -1e300, 2 ** 31, '', 'F32', 'I32', 'F64', 'lrml', '[]', '{}', 'null', '[1,2]', '{"numUsers":1}', [], [0], [-1, 2], [2, 1], [0, 1e12], {}, { a: 1 }, true];

/** Replaces, deletes or adds one field somewhere in a parsed header. */
function mangleHeader(rng: Rng, h: Record<string, any>): void {
  const key = rng.float() < 0.4 ? '__metadata__' : pick(rng, Object.keys(h));
  const op = rng.int(5);
  if (op === 0) {
    h[key] = pick(rng, JSON_JUNK);
    return;
  }
  if (op === 1) {
    delete h[key];
    return;
  }
  const target = h[key];
  if (target === null || typeof target !== 'object') return;
  const sub = pick(rng, [...Object.keys(target), 'extra']);
  if (op === 4 && typeof target[sub] === 'string' && target[sub].startsWith('{')) {
    // edit one field inside JSON text (config, meta)
    const inner = JSON.parse(target[sub]);
    const k = pick(rng, [...Object.keys(inner), 'dim']);
    inner[k] = pick(rng, JSON_JUNK);
    target[sub] = JSON.stringify(inner);
  } else if (op === 2 || op === 4) target[sub] = pick(rng, JSON_JUNK);
  else delete target[sub];
}

const rebuild = editModelHeader;

test(`fuzz: ${MODEL_CASES} mutated model files load or throw BAD_MODEL_FILE`, { timeout: 60_000 }, async () => {
  const rng = new Rng(7);
  const files = (await baseModels()).map((m) => encodeModel(m));
  const outcomes = { loaded: 0, refused: 0 };
  const scores = new Float32Array(64);
  for (let c = 0; c < MODEL_CASES; c++) {
    const base = pick(rng, files);
    const dropChecksum = rng.float() < 0.6;
    let bytes = dropChecksum ? rebuild(base, (h) => {
      delete h.__metadata__.crc32;
    }) : base;
    const mode = rng.int(3);
    if (mode === 0) bytes = rebuild(bytes, (h) => {
      for (let k = 1 + rng.int(2); k > 0; k--) mangleHeader(rng, h);
    });
    else if (mode === 1) bytes = mutateBytes(rng, bytes, 1 + rng.int(3));
    else {
      // flip bits in the data section only (where only the checksum or the finiteness check can tell)
      bytes = bytes.slice();
      const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
      for (let k = 1 + rng.int(3); k > 0 && bytes.length > 8 + n; k--) bytes[8 + n + rng.int(bytes.length - 8 - n)] ^= 1 << rng.int(8);
    }
    const what = `model case ${c} (mode ${mode}${dropChecksum ? ', no checksum' : ''})`;
    try {
      const m = decodeModel(bytes);
      // a file that loads must be usable
      if (m.model.numUsers > 0 && m.model.numItems <= scores.length) {
        const s = scores.subarray(0, m.model.numItems);
        m.model.scoreAll(0, s);
        assert.ok(s.every(Number.isFinite), `${what}: loaded, but scores are not finite: ${s.join(' ')}`);
      }
      outcomes.loaded++;
    } catch (e) {
      expectLrmlError(e, what);
      assert.equal((e as LrmlError).code, 'BAD_MODEL_FILE', `${what}: ${(e as Error).message}`);
      outcomes.refused++;
    }
  }
  assert.ok(outcomes.loaded > 20 && outcomes.refused > 100, `both outcomes exercised: ${JSON.stringify(outcomes)}`);
});
