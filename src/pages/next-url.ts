export const DEFAULT_NEXT = '/account';

/**
 * Where to go after signing in: a path on this service, or a URL on one of the allowed origins;
 * anything else (another site, `//host`, `/\host`, `javascript:`) is replaced by `/account`, so the
 * login page cannot be used to send a user somewhere chosen by whoever wrote the link.
 */
export function safeNext(next: unknown, allowedOrigins: string[]): string {
  if (typeof next !== 'string' || next === '' || next.length > 2048 || /[\u0000-\u001f\u007f\\]/.test(next)) return DEFAULT_NEXT;
  if (next.startsWith('/')) return next.startsWith('//') ? DEFAULT_NEXT : next;
  try {
    const url = new URL(next);
    return allowedOrigins.includes(url.origin) ? url.href : DEFAULT_NEXT;
  } catch {
    return DEFAULT_NEXT;
  }
}
