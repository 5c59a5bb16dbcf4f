import { HttpException } from '@nestjs/common';
import { ErrorCode, statusOf } from './error-codes';

/** The body every Tessera error answers with. */
export interface ErrorBody {
  statusCode: number;
  code: ErrorCode;
  message: string;
}

/**
 * The one error type Tessera raises: a stable `code` (see error-codes.ts) and a message that never
 * carries a value, UST or password. It is an HttpException, so inside a host application Nest's own
 * exception handling (the default filter included) answers with the right status and this body.
 */
export class TesseraError extends HttpException {
  constructor(
    readonly code: ErrorCode,
    message: string,
    /** For errors that pass by themselves (rate limits): when to try again, sent as `Retry-After`. */
    readonly retryAfterSeconds?: number,
    /**
     * Which rule a `validation_failed` broke, where a transport tells rules apart (Zato's password
     * codes); not part of the body, whose message already says it in words.
     */
    readonly rule?: ValidationRule,
  ) {
    super({ statusCode: statusOf(code), code, message } satisfies ErrorBody, statusOf(code));
    this.name = 'TesseraError';
  }

  get body(): ErrorBody {
    return this.getResponse() as ErrorBody;
  }
}

/** Validation rules a transport may name by a code of its own. */
export type ValidationRule = 'password_too_short';

export const Errors = {
  validation: (message: string, rule?: ValidationRule) => new TesseraError('validation_failed', message, undefined, rule),
  invalidJson: () => new TesseraError('invalid_json', 'request body is not valid JSON'),
  invalidCredentials: () => new TesseraError('invalid_credentials', 'invalid username or password'),
  sessionInvalid: () => new TesseraError('session_invalid', 'session is missing, expired or revoked'),
  forbidden: (message = 'not allowed') => new TesseraError('forbidden', message),
  superUserRequired: () => new TesseraError('forbidden', 'super-user rights required'),
  csrfFailed: (message: string) => new TesseraError('csrf_failed', message),
  appNotAllowed: () => new TesseraError('app_not_allowed', 'application is not on the list of allowed apps'),
  passwordExpired: () => new TesseraError('password_expired', 'password has expired: log in again with newPassword'),
  passwordChangeRequired: () =>
    new TesseraError('password_change_required', 'password must be changed: log in again with newPassword'),
  sessionNotFound: (message = 'no such live session') => new TesseraError('session_not_found', message),
  userNotFound: () => new TesseraError('user_not_found', 'no such user'),
  attrNotFound: (names: string) => new TesseraError('attr_not_found', `no such attribute: ${names}`),
  attrExists: (names: string) => new TesseraError('attr_exists', `attribute already exists: ${names}`),
  unknownBatchOp: (ops: readonly string[]) => new TesseraError('unknown_batch_op', `batch operation must be one of ${ops.join(', ')}`),
  userExists: () => new TesseraError('user_exists', 'a user with this username exists'),
  payloadTooLarge: (message = 'request body is too large') => new TesseraError('payload_too_large', message),
  databaseUnavailable: () => new TesseraError('database_unavailable', 'the database is unavailable, try again shortly'),
  // sign-up, approval and linked auth records
  signupNotAllowed: () => new TesseraError('signup_not_allowed', 'sign-up is not open for this application'),
  signupNotConfirmed: () => new TesseraError('signup_not_confirmed', 'the sign-up has not been confirmed'),
  notApproved: () => new TesseraError('not_approved', 'the user is not approved'),
  signupTokenInvalid: () => new TesseraError('signup_token_invalid', 'no such sign-up confirmation token'),
  signupTokenExpired: () => new TesseraError('signup_token_expired', 'the sign-up confirmation token has expired'),
  signupConfirmed: () => new TesseraError('signup_confirmed', 'the sign-up is already confirmed'),
  linkedAuthExists: () => new TesseraError('linked_auth_exists', 'this auth record is already linked to the user'),
  linkedAuthNotFound: () => new TesseraError('linked_auth_not_found', 'no such linked auth record'),
  totpRequired: () => new TesseraError('totp_required', 'this user logs in with a TOTP code: send totpCode'),
  passwordResetInvalid: () => new TesseraError('password_reset_invalid', 'the reset token or reset key is unknown, used or expired'),
  rateLimited: (retryAfterSeconds = 1) =>
    new TesseraError('rate_limited', 'too many requests, try again shortly', Math.max(1, Math.ceil(retryAfterSeconds))),
};
