import { createUser, TestApp } from './support/test-app';
import { expectBadRequest, expectOk, expectZatoError, startZatoApp, zato, ZATO_TIME, zatoLogin, zatoUser } from './support/zato';

describe('Zato sessions (/zato/sso/user/session*)', () => {
  let t: TestApp;
  let admin: { ust: string; user: { id: string } };
  beforeAll(async () => {
    t = await startZatoApp();
    admin = await zatoUser(t, { isSuperUser: true });
  });
  afterAll(() => t.close());

  it('verify (POST): a super-user learns whether target_ust is live', async () => {
    const { ust } = await zatoUser(t);
    expect(expectOk(await zato(t, 'POST', 'user/session', { current_ust: admin.ust, target_ust: ust, current_app: 'crm' })).is_valid).toBe(true);
    expect(expectOk(await zato(t, 'POST', 'user/session', { current_ust: admin.ust, target_ust: 'x'.repeat(43), current_app: 'crm' })).is_valid).toBe(false);
    expectZatoError(await zato(t, 'POST', 'user/session', { current_ust: ust, target_ust: admin.ust, current_app: 'crm' }), 'E005001');
    expectBadRequest(await zato(t, 'POST', 'user/session', { target_ust: ust, current_app: 'crm' }));
  });

  it('renew (PATCH): answers the new expiration_time, without an offset', async () => {
    const { ust } = await zatoUser(t);
    const body = expectOk(await zato(t, 'PATCH', 'user/session', { ust, current_app: 'crm' }));
    expect(body.expiration_time).toMatch(ZATO_TIME);
    expect(Math.abs(new Date(`${body.expiration_time}Z`).getTime() - (Date.now() + t.config.sessionIdleTimeoutSeconds * 1000))).toBeLessThan(60_000);
    expectZatoError(await zato(t, 'PATCH', 'user/session', { ust: 'gone', current_app: 'crm' }), 'E005001');
  });

  it('get (GET): creation and expiration time, address and agent, for the same user or a super-user', async () => {
    const { user, ust } = await zatoUser(t);
    const body = expectOk(await zato(t, 'GET', 'user/session', { current_ust: admin.ust, target_ust: ust, current_app: 'crm' }));
    expect(body).toEqual({
      cid: expect.any(String), status: 'ok', creation_time: expect.stringMatching(ZATO_TIME), expiration_time: expect.stringMatching(ZATO_TIME),
      remote_addr: expect.stringMatching(/127\.0\.0\.1/), user_agent: null,
    });
    const second = await zatoLogin(t, user.username);
    expectOk(await zato(t, 'GET', 'user/session', { current_ust: ust, target_ust: second, current_app: 'crm' }));
    const stranger = await zatoUser(t);
    expectZatoError(await zato(t, 'GET', 'user/session', { current_ust: stranger.ust, target_ust: ust, current_app: 'crm' }), 'E005001');
  });

  it('get leaves the session looked at as it was: its expiry does not slide', async () => {
    const { user, ust } = await zatoUser(t);
    await t.pg.query("UPDATE sso_session SET expires_at = now() + interval '5 minutes' WHERE user_id = $1", [user.id]);
    const before = (await t.pg.query('SELECT expires_at FROM sso_session WHERE user_id = $1', [user.id])).rows[0].expires_at as Date;
    const body = expectOk(await zato(t, 'GET', 'user/session', { current_ust: admin.ust, target_ust: ust, current_app: 'crm' }));
    expect(new Date(`${body.expiration_time}Z`).getTime()).toBe(before.getTime());
    const after = (await t.pg.query('SELECT expires_at FROM sso_session WHERE user_id = $1', [user.id])).rows[0].expires_at as Date;
    expect(after.getTime()).toBe(before.getTime());
  });

  describe('list (GET /user/session/list)', () => {
    it('lists the own live sessions by session id, never by UST', async () => {
      const user = await createUser(t);
      const first = await zatoLogin(t, user.username);
      const second = await zatoLogin(t, user.username);
      const res = await zato(t, 'GET', 'user/session/list', { ust: second, current_app: 'crm' });
      const body = expectOk(res);
      expect(body.result).toHaveLength(2);
      for (const item of body.result) {
        expect(Object.keys(item).sort()).toEqual(['creation_time', 'current_app', 'expiration_time', 'is_current', 'remote_addr', 'session_id', 'user_agent']);
        expect(item.session_id).toMatch(/^[0-9a-f-]{36}$/);
        expect(item.creation_time).toMatch(ZATO_TIME);
      }
      expect(body.result.map((s: { is_current: boolean }) => s.is_current)).toEqual([false, true]);
      expect(res.text).not.toContain(first);
      expect(res.text).not.toContain(second);
    });

    it("lists another user's sessions to a super-user (current_ust + target_ust), never their USTs", async () => {
      const { ust } = await zatoUser(t);
      const res = await zato(t, 'GET', 'user/session/list', { current_ust: admin.ust, target_ust: ust, current_app: 'crm' });
      expect(expectOk(res).result).toHaveLength(1);
      expect(res.text).not.toContain(ust);
      expect(res.text).not.toContain(admin.ust);
      const stranger = await zatoUser(t);
      expectZatoError(await zato(t, 'GET', 'user/session/list', { current_ust: stranger.ust, target_ust: ust, current_app: 'crm' }), 'E005001');
    });

    it('refuses ust together with current_ust or target_ust, or only one of those two, with E008002', async () => {
      const { ust } = await zatoUser(t);
      expectZatoError(await zato(t, 'GET', 'user/session/list', { ust, current_ust: ust, current_app: 'crm' }), 'E008002');
      expectZatoError(await zato(t, 'GET', 'user/session/list', { current_ust: ust, current_app: 'crm' }), 'E008002');
      expectZatoError(await zato(t, 'GET', 'user/session/list', { target_ust: ust, current_app: 'crm' }), 'E008002');
      expectZatoError(await zato(t, 'GET', 'user/session/list', { current_app: 'crm' }), 'E008002');
    });
  });
});
