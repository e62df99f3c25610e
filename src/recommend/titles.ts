// Item titles (and genres) from an items file, attached to the product API's results (browser-safe:
// the items file is read by data/side-info.ts in Node, data/side-text.ts in the browser).

import type { ItemInfo } from '../data/side-text.js';
import type { LoadedModel } from '../models/types.js';
import type { Explanation, SlotProfile } from './explain.js';
import type { Recommendations } from './recommend.js';
import type { SimilarItems } from './similar.js';

/** Item id → title and genres, as `loadItemsFile` / `parseItemsText` return it. */
export type ItemTitles = ReadonlyMap<string, ItemInfo>;

/**
 * What a result gains for an item the items file names: its `title` and `genres` (file order; empty
 * when the file lists none). Items the file does not name gain nothing.
 *
 * @example
 * ```ts
 * const x: ScoredItem & TitleFields = { item: '1', score: -0.2, title: 'Toy Story (1995)', genres: ['Animation'] };
 * ```
 */
export interface TitleFields {
  title?: string;
  genres?: string[];
}

/**
 * The title fields of one item id: `{ title, genres }`, or `{}` when `titles` does not name it.
 *
 * @example
 * ```ts
 * titleFields(titles, '1'); // { title: 'Toy Story (1995)', genres: ['Adventure', 'Animation', …] }
 * ```
 */
export function titleFields(titles: ItemTitles, id: string): TitleFields {
  const t = titles.get(id);
  return t === undefined ? {} : { title: t.title, genres: t.genres.slice() };
}

/**
 * A list of `{ item, … }` with each entry's title fields added (a new array; entries without a title unchanged).
 *
 * @example
 * ```ts
 * withTitles(recommend(m, '42').items, titles)[0].title; // 'Heat (1995)'
 * ```
 */
export function withTitles<T extends { item: string }>(items: readonly T[], titles: ItemTitles): (T & TitleFields)[] {
  return items.map((x) => ({ ...x, ...titleFields(titles, x.item) }));
}

/**
 * Recommendations with titles on their items.
 *
 * @example
 * ```ts
 * const r = titledRecommendations(recommend(m, '42', { k: 5 }), titles);
 * r.items.map((x) => x.title ?? x.item);
 * ```
 */
export function titledRecommendations(r: Recommendations, titles: ItemTitles): Recommendations & { items: (Recommendations['items'][number] & TitleFields)[] } {
  return { ...r, items: withTitles(r.items, titles) };
}

/**
 * Similar items with titles: the query item's at the top level, each listed item's beside it.
 *
 * @example
 * ```ts
 * const s = titledSimilar(similarItems(m, '260'), titles); // s.title: 'Star Wars (1977)'
 * ```
 */
export function titledSimilar(s: SimilarItems, titles: ItemTitles): SimilarItems & TitleFields {
  return { ...s, ...titleFields(titles, s.item), items: withTitles(s.items, titles) };
}

/**
 * An explanation with the item's title at the top level and, when a slot profile is given, titles on
 * the profile's items (`{ id, weight, pairs, title?, genres? }`).
 *
 * @example
 * ```ts
 * const e = titledExplanation(explain(m, '42', '260'), titles); // e.title: 'Star Wars (1977)'
 * ```
 */
export function titledExplanation(e: Explanation, titles: ItemTitles, profile?: SlotProfile): Explanation & TitleFields & { profile?: SlotProfile } {
  const out: Explanation & TitleFields & { profile?: SlotProfile } = { ...e, ...titleFields(titles, e.item) };
  if (profile !== undefined) {
    out.profile = { ...profile, items: profile.items.map((x) => ({ ...x, ...titleFields(titles, x.id) })) };
  }
  return out;
}

/**
 * How an items file meets a model: `titles` entries in the file, `matched` model items with a title,
 * `unknownIds` file ids the model does not know (ignored), `untitled` model items without a title.
 *
 * @example
 * ```ts
 * const c = titleCoverage(m, titles);
 * if (c.unknownIds > 0) console.error(`${c.unknownIds} ids of the items file are not in the model (ignored)`);
 * ```
 */
export function titleCoverage(m: Pick<LoadedModel, 'items'>, titles: ItemTitles): { titles: number; matched: number; unknownIds: number; untitled: number } {
  let matched = 0;
  for (const id of titles.keys()) if (m.items.has(id)) matched++;
  return { titles: titles.size, matched, unknownIds: titles.size - matched, untitled: m.items.size - matched };
}
