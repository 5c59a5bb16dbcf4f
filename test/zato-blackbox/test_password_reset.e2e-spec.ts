/**
 * Port of Zato's zato-sso/test/zato/test_password_reset.py (support/3.3): the password reset
 * flow (PRT). Zato's test asks for a token over REST, then reads one from its database (it never
 * receives it). Tessera keeps only a hash of the token, so here the server runs in this process
 * with a password reset notifier that keeps what it is given: the token of that same request.
 */
import { randomBytes } from 'node:crypto';
import { currentTotpCode, status_code, TestConfig, zatoTestFile } from './support/zato-base';
import { startZatoServerInProcess } from './support/zato-in-process';

describe('test_password_reset.py', () => {
  const delivered: Array<{ token: string; username: string; userId: string }> = [];
  const t = zatoTestFile({ start: () => startZatoServerInProcess({ passwordResetRequested: (request) => void delivered.push(request) }) });

  describe('FlowPRTTestCase', () => {
    it('test_user_reset_password: a PRT asked for over REST resets the password; the password then changes back', async () => {
      // Zato's CryptoManager.generate_password(): a random URL-safe string.
      const password = randomBytes(24).toString('base64url');

      // Ask for a PRT: always ok, the token goes out of band.
      const requested = await t.post('/zato/sso/password/reset', { credential: TestConfig.super_user_name });
      expect(requested.status).toBe(status_code.ok);
      expect(requested).not.toHaveProperty('token');

      const prt = delivered.find((request) => request.username === TestConfig.super_user_name);
      if (!prt) throw new Error('no password reset token was delivered for the super-user');
      const userId = t.ctx.super_user_id;

      // Access the PRT: a reset key.
      const accessed = await t.patch('/zato/sso/password/reset', { token: prt.token });
      const resetKey = accessed.reset_key;
      expect(resetKey).toEqual(expect.any(String));

      // Change the password with token and key.
      const changed = await t.delete('/zato/sso/password/reset', { token: prt.token, reset_key: resetKey, password });
      expect(changed.status).toBe('ok');

      // Tessera's fix: a reset ends the user's sessions, the super-user's UST of setUp included.
      // (Zato's test goes on with that UST; here the super-user logs in again with the new password.)
      const stale = await t.get('/zato/sso/user', { ust: t.ctx.super_user_ust }, false);
      expect(stale.status).toBe(status_code.error);
      const relogged = await t.post('/zato/sso/user/login', {
        username: TestConfig.super_user_name,
        password,
        totp_code: currentTotpCode(),
      });

      // Change the password back to the old one ..
      await t.patch('/zato/sso/user/password', {
        ust: relogged.ust,
        user_id: userId,
        old_password: password,
        new_password: TestConfig.super_user_password,
      });

      // .. and log in with it (base.py _login_super_user).
      await t.loginSuperUser();
      expect(t.ctx.super_user_id).toBe(userId);
    });
  });
});
