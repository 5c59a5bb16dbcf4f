import { randomBytes } from 'node:crypto';
import type { Test } from 'supertest';
import type { TesseraError } from '../src';
import { SessionAttrService, UserAttrService } from '../src';
import { loggedInUser, startTestApp, TestApp } from './support/test-app';

type Caller = Awaited<ReturnType<typeof loggedInUser>>;

const MAX_VALUE_BYTES = 1024;
/** Marks every value sent, so a response or log that echoes a value is caught. */
const SENTINEL = `sentinel-${randomBytes(8).toString('hex')}`;
const VALUE = { note: SENTINEL };
const BIG = `${SENTINEL}${'x'.repeat(MAX_VALUE_BYTES)}`;

const LONG_NAME = 'n'.repeat(129);
const BAD_NAMES: Array<[string, string]> = [
  ['129 characters', LONG_NAME],
  ['a "/"', 'a/b'],
  ['a control character', 'bell\u0007'],
  ['a DEL character', 'del\u007f'],
  ['a C1 control character', 'next\u0085line'],
  ['a newline', 'two\nlines'],
  ['nothing', ''],
];
/** The cases batches are checked with: one of each kind of fault. */
const BATCH_BAD_NAMES = BAD_NAMES.filter(([what]) => ['129 characters', 'a "/"', 'a control character', 'nothing'].includes(what));
const BAD_PATH_NAMES: Array<[string, string]> = [
  ['129 characters', LONG_NAME],
  ['an encoded "/"', 'a%2Fb'],
  ['an encoded control character', 'a%01b'],
  ['an encoded newline', 'a%0Ab'],
];
const BAD_EXPIRATIONS: Array<[string, unknown]> = [
  ['0', 0],
  ['-1', -1],
  ['1.5', 1.5],
  ['"10"', '10'],
  ['true', true],
  ['an object', { seconds: 10 }],
  ['beyond a 32-bit integer', 2 ** 31],
];
const BATCH_BAD_EXPIRATIONS = BAD_EXPIRATIONS.slice(0, 4);
const BAD_ENCRYPTS: Array<[string, unknown]> = [
  ['"yes"', 'yes'],
  ['1', 1],
  ['null', null],
  ['"true"', 'true'],
];

interface Case {
  /** What is sent, for the test name. */
  what: string;
  send: (h: Http) => Test;
  status: number;
  code: string;
}

type Http = ReturnType<typeof httpFor>;
let t: TestApp;

function httpFor(base: string, c: Caller) {
  const auth = (test: Test) => test.set('Authorization', c.auth);
  return {
    post: (path = '') => auth(t.http().post(`${base}${path}`)),
    put: (name: string) => auth(t.http().put(`${base}/${name}`)),
    patch: (name: string) => auth(t.http().patch(`${base}/${name}`)),
    get: (name: string) => auth(t.http().get(`${base}/${name}`)),
    head: (name: string) => auth(t.http().head(`${base}/${name}`)),
    del: (name: string) => auth(t.http().delete(`${base}/${name}`)),
  };
}

const fail = (what: string, send: Case['send'], status = 400, code = 'validation_failed'): Case => ({ what, send, status, code });
const HEAD_SENDS = new WeakSet<Case['send']>();
/** HEAD answers have no body, so only their status is compared. */
const head = (what: string, send: Case['send'], status = 400): Case => (HEAD_SENDS.add(send), fail(what, send, status));
const isHead = (send: Case['send']) => HEAD_SENDS.has(send);

