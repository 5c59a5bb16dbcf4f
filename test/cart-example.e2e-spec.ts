import { SessionAttrService } from '../src';
import { CartModule } from './example/cart.module';
import { loggedInUser, login, startTestApp, TestApp } from './support/test-app';

describe('an application module using SessionAttrService in-process (shopping cart)', () => {
  let t: TestApp;
  beforeAll(async () => (t = await startTestApp({}, [CartModule])));
  afterAll(() => t.close());

  it('keeps the cart in the session, per session, and drops it with the session', async () => {
    const { user, auth, session } = await loggedInUser(t);
    await t.http().post('/cart').set('Authorization', auth).send({ sku: 'tea', quantity: 2 }).expect(200);
    const res = await t.http().post('/cart').set('Authorization', auth).send({ sku: 'cup', quantity: 1 }).expect(200);
    expect(res.body.lines).toEqual([
      { sku: 'tea', quantity: 2 },
      { sku: 'cup', quantity: 1 },
    ]);

    // The same attribute, seen through Tessera's own REST API and service.
    const attr = await t.http().get('/sessions/current/attrs/cart').set('Authorization', auth).expect(200);
    expect(attr.body.value).toEqual(res.body.lines);
    expect(await t.app.get(SessionAttrService).names(session.id)).toEqual(['cart']);

    // Another session of the same user has its own, empty cart.
    const other = await login(t, user.username, user.password);
    const empty = await t.http().get('/cart').set('Authorization', `Bearer ${other.ust}`).expect(200);
    expect(empty.body.lines).toEqual([]);

    await t.http().post('/auth/logout').set('Authorization', auth).expect(204);
    const { rows } = await t.pg.query('SELECT count(*)::int AS n FROM sso_session_attr WHERE owner_id = $1', [session.id]);
    expect(rows[0].n).toBe(0);
  });

  it('refuses the cart without a session and validates its input', async () => {
    await t.http().get('/cart').expect(401);
    const { auth } = await loggedInUser(t);
    const bad = await t.http().post('/cart').set('Authorization', auth).send({ sku: 'tea', quantity: 0 });
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe('validation_failed');
  });
});
