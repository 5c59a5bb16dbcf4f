/**
 * Port of Zato's zato-sso/test/zato/test_user.py (support/3.3): users over /zato/sso/user*.
 * One `it` per Zato test function; the prefix of each name is the Zato class and function.
 */
import { approval_status, signup_status, search_page_size, status_code, TestConfig, zatoTestFile } from './support/zato-base';

describe('test_user.py', () => {
  const t = zatoTestFile();

  describe('UserCreateTestCase', () => {
    it('test_user_create: a super-user creates a user; it needs approval and has the defaults', async () => {
      const now = new Date();
      const response = await t.post('/zato/sso/user', {
        ust: t.ctx.super_user_ust,
        username: t.getRandomUsername(),
        email: 'myemail@example.com',
        is_rate_limit_active: true,
        rate_limit_def: '*=1/d',
      });
      expect(response.is_approval_needed).toBe(true);
      t.assertDefaultUserData(response, now);
    });

    it('test_user_create_with_auto_approve: auto_approve makes the new user approved', async () => {
      const now = new Date();
      const response = await t.post('/zato/sso/user', {
        ust: t.ctx.super_user_ust,
        username: t.getRandomUsername(),
        auto_approve: true,
      });
      expect(response.is_approval_needed).toBe(false);
      t.assertDefaultUserData(response, now, approval_status.approved);
    });
  });

  describe('UserSignupTestCase', () => {
    it('test_user_signup: sign-up answers a confirm_token', async () => {
      const response = await t.post('/zato/sso/user/signup', {
        username: t.getRandomUsername(),
        password: t.getRandomData(),
        app_list: [TestConfig.current_app],
      });
      expect(response.confirm_token).toEqual(expect.any(String));
    });
  });

  describe('UserConfirmSignupTestCase', () => {
    it('test_confirm_signup: the confirm_token confirms the sign-up', async () => {
      const response = await t.post('/zato/sso/user/signup', {
        username: t.getRandomUsername(),
        password: t.getRandomData(),
        app_list: [TestConfig.current_app],
      });
      await t.patch('/zato/sso/user/signup', { confirm_token: response.confirm_token });
    });
  });

  describe('UserSearchTestCase', () => {
    it('test_search: a display_name part finds both users, one page of the default size', async () => {
      const username1 = t.getRandomUsername();
      const username2 = t.getRandomUsername();
      const randomData = t.getRandomData();
      const now = new Date();

      await t.post('/zato/sso/user', {
        ust: t.ctx.super_user_ust,
        username: username1,
        display_name: `display${randomData}`,
        email: t.getRandomData(),
      });
      await t.post('/zato/sso/user', {
        ust: t.ctx.super_user_ust,
        username: username2,
        display_name: `display${randomData}`,
        email: t.getRandomData(),
      });

      const response = await t.get('/zato/sso/user/search', {
        ust: t.ctx.super_user_ust,
        display_name: randomData,
        is_name_exact: false,
      });

      expect(response.cur_page).toBe(1);
      expect(response.num_pages).toBe(1);
      expect(response.has_next_page).toBe(false);
      expect(response.has_prev_page).toBe(false);
      expect(response.page_size).toBe(search_page_size);
      expect(response.total).toBe(2);
      expect(response.result).toHaveLength(2);

      t.assertDefaultUserData(response.result[0], now);
      t.assertDefaultUserData(response.result[1], now);
    });
  });

  describe('UserApproveTestCase', () => {
    it('test_approve: an approved user reads back approved', async () => {
      const response = await t.post('/zato/sso/user', {
        ust: t.ctx.super_user_ust,
        current_app: TestConfig.current_app,
        username: t.getRandomUsername(),
      });
      await t.post('/zato/sso/user/approve', { ust: t.ctx.super_user_ust, user_id: response.user_id });
      const user = await t.get('/zato/sso/user', { ust: t.ctx.super_user_ust, user_id: response.user_id });
      expect(user.approval_status).toBe(approval_status.approved);
    });
  });

  describe('UserRejectTestCase', () => {
    it('test_reject: a rejected user reads back rejected', async () => {
      const response = await t.post('/zato/sso/user', { ust: t.ctx.super_user_ust, username: t.getRandomUsername() });
      await t.post('/zato/sso/user/reject', { ust: t.ctx.super_user_ust, user_id: response.user_id });
      const user = await t.get('/zato/sso/user', { ust: t.ctx.super_user_ust, user_id: response.user_id });
      expect(user.approval_status).toBe(approval_status.rejected);
    });
  });

  describe('UserLoginValidTestCase', () => {
    it('test_user_login: with TOTP turned off, username and password log in', async () => {
      await t.patch('/zato/sso/user', { ust: t.ctx.super_user_ust, is_totp_enabled: false });
      const response = await t.post('/zato/sso/user/login', {
        username: TestConfig.super_user_name,
        password: TestConfig.super_user_password,
      });
      expect(response.ust).toEqual(expect.any(String));
    });
  });

  describe('UserLoginInvalidUsernameTestCase', () => {
    const expectNotAllowed = (response: Record<string, unknown>) => {
      expect(response.status).toBe(status_code.error);
      expect(response.sub_status).toEqual([status_code.auth.not_allowed]);
      expect(response).not.toHaveProperty('ust');
    };

    it('test_user_login_invalid_username: an unknown username is E005001, no ust', async () => {
      expectNotAllowed(
        await t.post('/zato/sso/user/login', { username: t.getRandomUsername(), password: TestConfig.super_user_password }, false),
      );
    });

    it('test_user_login_empty_username_string: an empty username is E005001, no ust', async () => {
      expectNotAllowed(await t.post('/zato/sso/user/login', { username: '', password: TestConfig.super_user_password }, false));
    });

    it('test_user_login_empty_username_none: a null username is E005001, no ust', async () => {
      expectNotAllowed(await t.post('/zato/sso/user/login', { username: null, password: TestConfig.super_user_password }, false));
    });

    it('test_user_login_no_username: no username at all is a bad request (result Error, details, cid), no ust', async () => {
      const response = await t.post('/zato/sso/user/login', { password: TestConfig.super_user_password }, false);
      expect(response.result).toBe('Error');
      expect(response.details).toBe('Bad request');
      expect(response).toHaveProperty('cid');
      expect(response).not.toHaveProperty('ust');
    });
  });

  describe('UserLoginInvalidPasswordTestCase', () => {
    const expectNotAllowed = (response: Record<string, unknown>) => {
      expect(response.status).toBe(status_code.error);
      expect(response.sub_status).toEqual([status_code.auth.not_allowed]);
      expect(response).not.toHaveProperty('ust');
    };

    it('test_user_login_invalid_password: a wrong password is E005001, no ust', async () => {
      expectNotAllowed(await t.post('/zato/sso/user/login', { username: TestConfig.super_user_name, password: t.getRandomData() }, false));
    });

    it('test_user_login_empty_password_string: an empty password is E005001, no ust', async () => {
      expectNotAllowed(await t.post('/zato/sso/user/login', { username: TestConfig.super_user_name, password: '' }, false));
    });

    it('test_user_login_empty_username_none: a null username is E005001, no ust (second copy, in the password class)', async () => {
      expectNotAllowed(await t.post('/zato/sso/user/login', { username: null, password: TestConfig.super_user_password }, false));
    });

    it('test_user_login_no_password: no password at all is a bad request (result Error, details, cid), no ust', async () => {
      const response = await t.post('/zato/sso/user/login', { username: TestConfig.super_user_name }, false);
      expect(response.result).toBe('Error');
      expect(response.details).toBe('Bad request');
      expect(response).toHaveProperty('cid');
      expect(response).not.toHaveProperty('ust');
    });
  });

  describe('UserLogoutTestCase', () => {
    it('test_user_logout: a fresh session logs out', async () => {
      await t.patch('/zato/sso/user', { ust: t.ctx.super_user_ust, is_totp_enabled: false });
      const { ust } = await t.post('/zato/sso/user/login', {
        username: TestConfig.super_user_name,
        password: TestConfig.super_user_password,
      });
      await t.post('/zato/sso/user/logout', { ust });
    });
  });

  describe('UserGetTestCase', () => {
    it('test_user_get_by_user_id: every field the super-user set reads back', async () => {
      const username = t.getRandomUsername();
      const fields = {
        display_name: t.getRandomData(),
        first_name: t.getRandomData(),
        middle_name: t.getRandomData(),
        last_name: t.getRandomData(),
        email: t.getRandomData(),
      };
      const totpLabel = t.getRandomData();

      const created = await t.post('/zato/sso/user', {
        ust: t.ctx.super_user_ust,
        username,
        password_must_change: true,
        ...fields,
        is_locked: true,
        is_totp_enabled: true,
        totp_label: totpLabel,
        sign_up_status: signup_status.before_confirmation,
      });

      const response = await t.get('/zato/sso/user', { ust: t.ctx.super_user_ust, user_id: created.user_id });

      expect(response.status).toBe(status_code.ok);
      expect(response.username).toBe(username);
      expect(response.display_name).toBe(fields.display_name);
      expect(response.first_name).toBe(fields.first_name);
      expect(response.middle_name).toBe(fields.middle_name);
      expect(response.last_name).toBe(fields.last_name);
      expect(response.email).toBe(fields.email);
      expect(response.sign_up_status).toBe(signup_status.before_confirmation);
      expect(response.password_must_change).toBe(true);
      expect(response.is_locked).toBe(true);
      expect(response.is_totp_enabled).toBe(true);
      expect(response.totp_label).toBe(totpLabel);
    });

    it('test_user_get_by_ust: the CLI-made super-user reads back approved by "auto", with dates before now', async () => {
      const now = new Date();
      const response = await t.get('/zato/sso/user', { ust: t.ctx.super_user_ust });

      expect(response.approval_status).toBe(approval_status.approved);
      expect(response.approval_status_mod_by).toBe('auto');
      expect(response.username).toBe(TestConfig.super_user_name);
      expect(response.sign_up_status).toBe(signup_status.final);

      expect(response.is_approval_needed).toBe(false);
      expect(response.is_super_user).toBe(true);
      expect(response.password_is_set).toBe(true);

      expect(response.is_internal).toBe(false);
      expect(response.is_locked).toBe(false);
      expect(response.password_must_change).toBe(false);

      t.assertUserDates(response, now, true);
    });
  });

  describe('UserUpdateTestCase', () => {
    it('test_user_update_self: a regular user updates its profile and sees only profile fields', async () => {
      const username = t.getRandomUsername();
      const password = t.getRandomData();
      const created = await t.post('/zato/sso/user', { ust: t.ctx.super_user_ust, username, password });
      const approved = await t.post('/zato/sso/user/approve', { ust: t.ctx.super_user_ust, user_id: created.user_id });
      expect(approved.status).toBe(status_code.ok);

      const { ust } = await t.post('/zato/sso/user/login', { username, password });

      const fields = {
        display_name: t.getRandomData(),
        first_name: t.getRandomData(),
        middle_name: t.getRandomData(),
        last_name: t.getRandomData(),
        email: t.getRandomData(),
      };
      await t.patch('/zato/sso/user', { ust, ...fields });

      const response = await t.get('/zato/sso/user', { ust });

      // A regular user: these attributes must not be there at all.
      for (const key of ['is_active', 'is_approval_needed', 'is_internal', 'is_locked', 'is_super_user']) {
        expect(response).not.toHaveProperty(key);
      }
      expect(response.display_name).toBe(fields.display_name);
      expect(response.email).toBe(fields.email);
      expect(response.first_name).toBe(fields.first_name);
      expect(response.last_name).toBe(fields.last_name);
      expect(response.middle_name).toBe(fields.middle_name);
      expect(response.username).toBe(username);
    });

    it('test_user_update_self_username: a user renames itself; another user taking that name is E001002', async () => {
      const username1 = t.getRandomUsername();
      const password1 = t.getRandomData();
      const username2 = t.getRandomUsername();
      const password2 = t.getRandomData();
      const newUsername = t.getRandomUsername();

      await t.createAndApproveUser(username1, password1);
      await t.createAndApproveUser(username2, password2);

      const response1 = await t.post('/zato/sso/user/login', { username: username1, password: password1 });
      const renamed = await t.patch('/zato/sso/user', { ust: response1.ust, username: newUsername });
      expect(renamed.status).toBe(status_code.ok);

      const response2 = await t.post('/zato/sso/user/login', { username: username2, password: password2 });
      const patchResponse2 = await t.patch('/zato/sso/user', { ust: response2.ust, username: newUsername }, false);
      expect(patchResponse2.status).toBe(status_code.error);
      expect(patchResponse2.sub_status).toEqual([status_code.username.exists]);
    });

    it('test_user_update_by_id: the super-user sets profile and account fields; password_expiry reads back as sent', async () => {
      const username = t.getRandomUsername();
      const created = await t.post('/zato/sso/user', { ust: t.ctx.super_user_ust, username, password: t.getRandomData() });
      const userId = created.user_id;

      const fields = {
        display_name: t.getRandomData(),
        first_name: t.getRandomData(),
        middle_name: t.getRandomData(),
        last_name: t.getRandomData(),
        email: t.getRandomData(),
      };
      const passwordExpiry = '2345-12-27T11:22:33';

      await t.patch('/zato/sso/user', {
        ust: t.ctx.super_user_ust,
        user_id: userId,
        ...fields,
        is_approved: true,
        is_locked: true,
        password_expiry: passwordExpiry,
        password_must_change: true,
        sign_up_status: signup_status.final,
        approval_status: approval_status.rejected,
      });

      const response = await t.get('/zato/sso/user', { ust: t.ctx.super_user_ust, user_id: userId });

      expect(response.user_id).toBe(userId);
      expect(response.display_name).toBe(fields.display_name);
      expect(response.email).toBe(fields.email);
      expect(response.first_name).toBe(fields.first_name);
      expect(response.last_name).toBe(fields.last_name);
      expect(response.middle_name).toBe(fields.middle_name);
      expect(response.username).toBe(username);

      expect(response.is_locked).toBe(true);
      expect(response.password_expiry).toBe(passwordExpiry);
      expect(response.password_must_change).toBe(true);
      expect(response.sign_up_status).toBe(signup_status.final);
      expect(response.approval_status).toBe(approval_status.rejected);
    });
  });

  describe('UserDeleteTestCase', () => {
    it('test_user_delete_by_super_user: a deleted user is no longer found by search', async () => {
      const created = await t.post('/zato/sso/user', { ust: t.ctx.super_user_ust, username: t.getRandomUsername() });
      const userId = created.user_id;

      const found = await t.get('/zato/sso/user', { ust: t.ctx.super_user_ust, user_id: userId });
      expect(found.status).toBe(status_code.ok);

      const deleted = await t.delete('/zato/sso/user', { ust: t.ctx.super_user_ust, user_id: userId });
      expect(deleted.status).toBe(status_code.ok);

      const response = await t.get('/zato/sso/user/search', { ust: t.ctx.super_user_ust, user_id: userId });
      expect(response.total).toBe(0);
    });

    it('test_user_delete_by_regular_user: a regular user deleting another user is E005001', async () => {
      const created1 = await t.post('/zato/sso/user', { ust: t.ctx.super_user_ust, username: t.getRandomUsername() });
      expect(created1.status).toBe(status_code.ok);
      const userId1 = created1.user_id;
      await t.get('/zato/sso/user', { ust: t.ctx.super_user_ust, user_id: userId1 });

      const username = t.getRandomUsername();
      const password = t.getRandomData();
      const created2 = await t.post('/zato/sso/user', { ust: t.ctx.super_user_ust, username, password });
      const userId2 = created2.user_id;

      await t.post('/zato/sso/user/approve', { ust: t.ctx.super_user_ust, user_id: userId1 });
      await t.post('/zato/sso/user/approve', { ust: t.ctx.super_user_ust, user_id: userId2 });

      const { ust } = await t.post('/zato/sso/user/login', { username, password });

      const response = await t.delete('/zato/sso/user', { ust, user_id: userId1 }, false);
      expect(response.status).toBe(status_code.error);
      expect(response.sub_status).toEqual([status_code.auth.not_allowed]);
    });
  });

  describe('UserChangePasswordTestCase', () => {
    it('test_user_change_password_self: after changing its password, the old one is E005001 and the new one logs in', async () => {
      const username = t.getRandomUsername();
      const password = t.getRandomData();
      const created = await t.post('/zato/sso/user', { ust: t.ctx.super_user_ust, username, password });
      const userId = created.user_id;
      await t.post('/zato/sso/user/approve', { ust: t.ctx.super_user_ust, user_id: userId });

      const login = await t.post('/zato/sso/user/login', { username, password });
      expect(login.ust).toEqual(expect.any(String));

      const newPassword = t.getRandomData();
      await t.patch('/zato/sso/user/password', { ust: login.ust, user_id: userId, old_password: password, new_password: newPassword });

      const old = await t.post('/zato/sso/user/login', { username, password }, false);
      expect(old.status).toBe(status_code.error);
      expect(old.sub_status).toEqual([status_code.auth.not_allowed]);

      const response = await t.post('/zato/sso/user/login', { username, password: newPassword });
      expect(response.status).toBe(status_code.ok);
      expect(response.ust).toEqual(expect.any(String));
    });

    it('test_user_change_password_super_user: a password set to expire in 1 day logs in with warning W003005 and a ust', async () => {
      const username = t.getRandomUsername();
      const password = t.getRandomData();
      const created = await t.post('/zato/sso/user', { ust: t.ctx.super_user_ust, username, password });
      const userId = created.user_id;
      await t.post('/zato/sso/user/approve', { ust: t.ctx.super_user_ust, user_id: userId });

      const login = await t.post('/zato/sso/user/login', { username, password });
      expect(login.ust).toEqual(expect.any(String));

      const newPassword = t.getRandomData();
      // `password_must_change` is not a field of this call (its name is `must_change`): Zato drops it.
      await t.patch('/zato/sso/user/password', {
        ust: t.ctx.super_user_ust,
        user_id: userId,
        old_password: password,
        new_password: newPassword,
        password_expiry: 1,
        password_must_change: true,
      });

      // Tessera's fix: a password set by a super-user ends the user's sessions (Zato's test does not
      // use the user's UST again; in Zato it would still work).
      const stale = await t.get('/zato/sso/user', { ust: login.ust }, false);
      expect(stale.status).toBe(status_code.error);
      expect(stale.sub_status).toEqual([status_code.auth.not_allowed]);

      const old = await t.post('/zato/sso/user/login', { username, password }, false);
      expect(old.status).toBe(status_code.error);
      expect(old.sub_status).toEqual([status_code.auth.not_allowed]);

      const response = await t.post('/zato/sso/user/login', { username, password: newPassword }, false);
      expect(response.status).toBe(status_code.warning);
      expect(response.sub_status).toEqual([status_code.password.w_about_to_exp]);
      expect(response.ust).toEqual(expect.any(String));
    });
  });
});
