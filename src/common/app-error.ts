/**
 * The one error type the core raises. `code` is the stable, snake_case identifier clients match on;
 * the exception filter maps it to HTTP. Messages never carry a value, UST or password.
 */
export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'AppError';
  }
}

export const Errors = {
  validation: (message: string) => new AppError(400, 'validation_failed', message),
  invalidJson: () => new AppError(400, 'invalid_json', 'request body is not valid JSON'),
  invalidCredentials: () => new AppError(401, 'invalid_credentials', 'invalid username or password'),
  sessionInvalid: () => new AppError(401, 'session_invalid', 'session is missing, expired or revoked'),
  forbidden: (message = 'not allowed') => new AppError(403, 'forbidden', message),
  appNotAllowed: () => new AppError(403, 'app_not_allowed', 'application is not on the list of allowed apps'),
  passwordChangeRequired: () =>
    new AppError(403, 'password_change_required', 'password must be changed: log in again with newPassword'),
  notFound: (code: string, message: string) => new AppError(404, code, message),
  conflict: (code: string, message: string) => new AppError(409, code, message),
  payloadTooLarge: (message = 'request body is too large') => new AppError(413, 'payload_too_large', message),
  rateLimited: () => new AppError(429, 'rate_limited', 'too many requests, try again shortly'),
};
