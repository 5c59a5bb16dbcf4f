import { getRepositoryToken } from '@nestjs/typeorm';
import { randomBytes } from 'node:crypto';
import type { Repository } from 'typeorm';
import { createExpressHost } from '../examples/host-express/src/app';
import { Product } from '../examples/host-express/src/products';
import { createFastifyHost } from '../examples/host-fastify/src/app';
import { Note } from '../examples/host-fastify/src/notes';
import { AuthService, SessionAttrService, UsersService } from '../src';
import { HostFactory, RunningHost, startHost } from './support/hosts';
import { PASSWORD, uniqueName } from './support/test-app';

/**
 * The two example host applications (examples/host-express, examples/host-fastify), each with
 * Tessera mounted the way docs/embedding.md says: routes off, the host's own TypeORM connection
 * and entity beside Tessera's own pool, a cart in a session attribute, a coupon as a transient value.
 */
const tessera = {
  apps: ['shop', 'backoffice'],
  argon2MemoryKib: 1024,
  argon2TimeCost: 1,
  sweepIntervalSeconds: 0,
  encryptionKeys: `k1:${Buffer.alloc(32, 7).toString('base64')}`,
};

interface HostCase {
  name: string;
  factory: HostFactory;
  /** A cart line the host accepts, and the price it carries. */
  line(h: RunningHost, auth: string): Promise<{ body: Record<string, unknown>; priceCents: number }>;
  /** Writes and reads the host's own entity through its route and its repository. */
  ownEntity(h: RunningHost, auth: string, userId: string): Promise<void>;
}

async function newProduct(h: RunningHost, auth: string, name: string, priceCents: number) {
  const res = await h.http().post('/products').set('Authorization', auth).send({ name, priceCents });
  expect(res.status).toBe(201);
  return res.body as Product;
}

const hosts: HostCase[] = [
  {
    name: 'an Express host',
    factory: createExpressHost,
    async line(h, auth) {
      const product = await newProduct(h, auth, uniqueName('tea'), 450);
      return { body: { productId: product.id, quantity: 2 }, priceCents: 450 };
    },
    async ownEntity(h, auth) {
      const name = uniqueName('kettle');
      const created = await newProduct(h, auth, name, 2599);
      expect(created).toEqual({ id: expect.any(Number), name, priceCents: 2599 });
      const read = await h.http().get(`/products/${created.id}`).set('Authorization', auth).expect(200);
      expect(read.body).toEqual(created);
      const repository = h.app.get<Repository<Product>>(getRepositoryToken(Product));
      expect(await repository.findOneBy({ id: created.id })).toEqual(created);
      const { rows } = await h.pg.query('SELECT name, price_cents FROM example_product WHERE id = $1', [created.id]);
      expect(rows).toEqual([{ name, price_cents: 2599 }]);
      const bad = await h.http().post('/products').set('Authorization', auth).send({ name: '', priceCents: -1 });
      expect(bad.status).toBe(400);
    },
  },
  {
    name: 'a Fastify host',
    factory: createFastifyHost,
    async line() {
      return { body: { sku: uniqueName('tea'), priceCents: 450, quantity: 2 }, priceCents: 450 };
    },
    async ownEntity(h, auth, userId) {
      const text = `remember the ${uniqueName('milk')}`;
      const created = await h.http().post('/notes').set('Authorization', auth).send({ text });
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({ id: expect.any(Number), userId, text });
      const mine = await h.http().get('/notes').set('Authorization', auth).expect(200);
      expect(mine.body.notes.map((n: Note) => n.text)).toEqual([text]);
      const repository = h.app.get<Repository<Note>>(getRepositoryToken(Note));
      expect(await repository.findBy({ userId })).toMatchObject([{ id: created.body.id, text }]);
      const { rows } = await h.pg.query('SELECT text FROM example_note WHERE user_id = $1', [userId]);
      expect(rows).toEqual([{ text }]);
    },
  },
];

