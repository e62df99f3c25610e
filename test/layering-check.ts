// Reads the imports of the TypeScript sources and checks them against the layering that
// DEVELOPERS.md documents ("Layout"): which folder may import which, where Node-only modules may
// be used, and that no file imports (at run time) its own folder's index.ts. Used by test/layering.test.ts on
// src/ and on synthetic cases. Reads files as text: a small lexer drops comments and the contents
// of strings, templates and regular expressions, so only real import and export statements count.

import { builtinModules } from 'node:module';
import { posix } from 'node:path';

/** One import found in a file. */
export interface ImportEdge {
  /** Importing file, relative to src/ (posix separators). */
  from: string;
  /** The specifier as written. */
  specifier: string;
  /** The imported project file relative to src/, or null for packages and Node modules. */
  to: string | null;
  /** `import type` / `export type` / all-`type` named imports: no runtime dependency. */
  typeOnly: boolean;
  /** `import('…')`: loaded on demand. */
  dynamic: boolean;
}

/**
 * The layers, lowest first: a file may import its own folder and any folder of a lower rank.
 * Folders of the same rank are peers and do not import each other.
 */
export const LAYERS: readonly (readonly string[])[] = [
  ['errors.ts', 'rng.ts', 'version.ts'],
  ['fs-atomic.ts'],
  ['kernels', 'data'],
  ['models'],
  ['train', 'eval', 'recommend', 'analyze'],
  ['io'],
  ['report', 'serve'],
  ['cli'],
  ['index.ts', 'browser.ts'],
];

/** Where Node-only modules (node:…, Node built-ins) may be imported, and files that import them. */
export const NODE_ALLOWED: readonly string[] = ['data', 'io', 'serve', 'cli', 'report', 'fs-atomic.ts', 'index.ts'];

/**
 * Documented exceptions to the Node rule: file → why. The Hogwild backend is Node-only and is
 * loaded by a computed specifier only when threads > 1, so the single-thread training path stays
 * browser-safe.
 */
export const NODE_EXCEPTIONS: Readonly<Record<string, string>> = {
  'train/backends/hogwild.ts': 'the Hogwild worker-thread backend, loaded on demand (threads > 1)',
  'train/backends/hogwild-worker.ts': 'the Hogwild worker entry, started by hogwild.ts',
  'train/backends/ease-threads.ts': 'the EASE inverse\'s worker threads, loaded on demand (threads > 1)',
  'train/backends/ease-worker.ts': 'the EASE inverse\'s worker entry, started by ease-threads.ts',
};

/** The kernels import nothing from the project but each other. */
const SELF_CONTAINED = ['kernels'];

/** The folder (or root file) a src-relative path belongs to. */
export function unitOf(file: string): string {
  const i = file.indexOf('/');
  return i < 0 ? file : file.slice(0, i);
}

function rankOf(unit: string): number {
  return LAYERS.findIndex((l) => l.includes(unit));
}

