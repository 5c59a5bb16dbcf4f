import { Errors } from '../common/tessera-error';
import { normalizeOrigin } from '../config/options';
import type { HttpRequest } from './bearer';

/** The header a cookie-authenticated API call that changes state must carry (any non-empty value). */
export const CSRF_HEADER = 'x-tessera-csrf';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export function changesState(request: HttpRequest): boolean {
  return !SAFE_METHODS.has((request.method ?? 'GET').toUpperCase());
}

/** Where the browser says the request comes from: `Origin`, else the origin of `Referer`. */
function claimedOrigin(request: HttpRequest): string | undefined {
  const origin = request.headers.origin;
  if (typeof origin === 'string' && origin !== 'null') return normalizeOrigin(origin);
  if (origin !== undefined) return undefined;
  const referer = request.headers.referer;
  if (typeof referer !== 'string') return undefined;
  try {
    return normalizeOrigin(new URL(referer).origin);
  } catch {
    return undefined;
  }
}

/**
 * The service's own origin as the browser addressed it. Trusting `Host` is sound here: a browser
 * sends a site's cookies only with requests to that site's own host name.
 */
function ownOrigin(request: HttpRequest): string | undefined {
  const host = request.headers.host;
  return typeof host === 'string' ? normalizeOrigin(`${request.protocol === 'https' ? 'https' : 'http'}://${host}`) : undefined;
}

/**
 * Refuses a request whose `Origin` (or `Referer`) is neither the service's own nor an allowed one.
 * A request with neither header is refused too: every browser sends `Origin` on a cross-origin POST.
 */
export function checkOrigin(request: HttpRequest, allowedOrigins: string[]): void {
  const origin = claimedOrigin(request);
  if (origin === undefined || (origin !== ownOrigin(request) && !allowedOrigins.includes(origin))) {
    throw Errors.csrfFailed('request origin is not allowed (Origin or Referer must name this service or an allowed origin)');
  }
}

/**
 * CSRF protection of API calls authenticated by the session cookie: a call that changes state must
 * come from an allowed origin and carry `X-Tessera-CSRF`, a header a cross-site form cannot send and
 * a cross-origin script can send only after a CORS preflight that the allowed origins alone pass.
 */
export function checkCookieCsrf(request: HttpRequest, allowedOrigins: string[]): void {
  if (!changesState(request)) return;
  checkOrigin(request, allowedOrigins);
  const header = request.headers[CSRF_HEADER];
  if (typeof header !== 'string' || header.trim() === '') {
    throw Errors.csrfFailed('a request authenticated by cookie that changes state must send the X-Tessera-CSRF header');
  }
}