function cases(): Array<[string, Case[]]> {
  const write = (op: string, item: object) => (h: Http) => h.post(`/batch/${op}`).send({ data: [{ name: 'ok', value: 1 }, item] });
  return [
    [
      'POST {base} (create)',
      [
        ...BAD_NAMES.map(([what, name]) => fail(`a name of ${what}`, (h) => h.post().send({ name, value: VALUE }))),
        fail('a name that is not a string', (h) => h.post().send({ name: 5, value: VALUE })),
        fail('no name', (h) => h.post().send({ value: VALUE })),
        fail('no value', (h) => h.post().send({ name: 'ok' })),
        ...BAD_EXPIRATIONS.map(([what, expiration]) => fail(`expiration ${what}`, (h) => h.post().send({ name: 'ok', value: VALUE, expiration }))),
        ...BAD_ENCRYPTS.map(([what, encrypt]) => fail(`encrypt ${what}`, (h) => h.post().send({ name: 'ok', value: VALUE, encrypt }))),
        fail('an unknown field', (h) => h.post().send({ name: 'ok', value: VALUE, owner: SENTINEL })),
        fail('an array body', (h) => h.post().send([{ name: 'ok', value: VALUE }])),
        fail('a string body', (h) => h.post().set('Content-Type', 'application/json').send(JSON.stringify(SENTINEL))),
        fail('a null body', (h) => h.post().set('Content-Type', 'application/json').send('null')),
        fail('no body', (h) => h.post()),
        fail('a value over ATTR_MAX_VALUE_BYTES', (h) => h.post().send({ name: 'ok', value: BIG }), 413, 'payload_too_large'),
        fail('malformed JSON', (h) => h.post().set('Content-Type', 'application/json').send(`{"name": "ok", "value": "${SENTINEL}`), 400, 'invalid_json'),
        fail('an empty JSON body', (h) => h.post().set('Content-Type', 'application/json').send(''), 400, 'invalid_json'),
        fail('an XML body', (h) => h.post().set('Content-Type', 'application/xml').send(`<value>${SENTINEL}</value>`), 415, 'unsupported_media_type'),
      ],
    ],
    [
      'PUT {base}/{name} (set)',
      [
        ...BAD_PATH_NAMES.map(([what, name]) => fail(`a name of ${what}`, (h) => h.put(name).send({ value: VALUE }))),
        fail('an empty name', (h) => h.put('').send({ value: VALUE }), 404, 'not_found'),
        fail('no value', (h) => h.put('ok').send({ expiration: 10 })),
        ...BAD_EXPIRATIONS.map(([what, expiration]) => fail(`expiration ${what}`, (h) => h.put('ok').send({ value: VALUE, expiration }))),
        ...BAD_ENCRYPTS.map(([what, encrypt]) => fail(`encrypt ${what}`, (h) => h.put('ok').send({ value: VALUE, encrypt }))),
        fail('an unknown field', (h) => h.put('ok').send({ value: VALUE, name: 'other' })),
        fail('an array body', (h) => h.put('ok').send([VALUE])),
        fail('a string body', (h) => h.put('ok').set('Content-Type', 'application/json').send(JSON.stringify(SENTINEL))),
        fail('a value over ATTR_MAX_VALUE_BYTES', (h) => h.put('ok').send({ value: BIG }), 413, 'payload_too_large'),
        fail('malformed JSON', (h) => h.put('ok').set('Content-Type', 'application/json').send(`{"value": ${SENTINEL}}`), 400, 'invalid_json'),
      ],
    ],
    [
      'PATCH {base}/{name} (update)',
      [
        ...BAD_PATH_NAMES.map(([what, name]) => fail(`a name of ${what}`, (h) => h.patch(name).send({ value: VALUE }))),
        fail('an empty body object', (h) => h.patch('existing').send({})),
        ...BAD_EXPIRATIONS.map(([what, expiration]) => fail(`expiration ${what}`, (h) => h.patch('existing').send({ value: VALUE, expiration }))),
        ...BAD_ENCRYPTS.map(([what, encrypt]) => fail(`encrypt ${what}`, (h) => h.patch('existing').send({ value: VALUE, encrypt }))),
        fail('an unknown field', (h) => h.patch('existing').send({ value: VALUE, other: 1 })),
        fail('an array body', (h) => h.patch('existing').send([VALUE])),
        fail('a value over ATTR_MAX_VALUE_BYTES', (h) => h.patch('existing').send({ value: BIG }), 413, 'payload_too_large'),
        fail('malformed JSON', (h) => h.patch('existing').set('Content-Type', 'application/json').send(`{"value": "${SENTINEL}"`), 400, 'invalid_json'),
      ],
    ],
    [
      'GET, HEAD and DELETE {base}/{name}',
      [
        ...BAD_PATH_NAMES.map(([what, name]) => fail(`GET with a name of ${what}`, (h) => h.get(name))),
        ...BAD_PATH_NAMES.map(([what, name]) => fail(`DELETE with a name of ${what}`, (h) => h.del(name))),
        ...BAD_PATH_NAMES.map(([what, name]) => head(`HEAD with a name of ${what}`, (h) => h.head(name))),
      ],
    ],
    [
      'POST {base}/batch/{create,set,update}',
      ['create', 'set', 'update'].flatMap((op) => [
        ...BATCH_BAD_NAMES.map(([what, name]) => fail(`${op} with a name of ${what}`, write(op, { name, value: VALUE }))),
        fail(`${op} with a duplicate name`, write(op, { name: 'ok', value: VALUE })),
        ...BATCH_BAD_EXPIRATIONS.map(([what, expiration]) => fail(`${op} with an item expiration ${what}`, write(op, { name: 'bad', value: VALUE, expiration }))),
        ...BATCH_BAD_EXPIRATIONS.slice(1, 3).map(([what, expiration]) =>
          fail(`${op} with a default expiration ${what}`, (h) => h.post(`/batch/${op}`).send({ data: [{ name: 'ok', value: VALUE }], expiration })),
        ),
        ...BAD_ENCRYPTS.slice(0, 2).map(([what, encrypt]) => fail(`${op} with an item encrypt ${what}`, write(op, { name: 'bad', value: VALUE, encrypt }))),
        fail(`${op} with a default encrypt "yes"`, (h) => h.post(`/batch/${op}`).send({ data: [{ name: 'ok', value: VALUE }], encrypt: 'yes' })),
        fail(`${op} with an unknown item field`, write(op, { name: 'bad', value: VALUE, extra: true })),
        fail(`${op} with an unknown body field`, (h) => h.post(`/batch/${op}`).send({ data: [{ name: 'ok', value: VALUE }], extra: SENTINEL })),
        fail(`${op} with an item that is not an object`, (h) => h.post(`/batch/${op}`).send({ data: [SENTINEL] })),
        fail(`${op} with data that is not an array`, (h) => h.post(`/batch/${op}`).send({ data: { name: 'ok', value: VALUE } })),
        fail(`${op} without data`, (h) => h.post(`/batch/${op}`).send({ expiration: 10 })),
        fail(`${op} with an array body`, (h) => h.post(`/batch/${op}`).send([{ name: 'ok', value: VALUE }])),
        fail(`${op} with a value over ATTR_MAX_VALUE_BYTES`, write(op, { name: 'big', value: BIG }), 413, 'payload_too_large'),
        fail(`${op} with malformed JSON`, (h) => h.post(`/batch/${op}`).set('Content-Type', 'application/json').send(`{"data": [{"value": "${SENTINEL}"}`), 400, 'invalid_json'),
        ...(op === 'update' ? [] : [fail(`${op} with an item without value`, write(op, { name: 'novalue' }))]),
      ]),
    ],
    [
      'POST {base}/batch/set-expiry',
      [
        ...BATCH_BAD_NAMES.map(([what, name]) => fail(`a name of ${what}`, (h) => h.post('/batch/set-expiry').send({ data: [{ name, expiration: 10 }] }))),
        ...BATCH_BAD_EXPIRATIONS.map(([what, expiration]) => fail(`expiration ${what}`, (h) => h.post('/batch/set-expiry').send({ data: [{ name: 'existing', expiration }] }))),
        fail('an item without expiration', (h) => h.post('/batch/set-expiry').send({ data: [{ name: 'existing' }] })),
        fail('an item with a value', (h) => h.post('/batch/set-expiry').send({ data: [{ name: 'existing', expiration: 10, value: VALUE }] })),
        fail('a default expiration', (h) => h.post('/batch/set-expiry').send({ data: [{ name: 'existing', expiration: 10 }], expiration: 10 })),
        fail('a duplicate name', (h) => h.post('/batch/set-expiry').send({ data: [{ name: 'existing', expiration: 10 }, { name: 'existing', expiration: 20 }] })),
      ],
    ],
    [
      'POST {base}/batch/{get,exists,delete}',
      ['get', 'exists', 'delete'].flatMap((op) => [
        ...BATCH_BAD_NAMES.map(([what, name]) => fail(`${op} with a name of ${what}`, (h) => h.post(`/batch/${op}`).send({ data: ['existing', name] }))),
        fail(`${op} with a duplicate name`, (h) => h.post(`/batch/${op}`).send({ data: ['existing', 'existing'] })),
        fail(`${op} with a name that is not a string`, (h) => h.post(`/batch/${op}`).send({ data: [42] })),
        fail(`${op} with an unknown item field`, (h) => h.post(`/batch/${op}`).send({ data: [{ name: 'existing', value: VALUE }] })),
        fail(`${op} with an unknown body field`, (h) => h.post(`/batch/${op}`).send({ data: ['existing'], encrypt: true })),
        fail(`${op} with data that is not an array`, (h) => h.post(`/batch/${op}`).send({ data: 'existing' })),
      ]),
    ],
    [
      'POST {base}/batch/{op} with an unknown op',
      ['bogus', 'CREATE', 'set_expiry', 'list'].map((op) =>
        fail(`"${op}"`, (h) => h.post(`/batch/${op}`).send({ data: [{ name: 'ok', value: VALUE }] }), 404, 'unknown_batch_op'),
      ),
    ],
  ];
}

