/**
 * Every stable error code Tessera answers with, and the HTTP status each one means. This table is
 * the only place a status is decided: the core raises a code, every transport (REST, a host
 * application's filters, the CLI) reads the status here.
 */
export const ERROR_STATUS = {
  // the request itself
  bad_request: 400,
  validation_failed: 400,
  invalid_json: 400,
  unknown_batch_op: 404,
  not_found: 404,
  request_timeout: 408,
  method_not_allowed: 405,
  payload_too_large: 413,
  uri_too_long: 414,
  unsupported_media_type: 415,
  headers_too_large: 431,
  // who is calling
  invalid_credentials: 401,
  session_invalid: 401,
  metrics_unauthorized: 401,
  totp_required: 401,
  forbidden: 403,
  app_not_allowed: 403,
  password_expired: 403,
  password_change_required: 403,
  csrf_failed: 403,
  signup_not_allowed: 403,
  signup_not_confirmed: 403,
  not_approved: 403,
  password_reset_invalid: 400,
  // what it names
  session_not_found: 404,
  user_not_found: 404,
  attr_not_found: 404,
  signup_token_invalid: 404,
  linked_auth_not_found: 404,
  user_exists: 409,
  attr_exists: 409,
  signup_confirmed: 409,
  linked_auth_exists: 409,
  // time
  signup_token_expired: 410,
  // load
  rate_limited: 429,
  // the server's side
  attr_decrypt_failed: 500,
  database_unavailable: 503,
  internal_error: 500,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

export function statusOf(code: ErrorCode): number {
  return ERROR_STATUS[code];
}
