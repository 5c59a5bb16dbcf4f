import { loggedInUser, startTestApp, TestApp } from './support/test-app';

describe('an update of the value keeps how the attribute is stored', () => {
  let t: TestApp;
  beforeAll(async () => (t = await startTestApp()));
  afterAll(() => t.close());

  const row = async (sessionId: string, name: string) =>
    (await t.pg.query('SELECT value, sealed, row_to_json(a)::text AS whole FROM sso_session_attr a WHERE owner_id = $1 AND name = $2', [sessionId, name])).rows[0];

  it('keeps a sealed value sealed when PATCH sends a new value without encrypt', async () => {
    const { auth, session } = await loggedInUser(t);
    const base = '/sessions/current/attrs';
    await t.http().put(`${base}/card`).set('Authorization', auth).send({ value: 'old-4111', encrypt: true }).expect(200);
    const res = await t.http().patch(`${base}/card`).set('Authorization', auth).send({ value: 'new-sentinel-5500' }).expect(200);
    expect(res.body.encrypted).toBe(true);
    const stored = await row(session.id, 'card');
    expect(stored.value).toBeNull();
    expect(stored.whole).not.toContain('new-sentinel-5500');
    const read = await t.http().get(`${base}/card`).set('Authorization', auth).expect(200);
    expect(read.body).toMatchObject({ value: 'new-sentinel-5500', encrypted: true });
  });

  it('keeps a plain value plain, and lets encrypt choose the form outright', async () => {
    const { auth, session } = await loggedInUser(t);
    const base = '/sessions/current/attrs';
    await t.http().put(`${base}/theme`).set('Authorization', auth).send({ value: 'dark' }).expect(200);
    await t.http().patch(`${base}/theme`).set('Authorization', auth).send({ value: 'light' }).expect(200);
    expect((await row(session.id, 'theme')).value).toBe('"light"');
    const sealed = await t.http().patch(`${base}/theme`).set('Authorization', auth).send({ value: 'blue', encrypt: true }).expect(200);
    expect(sealed.body.encrypted).toBe(true);
    expect((await row(session.id, 'theme')).value).toBeNull();
    const plain = await t.http().post(`${base}/batch/update`).set('Authorization', auth).send({ data: [{ name: 'theme', value: 'red', encrypt: false }] }).expect(200);
    expect(plain.body.attrs[0].encrypted).toBe(false);
    expect((await row(session.id, 'theme')).value).toBe('"red"');
  });

  it('keeps each item of a batch update in its own form', async () => {
    const { auth, session } = await loggedInUser(t);
    const base = '/sessions/current/attrs';
    await t.http().post(`${base}/batch/set`).set('Authorization', auth)
      .send({ data: [{ name: 'a', value: 1, encrypt: true }, { name: 'b', value: 2 }] }).expect(200);
    const res = await t.http().post(`${base}/batch/update`).set('Authorization', auth)
      .send({ data: [{ name: 'a', value: 'sentinel-a' }, { name: 'b', value: 'plain-b' }] }).expect(200);
    expect(res.body.attrs.map((m: { encrypted: boolean }) => m.encrypted)).toEqual([true, false]);
    expect((await row(session.id, 'a')).whole).not.toContain('sentinel-a');
    expect((await row(session.id, 'b')).value).toBe('"plain-b"');
  });
});
