// web/index.html (#17 item 14), its inline script run in node:vm against a minimal fake DOM: a
// missing web/lrml.js is said at load (controls disabled); an error is cleared by a later good
// load; items show as titles once an items file is given, as ids otherwise.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import vm from 'node:vm';
import * as browser from '../src/browser.js';
import { encodeModel } from '../src/io/format.js';
import { syntheticTriplet, wrap } from './recommend-fixtures.js';
import { repoRoot } from './helpers.js';


interface FakeElement {
  tag: string; textContent: string; innerHTML: string; hidden: boolean; disabled: boolean; value: string;
  files: { name: string; arrayBuffer: () => Promise<ArrayBuffer> }[];
  listeners: Record<string, (ev: unknown) => unknown>;
  addEventListener: (type: string, fn: (ev: unknown) => unknown) => void;
  click: () => unknown;
}

/** Loads the page's inline script into a context with `lrml` (or without it); returns the elements. */
function loadPage(lrml: unknown): Map<string, FakeElement> {
  const html = readFileSync(join(repoRoot(), 'web', 'index.html'), 'utf8');
  const elements = new Map<string, FakeElement>();
  for (const m of html.matchAll(/<(\w+)([^>]*?)\sid="([^"]+)"([^>]*)>/g)) {
    const attrs = `${m[2]} ${m[4]}`;
    const value = /value="([^"]*)"/.exec(attrs)?.[1] ?? '';
    const el: FakeElement = {
      tag: m[1], textContent: '', innerHTML: '', hidden: /\shidden\b/.test(attrs), disabled: false, value, files: [], listeners: {},
      addEventListener(type, fn) { el.listeners[type] = fn; },
      click() { return el.listeners.click?.({ target: el }); },
    };
    elements.set(m[3], el);
  }
  const scripts = [...html.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((m) => m[1]);
  assert.equal(scripts.length, 1, 'one inline script');
  const document = {
    getElementById: (id: string) => elements.get(id) ?? null,
    querySelectorAll: (sel: string) => [...elements.values()].filter((e) => sel.split(',').map((s) => s.trim()).includes(e.tag)),
  };
  const context = vm.createContext({ document, TextDecoder, Uint8Array, ...(lrml === undefined ? {} : { lrml }) });
  vm.runInContext(scripts[0], context);
  return elements;
}

const file = (name: string, bytes: Uint8Array) => ({ name, arrayBuffer: async () => bytes.slice().buffer });
async function pick(el: FakeElement, f: ReturnType<typeof file>): Promise<void> {
  el.files = [f];
  await el.listeners.change({ target: el });
}

test('web page: without web/lrml.js it says what to run at once, and disables its controls', () => {
  const el = loadPage(undefined);
  const missing = el.get('missing');
  assert.ok(missing !== undefined && !missing.hidden, 'the missing-bundle notice shows at load');
  assert.ok(el.get('go')?.disabled && el.get('file')?.disabled && el.get('explain')?.disabled);
  const html = readFileSync(join(repoRoot(), 'web', 'index.html'), 'utf8');
  assert.match(html, /id="missing"[^>]*>[\s\S]*npm run build:web[\s\S]*reload this page/);
});

test('web page: a good model clears an earlier error; titles replace ids once an items file is given', async () => {
  const el = loadPage(browser);
  const $ = (id: string): FakeElement => el.get(id) as FakeElement;
  assert.equal($('missing').hidden, true);
  await pick($('file'), file('bad.lrml', new TextEncoder().encode('userId,movieId\n1,2\n')));
  assert.match($('error').textContent, /^error \[BAD_MODEL_FILE\]/);
  const model = wrap(syntheticTriplet('lrml'), null);
  await pick($('file'), file('m.lrml', encodeModel(model)));
  assert.equal($('error').textContent, '', 'the earlier error is gone after a successful load');
  assert.match($('info').textContent, /m\.lrml: lrml, 60 users, 48 items/);

  $('user').value = 'u3';
  $('k').value = '3';
  $('go').click();
  assert.match($('out').innerHTML, /<td>i\d+<\/td>/, 'ids without an items file');

  const csv = ['movieId,title,genres', ...Array.from({ length: 48 }, (_, i) => `i${i},"Film ${i}, The (199${i % 10})",Drama`)].join('\n');
  await pick($('titles'), file('movies.csv', new TextEncoder().encode(csv)));
  assert.equal($('titles-info').textContent, "movies.csv: 48 titles, 48 of the model's 48 items");
  $('go').click();
  assert.match($('out').innerHTML, /<td>Film \d+, The \(199\d\) <span class="id">i\d+<\/span><\/td>/);
  $('item').value = 'i9';
  $('explain').click();
  assert.match($('out').innerHTML, /item Film 9, The \(1999\)/);
});

test('web page: an items file (u.item here) with ids the model does not know says how many are ignored, as the CLI does', async () => {
  const el = loadPage(browser);
  const $ = (id: string): FakeElement => el.get(id) as FakeElement;
  await pick($('file'), file('m.lrml', encodeModel(wrap(syntheticTriplet('lrml'), null))));
  const flags = (g: number) => Array.from({ length: 19 }, (_, k) => (k === g ? '1' : '0')).join('|');
  const uitem = [...Array.from({ length: 30 }, (_, i) => `i${i}|Film ${i} (1995)|01-Jan-1995||http://x|${flags(1)}`), `z9|Other (1990)|01-Jan-1990||http://x|${flags(2)}`].join('\n');
  await pick($('titles'), file('u.item', new TextEncoder().encode(uitem)));
  assert.equal($('error').textContent, '');
  assert.equal($('titles-info').textContent, "u.item: 31 titles, 30 of the model's 48 items; 1 ids not in the model (ignored)");
});
