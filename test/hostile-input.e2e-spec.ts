import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { Test } from 'supertest';
import { AuthService, ERROR_STATUS, SessionAttrService, UserAttrService, UsersService } from '../src';
import type { TesseraError } from '../src';
import { createUser, loggedInUser, PASSWORD, startTestApp, TestApp, uniqueName } from './support/test-app';

/**
 * Issue 7: no input, however malformed, gets a 5xx. A fixed seed makes every run send the same
 * requests; each one must answer below 500, and every 4xx must be `{statusCode, code, message}` with a
 * code documented in docs/api.md, must not echo the body (MARKER travels in every body's values), and
 * must leave the fixture's rows as they were.
 */
const SEED = 7_2026;
const RUNS_PER_MUTATION = 2;
const MARKER = 'h0stile-marker-5f2c';
const BODY_LIMIT = 262_144;

type Fixture = Awaited<ReturnType<typeof fixture>>;
type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

interface Req {
  label: string;
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string | Buffer;
  /** Set when the request must be refused whatever the route does with it, saying why. */
  mustRefuse?: string;
}

let t: TestApp;

/** The error table of docs/api.md: code → status. */
function documentedCodes(): Map<string, number> {
  const doc = readFileSync(join(__dirname, '..', 'docs', 'api.md'), 'utf8');
  const table = doc.slice(doc.indexOf('## Errors'), doc.indexOf('## Login and logout'));
  const codes = new Map<string, number>();
  for (const [, status, cell] of table.matchAll(/^\| (\d{3}) \| ([^|]+) \|/gm)) {
    for (const [, code] of cell.matchAll(/`([a-z_]+)`/g)) codes.set(code, Number(status));
  }
  return codes;
}
const DOCUMENTED = documentedCodes();

async function fixture(t: TestApp) {
  const admin = await loggedInUser(t, { isSuperUser: true });
  const me = await loggedInUser(t);
  const target = await createUser(t);
  await t.http().put('/sessions/current/attrs/existing').set('Authorization', me.auth).send({ value: { seed: 1 } }).expect(200);
  await t.http().put('/users/me/attrs/existing').set('Authorization', me.auth).send({ value: { seed: 2 } }).expect(200);
  return { admin, me, target, prefix: uniqueName('hostile') };
}

/**
 * Every row a request could have touched: the fixture's users (and any user a create tried to make
 * with the fixture's prefix), their sessions and both kinds of attributes. A session's `expires_at`
 * is left out: using a session may slide it (throttled, off the request path) even when the request
 * is then refused.
 */
async function snapshot(f: Fixture): Promise<string> {
  const ids = [f.admin.user.id, f.me.user.id, f.target.id];
  const { rows } = await t.pg.query(
    `SELECT json_build_object(
       'users', (SELECT json_agg(u ORDER BY u.id) FROM sso_user u WHERE u.id = ANY($1::uuid[]) OR u.username LIKE $2 || '%'),
       'sessions', (SELECT json_agg(to_jsonb(s) - 'expires_at' ORDER BY s.id) FROM sso_session s WHERE s.user_id = ANY($1::uuid[])),
       'sessionAttrs', (SELECT json_agg(a ORDER BY a.owner_id, a.name) FROM sso_session_attr a
                        JOIN sso_session s ON s.id = a.owner_id WHERE s.user_id = ANY($1::uuid[])),
       'userAttrs', (SELECT json_agg(a ORDER BY a.owner_id, a.name) FROM sso_user_attr a WHERE a.owner_id = ANY($1::uuid[]))
     )::text AS state`,
    [ids, f.prefix],
  );
  return rows[0].state;
}

function send(r: Req): Test {
  let test = (t.http() as unknown as Record<string, (path: string) => Test>)[r.method.toLowerCase()](r.path);
  for (const [name, value] of Object.entries(r.headers)) test = test.set(name, value);
  if (r.body === undefined) return test;
  // Bytes go as they are: superagent would otherwise JSON-encode a Buffer sent as application/json.
  return Buffer.isBuffer(r.body) ? rawBytes(test).send(r.body) : test.send(r.body);
}

function rawBytes(test: Test): Test {
  return test.serialize((bytes: unknown) => bytes as string);
}

/** What is wrong with an answer, or nothing. */
function problems(r: Req, res: { status: number; text?: string; body?: unknown }, changed: boolean): string[] {
  const found: string[] = [];
  // The body's start, to reproduce a 5xx (fixed seed: the same request comes back on every run).
  if (res.status >= 500) found.push(`answered ${res.status} to ${JSON.stringify(r.body?.toString().slice(0, 160))}`);
  if (r.mustRefuse && res.status < 400) found.push(`accepted ${r.mustRefuse} (${res.status})`);
  if (res.status < 400 || res.status >= 500) return found;
  if (changed) found.push('changed the database');
  if (r.method === 'HEAD') return found;
  const body = res.body as Record<string, unknown>;
  const keys = Object.keys(body ?? {}).sort().join(',');
  if (keys !== 'code,message,statusCode') found.push(`body is {${keys}}`);
  if (body?.statusCode !== res.status) found.push(`statusCode ${String(body?.statusCode)} in a ${res.status}`);
  if (typeof body?.message !== 'string' || body.message === '') found.push('no message');
  if (DOCUMENTED.get(String(body?.code)) !== res.status) found.push(`code ${String(body?.code)} is not documented for ${res.status}`);
  if ((res.text ?? '').includes(MARKER)) found.push('echoes the body');
  return found;
}