/** Replaces comments, string/template contents and regular expressions; returns the code and the string literals. */
export function stripSource(src: string): { code: string; strings: string[] } {
  const strings: string[] = [];
  let out = '';
  let i = 0;
  const n = src.length;
  let last = ''; // last significant character of code, for the regex / division decision
  let lastWord = '';
  const templateDepth: number[] = []; // brace depth at which each open template's ${ … } returns
  let braces = 0;
  const regexAfter = '(,=:[!&|?{};+-*%<>~^';
  const regexWords = new Set(['return', 'typeof', 'case', 'do', 'else', 'in', 'of', 'new', 'delete', 'void', 'throw', 'yield', 'await']);
  const readString = (q: string): void => {
    let v = '';
    i++;
    while (i < n && src[i] !== q) {
      if (src[i] === '\\') {
        v += src[i + 1];
        i += 2;
        continue;
      }
      if (src[i] === '\n') break;
      v += src[i++];
    }
    i++;
    strings.push(v);
    out += `"__S${strings.length - 1}__"`;
    last = '"';
  };
  const readTemplate = (): void => {
    // from just after ` (or after the } closing a ${ }) to the closing ` or the next ${
    while (i < n) {
      if (src[i] === '\\') {
        i += 2;
        continue;
      }
      if (src[i] === '`') {
        i++;
        out += '`';
        last = '`';
        return;
      }
      if (src[i] === '$' && src[i + 1] === '{') {
        i += 2;
        out += '${';
        templateDepth.push(braces);
        braces++;
        last = '{';
        return;
      }
      if (src[i] === '\n') out += '\n';
      i++;
    }
  };
  while (i < n) {
    const c = src[i];
    if (c === '/' && src[i + 1] === '/') {
      while (i < n && src[i] !== '\n') i++;
      continue;
    }
    if (c === '/' && src[i + 1] === '*') {
      const e = src.indexOf('*/', i + 2);
      const end = e < 0 ? n : e + 2;
      out += src.slice(i, end).replace(/[^\n]/g, ' ');
      i = end;
      continue;
    }
    if (c === '"' || c === "'") {
      readString(c);
      continue;
    }
    if (c === '`') {
      out += '`';
      i++;
      readTemplate();
      continue;
    }
    if (c === '/' && (last === '' || regexAfter.includes(last) || regexWords.has(lastWord))) {
      // a regular expression literal
      i++;
      let inClass = false;
      while (i < n && src[i] !== '\n') {
        if (src[i] === '\\') {
          i += 2;
          continue;
        }
        if (src[i] === '[') inClass = true;
        else if (src[i] === ']') inClass = false;
        else if (src[i] === '/' && !inClass) break;
        i++;
      }
      i++;
      while (i < n && /[a-z]/i.test(src[i])) i++;
      out += '/re/';
      last = '/';
      lastWord = '';
      continue;
    }
    if (c === '{') braces++;
    if (c === '}') {
      braces--;
      if (templateDepth.length > 0 && templateDepth[templateDepth.length - 1] === braces) {
        templateDepth.pop();
        out += '}';
        i++;
        readTemplate();
        continue;
      }
    }
    if (/[A-Za-z0-9_$]/.test(c)) {
      let w = '';
      while (i < n && /[A-Za-z0-9_$]/.test(src[i])) w += src[i++];
      out += w;
      lastWord = w;
      last = 'a';
      continue;
    }
    if (!/\s/.test(c)) {
      last = c;
      lastWord = '';
    }
    out += c;
    i++;
  }
  return { code: out, strings };
}

/** The imports of one source file (`file` relative to src/). */
export function importsOf(file: string, src: string, exists: (file: string) => boolean): ImportEdge[] {
  const { code, strings } = stripSource(src);
  const edges: ImportEdge[] = [];
  const add = (specifier: string, typeOnly: boolean, dynamic: boolean): void => {
    let to: string | null = null;
    if (specifier.startsWith('.')) {
      const base = posix.normalize(posix.join(posix.dirname(file), specifier));
      const candidates = [base.replace(/\.js$/, '.ts'), `${base}.ts`, `${base}/index.ts`];
      to = candidates.find(exists) ?? base.replace(/\.js$/, '.ts');
    }
    edges.push({ from: file, specifier, to, typeOnly, dynamic });
  };
  const stmt = /(?:^|[;\n}])\s*(import|export)\s+(?!\()([^;]*?)\bfrom\s*"__S(\d+)__"/g;
  for (let m = stmt.exec(code); m !== null; m = stmt.exec(code)) {
    const clause = m[2].trim();
    let typeOnly = /^type\b/.test(clause);
    const named = /^\{([^}]*)\}$/.exec(clause);
    if (!typeOnly && named !== null) {
      const parts = named[1].split(',').map((x) => x.trim()).filter((x) => x !== '');
      typeOnly = parts.length > 0 && parts.every((x) => /^type\s/.test(x));
    }
    add(strings[Number(m[3])], typeOnly, false);
  }
  const bare = /(?:^|[;\n}])\s*import\s*"__S(\d+)__"/g;
  for (let m = bare.exec(code); m !== null; m = bare.exec(code)) add(strings[Number(m[1])], false, false);
  const dyn = /\bimport\s*\(\s*"__S(\d+)__"\s*\)/g;
  for (let m = dyn.exec(code); m !== null; m = dyn.exec(code)) add(strings[Number(m[1])], false, true);
  return edges;
}