const OWNERS = [
  { kind: 'session', base: '/sessions/current/attrs', byId: (id: string) => `/sessions/${id}/attrs` },
  { kind: 'user', base: '/users/me/attrs', byId: (id: string) => `/users/${id}/attrs` },
];

/** Every attribute row of the caller's session and user. */
async function stored(c: Caller) {
  const { rows } = await t.pg.query(
    `SELECT 's' AS kind, name, value, sealed, created_at, updated_at, expires_at FROM sso_session_attr WHERE owner_id = $1
     UNION ALL
     SELECT 'u', name, value, sealed, created_at, updated_at, expires_at FROM sso_user_attr WHERE owner_id = $2
     ORDER BY 1, 2`,
    [c.session.id, c.user.id],
  );
  return rows;
}

describe('attribute input validation', () => {
  beforeAll(async () => (t = await startTestApp({ ATTR_MAX_VALUE_BYTES: String(MAX_VALUE_BYTES) })));
  afterAll(() => t.close());

  describe.each(OWNERS)('$kind attributes', ({ base, byId }) => {
    /**
     * One test per route runs all of its bad inputs and compares what each one got with what it
     * should get, so a failure names every input that was handled wrongly.
     */
    it.each(cases())('%s: rejects every bad input with a stable code, without echoing the value, writing nothing', async (_route, routeCases) => {
      const c = await loggedInUser(t);
      const h = httpFor(base, c);
      await h.put('existing').send({ value: 'seed' });
      const before = await stored(c);

      const outcomes: string[] = [];
      for (const { what, send } of routeCases) {
        const res = await send(h);
        const body = res.request.method === 'HEAD' ? '' : ` ${res.body?.code}${Object.keys(res.body ?? {}).sort().join(',') === 'code,message,statusCode' ? '' : ' (body not {statusCode, code, message})'}`;
        const echoed = (res.text ?? '').includes(SENTINEL) ? ' echoing the value' : '';
        const wrote = JSON.stringify(await stored(c)) === JSON.stringify(before) ? '' : ' and wrote';
        outcomes.push(`${what}: ${res.status}${body}${echoed}${wrote}`);
      }
      expect(outcomes).toEqual(routeCases.map(({ what, send, status, code }) => `${what}: ${status}${isHead(send) ? '' : ` ${code}`}`));
    });

    it('accepts a value of exactly ATTR_MAX_VALUE_BYTES bytes of JSON, counted in UTF-8', async () => {
      const c = await loggedInUser(t);
      const h = httpFor(base, c);
      // JSON text of a string: the characters plus two quotes; "é" is two bytes in UTF-8.
      expect((await h.put('ascii').send({ value: 'a'.repeat(MAX_VALUE_BYTES - 2) })).status).toBe(200);
      expect((await h.put('ascii-over').send({ value: 'a'.repeat(MAX_VALUE_BYTES - 1) })).status).toBe(413);
      expect((await h.put('accents').send({ value: 'é'.repeat((MAX_VALUE_BYTES - 2) / 2) })).status).toBe(200);
      expect((await h.put('accents-over').send({ value: 'é'.repeat((MAX_VALUE_BYTES - 2) / 2 + 1) })).status).toBe(413);
      expect((await h.get('accents')).body.value).toBe('é'.repeat((MAX_VALUE_BYTES - 2) / 2));
    });

    it('accepts names of 128 characters and rejects 129 in a batch', async () => {
      const c = await loggedInUser(t);
      const h = httpFor(base, c);
      expect((await h.post('/batch/create').send({ data: [{ name: '😀'.repeat(128), value: 1 }, { name: 'a'.repeat(128), value: 2 }] })).status).toBe(201);
      expect((await h.post('/batch/create').send({ data: [{ name: '😀'.repeat(129), value: 1 }] })).status).toBe(400);
    });

    it.each(['abc', '123', 'current-ish', '00000000-0000-0000-0000-00000000000g', "1' OR '1'='1"])(
      'rejects the owner id %p with validation_failed',
      async (id) => {
        const c = await loggedInUser(t);
        const path = byId(encodeURIComponent(id));
        for (const res of [
          await t.http().get(path).set('Authorization', c.auth),
          await t.http().get(`${path}/existing`).set('Authorization', c.auth),
          await t.http().put(`${path}/x`).set('Authorization', c.auth).send({ value: VALUE }),
          await t.http().post(`${path}/batch/set`).set('Authorization', c.auth).send({ data: [{ name: 'x', value: VALUE }] }),
        ]) {
          expect(res.status).toBe(400);
          expect(res.body.code).toBe('validation_failed');
          expect(res.text).not.toContain(SENTINEL);
        }
        expect(await stored(c)).toEqual([]);
      },
    );
  });

  describe.each([
    { kind: 'session', service: SessionAttrService, owner: (c: Caller) => c.session.id },
    { kind: 'user', service: UserAttrService, owner: (c: Caller) => c.user.id },
  ])('the in-process $kind API', ({ service, owner }) => {
    /** Runs one call lazily, so no rejection is left unobserved while another is awaited. */
    const failure = async (attempt: () => Promise<unknown>) => {
      try {
        await attempt();
        return { code: 'resolved', message: '' };
      } catch (error) {
        return { code: (error as TesseraError).code, message: String((error as Error).message) };
      }
    };

    it('rejects bad names, expirations, encrypt flags, values and batches without echoing the value', async () => {
      const c = await loggedInUser(t);
      const a = t.app.get(service).of(owner(c));
      const circular: Record<string, unknown> = { note: SENTINEL };
      circular.self = circular;
      const attempts: Array<[string, () => Promise<unknown>]> = [
        ...BAD_NAMES.map(([, name]): [string, () => Promise<unknown>] => ['validation_failed', () => a.set(name, VALUE)]),
        ...BAD_EXPIRATIONS.map(([, expiration]): [string, () => Promise<unknown>] => [
          'validation_failed',
          () => a.set('ok', VALUE, { expiration: expiration as number }),
        ]),
        ['validation_failed', () => a.set('ok', VALUE, { encrypt: 'yes' as unknown as boolean })],
        ['validation_failed', () => a.set('ok', undefined as never)],
        ['validation_failed', () => a.set('ok', circular as never)],
        ['validation_failed', () => a.set('ok', { big: BigInt(1), note: SENTINEL } as never)],
        ['payload_too_large', () => a.set('ok', BIG)],
        ['validation_failed', () => a.setMany([{ name: 'ok', value: VALUE }, { name: 'ok', value: VALUE }])],
        ['validation_failed', () => a.createMany([{ name: 'ok', value: VALUE }], { expiration: -5 })],
        ['validation_failed', () => a.getMany(['ok', 'ok'])],
        ['validation_failed', () => a.existsMany('ok' as never)],
        ['validation_failed', () => a.deleteMany([LONG_NAME])],
        ['validation_failed', () => a.setExpiryMany([{ name: 'ok' } as never])],
        ['validation_failed', () => a.setExpiry('ok', 0)],
      ];
      for (const [code, attempt] of attempts) {
        const result = await failure(attempt);
        expect(result.code).toBe(code);
        expect(result.message).not.toContain(SENTINEL);
      }
      expect(await stored(c)).toEqual([]);
    });

    it('reports invalid input as a rejected promise, never a synchronous throw', async () => {
      const c = await loggedInUser(t);
      const a = t.app.get(service).of(owner(c));
      const calls: Array<[string, () => Promise<unknown>]> = [
        ['createMany', () => a.createMany([{ name: '', value: 1 }])],
        ['setMany', () => a.setMany(null as never)],
        ['updateMany', () => a.updateMany([{ name: 'x', value: 1, expiration: -1 }])],
        ['getMany', () => a.getMany(null as never)],
        ['deleteMany', () => a.deleteMany(null as never)],
        ['setExpiry', () => a.setExpiry('x', undefined as never)],
        ['setExpiryMany with an item without expiration', () => a.setExpiryMany([{ name: 'x' } as never])],
        ['setExpiryMany of a non-array', () => a.setExpiryMany(null as never)],
      ];
      const outcomes: string[] = [];
      for (const [label, call] of calls) {
        let outcome: string;
        try {
          const promise = call();
          outcome = await promise.then(
            () => 'resolved',
            () => 'rejected',
          );
        } catch {
          outcome = 'threw synchronously';
        }
        outcomes.push(`${label}: ${outcome}`);
      }
      expect(outcomes).toEqual(calls.map(([label]) => `${label}: rejected`));
    });
  });
});