/** Sends each request in turn; answers every problem found, labelled, and how many were refused. */
async function sendAll(f: Fixture, requests: Req[]) {
  const found: string[] = [];
  let refused = 0;
  let before = await snapshot(f);
  for (const r of requests) {
    const res = await send(r);
    const after = await snapshot(f);
    if (res.status >= 400) refused++;
    for (const problem of problems(r, res, res.status >= 400 && after !== before)) {
      found.push(`${r.label}: ${r.method} ${r.path.slice(0, 120)} ${problem}`);
    }
    before = after;
  }
  return { found, refused };
}

// ---------------------------------------------------------------------------------------------
// What hostile input is made of

const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((code) => String.fromCharCode(code));
const controlChar = fc.oneof(fc.integer({ min: 0, max: 0x1f }), fc.integer({ min: 0x7f, max: 0x9f })).map((code) => String.fromCharCode(code));

const nastyString: fc.Arbitrary<string> = fc.oneof(
  fc.tuple(fc.string({ maxLength: 6 }), loneSurrogate, fc.string({ maxLength: 6 })).map(([a, s, b]) => `${MARKER}${a}${s}${b}`),
  fc.tuple(fc.string({ maxLength: 6 }), controlChar).map(([a, c]) => `${MARKER}${a}${c}`),
  fc.constantFrom('', ' ', '\u0000', `${MARKER}\u0000`, '\ufeff', `${MARKER}\u202e`, '../../etc/passwd', `${MARKER}' OR '1'='1`, '%00', '😀'.repeat(200)),
  fc.integer({ min: 129, max: 70_000 }).map((n) => `${MARKER}${'x'.repeat(n)}`),
  fc.string({ unit: 'binary', maxLength: 12 }).map((s) => `${MARKER}${s}`),
);
const nastyNumber: fc.Arbitrary<number> = fc.oneof(
  fc.constantFrom(0, -0, -1, 1.5, 1e308, -1e308, 5e-324, 2 ** 31, 2 ** 53 + 2, -(2 ** 63)),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.integer(),
);
/** An object whose own keys include one that means something to JavaScript. */
const prototypeKeys = (inner: fc.Arbitrary<Json>): fc.Arbitrary<Json> =>
  fc
    .tuple(fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty'), inner)
    .map(([key, value]) => JSON.parse(`{${JSON.stringify(key)}: ${JSON.stringify(value)}, "note": ${JSON.stringify(MARKER)}}`) as Json);
const nastyValue: fc.Arbitrary<Json> = fc.oneof(
  nastyString,
  nastyNumber,
  fc.constantFrom<Json>(true, false, null, [], {}, [MARKER], { note: MARKER }),
  fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<Json>,
  prototypeKeys(fc.constantFrom<Json>({ isSuperUser: true }, [1], null, MARKER)),
);

/** Placeholders for JSON text no JavaScript value gives: deep nesting and numbers beyond a double. */
const RAW_FRAGMENTS = {
  deep65: '['.repeat(65) + ']'.repeat(65),
  deep1500: '['.repeat(1500) + ']'.repeat(1500),
  deep100k: '['.repeat(100_000) + ']'.repeat(100_000),
  deepObject: '{"a":'.repeat(200) + '1' + '}'.repeat(200),
  huge: '1e999',
  negativeHuge: '-1e999',
};
type Raw = keyof typeof RAW_FRAGMENTS;
const rawFragment = fc.constantFrom(...(Object.keys(RAW_FRAGMENTS) as Raw[]));
const rawToken = (raw: Raw) => `@@raw:${raw}@@`;
const withRaw = (json: string) => json.replace(/"@@raw:(\w+)@@"/g, (_, raw: Raw) => RAW_FRAGMENTS[raw]);

const MALFORMED_JSON = [
  '{',
  `{"note": "${MARKER}`,
  `{'note': '${MARKER}'}`,
  `{"note": ${MARKER}}`,
  '[1,]',
  '{"a":1,}',
  'NaN',
  '{"a":1}{"b":2}',
  '\ufeff{}',
  'undefined',
  `{"note": "${MARKER}\\x"}`,
  `{"note": "${MARKER}\\ud8"}`,
  '{"a": 01}',
  `{"note": "${MARKER}\n"}`,
];
const BAD_UTF8 = [[0xff], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xe0, 0xa4], [0xf8, 0x88, 0x80, 0x80, 0x80]];
const WRONG_TYPES = [
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=xyz',
  'application/json; charset=latin1',
  'application/json; charset=utf-16',
  'application/xml',
  'application/jsonx',
  'application/vnd.api+json',
  'text/json',
  ';;;',
];
const BAD_SEGMENTS = [
  '%', '%Z', '%E0%A4%A', '%ED%A0%80', '%C0%AF', '%FF', '%00', '%01', '%7F', '%C2%85', '%2F', 'a%2Fb',
  '%2e%2e', '%20', '%EF%BF%BD%00', '-1', '1e999', '%25', '00000000-0000-0000-0000-00000000000g',
  '{00000000-0000-0000-0000-000000000000}', '00000000000000000000000000000000', 'current%00', 'me%0A',
];
const badSegment = fc.oneof(
  fc.constantFrom(...BAD_SEGMENTS),
  fc.integer({ min: 129, max: 3000 }).map((n) => 'a'.repeat(n)),
  fc.string({ minLength: 1, maxLength: 40 }).map(encodeURIComponent),
  fc.uuid().map((id) => `${id}x`),
);
/** Header values Node will send (tab, printable ASCII and Latin-1), none of them a live UST. */
const badAuth = (f: Fixture) =>
  fc.oneof(
    fc.constantFrom(
      '', 'Bearer', 'Bearer ', 'bearer', 'Basic dXNlcjpwYXNz', 'Bearer a b', 'Token x', `Bearer ${'A'.repeat(43)}`,
      `Bearer ${'A'.repeat(8000)}`, `Bearer ${'A'.repeat(20_000)}`, 'Bearer %00', 'Bearer \t', `Bearer ${f.me.ust}x`, `Bearer ${f.me.ust.slice(1)}`, f.me.ust,
      `Bearer ${f.me.ust},Bearer ${f.admin.ust}`, `Bearer ${'\u00ff'.repeat(43)}`,
    ),
    fc.string({ unit: 'binary-ascii', maxLength: 60 }).map((s) => `Bearer ${s.replace(/[^\t\x20-\x7e]/g, '')}`),
  );
