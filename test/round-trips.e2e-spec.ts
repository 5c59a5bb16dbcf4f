import { SessionAttrService } from '../src';
import { roundTrips } from './support/round-trips';
import { loggedInUser, startTestApp, TestApp } from './support/test-app';

describe('database round trips per attribute call', () => {
  let t: TestApp;
  beforeAll(async () => (t = await startTestApp()));
  afterAll(() => t.close());

  it('takes one round trip for a REST get, set and 1000-item createMany, including the UST check', async () => {
    const { auth } = await loggedInUser(t);
    const base = '/sessions/current/attrs';
    const set = await roundTrips(() => t.http().put(`${base}/cart`).set('Authorization', auth).send({ value: [1, 2] }).expect(200));
    const get = await roundTrips(() => t.http().get(`${base}/cart`).set('Authorization', auth).expect(200));
    const data = Array.from({ length: 1000 }, (_, i) => ({ name: `item-${i}`, value: { i } }));
    const createMany = await roundTrips(() =>
      t.http().post(`${base}/batch/create`).set('Authorization', auth).send({ data }).expect(201),
    );
    expect({ set, get, createMany }).toEqual({ set: 1, get: 1, createMany: 1 });
  });

  it('takes one round trip for an in-process get, set, encrypted set and 1000-item createMany', async () => {
    const { session } = await loggedInUser(t);
    const attrs = t.app.get(SessionAttrService).of(session);
    const set = await roundTrips(() => attrs.set('cart', { items: 3 }));
    const sealed = await roundTrips(() => attrs.set('card', '4111', { encrypt: true }));
    const get = await roundTrips(() => attrs.get('card'));
    const items = Array.from({ length: 1000 }, (_, i) => ({ name: `n${i}`, value: i }));
    const createMany = await roundTrips(() => attrs.createMany(items));
    expect({ set, sealed, get, createMany }).toEqual({ set: 1, sealed: 1, get: 1, createMany: 1 });
    expect(await attrs.get('card')).toMatchObject({ value: '4111', encrypted: true });
  });

  it('rejects a batch in its one round trip and leaves nothing behind', async () => {
    const { session } = await loggedInUser(t);
    const attrs = t.app.get(SessionAttrService).of(session);
    await attrs.set('n500', 'already here');
    const items = Array.from({ length: 1000 }, (_, i) => ({ name: `n${i}`, value: i }));
    let failure: unknown;
    const trips = await roundTrips(() => attrs.createMany(items).catch((e) => (failure = e)));
    expect(trips).toBe(1);
    expect(failure).toMatchObject({ code: 'attr_exists' });
    expect(await attrs.names()).toEqual(['n500']);
  });
});
