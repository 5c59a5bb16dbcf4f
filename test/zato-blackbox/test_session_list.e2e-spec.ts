/** Port of Zato's zato-sso/test/zato/test_session_list.py (support/3.3): a user's session list. */
import { expectZatoTimestamp, status_code, zatoTestFile } from './support/zato-base';

describe('test_session_list.py', () => {
  const t = zatoTestFile();

  describe('SessionGetListTestCase', () => {
    it('test_get_list_self_super_user: after verify and renew, the own list is not empty and carries no raw UST (Tessera fix)', async () => {
      await t.post('/zato/sso/user/session', { current_ust: t.ctx.super_user_ust, target_ust: t.ctx.super_user_ust });
      await t.patch('/zato/sso/user/session', { ust: t.ctx.super_user_ust });

      const response = await t.get('/zato/sso/user/session/list', { ust: t.ctx.super_user_ust });

      expect(response.status).toBe(status_code.ok);
      expect(Array.isArray(response.result)).toBe(true);
      expect(response.result.length).toBeGreaterThan(0);

      // Tessera's fix: Zato's list carried each session's raw UST; no answer carries one here.
      expect(JSON.stringify(response)).not.toContain(t.ctx.super_user_ust);
      for (const item of response.result) {
        expect(item).not.toHaveProperty('ust');
        expectZatoTimestamp(item.creation_time, 'creation_time');
        expectZatoTimestamp(item.expiration_time, 'expiration_time');
      }
    });
  });
});
