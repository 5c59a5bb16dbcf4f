/** Port of Zato's zato-sso/test/zato/test_user_attr_delete.py (support/3.3). */
import { zatoTestFile } from './support/zato-base';

describe('test_user_attr_delete.py', () => {
  const t = zatoTestFile();

  describe('UserAttrDeleteTestCase', () => {
    it('test_delete: a deleted user attribute is not found', async () => {
      const name = t.getRandomData();
      await t.post('/zato/sso/user/attr', {
        ust: t.ctx.super_user_ust,
        user_id: t.ctx.super_user_id,
        name,
        value: t.getRandomData(),
        expiration: 900,
      });

      await t.delete('/zato/sso/user/attr', { ust: t.ctx.super_user_ust, user_id: t.ctx.super_user_id, name });

      const response = await t.get('/zato/sso/user/attr', { ust: t.ctx.super_user_ust, user_id: t.ctx.super_user_id, name });
      expect(response.found).toBe(false);
    });
  });
});
