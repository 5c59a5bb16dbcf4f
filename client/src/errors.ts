import type { ErrorCode } from './api-types.ts';

/** Codes the client itself raises: the server could not be reached, or answered something unexpected. */
export type ClientSideCode = 'network_error' | 'unexpected_response';

/**
 * A failed call: the server's stable `code` (see the API docs) and HTTP `status`, or a client-side
 * code with status 0. The message never contains a UST, a password or an attribute value.
 */
export class TesseraClientError extends Error {
  constructor(
    readonly code: ErrorCode | ClientSideCode,
    readonly status: number,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'TesseraClientError';
  }
}