const badApp = fc.oneof(fc.constantFrom('', 'CRM', 'crm ', 'crm,web', 'unknown', '\u00e9', 'crm\t'), fc.string({ unit: 'grapheme-ascii', maxLength: 20 }));
const UNUSED_METHODS = ['OPTIONS', 'PROPFIND', 'SEARCH', 'TRACE', 'COPY', 'LOCK', 'MKCOL'];

// ---------------------------------------------------------------------------------------------
// The routes, each with a well-formed call that changes nothing it should not (destructive ones
// name something absent), from which every hostile request is one mutation away.

interface Route {
  name: string;
  method: string;
  /** Path segments; fuzzed segments are marked by index in `fuzz`. */
  segments: (f: Fixture) => string[];
  fuzz?: number[];
  auth: 'none' | 'me' | 'admin';
  body?: (f: Fixture) => Json;
  query?: Record<string, string[]>;
}

const absentId = '6f1c3c0e-0000-4000-8000-000000000000';
const v = { note: MARKER };

function attrRoutes(kind: 'sessions' | 'users', alias: string): Route[] {
  const base = (name: string) => (f: Fixture) => [kind, alias === 'current' ? f.me.session.id : f.me.user.id, 'attrs', name].filter(Boolean);
  const own = (...rest: string[]) => () => [kind, alias, 'attrs', ...rest];
  const label = `${kind}/{id}/attrs`;
  return [
    { name: `GET ${label}`, method: 'GET', segments: base(''), fuzz: [1], auth: 'me' },
    { name: `POST ${label}`, method: 'POST', segments: own(), fuzz: [1], auth: 'me', body: () => ({ name: 'fresh', value: v, expiration: 60 }) },
    ...['create', 'set', 'update'].map((op): Route => ({
      name: `POST ${label}/batch/${op}`, method: 'POST', segments: own('batch', op), fuzz: [1, 4], auth: 'me',
      body: () => ({ data: [{ name: op === 'update' ? 'existing' : `fresh-${op}`, value: v, encrypt: true }], expiration: 60 }),
    })),
    { name: `POST ${label}/batch/set-expiry`, method: 'POST', segments: own('batch', 'set-expiry'), fuzz: [1], auth: 'me', body: () => ({ data: [{ name: 'existing', expiration: 600 }] }) },
    ...['get', 'exists'].map((op): Route => ({ name: `POST ${label}/batch/${op}`, method: 'POST', segments: own('batch', op), fuzz: [1, 4], auth: 'me', body: () => ({ data: ['existing', { name: 'other' }] }) })),
    { name: `POST ${label}/batch/delete`, method: 'POST', segments: own('batch', 'delete'), fuzz: [1], auth: 'me', body: () => ({ data: ['absent'] }) },
    { name: `GET ${label}/{name}`, method: 'GET', segments: own('existing'), fuzz: [1, 3], auth: 'me' },
    { name: `HEAD ${label}/{name}`, method: 'HEAD', segments: own('existing'), fuzz: [1, 3], auth: 'me' },
    { name: `PUT ${label}/{name}`, method: 'PUT', segments: own('existing'), fuzz: [1, 3], auth: 'me', body: () => ({ value: v, expiration: 60, encrypt: false }) },
    { name: `PATCH ${label}/{name}`, method: 'PATCH', segments: own('existing'), fuzz: [1, 3], auth: 'me', body: () => ({ value: v, expiration: null }) },
    { name: `DELETE ${label}/{name}`, method: 'DELETE', segments: own('absent'), fuzz: [1, 3], auth: 'me' },
  ];
}

