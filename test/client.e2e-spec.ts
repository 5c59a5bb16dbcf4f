import type { AddressInfo } from 'node:net';
import { TesseraClient, TesseraClientError, TesseraSession } from '../client/src/index.ts';
import { createUser, PASSWORD, sleep, startTestApp, TestApp } from './support/test-app';

/** The client against the real service on a real port. */
async function serve(overrides: Record<string, string> = {}) {
  const t = await startTestApp(overrides);
  await t.app.listen(0, '127.0.0.1');
  const { port } = t.app.getHttpServer().address() as AddressInfo;
  return { t, client: new TesseraClient({ baseUrl: `http://127.0.0.1:${port}`, currentApp: 'crm' }) };
}

async function sessionCount(t: TestApp, sessionId: string): Promise<number> {
  const { rows } = await t.pg.query('SELECT count(*)::int AS n FROM sso_session WHERE id = $1', [sessionId]);
  return rows[0].n;
}

async function expectError(promise: Promise<unknown>, code: string, status: number) {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TesseraClientError);
  expect({ code: (error as TesseraClientError).code, status: (error as TesseraClientError).status }).toEqual({ code, status });
}

describe('the TypeScript client', () => {
  let t: TestApp;
  let client: TesseraClient;

  beforeAll(async () => {
    ({ t, client } = await serve());
  });

  afterAll(async () => {
    await t.close();
  });

  afterEach(() => {
    expect(client.pendingTimers).toBe(0);
  });

  it('logs in and reattaches to the session by its UST', async () => {
    const user = await createUser(t);
    const first = await client.login({ username: user.username, password: PASSWORD });
    expect(first.info.userId).toBe(user.id);
    await first.attrs.set('cart', ['apple']);
    const again = await client.reattach(first.ust);
    expect(again.id).toBe(first.id);
    expect((await again.attrs.get('cart'))?.value).toEqual(['apple']);
    await again.close();
    expect(again.status).toBe('closed');
    await expectError(first.current(), 'session_invalid', 401);
    expect(first.status).toBe('ended');
    await first.close(); // already ended: closes quietly
  });

  it('closes the session at the end of an `await using` scope', async () => {
    const user = await createUser(t);
    let session: TesseraSession | undefined;
    {
      await using scoped = await client.openSession({ username: user.username, password: PASSWORD });
      session = scoped;
      expect(await sessionCount(t, scoped.id)).toBe(1);
      expect(client.pendingTimers).toBe(1);
    }
    expect(session.status).toBe('closed');
    expect(client.pendingTimers).toBe(0);
    expect(await sessionCount(t, session.id)).toBe(0);
  });

  it('closes the scope on an error thrown inside it, and lets the error through', async () => {
    const user = await createUser(t);
    let id = '';
    const run = async () => {
      await using scoped = await client.openSession({ username: user.username, password: PASSWORD });
      id = scoped.id;
      await scoped.attrs.create('x', 1);
      await scoped.attrs.create('x', 2);
    };
    await expectError(run(), 'attr_exists', 409);
    expect(await sessionCount(t, id)).toBe(0);
  });

  it('raises typed errors with the stable code and status', async () => {
    const user = await createUser(t);
    await expectError(client.login({ username: user.username, password: 'wrong password!' }), 'invalid_credentials', 401);
    await expectError(client.login({ username: user.username, password: PASSWORD, currentApp: 'nope' }), 'app_not_allowed', 403);
    await expectError(client.reattach('not-a-real-token'), 'session_invalid', 401);
    const session = await client.login({ username: user.username, password: PASSWORD });
    await expectError(session.attrs.update('missing', { value: 1 }), 'attr_not_found', 404);
    await expectError(session.attrs.set('bad/name', 1), 'validation_failed', 400);
    await expectError(session.attrs.setExpiry('x', 0), 'validation_failed', 400);
    await expectError(session.userAttrsOf('00000000-0000-4000-8000-000000000000').list(), 'forbidden', 403);
    await expectError(session.revoke('00000000-0000-4000-8000-000000000000'), 'session_not_found', 404);
    await session.close();
    const unreachable = new TesseraClient({ baseUrl: 'http://127.0.0.1:1', currentApp: 'crm' });
    await expectError(unreachable.login({ username: 'a', password: 'b' }), 'network_error', 0);
  });

  it('offers the whole attribute API on the session and on the user', async () => {
    const user = await createUser(t);
    await using session = await client.login({ username: user.username, password: PASSWORD });
    for (const attrs of [session.attrs, session.userAttrs]) {
      const created = await attrs.create('a', 0, { expiration: 600 });
      expect(created).toMatchObject({ name: 'a', encrypted: false });
      expect(created.expiresAt).not.toBeNull();
      await expectError(attrs.create('a', 1), 'attr_exists', 409);
      expect((await attrs.createMany([{ name: 'b', value: null }, { name: 'c', value: { deep: [false] }, encrypt: true }])).map((m) => m.encrypted)).toEqual([false, true]);
      expect(await attrs.set('a', '')).toMatchObject({ name: 'a' });
      expect((await attrs.setMany([{ name: 'd', value: 4 }, { name: 'e', value: 5 }], { expiration: 60 })).every((m) => m.expiresAt)).toBe(true);
      expect(await attrs.update('d', { value: 40 })).toMatchObject({ name: 'd' });
      expect((await attrs.updateMany([{ name: 'd', value: 41 }, { name: 'e', encrypt: true }])).map((m) => m.encrypted)).toEqual([false, true]);
      expect((await attrs.get('c'))?.value).toEqual({ deep: [false] });
      expect((await attrs.get('a'))?.value).toBe('');
      expect(await attrs.get('zz')).toBeNull();
      expect((await attrs.getMany(['b', 'zz', 'd'])).map((a) => a && a.value)).toEqual([null, null, 41]);
      expect(await attrs.exists('b')).toBe(true);
      expect(await attrs.exists('zz')).toBe(false);
      expect(await attrs.existsMany(['zz', 'e'])).toEqual([false, true]);
      expect(await attrs.names()).toEqual(['a', 'b', 'c', 'd', 'e']);
      expect((await attrs.list()).map((m) => m.name)).toEqual(['a', 'b', 'c', 'd', 'e']);
      expect((await attrs.setExpiry('a', null)).expiresAt === null).toBe(attrs === session.userAttrs);
      expect((await attrs.setExpiryMany([{ name: 'b', expiration: 30 }, { name: 'c', expiration: null }]))[0].expiresAt).not.toBeNull();
      await attrs.delete('a');
      await expectError(attrs.delete('a'), 'attr_not_found', 404);
      await attrs.deleteMany(['b', 'c']);
      await expectError(attrs.deleteMany(['d', 'zz']), 'attr_not_found', 404);
      expect(await attrs.names()).toEqual(['d', 'e']);
    }
  });

  it('lists, renews and revokes sessions, and reads and changes the user', async () => {
    const user = await createUser(t);
    const one = await client.login({ username: user.username, password: PASSWORD });
    const two = await client.login({ username: user.username, password: PASSWORD });
    const listed = await one.list();
    expect(listed.map((s) => [s.id, s.current])).toEqual([[one.id, true], [two.id, false]]);
    const before = Date.parse(one.info.expiresAt);
    await sleep(20);
    expect(Date.parse((await one.renew()).expiresAt)).toBeGreaterThan(before);
    expect((await one.current()).id).toBe(one.id);
    await one.revoke(two.id);
    expect(await sessionCount(t, two.id)).toBe(0);
    const three = await client.login({ username: user.username, password: PASSWORD });
    await one.revokeAll({ keepCurrent: true });
    expect(await sessionCount(t, three.id)).toBe(0);
    expect((await one.me()).username).toBe(user.username);
    expect(await one.updateMe({ displayName: 'Ada', email: null })).toMatchObject({ displayName: 'Ada', email: null });
    await expectError(one.changePassword('not the password', 'another long password'), 'invalid_credentials', 401);
    await one.changePassword(PASSWORD, 'another long password');
    await client.login({ username: user.username, password: 'another long password' }).then((s) => s.close());
    await one.revokeAll();
    expect(one.status).toBe('open');
    await expectError(one.me(), 'session_invalid', 401);
    expect(one.status).toBe('ended');
  });
});

