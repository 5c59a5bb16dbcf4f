/** Port of Zato's zato-sso/test/zato/test_login_totp.py (support/3.3): login with TOTP codes. */
import { currentTotpCode, status_code, TestConfig, zatoTestFile } from './support/zato-base';

describe('test_login_totp.py', () => {
  const t = zatoTestFile();

  /** Each Zato test first turns TOTP on for the super-user with its known key. */
  const enableTotp = () =>
    t.patch('/zato/sso/user', { ust: t.ctx.super_user_ust, is_totp_enabled: true, totp_key: TestConfig.super_user_totp_key });

  const testUserLoginTotpValid = async () => {
    await enableTotp();
    const response = await t.post('/zato/sso/user/login', {
      username: TestConfig.super_user_name,
      password: TestConfig.super_user_password,
      totp_code: currentTotpCode(),
    });
    expect(response.ust).toEqual(expect.any(String));
  };

  const testUserLoginTotpInvalid = async () => {
    await enableTotp();
    const response = await t.post(
      '/zato/sso/user/login',
      { username: TestConfig.super_user_name, password: TestConfig.super_user_password, totp_code: 'invalid' },
      false,
    );
    expect(response.status).toBe(status_code.error);
    expect(response.sub_status).toEqual([status_code.auth.not_allowed]);
    expect(response).not.toHaveProperty('ust');
  };

  const testUserLoginTotpMissing = async () => {
    await enableTotp();
    const response = await t.post('/zato/sso/user/login', { username: TestConfig.super_user_name, password: TestConfig.super_user_password }, false);
    expect(response.status).toBe(status_code.error);
    expect(response.sub_status).toEqual([status_code.auth.totp_missing]);
    expect(response).not.toHaveProperty('ust');
  };

  describe('TOTPTestCase', () => {
    it('test_user_login_totp_valid: the current code logs in', testUserLoginTotpValid);
    it('test_user_login_totp_invalid: a wrong code is E005001', testUserLoginTotpInvalid);
    it('test_user_login_totp_missing: no code is E005008', testUserLoginTotpMissing);
  });

  /**
   * The same three functions with TOTP off beforehand. Zato's suite shares one database across its
   * files and across runs, and test_user.py's test_user_login leaves the super-user's TOTP off, so
   * from a second run on these functions start from TOTP off: their PATCH must turn it on, with
   * Zato's key. (In this file TOTP is on from the CLI setup, so the cases above cannot tell.)
   */
  describe('TOTPTestCase, after test_user_login turned TOTP off (Zato\'s suite run again on its database)', () => {
    const turnTotpOff = () => t.patch('/zato/sso/user', { ust: t.ctx.super_user_ust, is_totp_enabled: false });

    it('test_user_login_totp_valid (TOTP off before): the current code logs in', async () => {
      await turnTotpOff();
      await testUserLoginTotpValid();
    });
    it('test_user_login_totp_invalid (TOTP off before): a wrong code is E005001', async () => {
      await turnTotpOff();
      await testUserLoginTotpInvalid();
    });
    it('test_user_login_totp_missing (TOTP off before): no code is E005008', async () => {
      await turnTotpOff();
      await testUserLoginTotpMissing();
    });
  });
});