const ROUTES: Route[] = [
  {
    name: 'POST /auth/login', method: 'POST', segments: () => ['auth', 'login'], auth: 'none',
    body: (f) => ({ username: f.me.user.username, password: `wrong ${MARKER}`, currentApp: 'crm' }),
  },
  { name: 'POST /auth/logout', method: 'POST', segments: () => ['auth', 'logout'], auth: 'me' },
  { name: 'GET /sessions/current', method: 'GET', segments: () => ['sessions', 'current'], auth: 'me' },
  { name: 'POST /sessions/current/renew', method: 'POST', segments: () => ['sessions', 'current', 'renew'], auth: 'me' },
  { name: 'GET /sessions', method: 'GET', segments: () => ['sessions'], auth: 'admin', query: { userId: [absentId] } },
  { name: 'DELETE /sessions/{id}', method: 'DELETE', segments: () => ['sessions', absentId], fuzz: [1], auth: 'me' },
  { name: 'DELETE /sessions', method: 'DELETE', segments: () => ['sessions'], auth: 'me', query: { keepCurrent: ['true'] } },
  { name: 'POST /sessions/verify', method: 'POST', segments: () => ['sessions', 'verify'], auth: 'admin', body: () => ({ ust: MARKER }) },
  {
    name: 'POST /users', method: 'POST', segments: () => ['users'], auth: 'admin',
    body: (f) => ({ username: `${f.prefix}-new`, password: PASSWORD, email: 'a@example.com', displayName: MARKER, approvalStatus: 'pending' }),
  },
  { name: 'GET /users', method: 'GET', segments: () => ['users'], auth: 'admin', query: { query: ['hostile'], page: ['1'], pageSize: ['10'] } },
  { name: 'GET /users/me', method: 'GET', segments: () => ['users', 'me'], auth: 'me' },
  { name: 'PATCH /users/me', method: 'PATCH', segments: () => ['users', 'me'], auth: 'me', body: () => ({ displayName: MARKER, email: null }) },
  { name: 'PUT /users/me/password', method: 'PUT', segments: () => ['users', 'me', 'password'], auth: 'me', body: () => ({ oldPassword: `wrong ${MARKER}`, newPassword: `new ${MARKER}` }) },
  { name: 'GET /users/{id}', method: 'GET', segments: (f) => ['users', f.target.id], fuzz: [1], auth: 'admin' },
  {
    name: 'PATCH /users/{id}', method: 'PATCH', segments: (f) => ['users', f.target.id], fuzz: [1], auth: 'admin',
    body: () => ({ displayName: MARKER, isSuperUser: false, passwordExpiresAt: '2030-01-01T00:00:00Z' }),
  },
  { name: 'DELETE /users/{id}', method: 'DELETE', segments: () => ['users', absentId], fuzz: [1], auth: 'admin' },
  { name: 'POST /users/{id}/lock', method: 'POST', segments: () => ['users', absentId, 'lock'], fuzz: [1], auth: 'admin' },
  { name: 'DELETE /users/{id}/lock', method: 'DELETE', segments: () => ['users', absentId, 'lock'], fuzz: [1], auth: 'admin' },
  // Sign-up is off here (no SIGNUP_APPS): every sign-up is refused; the confirmation names no token issued.
  {
    name: 'POST /auth/signup', method: 'POST', segments: () => ['auth', 'signup'], auth: 'none',
    body: (f) => ({ username: `${f.prefix}-signup`, password: PASSWORD, email: 'a@example.com', displayName: MARKER, app: 'crm' }),
  },
  { name: 'PATCH /auth/signup', method: 'PATCH', segments: () => ['auth', 'signup'], auth: 'none', body: () => ({ token: 'A'.repeat(43) }) },
  {
    name: 'GET /users/search', method: 'GET', segments: () => ['users', 'search'], auth: 'admin',
    query: { username: ['hostile'], exact: ['false'], approvalStatus: ['pending'], isLocked: ['false'], page: ['1'], pageSize: ['10'] },
  },
  { name: 'POST /users/{id}/approve', method: 'POST', segments: () => ['users', absentId, 'approve'], fuzz: [1], auth: 'admin' },
  { name: 'POST /users/{id}/reject', method: 'POST', segments: () => ['users', absentId, 'reject'], fuzz: [1], auth: 'admin' },
  { name: 'GET /users/me/linked', method: 'GET', segments: () => ['users', 'me', 'linked'], auth: 'me' },
  { name: 'GET /users/{id}/linked', method: 'GET', segments: (f) => ['users', f.target.id, 'linked'], fuzz: [1], auth: 'admin' },
  {
    name: 'POST /users/{id}/linked', method: 'POST', segments: () => ['users', absentId, 'linked'], fuzz: [1], auth: 'admin',
    body: () => ({ authType: 'jwt', authUsername: MARKER, isActive: true }),
  },
  {
    name: 'DELETE /users/{id}/linked', method: 'DELETE', segments: (f) => ['users', f.target.id, 'linked'], fuzz: [1], auth: 'admin',
    body: () => ({ authType: 'basic_auth', authUsername: MARKER }),
  },
  ...attrRoutes('sessions', 'current'),
  ...attrRoutes('users', 'me'),
  { name: 'POST /sessions/{id}/attrs/batch/{unknown op}', method: 'POST', segments: () => ['sessions', 'current', 'attrs', 'batch', 'bogus'], fuzz: [4], auth: 'me', body: () => ({ data: [] }) },
];

// ---------------------------------------------------------------------------------------------
// Mutations: each hostile request is a well-formed call with one thing wrong.

type Path = Array<string | number>;
function pathsOf(value: Json, at: Path = []): Path[] {
  if (value === null || typeof value !== 'object') return [at];
  const inner = Object.entries(value).flatMap(([key, child]) => pathsOf(child, [...at, Array.isArray(value) ? Number(key) : key]));
  return at.length ? [at, ...inner] : inner;
}
function edit(value: Json, path: Path, change: (holder: Record<string | number, Json>, key: string | number) => void): Json {
  const copy = JSON.parse(JSON.stringify(value)) as Json;
  let holder = copy as Record<string | number, Json>;
  for (const key of path.slice(0, -1)) holder = holder[key] as Record<string | number, Json>;
  change(holder, path[path.length - 1]);
  return copy;
}

