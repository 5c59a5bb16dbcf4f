/** Port of Zato's zato-sso/test/zato/test_login_totp.py (support/3.3): login with TOTP codes. */
import { currentTotpCode, status_code, TestConfig, zatoTestFile } from './support/zato-base';

describe('test_login_totp.py', () => {
  const t = zatoTestFile();

  /** Each Zato test first turns TOTP on for the super-user with its known key. */
  const enableTotp = () =>
    t.patch('/zato/sso/user', { ust: t.ctx.super_user_ust, is_totp_enabled: true, totp_key: TestConfig.super_user_totp_key });

  describe('TOTPTestCase', () => {
    it('test_user_login_totp_valid: the current code logs in', async () => {
      await enableTotp();
      const response = await t.post('/zato/sso/user/login', {
        username: TestConfig.super_user_name,
        password: TestConfig.super_user_password,
        totp_code: currentTotpCode(),
      });
      expect(response.ust).toEqual(expect.any(String));
    });

    it('test_user_login_totp_invalid: a wrong code is E005001', async () => {
      await enableTotp();
      const response = await t.post(
        '/zato/sso/user/login',
        { username: TestConfig.super_user_name, password: TestConfig.super_user_password, totp_code: 'invalid' },
        false,
      );
      expect(response.status).toBe(status_code.error);
      expect(response.sub_status).toEqual([status_code.auth.not_allowed]);
      expect(response).not.toHaveProperty('ust');
    });

    it('test_user_login_totp_missing: no code is E005008', async () => {
      await enableTotp();
      const response = await t.post('/zato/sso/user/login', { username: TestConfig.super_user_name, password: TestConfig.super_user_password }, false);
      expect(response.status).toBe(status_code.error);
      expect(response.sub_status).toEqual([status_code.auth.totp_missing]);
      expect(response).not.toHaveProperty('ust');
    });
  });
});
