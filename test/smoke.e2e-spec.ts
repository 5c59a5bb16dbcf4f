import { loggedInUser, startTestApp, TestApp } from './support/test-app';

describe('smoke', () => {
  let t: TestApp;
  beforeAll(async () => (t = await startTestApp()));
  afterAll(() => t.close());

  it('logs in and reads the current session', async () => {
    const { auth, session } = await loggedInUser(t);
    const res = await t.http().get('/sessions/current').set('Authorization', auth);
    if (res.status !== 200) console.error(t.logs.slice(-5));
    expect(res.status).toBe(200);
    expect(res.body.id).toBe(session.id);
  });
});