function requestsFor(route: Route, f: Fixture, seed: number): Req[] {
  const auth: Record<string, string> = route.auth === 'none' ? {} : { Authorization: (route.auth === 'admin' ? f.admin : f.me).auth };
  const json = { 'Content-Type': 'application/json' };
  const query = (q: Record<string, string[]> | undefined) =>
    q ? Object.entries(q).flatMap(([k, vs]) => vs.map((value) => `${k}=${value}`)).join('&') : '';
  const url = (segments: string[], q = query(route.query)) => `/${segments.join('/')}${q ? `?${q}` : ''}`;
  const segments = route.segments(f);
  const template = route.body?.(f);
  const well = (label: string, over: Partial<Req> = {}): Req => ({
    label,
    method: route.method,
    path: url(segments),
    headers: { ...auth, ...(template === undefined ? {} : json) },
    body: template === undefined ? undefined : JSON.stringify(template),
    ...over,
  });

  const mutations: Array<fc.Arbitrary<Req>> = [];
  if (route.auth !== 'none') {
    mutations.push(badAuth(f).map((header) => well('bad Authorization', { headers: { ...well('').headers, Authorization: header } })));
    mutations.push(fc.constant(well('no Authorization', { headers: template === undefined ? {} : json })));
  }
  mutations.push(badApp.map((app) => well('bad X-Current-App', { headers: { ...well('').headers, 'X-Current-App': app } })));
  mutations.push(fc.constantFrom(...UNUSED_METHODS).map((method) => well(`method ${method}`, { method, body: undefined, headers: auth })));
  if (route.fuzz) {
    mutations.push(
      fc.tuple(fc.constantFrom(...route.fuzz), badSegment).map(([index, segment]) =>
        well(`bad path segment ${index}`, { path: url(segments.map((s, i) => (i === index ? segment : s))) }),
      ),
    );
  }
  if (route.query) {
    const keys = Object.keys(route.query);
    const badQueryValue = fc.oneof(
      fc.constantFrom('', '0', '-1', '1.5', '1e308', '101', 'abc', '%ED%A0%80', '%E0%A4%A', '%00', 'a'.repeat(300), 'false', '%5B%5D', 'null'),
      fc.string({ maxLength: 20 }).map(encodeURIComponent),
    );
    mutations.push(
      fc.tuple(fc.constantFrom(...keys), badQueryValue).map(([key, value]) =>
        // `keepCurrent=false` (or no keepCurrent) would end the caller's session: never sent.
        well(`bad query ${key}`, { path: url(segments, query({ ...route.query, [key]: [value === 'false' || value === '' ? 'no' : value] })) }),
      ),
      fc.constantFrom('__proto__', 'constructor[prototype]', 'other', `${keys[0]}[]`, 'toString').map((extra) =>
        well(`extra query ${extra}`, { path: url(segments, `${query(route.query)}&${extra}=1`) }),
      ),
      fc.constantFrom(...keys).map((key) => well(`repeated query ${key}`, { path: url(segments, `${query(route.query)}&${key}=${route.query![key][0]}`) })),
    );
  }
  if (template !== undefined) {
    const paths = pathsOf(template);
    mutations.push(
      fc.tuple(fc.constantFrom(...paths), nastyValue).map(([path, value]) =>
        well(`field ${path.join('.')} replaced`, {
          body: JSON.stringify(edit(template, path, (h, k) => (h[k] = value))),
          mustRefuse: isText(route, path) && hasLoneSurrogate(value) ? 'an unpaired surrogate in a text field' : undefined,
        }),
      ),
      fc.tuple(fc.constantFrom(...paths), rawFragment).map(([path, raw]) =>
        well(`field ${path.join('.')} as ${raw}`, { body: withRaw(JSON.stringify(edit(template, path, (h, k) => (h[k] = rawToken(raw))))) }),
      ),
      fc.constantFrom(...paths).map((path) =>
        well(`field ${path.join('.')} missing`, {
          body: JSON.stringify(edit(template, path, (h, k) => (Array.isArray(h) ? h.splice(Number(k), 1) : delete h[k]))),
        }),
      ),
      fc
        .tuple(
          fc.constantFrom(...[[] as Path, ...paths.filter((p) => { const at = p.reduce<Json>((o, k) => (o as Record<string, Json>)[k], template); return at !== null && typeof at === 'object' && !Array.isArray(at); })]),
          fc.constantFrom('__proto__', 'constructor', 'prototype', 'isSuperUser', 'extra', 'valueOf'),
          nastyValue,
        )
        .map(([path, key, value]) => {
          const body = edit(template, [...path, key], (h, k) => Object.defineProperty(h, k, { value, enumerable: true, writable: true, configurable: true }));
          return well(`extra key ${key}${path.length ? ` in ${path.join('.')}` : ''}`, { body: JSON.stringify(body) });
        }),
      fc.constantFrom('[]', JSON.stringify([template]), `"${MARKER}"`, '42', 'null', 'true', '{}').map((body) => well(`body ${body.slice(0, 12)}`, { body })),
      fc.constantFrom(...MALFORMED_JSON).map((body) => well('malformed JSON', { body })),
      fc.constantFrom(...BAD_UTF8).map((bytes) => {
        // Inside a string the route would take (the marker's), else in a field of its own.
        const [head, tail] = JSON.stringify(template).includes(MARKER) ? JSON.stringify(template).split(MARKER, 2) : [`{"note":"`, '"}'];
        return well('bytes that are not UTF-8', { body: Buffer.concat([Buffer.from(head + MARKER), Buffer.from(bytes), Buffer.from(tail)]), mustRefuse: 'a body that is not UTF-8' });
      }),
      fc.constantFrom(...WRONG_TYPES).map((type) => well(`Content-Type ${type}`, { headers: { ...auth, 'Content-Type': type } })),
      fc.constant(well('a body over BODY_LIMIT_BYTES', { body: JSON.stringify({ note: MARKER, pad: 'x'.repeat(BODY_LIMIT) }) })),
    );
  } else if (route.method !== 'GET' && route.method !== 'HEAD') {
    // A body where none is expected, in a type that is refused before the route runs.
    mutations.push(fc.constantFrom(...WRONG_TYPES).map((type) => well(`unexpected ${type} body`, { headers: { ...auth, 'Content-Type': type }, body: JSON.stringify(v) })));
  } else {
    mutations.push(fc.constantFrom(...WRONG_TYPES).map((type) => well(`GET with a ${type} body`, { method: route.method, headers: { ...auth, 'Content-Type': type }, body: JSON.stringify(v) })));
  }
  // Every kind of mutation, a few samples each; repeats (of constant mutations) are sent once.
  const requests = new Map<string, Req>();
  mutations.forEach((mutation, j) => {
    for (const r of fc.sample(mutation, { seed: seed * 100 + j, numRuns: RUNS_PER_MUTATION })) {
      requests.set(signature(r), { ...r, label: `${route.name}: ${r.label}` });
    }
  });
  return [...requests.values()];
}

