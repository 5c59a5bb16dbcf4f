import type { TesseraConfig } from '../config/options';
import type { HttpRequest } from './bearer';

type CookieConfig = Pick<TesseraConfig, 'cookieSecure'>;

interface CookieOptions {
  httpOnly: true;
  secure: boolean;
  sameSite: 'lax';
  path: '/';
  expires?: Date;
}

/**
 * The reply of either platform: `setCookie`/`clearCookie` with @fastify/cookie on Fastify,
 * `cookie`/`clearCookie` on Express. Both take the same options when expiry is a Date.
 */
export interface CookieReply {
  setCookie?(name: string, value: string, options: CookieOptions): unknown;
  cookie?(name: string, value: string, options: CookieOptions): unknown;
  clearCookie?(name: string, options: CookieOptions): unknown;
}

/** `__Host-` makes the browser refuse the cookie unless Secure, host-only and `Path=/`: no subdomain can plant or shadow it. */
export function sessionCookieName(config: CookieConfig): string {
  return config.cookieSecure ? '__Host-tessera_session' : 'tessera_session';
}

function cookieOptions(config: CookieConfig): CookieOptions {
  // HttpOnly: page scripts never see the UST. Lax: sent on top-level navigation to the service, not
  // on cross-site subrequests or form posts from other sites.
  return { httpOnly: true, secure: config.cookieSecure, sameSite: 'lax', path: '/' };
}

/** The session cookie's UST, if the request carries one and the host parses cookies. */
export function sessionCookieValue(request: HttpRequest, config: CookieConfig): string | undefined {
  const value = request.cookies?.[sessionCookieName(config)];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function noCookieSupport(): Error {
  return new Error('session cookies need @fastify/cookie (Fastify) or Express to set them');
}

/**
 * Sets the session cookie. It expires with the session's absolute expiry: the idle expiry slides on
 * the server as the session is used, and the cookie must not vanish before the session can.
 */
export function setSessionCookie(reply: CookieReply, config: CookieConfig, ust: string, expires: Date): void {
  const options = { ...cookieOptions(config), expires };
  if (typeof reply.setCookie === 'function') reply.setCookie(sessionCookieName(config), ust, options);
  else if (typeof reply.cookie === 'function') reply.cookie(sessionCookieName(config), ust, options);
  else throw noCookieSupport();
}

/** Tells the browser to drop the session cookie (same attributes, expiry in the past). */
export function clearSessionCookie(reply: CookieReply, config: CookieConfig): void {
  if (typeof reply.clearCookie !== 'function') throw noCookieSupport();
  reply.clearCookie(sessionCookieName(config), cookieOptions(config));
}