function isNodeModule(specifier: string): boolean {
  return specifier.startsWith('node:') || builtinModules.includes(specifier.split('/')[0]);
}

function nodeAllowed(file: string): boolean {
  return NODE_ALLOWED.includes(unitOf(file)) || file in NODE_EXCEPTIONS;
}

/**
 * Every layering violation of a set of sources (path relative to src/ → text), one line each,
 * naming the file and the import.
 *
 * @example
 * ```ts
 * checkLayering(new Map([['models/a.ts', "import { x } from '../train/b.js';"]]));
 * // ['models/a.ts imports ../train/b.js: models may not import train (…)']
 * ```
 */
export function checkLayering(sources: ReadonlyMap<string, string>): string[] {
  const problems: string[] = [];
  const exists = (f: string): boolean => sources.has(f);
  const edges = new Map<string, ImportEdge[]>();
  for (const [file, src] of sources) edges.set(file, importsOf(file, src, exists));
  for (const [file, list] of edges) {
    const unit = unitOf(file);
    const rank = rankOf(unit);
    if (rank < 0) {
      problems.push(`${file}: ${unit} is in no layer of DEVELOPERS.md (add it to LAYERS in test/layering-check.ts and to the Layout)`);
      continue;
    }
    for (const e of list) {
      if (e.to === null) {
        if (isNodeModule(e.specifier) && !e.typeOnly && !nodeAllowed(file)) {
          problems.push(`${file} imports ${e.specifier}: Node-only modules are for ${NODE_ALLOWED.join(', ')} (this code must run in browsers)`);
        }
        continue;
      }
      if (!sources.has(e.to)) {
        problems.push(`${file} imports ${e.specifier}: no such file ${e.to}`);
        continue;
      }
      const toUnit = unitOf(e.to);
      if (toUnit === unit) {
        if (!e.typeOnly && e.to === `${posix.dirname(file)}/index.ts` && posix.dirname(file) !== '.') {
          problems.push(`${file} imports ${e.specifier}: its own folder's index.ts (an entry that only re-exports; import the file that holds the code)`);
        }
        continue;
      }
      const toRank = rankOf(toUnit);
      if (SELF_CONTAINED.includes(unit)) {
        problems.push(`${file} imports ${e.specifier}: ${unit} import nothing from the project`);
      } else if (toRank > rank) {
        problems.push(`${file} imports ${e.specifier}: ${unit} may not import ${toUnit} (a higher layer: ${LAYERS.map((l) => l.join('/')).join(' ← ')})`);
      } else if (toRank === rank) {
        problems.push(`${file} imports ${e.specifier}: ${unit} and ${toUnit} are peers and do not import each other`);
      }
    }
  }
  // Node-only code reached through static imports from browser-safe code
  const tainted = new Map<string, string | null>();
  const taint = (file: string, seen: Set<string>): string | null => {
    if (tainted.has(file)) return tainted.get(file) as string | null;
    if (seen.has(file)) return null;
    seen.add(file);
    let why: string | null = null;
    for (const e of edges.get(file) ?? []) {
      if (e.typeOnly || e.dynamic) continue;
      if (e.to === null) {
        if (isNodeModule(e.specifier)) why = e.specifier;
      } else if (sources.has(e.to)) {
        const w = taint(e.to, seen);
        if (w !== null) why = `${e.to} → ${w}`;
      }
      if (why !== null) break;
    }
    tainted.set(file, why);
    return why;
  };
  for (const [file, list] of edges) {
    if (nodeAllowed(file)) continue;
    for (const e of list) {
      if (e.typeOnly || e.dynamic || e.to === null || !sources.has(e.to) || !nodeAllowed(e.to)) continue;
      const why = taint(e.to, new Set());
      if (why !== null) problems.push(`${file} imports ${e.specifier}: Node-only through ${e.to} → ${why} (this code must run in browsers)`);
    }
  }
  return problems;
}
