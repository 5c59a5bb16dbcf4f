import { DEFAULT_NEXT, safeNext } from './next-url';

describe('the next URL after signing in', () => {
  const allowed = ['https://app.example.com'];

  it('keeps a path on this service, with its query', () => {
    expect(safeNext('/account?tab=sessions', allowed)).toBe('/account?tab=sessions');
  });

  it('keeps a URL on an allowed origin', () => {
    expect(safeNext('https://app.example.com/welcome', allowed)).toBe('https://app.example.com/welcome');
  });

  it.each([
    ['another site', 'https://evil.example/'],
    ['an allowed host over another scheme', 'http://app.example.com/'],
    ['an allowed host with another port', 'https://app.example.com:8443/'],
    ['a scheme-relative URL', '//evil.example/'],
    ['a backslash that browsers read as a slash', '/\\evil.example/'],
    ['a tab inside the scheme-relative form', '/\t/evil.example/'],
    ['javascript:', 'javascript:alert(1)'],
    ['user info that looks like an allowed host', 'https://app.example.com@evil.example/'],
    ['a relative path without a slash', 'account'],
    ['nothing', ''],
    ['not a string', ['/account']],
  ])('refuses %s', (_what, next) => {
    expect(safeNext(next, allowed)).toBe(DEFAULT_NEXT);
  });
});
