// The model a server answers with, swapped atomically on reload.

import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { LrmlError } from '../errors.js';
import type { LoadedModel } from '../io/format.js';
import { loadModel } from '../io/model-file.js';
import type { ItemTitles } from '../recommend/index.js';

/** One loaded model as the server sees it. Requests take a snapshot when they start. */
export interface ModelSnapshot {
  readonly model: LoadedModel;
  /** The file it came from (null when given in memory). */
  readonly path: string | null;
  /** ISO time of loading. */
  readonly loadedAt: string;
  /** 1 for the first model, +1 per successful reload. */
  readonly generation: number;
  /** Item titles that go with this model (re-read with it on reload when the holder has a loader). */
  readonly titles?: ItemTitles;
}

/** The full garbage collection of {@link collectGarbage}: undefined until first asked for, null where there is none. */
let fullGc: (() => void) | null | undefined;

/**
 * One full garbage collection, where the runtime lets us (best effort: nothing otherwise). After a
 * model moved its item vectors into its scorer's table (`shareItemTable`) or the previous model
 * was swapped out, their arrays are garbage, and a quiet server may not run a major collection for
 * hours, while every resident page counts in the latency tail on this VM (BENCHMARKS.md, "Large
 * catalogues"). Takes a few hundred ms at 1M items, once per load.
 */
function collectGarbage(): void {
  if (fullGc === undefined) {
    // node --expose-gc gives the global; else the same flag set now, read by a new context
    const g = (globalThis as { gc?: () => void }).gc;
    try {
      if (typeof g === 'function') fullGc = g;
      else {
        setFlagsFromString('--expose-gc');
        const h: unknown = runInNewContext('gc');
        fullGc = typeof h === 'function' ? (h as () => void) : null;
      }
    } catch {
      fullGc = null;
    }
  }
  try {
    fullGc?.();
  } catch {
    fullGc = null;
  }
}

/**
 * The item titles of a {@link ModelHolder}: `titles` at start, and `load`, which re-reads them on
 * every reload (e.g. `() => loadItemsFile('movies.csv')`); without `load` the titles are kept.
 *
 * @example
 * ```ts
 * const load = () => loadItemsFile('movies.csv');
 * const holder = new ModelHolder(await loadModel('m.lrml'), 'm.lrml', undefined, { titles: await load(), load });
 * ```
 */
export interface HolderTitles {
  titles?: ItemTitles;
  load?: () => Promise<ItemTitles>;
}

/**
 * Holds the current model and swaps it atomically: a request works with the snapshot it took at
 * its start, so requests in flight during a reload finish on the old model. A reload that fails
 * (missing or bad file) throws and leaves the current model serving. Reloads run one at a time.
 * Item titles, when given, belong to the snapshot: a reload re-reads them with the model (a bad
 * titles file fails the reload as a bad model file does), so model and titles swap together.
 * Every model it takes holds its item vectors once (`shareItemTable`: the model's `params.Q` is
 * then its scorer's table), and one full garbage collection follows (best effort) to give back the
 * loader's copy and, on a swap, the model swapped out.
 *
 * @example
 * ```ts
 * const holder = new ModelHolder(await loadModel('m.lrml'), 'm.lrml');
 * const snap = holder.current; // use snap.model for the whole request
 * await holder.reload();       // re-reads m.lrml; throws on a bad file, old model kept
 * ```
 */
export class ModelHolder {
  private snap: ModelSnapshot;
  private queue: Promise<unknown> = Promise.resolve();

  /**
   * `prepare` runs on every reloaded model before it is swapped in (e.g. attaching its candidate
   * index); when it throws, the reload fails and the current model keeps serving. `titles`: the
   * item titles served with the model, and their loader for reloads.
   */
  constructor(
    model: LoadedModel,
    path: string | null = null,
    private readonly prepare?: (model: LoadedModel, path: string) => Promise<void>,
    private readonly titles: HolderTitles = {},
  ) {
    if (model.model.shareItemTable?.() === true) collectGarbage();
    this.snap = Object.freeze({ model, path, loadedAt: new Date().toISOString(), generation: 1, ...(titles.titles === undefined ? {} : { titles: titles.titles }) });
  }

  /** The model serving now. */
  get current(): ModelSnapshot {
    return this.snap;
  }

  /** Replaces the model (and its titles: by default the current ones) with one already in memory; returns the new snapshot. */
  swap(model: LoadedModel, path: string | null = this.snap.path, titles: ItemTitles | undefined = this.snap.titles): ModelSnapshot {
    model.model.shareItemTable?.();
    const old = this.snap.model.index;
    // the old index's search threads stop once their searches are answered (requests still on
    // the old snapshot then search on the main thread)
    if (old !== undefined && old !== model.index) void old.close?.();
    this.snap = Object.freeze({ model, path, loadedAt: new Date().toISOString(), generation: this.snap.generation + 1, ...(titles === undefined ? {} : { titles }) });
    // the loader's item vectors and the model swapped out (unless a request still holds it)
    collectGarbage();
    return this.snap;
  }

  /**
   * Loads `path` (default: the current model's file), fully validated, and re-reads the titles
   * (when the holder has a loader), then swaps both in. Throws (FILE_NOT_FOUND, BAD_MODEL_FILE,
   * BAD_OPTION when there is no file to reload, the titles loader's error) without touching the
   * current model or titles. Concurrent calls run one after another.
   */
  reload(path: string | null = this.snap.path): Promise<ModelSnapshot> {
    const run = async (): Promise<ModelSnapshot> => {
      if (path === null) {
        throw new LrmlError('BAD_OPTION', 'this server was given a model in memory: there is no file to reload');
      }
      const titles = this.titles.load === undefined ? this.snap.titles : await this.titles.load();
      const model = await loadModel(path);
      if (this.prepare !== undefined) await this.prepare(model, path);
      return this.swap(model, path, titles);
    };
    const p = this.queue.then(run, run);
    this.queue = p.catch(() => undefined);
    return p;
  }
}
