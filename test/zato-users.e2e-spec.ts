import { generateSync } from 'otplib';
import { TotpService, UsersService } from '../src';
import { createUser, PASSWORD, TestApp, uniqueName } from './support/test-app';
import { expectBadRequest, expectOk, expectZatoError, startZatoApp, zato, ZATO_TIME, zatoLogin, zatoUser } from './support/zato';

const KEY = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';
const zusr = (id: string) => `zusr${id.replace(/-/g, '')}`;

describe('Zato users (/zato/sso/user/*)', () => {
  let t: TestApp;
  let admin: { ust: string; user: { id: string; username: string } };
  beforeAll(async () => {
    t = await startZatoApp();
    admin = await zatoUser(t, { isSuperUser: true });
  });
  afterAll(() => t.close());

  const as = (ust: string, fields: Record<string, unknown> = {}) => ({ ust, current_app: 'crm', ...fields });

  describe('GET /user', () => {
    it('shows a regular user only their own profile fields', async () => {
      const { user, ust } = await zatoUser(t, { email: 'me@example.com', displayName: 'Me' });
      const res = await zato(t, 'GET', 'user', as(ust));
      expect(expectOk(res)).toEqual({
        cid: expect.any(String), status: 'ok', username: user.username, email: 'me@example.com', display_name: 'Me',
        first_name: null, middle_name: null, last_name: null, is_totp_enabled: false, totp_label: null,
      });
    });

    it('shows a super-user every field of any user by user_id (zusr…), timestamps without offset', async () => {
      const user = await createUser(t, { displayName: 'Target' });
      const body = expectOk(await zato(t, 'GET', 'user', as(admin.ust, { user_id: zusr(user.id) })));
      expect(body).toMatchObject({
        user_id: zusr(user.id), username: user.username, display_name: 'Target', is_super_user: false, is_locked: false,
        approval_status: 'approved', approval_status_mod_by: 'auto', password_must_change: false, sign_up_status: 'final',
        password_expiry: null, is_totp_enabled: false,
      });
      expect(body.user_id).toMatch(/^zusr[0-9a-f]{32}$/);
      for (const field of ['password_last_set', 'sign_up_time', 'approval_status_mod_time']) expect(body[field]).toMatch(ZATO_TIME);
    });

    it("refuses another user's record to a regular user, and an unknown or malformed user_id, with E005001", async () => {
      const { ust } = await zatoUser(t);
      const other = await createUser(t);
      expectZatoError(await zato(t, 'GET', 'user', as(ust, { user_id: zusr(other.id) })), 'E005001');
      expectZatoError(await zato(t, 'GET', 'user', as(admin.ust, { user_id: zusr('00000000-0000-4000-8000-000000000000') })), 'E005001');
      expectZatoError(await zato(t, 'GET', 'user', as(admin.ust, { user_id: 'zusr-nonsense' })), 'E005001');
      expectZatoError(await zato(t, 'GET', 'user', as('no such ust')), 'E005001');
      expectZatoError(await zato(t, 'GET', 'user', { ust, current_app: 'nowhere' }), 'E004001');
      expectBadRequest(await zato(t, 'GET', 'user', { current_app: 'crm' }));
    });
  });

  describe('POST /user (create)', () => {
    it('creates a user waiting for a decision without auto_approve; the record has a zusr user_id', async () => {
      const username = uniqueName();
      const body = expectOk(await zato(t, 'POST', 'user', as(admin.ust, { username, password: PASSWORD, email: 'n@example.com', display_name: 'New' })));
      expect(body).toMatchObject({ username, email: 'n@example.com', display_name: 'New', approval_status: 'before_decision', is_approval_needed: true });
      expect(body.user_id).toMatch(/^zusr[0-9a-f]{32}$/);
      expect(body).not.toHaveProperty('password');
      expectZatoError(await zato(t, 'POST', 'user/login', { username, password: PASSWORD, current_app: 'crm' }), 'E005004');
    });

    it('keeps every profile field Zato sends, totp_label included, and reads them back', async () => {
      const username = uniqueName();
      const fields = {
        username, email: 'full@example.com', display_name: 'Dee', first_name: 'Dora', middle_name: 'E.', last_name: 'Ellis',
        password_must_change: true, is_locked: false, is_totp_enabled: true, totp_key: KEY, totp_label: 'Dora at work',
      };
      const created = expectOk(await zato(t, 'POST', 'user', as(admin.ust, { ...fields, password: PASSWORD, sign_up_status: 'final' })));
      const { totp_key: _key, ...readable } = fields;
      expect(created).toMatchObject(readable);
      expect(created).not.toHaveProperty('totp_key');
      expect(expectOk(await zato(t, 'GET', 'user', as(admin.ust, { user_id: created.user_id })))).toMatchObject(readable);
      expectOk(await zato(t, 'PATCH', 'user', as(admin.ust, { user_id: created.user_id, first_name: null, last_name: 'Ellis-Smith' })));
      expect(expectOk(await zato(t, 'GET', 'user', as(admin.ust, { user_id: created.user_id })))).toMatchObject({ first_name: null, middle_name: 'E.', last_name: 'Ellis-Smith' });
    });

    it("refuses a username by Zato's rules (none or empty E001001, too long E001003, white space E001004), over-long names E008002", async () => {
      const cases: Array<[Record<string, unknown>, string]> = [
        [{}, 'E001001'], [{ username: '' }, 'E001001'], [{ username: null }, 'E001001'], [{ username: 'u'.repeat(129) }, 'E001003'],
        [{ username: 'has space' }, 'E001004'], [{ username: uniqueName(), last_name: 'x'.repeat(257) }, 'E008002'],
      ];
      for (const [fields, code] of cases) expectZatoError(await zato(t, 'POST', 'user', as(admin.ust, { password: PASSWORD, ...fields })), code);
      const { ust } = await zatoUser(t);
      expectZatoError(await zato(t, 'PATCH', 'user', as(ust, { username: 'new name' })), 'E001004');
    });

    it('approves at once with auto_approve; locks with is_locked; turns TOTP on with totp_key', async () => {
      const username = uniqueName();
      const body = expectOk(await zato(t, 'POST', 'user', as(admin.ust, { username, password: PASSWORD, auto_approve: true, is_totp_enabled: true, totp_key: KEY, totp_label: 'Tessera' })));
      expect(body).toMatchObject({ approval_status: 'approved', is_approval_needed: false, is_totp_enabled: true, is_locked: false, is_active: true, is_internal: false });
      expectZatoError(await zato(t, 'POST', 'user/login', { username, password: PASSWORD, current_app: 'crm' }), 'E005008');
      expectOk(await zato(t, 'POST', 'user/login', { username, password: PASSWORD, current_app: 'crm', totp_code: generateSync({ secret: KEY }) }));
      const locked = expectOk(await zato(t, 'POST', 'user', as(admin.ust, { username: uniqueName(), password: PASSWORD, auto_approve: true, is_locked: true })));
      expect(locked.is_locked).toBe(true);
    });

    it('creates a user without a password: nobody can log in as them until a super-user sets one', async () => {
      const username = uniqueName();
      const body = expectOk(await zato(t, 'POST', 'user', as(admin.ust, { username, email: 'np@example.com', auto_approve: true })));
      expect(body).toMatchObject({ username, password_is_set: true, approval_status_mod_by: zusr(admin.user.id) });
      expectZatoError(await zato(t, 'POST', 'user/login', { username, password: '', current_app: 'crm' }), 'E005001');
      expectOk(await zato(t, 'PATCH', 'user/password', as(admin.ust, { user_id: body.user_id, new_password: 'now it is set' })));
      await zatoLogin(t, username, 'now it is set');
    });

    it('keeps sign_up_status on create: before_confirmation cannot log in (E005003), final can; another value is E008002', async () => {
      const pending = uniqueName();
      const body = expectOk(await zato(t, 'POST', 'user', as(admin.ust, { username: pending, password: PASSWORD, auto_approve: true, sign_up_status: 'before_confirmation' })));
      expect(body.sign_up_status).toBe('before_confirmation');
      expectZatoError(await zato(t, 'POST', 'user/login', { username: pending, password: PASSWORD, current_app: 'crm' }), 'E005003');
      const final = uniqueName();
      expect(expectOk(await zato(t, 'POST', 'user', as(admin.ust, { username: final, password: PASSWORD, auto_approve: true, sign_up_status: 'final' }))).sign_up_status).toBe('final');
      await zatoLogin(t, final, PASSWORD);
      expectZatoError(await zato(t, 'POST', 'user', as(admin.ust, { username: uniqueName(), password: PASSWORD, sign_up_status: 'maybe' })), 'E008002');
    });

    it('writes nothing when a later field is refused: a bad totp_key leaves no user behind', async () => {
      const username = uniqueName();
      expectZatoError(await zato(t, 'POST', 'user', as(admin.ust, { username, password: PASSWORD, is_locked: true, totp_key: 'not base32!' })), 'E008002');
      const { rows } = await t.pg.query('SELECT count(*)::int AS n FROM sso_user WHERE username = $1', [username]);
      expect(rows[0].n).toBe(0);
    });

    it('refuses a taken username (E001002), a regular caller (E005001), a short password (E003002)', async () => {
      const { user, ust } = await zatoUser(t);
      expectZatoError(await zato(t, 'POST', 'user', as(admin.ust, { username: user.username, password: PASSWORD })), 'E001002');
      expectZatoError(await zato(t, 'POST', 'user', as(ust, { username: uniqueName(), password: PASSWORD })), 'E005001');
      expectZatoError(await zato(t, 'POST', 'user', as(admin.ust, { username: uniqueName(), password: 'short' })), 'E003002');
    });
  });

  describe('PATCH /user (update)', () => {
    it('changes the caller\'s own profile; unknown keys are dropped', async () => {
      const { ust } = await zatoUser(t);
      expectOk(await zato(t, 'PATCH', 'user', as(ust, { display_name: 'Renamed', email: 'r@example.com', first_name: 'Dropped', no_such_key: 1 })));
      expect(expectOk(await zato(t, 'GET', 'user', as(ust)))).toMatchObject({ display_name: 'Renamed', email: 'r@example.com' });
    });

    it('lets a super-user set password_expiry (read back exactly as sent), must-change, approval and lock', async () => {
      const user = await createUser(t);
      const id = zusr(user.id);
      expectOk(await zato(t, 'PATCH', 'user', as(admin.ust, { user_id: id, password_expiry: '2345-12-27T11:22:33', password_must_change: true, approval_status: 'before_decision' })));
      expect(expectOk(await zato(t, 'GET', 'user', as(admin.ust, { user_id: id })))).toMatchObject({
        password_expiry: '2345-12-27T11:22:33', password_must_change: true, approval_status: 'before_decision', approval_status_mod_by: zusr(admin.user.id),
      });
      expectOk(await zato(t, 'PATCH', 'user', as(admin.ust, { user_id: id, is_locked: true })));
      expect(expectOk(await zato(t, 'GET', 'user', as(admin.ust, { user_id: id }))).is_locked).toBe(true);
    });

    it('refuses super-user fields, and another user, to a regular user (E005001), changing nothing', async () => {
      const { user, ust } = await zatoUser(t);
      const other = await createUser(t);
      expectZatoError(await zato(t, 'PATCH', 'user', as(ust, { is_locked: false })), 'E005001');
      expectZatoError(await zato(t, 'PATCH', 'user', as(ust, { password_expiry: '2345-12-27T11:22:33' })), 'E005001');
      expectZatoError(await zato(t, 'PATCH', 'user', as(ust, { user_id: zusr(other.id), display_name: 'Hijacked' })), 'E005001');
      expect((await t.app.get(UsersService).get(other.id)).displayName).toBeNull();
      expect((await t.app.get(UsersService).get(user.id)).passwordExpiresAt).toBeNull();
    });

    it('turns TOTP on with is_totp_enabled and totp_key, and off again (as Zato\'s TOTP tests do)', async () => {
      const { user, ust } = await zatoUser(t);
      expectZatoError(await zato(t, 'PATCH', 'user', as(ust, { is_totp_enabled: true })), 'E008002');
      expectOk(await zato(t, 'PATCH', 'user', as(ust, { is_totp_enabled: true, totp_key: KEY })));
      expectZatoError(await zato(t, 'POST', 'user/login', { username: user.username, password: PASSWORD, current_app: 'crm' }), 'E005008');
      expectOk(await zato(t, 'PATCH', 'user', as(ust, { is_totp_enabled: true })));
      expectOk(await zato(t, 'PATCH', 'user', as(ust, { is_totp_enabled: false })));
      expect(await t.app.get(TotpService).isEnabled(user.id)).toBe(false);
    });

    it('changes nothing when a later field is refused (a bad totp_key after a new display_name)', async () => {
      const { user } = await zatoUser(t);
      const before = await t.app.get(UsersService).get(user.id);
      expectZatoError(await zato(t, 'PATCH', 'user', as(admin.ust, { user_id: zusr(user.id), display_name: 'changed', is_locked: true, is_totp_enabled: true, totp_key: 'not base32!' })), 'E008002');
      expect(await t.app.get(UsersService).get(user.id)).toMatchObject({ displayName: before.displayName, isLocked: false });
      expect(await t.app.get(TotpService).isEnabled(user.id)).toBe(false);
    });

    it('refuses a malformed password_expiry with E008002', async () => {
      const user = await createUser(t);
      expectZatoError(await zato(t, 'PATCH', 'user', as(admin.ust, { user_id: zusr(user.id), password_expiry: 'next tuesday' })), 'E008002');
    });
  });

  describe('DELETE /user', () => {
    it('deletes a user as a super-user; deleting oneself is E008001; a regular user E005001', async () => {
      const user = await createUser(t);
      const { ust } = await zatoUser(t);
      expectZatoError(await zato(t, 'DELETE', 'user', as(ust, { user_id: zusr(user.id) })), 'E005001');
      expectOk(await zato(t, 'DELETE', 'user', as(admin.ust, { user_id: zusr(user.id) })));
      await expect(t.app.get(UsersService).get(user.id)).rejects.toMatchObject({ code: 'user_not_found' });
      expectZatoError(await zato(t, 'DELETE', 'user', as(admin.ust, { user_id: zusr(admin.user.id) })), 'E008001');
      expectBadRequest(await zato(t, 'DELETE', 'user', as(admin.ust)));
    });
  });

  describe('PATCH /user/password', () => {
    it('changes the own password with the old one (wrong: E005001); other sessions end', async () => {
      const { user, ust } = await zatoUser(t);
      const other = await zatoLogin(t, user.username);
      expectZatoError(await zato(t, 'PATCH', 'user/password', as(ust, { old_password: 'wrong one', new_password: 'a new password' })), 'E005001');
      expectOk(await zato(t, 'PATCH', 'user/password', as(ust, { old_password: PASSWORD, new_password: 'a new password' })));
      expectZatoError(await zato(t, 'GET', 'user', as(other)), 'E005001');
      expectOk(await zato(t, 'GET', 'user', as(ust)));
      await zatoLogin(t, user.username, 'a new password');
      expectBadRequest(await zato(t, 'PATCH', 'user/password', as(ust, { old_password: 'a new password' })));
    });

    it("sets another user's password as a super-user, expiring in days and to be changed at next login", async () => {
      const user = await createUser(t);
      expectOk(await zato(t, 'PATCH', 'user/password', as(admin.ust, { user_id: zusr(user.id), new_password: 'set by admin', password_expiry: 10, must_change: true })));
      expectZatoError(await zato(t, 'POST', 'user/login', { username: user.username, password: 'set by admin', current_app: 'crm' }), 'E003007');
      const stored = await t.app.get(UsersService).get(user.id);
      expect(stored.passwordExpiresAt!.getTime()).toBeGreaterThan(Date.now() + 9 * 86400_000);
    });
  });

  describe('approve, reject, lock, unlock', () => {
    it('approve and reject change approval_status; lock and unlock the account (a locked login is E005001)', async () => {
      const user = await createUser(t, { approvalStatus: 'pending' });
      const body = { user_id: zusr(user.id) };
      expectOk(await zato(t, 'POST', 'user/approve', as(admin.ust, body)));
      await zatoLogin(t, user.username);
      expectOk(await zato(t, 'POST', 'user/lock', as(admin.ust, body)));
      expectZatoError(await zato(t, 'POST', 'user/login', { username: user.username, password: PASSWORD, current_app: 'crm' }), 'E005001');
      expectOk(await zato(t, 'DELETE', 'user/lock', as(admin.ust, body)));
      await zatoLogin(t, user.username);
      expectOk(await zato(t, 'POST', 'user/reject', as(admin.ust, body)));
      expect((await t.app.get(UsersService).get(user.id)).approvalStatus).toBe('rejected');
    });

    it('are for super-users only (E005001), and need user_id (400)', async () => {
      const { ust } = await zatoUser(t);
      const user = await createUser(t);
      for (const [method, path] of [['POST', 'user/approve'], ['POST', 'user/reject'], ['POST', 'user/lock'], ['DELETE', 'user/lock']]) {
        expectZatoError(await zato(t, method, path, as(ust, { user_id: zusr(user.id) })), 'E005001');
        expectBadRequest(await zato(t, method, path, as(admin.ust)));
      }
    });
  });

  describe('PATCH /user/totp', () => {
    it('sets the own TOTP key, or a super-user sets anyone\'s; answers totp_key', async () => {
      const { user, ust } = await zatoUser(t);
      expect(expectOk(await zato(t, 'PATCH', 'user/totp', as(ust, { totp_key: KEY, totp_label: 'Mine' }))).totp_key).toBe(KEY);
      expect(await t.app.get(TotpService).status(user.id)).toEqual({ enabled: true, label: 'Mine' });
      expect(expectOk(await zato(t, 'GET', 'user', as(ust)))).toMatchObject({ is_totp_enabled: true, totp_label: 'Mine' });
      const other = await createUser(t);
      expectZatoError(await zato(t, 'PATCH', 'user/totp', as(ust, { user_id: zusr(other.id), totp_key: KEY, totp_label: 'x' })), 'E005001');
      expectOk(await zato(t, 'PATCH', 'user/totp', as(admin.ust, { user_id: zusr(other.id), totp_key: KEY, totp_label: 'x' })));
      expect(await t.app.get(TotpService).isEnabled(other.id)).toBe(true);
      expectBadRequest(await zato(t, 'PATCH', 'user/totp', as(ust, { totp_key: KEY })));
      expectZatoError(await zato(t, 'PATCH', 'user/totp', as(ust, { totp_key: 'not base32!', totp_label: 'x' })), 'E008002');
    });
  });

  describe('GET /user/search', () => {
    it('pages through matches with Zato\'s paging keys (default page size 50); names match whole unless is_name_exact is false', async () => {
      const tag = uniqueName('srch');
      for (let i = 0; i < 5; i++) await createUser(t, { username: `${tag}-${i}`, displayName: `Searched ${tag}` });
      const search = (fields: Record<string, unknown>) => zato(t, 'GET', 'user/search', as(admin.ust, fields));
      const first = expectOk(await search({ display_name: tag, is_name_exact: false, paginate: true, page_size: 2, cur_page: 1 }));
      expect(first).toMatchObject({ total: 5, num_pages: 3, page_size: 2, cur_page: 1, has_next_page: true, has_prev_page: false, next_page: 2, prev_page: null });
      expect(first.result.map((u: { username: string }) => u.username)).toEqual([`${tag}-0`, `${tag}-1`]);
      expect(first.result[0].user_id).toMatch(/^zusr/);
      const last = expectOk(await search({ display_name: tag, is_name_exact: false, page_size: 2, cur_page: 3 }));
      expect(last).toMatchObject({ cur_page: 3, has_next_page: false, has_prev_page: true, next_page: null, prev_page: 2 });
      expect(last.result).toHaveLength(1);
      expect(expectOk(await search({ display_name: tag })).total).toBe(0);
      expect(expectOk(await search({ display_name: `searched ${tag}` }))).toMatchObject({ total: 5, page_size: 50, cur_page: 1 });
      expect(expectOk(await search({ display_name: `Searched ${tag}`, page_size: 0, cur_page: -1 }))).toMatchObject({ page_size: 50, cur_page: 1 });
      const byName = expectOk(await search({ username: `${tag}-3` }));
      expect(byName.result.map((u: { username: string }) => u.username)).toEqual([`${tag}-3`]);
      expect(expectOk(await search({ username: tag })).total).toBe(0);
      const byId = expectOk(await search({ user_id: byName.result[0].user_id }));
      expect(byId).toMatchObject({ total: 1, result: [{ username: `${tag}-3` }] });
    });

    it('is for super-users only (E005001)', async () => {
      const { ust } = await zatoUser(t);
      expectZatoError(await zato(t, 'GET', 'user/search', as(ust, { username: 'a' })), 'E005001');
    });
  });

  describe('/user/linked', () => {
    it('links, lists and unlinks auth records (super-user); a user lists their own', async () => {
      const { user, ust } = await zatoUser(t);
      const id = zusr(user.id);
      expectOk(await zato(t, 'POST', 'user/linked', as(admin.ust, { user_id: id, auth_type: 'basic_auth', auth_username: 'svc-a', is_active: true })));
      expectZatoError(await zato(t, 'POST', 'user/linked', as(admin.ust, { user_id: id, auth_type: 'basic_auth', auth_username: 'svc-a' })), 'E008002');
      expectZatoError(await zato(t, 'POST', 'user/linked', as(ust, { user_id: id, auth_type: 'jwt', auth_username: 'svc-b' })), 'E005001');
      const own = expectOk(await zato(t, 'GET', 'user/linked', as(ust)));
      expect(own.result).toEqual([{ auth_type: 'basic_auth', auth_username: 'svc-a', is_active: true, creation_time: expect.stringMatching(ZATO_TIME) }]);
      expect(expectOk(await zato(t, 'GET', 'user/linked', as(admin.ust, { user_id: id }))).result).toHaveLength(1);
      expectOk(await zato(t, 'DELETE', 'user/linked', as(admin.ust, { user_id: id, auth_type: 'basic_auth', auth_username: 'svc-a' })));
      expect(expectOk(await zato(t, 'GET', 'user/linked', as(ust))).result).toEqual([]);
      expectZatoError(await zato(t, 'DELETE', 'user/linked', as(admin.ust, { user_id: id, auth_type: 'basic_auth', auth_username: 'svc-a' })), 'E005001');
      expectZatoError(await zato(t, 'POST', 'user/linked', as(admin.ust, { user_id: id, auth_type: 'ldap', auth_username: 'x' })), 'E008002');
    });
  });
});
