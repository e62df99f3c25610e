// One CSV field writer (RFC 4180), shared by every CSV the project writes (tune results,
// recommendations, exported vectors). Browser-safe.

/**
 * A CSV field, quoted when it holds a comma, a quote or a line break (RFC 4180).
 *
 * @example
 * ```ts
 * csvField('Toy Story, 1995'); // '"Toy Story, 1995"'
 * ```
 */
export function csvField(s: string): string {
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}
