/** Port of Zato's zato-sso/test/zato/test_session_attr_exists.py (support/3.3). */
import { zatoTestFile } from './support/zato-base';

describe('test_session_attr_exists.py', () => {
  const t = zatoTestFile();

  describe('SessionAttrExistsTestCase', () => {
    it('test_exists: a created session attribute exists', async () => {
      const name = t.getRandomData();
      await t.post('/zato/sso/session/attr', {
        current_ust: t.ctx.super_user_ust,
        target_ust: t.ctx.super_user_ust,
        user_id: t.ctx.super_user_id,
        name,
        value: t.getRandomData(),
        expiration: 900,
      });

      const response = await t.get('/zato/sso/session/attr/exists', { current_ust: t.ctx.super_user_ust, target_ust: t.ctx.super_user_ust, name });
      expect(response.result).toBe(true);
    });
  });
});