describe('background renewal (SESSION_TTL=3)', () => {
  let t: TestApp;
  let client: TesseraClient;

  beforeAll(async () => {
    ({ t, client } = await serve({ SESSION_TTL: '3', SESSION_TOUCH_INTERVAL: '0' }));
  });

  afterAll(async () => {
    await t.close();
  });

  it('keeps an open session alive past its idle TTL, and stops when it is closed', async () => {
    const user = await createUser(t);
    const session = await client.openSession({ username: user.username, password: PASSWORD });
    const firstExpiry = Date.parse(session.info.expiresAt);
    await sleep(6500);
    expect(Date.parse(session.info.expiresAt)).toBeGreaterThan(firstExpiry + 3000);
    // Checked beside the client, so the check itself does not touch the session.
    const { rows } = await t.pg.query('SELECT expires_at > now() AS live FROM sso_session WHERE id = $1', [session.id]);
    expect(rows).toEqual([{ live: true }]);
    expect(client.pendingTimers).toBe(1);
    await session.close();
    expect(client.pendingTimers).toBe(0);
    expect(await sessionCount(t, session.id)).toBe(0);
  });

  it('stops renewing when the session ends elsewhere, and says so', async () => {
    const user = await createUser(t);
    const ended: string[] = [];
    const session = await client.openSession({ username: user.username, password: PASSWORD }, { onEnded: (e) => ended.push(e.code) });
    const other = await client.login({ username: user.username, password: PASSWORD });
    await other.revoke(session.id);
    for (let waited = 0; ended.length === 0 && waited < 5000; waited += 100) await sleep(100);
    expect(ended).toEqual(['session_invalid']);
    expect(session.status).toBe('ended');
    expect(client.pendingTimers).toBe(0);
    await session.close();
    await other.close();
  });

  it('does not renew a session it connected to unless asked', async () => {
    const user = await createUser(t);
    const opened = await client.login({ username: user.username, password: PASSWORD });
    const connected = await client.connectToSession(opened.ust);
    expect(client.pendingTimers).toBe(0);
    await sleep(3600);
    await expectError(connected.current(), 'session_invalid', 401);
    const renewing = await client.login({ username: user.username, password: PASSWORD });
    const kept = await client.connectToSession(renewing.ust, { autoRenew: true });
    expect(client.pendingTimers).toBe(1);
    await sleep(3600);
    expect((await kept.current()).id).toBe(renewing.id);
    await kept.close();
    expect(client.pendingTimers).toBe(0);
  });
});
