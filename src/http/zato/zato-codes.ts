import type { ErrorCode } from '../../common/error-codes';

/** Zato's answer when it does not tell why: "not allowed". */
export const ZATO_NOT_ALLOWED = 'E005001';

/**
 * Tessera's error codes as Zato's `sub_status` codes: the one table the Zato transport reads. A code
 * Zato has no counterpart for, or one Zato does not tell its callers about (no such user, no such
 * session, a session of another user, a rate limit), collapses to E005001, as Zato's own
 * `inform_*` defaults do. Keyed by every ErrorCode, so a new code cannot be forgotten here.
 */
export const ZATO_SUB_STATUS: Record<ErrorCode, string> = {
  // the request itself
  bad_request: 'E008002',
  validation_failed: 'E008002',
  invalid_json: 'E008002',
  unknown_batch_op: 'E008002',
  not_found: ZATO_NOT_ALLOWED,
  request_timeout: 'E008002',
  method_not_allowed: 'E008001',
  payload_too_large: 'E008002',
  uri_too_long: 'E008002',
  unsupported_media_type: 'E008002',
  headers_too_large: 'E008002',
  // who is calling
  invalid_credentials: ZATO_NOT_ALLOWED,
  session_invalid: ZATO_NOT_ALLOWED,
  metrics_unauthorized: ZATO_NOT_ALLOWED,
  totp_required: 'E005008',
  forbidden: ZATO_NOT_ALLOWED,
  app_not_allowed: 'E004001',
  password_change_required: 'E003007',
  csrf_failed: ZATO_NOT_ALLOWED,
  signup_not_allowed: 'E004002',
  signup_not_confirmed: 'E005003',
  not_approved: 'E005004',
  password_reset_invalid: 'E010001',
  // what it names
  session_not_found: ZATO_NOT_ALLOWED,
  user_not_found: ZATO_NOT_ALLOWED,
  attr_not_found: 'E009002',
  signup_token_invalid: 'E005006',
  linked_auth_not_found: ZATO_NOT_ALLOWED,
  user_exists: 'E001002',
  attr_exists: 'E009001',
  signup_confirmed: 'E005007',
  linked_auth_exists: 'E008002',
  // time
  signup_token_expired: 'E005006',
  // load
  rate_limited: ZATO_NOT_ALLOWED,
  // the server's side
  attr_decrypt_failed: 'E008004',
  database_unavailable: 'E008004',
  internal_error: 'E008004',
};

/** Zato's codes for what only the Zato transport refuses (its own rules, not a Tessera error). */
export const ZATO_ONLY = {
  /** A super-user deleting their own account. */
  invalidOperation: 'E008001',
  /** `ust` together with `current_ust`/`target_ust`, or only one of the two, on the session list. */
  invalidInput: 'E008002',
  /** Zato's own username rules, which the Zato routes keep: empty, too long, with white space. */
  usernameInvalid: 'E001001',
  usernameTooLong: 'E001003',
  usernameHasWhitespace: 'E001004',
} as const;
