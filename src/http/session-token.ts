import { Errors } from '../common/tessera-error';
import type { TesseraConfig } from '../config/options';
import { bearerToken, HttpRequest } from './bearer';
import { checkCookieCsrf } from './csrf';
import { sessionCookieValue } from './session-cookie';

export interface SessionToken {
  ust: string;
  /** Authenticated by the session cookie (so CSRF-checked), not by `Authorization`. */
  byCookie: boolean;
}

/**
 * The caller's UST: from `Authorization: Bearer`, or else from the session cookie (cookie mode on),
 * in which case a state-changing request must pass the CSRF check first. Any `Authorization` header
 * wins, valid or not: a client that sends one means it.
 */
export function sessionToken(request: HttpRequest, config: Pick<TesseraConfig, 'loginCookie' | 'cookieSecure' | 'allowedOrigins'>): SessionToken {
  if (request.headers.authorization !== undefined || config.loginCookie === 'off') return { ust: bearerToken(request), byCookie: false };
  const ust = sessionCookieValue(request, config);
  if (ust === undefined) throw Errors.sessionInvalid();
  checkCookieCsrf(request, config.allowedOrigins);
  return { ust, byCookie: true };
}