/** Text stored or compared as text: any DTO field, and attribute names (values are JSON, where escapes stay). */
function isText(route: Route, path: Path): boolean {
  if (!route.name.includes('/attrs')) return true;
  return path[path.length - 1] === 'name' || (path.length === 2 && path[0] === 'data' && typeof path[1] === 'number');
}
function hasLoneSurrogate(value: Json): boolean {
  if (typeof value === 'string') return /\p{Cs}/u.test(value);
  return value !== null && typeof value === 'object' && Object.values(value).some(hasLoneSurrogate);
}

function signature(r: Req): string {
  return `${r.method} ${r.path} ${JSON.stringify(r.headers)} ${r.body?.toString('base64') ?? ''}`;
}

describe('hostile input', () => {
  let f: Fixture;
  beforeAll(async () => {
    t = await startTestApp({ BODY_LIMIT_BYTES: String(BODY_LIMIT), ATTR_MAX_VALUE_BYTES: '4096' });
    f = await fixture(t);
  });
  afterAll(() => t.close());

  it('generates at least 300 distinct requests over every route, reproducibly', () => {
    const all = ROUTES.flatMap((route, i) => requestsFor(route, f, SEED + i));
    expect(new Set(all.map(signature)).size).toBeGreaterThanOrEqual(300);
    expect(ROUTES.flatMap((route, i) => requestsFor(route, f, SEED + i)).map(signature)).toEqual(all.map(signature));
  });

  it.each(ROUTES.map((route, i) => [route.name, i] as const))(
    '%s: no 5xx; every refusal documented, in shape, not echoing the body, changing nothing',
    async (_name, i) => {
      const requests = requestsFor(ROUTES[i], f, SEED + i);
      const { found, refused } = await sendAll(f, requests);
      expect(found).toEqual([]);
      // The mutations are meant to be refused: most of them must be, or the route is not being probed.
      expect(refused).toBeGreaterThanOrEqual(requests.length / 2);
    },
  );

  it('documents exactly the codes of ERROR_STATUS, each with its status', () => {
    expect(Object.fromEntries([...DOCUMENTED].sort())).toEqual(Object.fromEntries(Object.entries(ERROR_STATUS).sort()));
  });

  describe('the defects of issue 7, one by one', () => {
    const error = (res: { status: number; body: unknown }) => ({ status: res.status, ...(res.body as object) });
    const refused = (status: number, code: string) => ({ statusCode: status, status, code, message: expect.any(String) });

    it('refuses nesting deeper than 64 levels in any field as invalid_json, cheaply', async () => {
      const deep = (n: number) => '['.repeat(n) + ']'.repeat(n);
      const login = await t.http().post('/auth/login').set('Content-Type', 'application/json')
        .send(`{"username":"a","password":"b","currentApp":"crm","z":${deep(1500)}}`);
      expect(error(login)).toEqual(refused(400, 'invalid_json'));
      const cpu = process.cpuUsage();
      const create = await t.http().post('/users').set('Authorization', f.admin.auth).set('Content-Type', 'application/json')
        .send(`{"username":"${f.prefix}-deep","password":"${PASSWORD}","displayName":${deep(100_000)}}`);
      const { user, system } = process.cpuUsage(cpu);
      expect(error(create)).toEqual(refused(400, 'invalid_json'));
      expect((user + system) / 1000).toBeLessThan(300);
    });

    it('refuses unpaired surrogates in attribute names on every path, so two names never become one', async () => {
      const c = await loggedInUser(t);
      const http = (method: 'post' | 'put', path: string) => t.http()[method](`/sessions/current/attrs${path}`).set('Authorization', c.auth);
      const answers = [
        await http('post', '/batch/set').send({ data: [{ name: 'a\ud800', value: 1 }, { name: 'a\udc00', value: 2 }] }),
        await http('post', '').send({ name: '\udfff', value: 1 }),
        await http('post', '/batch/create').send({ data: [{ name: 'ok', value: 1 }, { name: '\ud83d', value: 2 }] }),
        await http('post', '/batch/update').send({ data: [{ name: 'x\ude00', value: 1 }] }),
        await http('post', '/batch/set-expiry').send({ data: [{ name: '\ud800', expiration: 5 }] }),
        await http('post', '/batch/get').send({ data: ['\ud800'] }),
        await http('post', '/batch/exists').send({ data: [{ name: '\udbff' }] }),
        await http('post', '/batch/delete').send({ data: ['\udc00'] }),
      ];
      expect(answers.map(error)).toEqual(answers.map(() => refused(400, 'validation_failed')));
      expect(answers[0].body.message).toMatch(/name/);
      // U+FFFD itself is an ordinary character, and stays distinct from what a surrogate would have become.
      await t.http().put('/sessions/current/attrs/%EF%BF%BD').set('Authorization', c.auth).send({ value: 1 }).expect(200);
      const names = await t.pg.query('SELECT name FROM sso_session_attr WHERE owner_id = $1', [c.session.id]);
      expect(names.rows).toEqual([{ name: '\ufffd' }]);
      // A percent-encoded surrogate is not UTF-8: the path is malformed.
      expect(error(await t.http().put('/sessions/current/attrs/%ED%A0%80').set('Authorization', c.auth).send({ value: 1 }))).toEqual(refused(400, 'bad_request'));
    });

    it('refuses unpaired surrogates in the in-process attribute API', async () => {
      const c = await loggedInUser(t);
      const codes: string[] = [];
      for (const attempt of [
        () => t.app.get(SessionAttrService).of(c.session.id).set('a\ud800', 1),
        () => t.app.get(SessionAttrService).of(c.session.id).getMany(['\udc00']),
        () => t.app.get(UserAttrService).of(c.user.id).createMany([{ name: 'a\ud800', value: 1 }, { name: 'a\udc00', value: 2 }]),
        () => t.app.get(UserAttrService).of(c.user.id).existsMany(['\udfff']),
      ]) {
        codes.push(await attempt().then(() => 'resolved', (e: TesseraError) => e.code));
      }
      expect(codes).toEqual(['validation_failed', 'validation_failed', 'validation_failed', 'validation_failed']);
      const rows = await t.pg.query('SELECT count(*)::int AS n FROM sso_user_attr WHERE owner_id = $1', [c.user.id]);
      expect(rows.rows[0].n).toBe(0);
    });

    it('refuses unpaired surrogates in every stored or compared user text, over REST and in-process', async () => {
      const c = await loggedInUser(t);
      const answers = [
        await t.http().post('/users').set('Authorization', f.admin.auth).send({ username: `${f.prefix}-s`, password: PASSWORD, displayName: 'a\ud800' }),
        await t.http().post('/users').set('Authorization', f.admin.auth).send({ username: `${f.prefix}-s`, password: `${PASSWORD}\udc00` }),
        await t.http().patch('/users/me').set('Authorization', c.auth).send({ displayName: 'a\udc00' }),
        await t.http().patch(`/users/${c.user.id}`).set('Authorization', f.admin.auth).send({ email: 'a\ud800@example.com' }),
        await t.http().post('/auth/login').send({ username: `${c.user.username}\ud800`, password: PASSWORD, currentApp: 'crm' }),
        await t.http().post('/auth/login').send({ username: c.user.username, password: `${PASSWORD}\ud800`, currentApp: 'crm' }),
        await t.http().post('/auth/login').send({ username: c.user.username, password: PASSWORD, currentApp: 'crm\ud800' }),
        await t.http().put('/users/me/password').set('Authorization', c.auth).send({ oldPassword: PASSWORD, newPassword: `${PASSWORD}\ud800` }),
        await t.http().post('/sessions/verify').set('Authorization', f.admin.auth).send({ ust: '\ud800' }),
      ];
      expect(answers.map(error)).toEqual(answers.map(() => refused(400, 'validation_failed')));
      const inProcess: string[] = [];
      for (const attempt of [
        () => t.app.get(UsersService).create({ username: `${f.prefix}-s`, password: PASSWORD, displayName: '\udc00' }),
        () => t.app.get(UsersService).update(c.user.id, { displayName: 'x\ud800' }),
        () => t.app.get(UsersService).setPassword(c.user.id, `${PASSWORD}\ud800`),
        () => t.app.get(AuthService).login({ username: `${c.user.username}\ud800`, password: PASSWORD, currentApp: 'crm' }),
      ]) {
        inProcess.push(await attempt().then(() => 'resolved', (e: TesseraError) => e.code));
      }
      expect(inProcess).toEqual(['validation_failed', 'validation_failed', 'validation_failed', 'validation_failed']);
      const user = await t.pg.query('SELECT display_name, email, password_hash FROM sso_user WHERE id = $1', [c.user.id]);
      expect(user.rows[0]).toMatchObject({ display_name: null, email: null });
      await t.http().get('/users/me').set('Authorization', c.auth).expect(200);
    });

    it.each([
      ['plain', false],
      ['sealed', true],
    ])('stores and reads back a %s value with "__proto__" and "constructor" keys exactly, without prototype effects', async (_form, encrypt) => {
      const c = await loggedInUser(t);
      const value = `{"b":1,"__proto__":{"isSuperUser":true,"polluted":"${MARKER}"},"constructor":{"prototype":{"polluted":1}},"a":[{"__proto__":null}]}`;
      const results: string[] = [];
      for (const base of ['/sessions/current/attrs', '/users/me/attrs']) {
        const put = (path: string, body: string) => t.http().put(`${base}${path}`).set('Authorization', c.auth).set('Content-Type', 'application/json').send(body);
        await put('/single', `{"value":${value},"encrypt":${encrypt}}`).expect(200);
        await t.http().post(`${base}/batch/set`).set('Authorization', c.auth).set('Content-Type', 'application/json')
          .send(`{"data":[{"name":"batched","value":${value}}],"encrypt":${encrypt}}`).expect(200);
        const single = await t.http().get(`${base}/single`).set('Authorization', c.auth).expect(200);
        const batched = await t.http().post(`${base}/batch/get`).set('Authorization', c.auth).send({ data: ['batched', 'single'] }).expect(200);
        results.push(
          single.text.slice(single.text.indexOf('"value":') + 8, -1),
          ...(JSON.parse(batched.text).attrs as Array<{ value: unknown; encrypted: boolean }>).map((a) => (expect(a.encrypted).toBe(encrypt), JSON.stringify(a.value))),
        );
      }
      expect(results).toEqual(results.map(() => value));
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      expect(({} as Record<string, unknown>).isSuperUser).toBeUndefined();
      // The in-process API reads the same value back, the key an own property.
      const read = (await t.app.get(UserAttrService).of(c.user.id).get('single'))!.value as Record<string, unknown>;
      expect(Object.prototype.hasOwnProperty.call(read, '__proto__')).toBe(true);
      expect(Object.getPrototypeOf(read)).toBe(Object.prototype);
    });

    it('refuses a number JSON cannot hold instead of storing null', async () => {
      const c = await loggedInUser(t);
      const res = await t.http().put('/sessions/current/attrs/big').set('Authorization', c.auth).set('Content-Type', 'application/json').send('{"value":[1e999]}');
      expect(error(res)).toEqual(refused(400, 'validation_failed'));
      expect(await t.app.get(SessionAttrService).of(c.session.id).set('nan', { n: NaN }).then(() => 'resolved', (e: TesseraError) => e.code)).toBe('validation_failed');
      expect((await t.pg.query('SELECT count(*)::int AS n FROM sso_session_attr WHERE owner_id = $1', [c.session.id])).rows[0].n).toBe(0);
    });

    it('answers the login that carries a UST with Cache-Control: no-store', async () => {
      const c = await createUser(t);
      const res = await t.http().post('/auth/login').send({ username: c.username, password: c.password, currentApp: 'crm' }).expect(201);
      expect(res.headers['cache-control']).toBe('no-store');
    });

    it('says the name is invalid, not the body, for PUT …/attrs/%00', async () => {
      const res = await t.http().put('/sessions/current/attrs/%00').set('Authorization', f.me.auth).send({ value: 1 });
      expect(error(res)).toEqual(refused(400, 'validation_failed'));
      expect(res.body.message).toMatch(/^name /);
    });

    it('answers a malformed percent-encoding with the documented bad_request', async () => {
      for (const path of ['/sessions/current/attrs/%E0%A4%A', '/users/%ZZ', '/sessions/%E0%A4%A/attrs/x']) {
        const res = await t.http().get(path).set('Authorization', f.me.auth);
        expect(error(res)).toEqual(refused(400, 'bad_request'));
        expect(DOCUMENTED.get('bad_request')).toBe(400);
      }
    });

    it('refuses bodies that are not UTF-8 JSON: 415 for another type or charset, 400 for bytes that are not UTF-8', async () => {
      const put = () => t.http().put('/users/me/attrs/utf8').set('Authorization', f.me.auth);
      expect(error(await put().set('Content-Type', 'text/plain').send('{"value":1}'))).toEqual(refused(415, 'unsupported_media_type'));
      expect(error(await put().set('Content-Type', 'application/json; charset=iso-8859-1').send('{"value":1}'))).toEqual(refused(415, 'unsupported_media_type'));
      expect(error(await put().set('Content-Type', 'application/x-www-form-urlencoded').send('value=1'))).toEqual(refused(415, 'unsupported_media_type'));
      const latin1 = Buffer.from('{"value":"caf\u00e9"}', 'latin1');
      expect(error(await rawBytes(put().set('Content-Type', 'application/json')).send(latin1))).toEqual(refused(400, 'invalid_json'));
      expect(await t.app.get(UserAttrService).of(f.me.user.id).exists('utf8')).toBe(false);
    });

    it('refuses true, numbers and loose text as passwordExpiresAt (new Date(true) is 1970)', async () => {
      const answers = [];
      for (const passwordExpiresAt of [true, 0, 1e12, '1', 'soon', []]) {
        answers.push(await t.http().patch(`/users/${f.target.id}`).set('Authorization', f.admin.auth).send({ passwordExpiresAt }));
      }
      expect(answers.map(error)).toEqual(answers.map(() => refused(400, 'validation_failed')));
      const ok = await t.http().patch(`/users/${f.target.id}`).set('Authorization', f.admin.auth).send({ passwordExpiresAt: '2031-02-03T04:05:06Z' });
      expect(ok.body.passwordExpiresAt).toBe('2031-02-03T04:05:06.000Z');
    });

    it('refuses null for fields that cannot be null instead of failing in the database', async () => {
      const answers = [];
      for (const field of ['isSuperUser', 'approvalStatus', 'passwordMustChange', 'username']) {
        answers.push(await t.http().patch(`/users/${f.target.id}`).set('Authorization', f.admin.auth).send({ [field]: null }));
      }
      const c = await createUser(t);
      answers.push(await t.http().post('/auth/login').send({ username: c.username, password: c.password, currentApp: 'crm', newPassword: null }));
      expect(answers.map(error)).toEqual(answers.map(() => refused(400, 'validation_failed')));
      expect(await t.app.get(UsersService).update(f.target.id, { isSuperUser: null as never }).then(() => 'resolved', (e: TesseraError) => e.code)).toBe('validation_failed');
    });

    it('answers requests the HTTP parser refuses in the documented shape: 431 for huge headers, 400 for broken HTTP', async () => {
      const huge = await t.http().get('/sessions/current').set('Authorization', `Bearer ${'A'.repeat(20_000)}`);
      expect(error(huge)).toEqual(refused(431, 'headers_too_large'));
      const server = t.app.getHttpServer();
      if (!server.address()) await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const raw = await new Promise<string>((resolve, reject) => {
        const socket = connect((server.address() as AddressInfo).port, '127.0.0.1');
        let text = '';
        socket.on('data', (chunk) => (text += chunk.toString('utf8')));
        socket.on('close', () => resolve(text));
        socket.on('error', reject);
        socket.write(`GET /sessions/current HTTP/1.1\r\nHost: x\r\nBroken header line ${MARKER}\r\n\r\n`);
      });
      const [head, body] = raw.split('\r\n\r\n');
      expect(head.split('\r\n')[0]).toBe('HTTP/1.1 400 Bad Request');
      expect(JSON.parse(body)).toEqual({ statusCode: 400, code: 'bad_request', message: expect.any(String) });
      expect(raw).not.toContain(MARKER);
    });
  });
});
