/** Port of Zato's zato-sso/test/zato/test_session_attr_get.py (support/3.3). */
import { expectZatoTimestamp, zatoTestFile } from './support/zato-base';

describe('test_session_attr_get.py', () => {
  const t = zatoTestFile();

  describe('SessionAttrGetTestCase', () => {
    it('test_get: a session attribute reads back with its name, value and three timestamps; it expires no later than its session (Tessera fix)', async () => {
      const name = t.getRandomData();
      const value = t.getRandomData();
      await t.post('/zato/sso/session/attr', {
        current_ust: t.ctx.super_user_ust,
        target_ust: t.ctx.super_user_ust,
        user_id: t.ctx.super_user_id,
        name,
        value,
        expiration: 900,
      });

      const response = await t.get('/zato/sso/session/attr', { current_ust: t.ctx.super_user_ust, target_ust: t.ctx.super_user_ust, name });

      expect(response.found).toBe(true);
      expect(response.name).toBe(name);
      expect(response.value).toBe(value);

      // Zato: "will raise an exception if date parsing fails"; here also in Zato's exact format.
      expectZatoTimestamp(response.creation_time, 'creation_time');
      expectZatoTimestamp(response.last_modified, 'last_modified');
      const expiresAt = expectZatoTimestamp(response.expiration_time, 'expiration_time');

      // Tessera's fix: a session attribute never outlives its session.
      const session = await t.get('/zato/sso/user/session', { current_ust: t.ctx.super_user_ust, target_ust: t.ctx.super_user_ust });
      expect(expiresAt <= expectZatoTimestamp(session.expiration_time, 'session expiration_time')).toBe(true);
    });
  });
});
