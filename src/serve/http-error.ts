// Errors the HTTP layer raises itself (the library's are LrmlError), with their status and headers.

import type { ErrorCode } from '../errors.js';

/** Error codes of the HTTP API: the library's, plus the HTTP-only ones (see docs/api.md). */
export type HttpErrorCode =
  | ErrorCode
  | 'NOT_FOUND'
  | 'FORBIDDEN'
  | 'BAD_HOST'
  | 'UNAUTHORIZED'
  | 'BAD_JSON'
  | 'BUSY'
  | 'TIMEOUT'
  | 'BODY_TIMEOUT'
  | 'ABORTED';

/**
 * An error answered as `{"error": {"code", "message"}}` with the status of its code; `headers` go
 * on the response (e.g. Retry-After).
 *
 * @example
 * ```ts
 * throw new HttpError('BUSY', 'fold-in queue full', { 'Retry-After': '2' });
 * ```
 */
export class HttpError extends Error {
  constructor(
    readonly code: HttpErrorCode,
    message: string,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
    this.name = 'HttpError';
  }
}
