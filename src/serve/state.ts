// The model a server answers with, swapped atomically on reload.

import { LrmlError } from '../errors.js';
import type { LoadedModel } from '../io/format.js';
import { loadModel } from '../io/model-file.js';

/** One loaded model as the server sees it. Requests take a snapshot when they start. */
export interface ModelSnapshot {
  readonly model: LoadedModel;
  /** The file it came from (null when given in memory). */
  readonly path: string | null;
  /** ISO time of loading. */
  readonly loadedAt: string;
  /** 1 for the first model, +1 per successful reload. */
  readonly generation: number;
}

/**
 * Holds the current model and swaps it atomically: a request works with the snapshot it took at
 * its start, so requests in flight during a reload finish on the old model. A reload that fails
 * (missing or bad file) throws and leaves the current model serving. Reloads run one at a time.
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
   * index); when it throws, the reload fails and the current model keeps serving.
   */
  constructor(model: LoadedModel, path: string | null = null, private readonly prepare?: (model: LoadedModel, path: string) => Promise<void>) {
    this.snap = Object.freeze({ model, path, loadedAt: new Date().toISOString(), generation: 1 });
  }

  /** The model serving now. */
  get current(): ModelSnapshot {
    return this.snap;
  }

  /** Replaces the model with one already in memory; returns the new snapshot. */
  swap(model: LoadedModel, path: string | null = this.snap.path): ModelSnapshot {
    this.snap = Object.freeze({ model, path, loadedAt: new Date().toISOString(), generation: this.snap.generation + 1 });
    return this.snap;
  }

  /**
   * Loads `path` (default: the current model's file), fully validated, then swaps it in. Throws
   * (FILE_NOT_FOUND, BAD_MODEL_FILE, BAD_OPTION when there is no file to reload) without touching
   * the current model. Concurrent calls run one after another.
   */
  reload(path: string | null = this.snap.path): Promise<ModelSnapshot> {
    const run = async (): Promise<ModelSnapshot> => {
      if (path === null) {
        throw new LrmlError('BAD_OPTION', 'this server was given a model in memory: there is no file to reload');
      }
      const model = await loadModel(path);
      if (this.prepare !== undefined) await this.prepare(model, path);
      return this.swap(model, path);
    };
    const p = this.queue.then(run, run);
    this.queue = p.catch(() => undefined);
    return p;
  }
}
