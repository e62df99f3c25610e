// Column roles and the header names that name them (browser-safe).

/**
 * Header names recognised per role (compared lower-case, without `_`, `-`, `.`, spaces); earlier
 * names win when a header has several of a role. The one-letter names (`u`, `i`, `r`, `t`) make a
 * first line a header only when it has two of them (see {@link isHeaderLine}).
 *
 * @example
 * ```ts
 * ROLE_NAMES.rating.includes('score'); // true
 * ```
 */
export const ROLE_NAMES = {
  user: ['user', 'userid', 'uid', 'users', 'customer', 'customerid', 'visitorid', 'reviewerid', 'memberid', 'member', 'u'],
  item: ['item', 'itemid', 'iid', 'items', 'movie', 'movieid', 'product', 'productid', 'asin', 'song', 'songid',
    'track', 'trackid', 'artist', 'artistid', 'book', 'bookid', 'isbn', 'business', 'businessid', 'video', 'videoid',
    'article', 'articleid', 'object', 'objectid', 'poi', 'poiid', 'venue', 'venueid', 'recipe', 'recipeid', 'i'],
  rating: ['rating', 'ratings', 'score', 'stars', 'star', 'preference', 'value', 'weight', 'rate', 'r'],
  timestamp: ['timestamp', 'time', 'ts', 'unixtime', 'unixreviewtime', 'datetime', 'epoch', 't'],
} as const;

/** What a column holds for the loader. */
export type Role = 'user' | 'item' | 'rating' | 'timestamp';

/**
 * The roles in `columns` order.
 *
 * @example
 * ```ts
 * ROLES[2]; // 'rating'
 * ```
 */
export const ROLES: readonly Role[] = ['user', 'item', 'rating', 'timestamp'];

/**
 * A header name as compared with {@link ROLE_NAMES}: lower-case, without `_`, `-`, `.` and spaces.
 *
 * @example
 * ```ts
 * normName('User_ID'); // 'userid'
 * ```
 */
export function normName(s: string): string {
  return s.toLowerCase().replace(/[\s_\-.]/g, '');
}

const KNOWN_NAMES = new Set<string>(Object.values(ROLE_NAMES).flat());

/**
 * Whether a first line's fields read as a header by their names: one known name of two letters or
 * more (`userId`, `ts`), or two known one-letter names (`u,i`; a lone `u` or `t` is as likely an id).
 *
 * @example
 * ```ts
 * isHeaderLine(['u', 'i', 'r']); // true
 * isHeaderLine(['u', '1', '5']); // false
 * ```
 */
export function isHeaderLine(fields: readonly string[]): boolean {
  let short = 0;
  for (const f of fields) {
    const n = normName(f);
    if (!KNOWN_NAMES.has(n)) continue;
    if (n.length > 1) return true;
    short++;
  }
  return short >= 2;
}