describe.each(hosts)('$name', ({ factory, line, ownEntity }) => {
  let h: RunningHost;
  beforeAll(async () => (h = await startHost(factory, { tessera })));
  afterAll(() => h?.close());

  /** With routes off there is no POST /auth/login: the host logs its users in through AuthService. */
  async function loggedIn(currentApp = 'shop') {
    const username = uniqueName();
    const user = await h.app.get(UsersService).create({ username, password: PASSWORD });
    const { ust, session } = await h.app.get(AuthService).login({ username, password: PASSWORD, currentApp }, { remoteAddr: null, userAgent: 'jest' });
    return { user, ust, session, auth: `Bearer ${ust}` };
  }

  const sessionInvalid = { statusCode: 401, code: 'session_invalid', message: expect.any(String) };

  it('answers 401 session_invalid without a token', async () => {
    for (const path of ['/cart', '/products/1', '/notes']) {
      const res = await h.http().get(path);
      // The host has one of /products and /notes; the other is simply not there.
      if (res.status === 404) continue;
      expect(res.status).toBe(401);
      expect(res.body).toEqual(sessionInvalid);
      expect(Object.keys(res.body).sort()).toEqual(['code', 'message', 'statusCode']);
    }
    const post = await h.http().post('/cart/lines').send({ quantity: 1 });
    expect(post.status).toBe(401);
    expect(post.body).toEqual(sessionInvalid);
  });

  it('answers 401 session_invalid to a token it never issued, or a malformed Authorization header', async () => {
    for (const header of [`Bearer ${randomBytes(32).toString('base64url')}`, 'Bearer', 'Basic dXNlcjpwYXNz', 'Bearer a b']) {
      const res = await h.http().get('/cart').set('Authorization', header);
      expect(res.status).toBe(401);
      expect(res.body).toEqual(sessionInvalid);
    }
  });

  it('answers 403 app_not_allowed when X-Current-App names an app that is not configured', async () => {
    const { auth } = await loggedIn();
    const res = await h.http().get('/cart').set('Authorization', auth).set('X-Current-App', 'not-configured');
    expect(res.status).toBe(403);
    expect(res.body).toEqual({ statusCode: 403, code: 'app_not_allowed', message: expect.any(String) });
    await h.http().get('/cart').set('Authorization', auth).set('X-Current-App', 'backoffice').expect(200);
  });

  it('keeps a cart in the session across requests with a valid UST, one cart per session', async () => {
    const { auth, session, user } = await loggedIn();
    const empty = await h.http().get('/cart').set('Authorization', auth).expect(200);
    expect(empty.body).toMatchObject({ lines: [], totalCents: 0 });

    const first = await line(h, auth);
    const second = await line(h, auth);
    await h.http().post('/cart/lines').set('Authorization', auth).send(first.body).expect(200);
    const added = await h.http().post('/cart/lines').set('Authorization', auth).send(second.body).expect(200);
    expect(added.body.lines).toHaveLength(2);
    expect(added.body.lines[0]).toMatchObject(first.body);
    expect(added.body.lines[1]).toMatchObject(second.body);

    const read = await h.http().get('/cart').set('Authorization', auth).expect(200);
    expect(read.body).toEqual({ ...added.body, subtotalCents: 2 * (first.priceCents * 2), discountCents: 0, totalCents: 4 * first.priceCents, coupon: null });
    expect((await h.app.get(SessionAttrService).get(session.id, 'cart'))?.value).toEqual(read.body.lines);

    // The same user's other session has a cart of its own.
    const other = await h.app.get(AuthService).login({ username: user.username, password: PASSWORD, currentApp: 'shop' });
    const otherCart = await h.http().get('/cart').set('Authorization', `Bearer ${other.ust}`).expect(200);
    expect(otherCart.body.lines).toEqual([]);

    await h.http().delete('/cart').set('Authorization', auth).expect(204);
    expect((await h.http().get('/cart').set('Authorization', auth).expect(200)).body.lines).toEqual([]);
  });

  it('validates its own bodies with its own pipe, leaving the cart untouched', async () => {
    const { auth, session } = await loggedIn();
    const res = await h.http().post('/cart/lines').set('Authorization', auth).send({ quantity: 0 });
    expect(res.status).toBe(400);
    expect(res.body.statusCode).toBe(400);
    expect(await h.app.get(SessionAttrService).names(session.id)).toEqual([]);
  });

  it('keeps its own entity on its own TypeORM connection, beside Tessera', async () => {
    const { auth, user } = await loggedIn();
    await ownEntity(h, auth, user.id);
  });

  it("mounts none of Tessera's REST routes when routes are off", async () => {
    const { user, auth } = await loggedIn();
    const login = await h.http().post('/auth/login').send({ username: user.username, password: PASSWORD, currentApp: 'shop' });
    expect(login.status).toBe(404);
    expect(login.body).not.toHaveProperty('ust');
    for (const [method, path] of [
      ['post', '/auth/logout'],
      ['get', '/sessions/current'],
      ['get', '/sessions'],
      ['get', '/users/me'],
      ['get', '/users/me/attrs'],
      ['get', '/sessions/current/attrs'],
      ['put', '/sessions/current/attrs/cart'],
    ] as const) {
      const res = await h.http()[method](path).set('Authorization', auth).send({ value: 1 });
      expect([method, path, res.status]).toEqual([method, path, 404]);
    }
  });

  it('keeps a transient value for its request only, never in the database or the log', async () => {
    const { auth, ust, session } = await loggedIn();
    const { body, priceCents } = await line(h, auth);
    const coupon = `SAVE15-${randomBytes(12).toString('hex')}`;
    const logsBefore = h.logs.length;

    // The interceptor sets it, the handler reads it: the same request sees it.
    const added = await h.http().post('/cart/lines').set('Authorization', auth).set('X-Coupon', coupon).send(body).expect(200);
    const subtotal = priceCents * 2;
    expect(added.body).toMatchObject({ coupon, subtotalCents: subtotal, discountCents: Math.floor(subtotal * 0.15) });

    // The next request of the same session does not.
    const next = await h.http().get('/cart').set('Authorization', auth).expect(200);
    expect(next.body).toMatchObject({ coupon: null, discountCents: 0, totalCents: subtotal });

    const { rows } = await h.pg.query('SELECT name, value, sealed FROM sso_session_attr WHERE owner_id = $1', [session.id]);
    expect(rows.map((r) => r.name)).toEqual(['cart']);
    expect(JSON.stringify(rows)).not.toContain(coupon.slice(7));
    expect(await h.app.get(SessionAttrService).names(session.id)).toEqual(['cart']);

    // The host did log this request (its cart line), and nothing of the coupon or the UST.
    const lines = h.logs.slice(logsBefore);
    expect(lines.filter((l) => l.includes('cart now has'))).toHaveLength(1);
    expect(h.logs.filter((l) => l.includes(coupon.slice(7)) || l.includes(ust))).toEqual([]);
  });
});
