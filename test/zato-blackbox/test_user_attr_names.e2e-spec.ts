/**
 * Port of Zato's zato-sso/test/zato/test_user_attr_names.py (support/3.3). Zato's class and
 * function there are named UserAttrExistsTestCase.test_exists (copied from the exists test), but
 * they test /zato/sso/user/attr/names.
 */
import { zatoTestFile } from './support/zato-base';

describe('test_user_attr_names.py', () => {
  const t = zatoTestFile();

  describe('UserAttrExistsTestCase', () => {
    it('test_exists: both names created in one data list are among the user attribute names', async () => {
      const name1 = t.getRandomData();
      const name2 = t.getRandomData();
      await t.post('/zato/sso/user/attr', {
        ust: t.ctx.super_user_ust,
        user_id: t.ctx.super_user_id,
        data: [
          { name: name1, value: t.getRandomData() },
          { name: name2, value: t.getRandomData() },
        ],
      });

      const response = await t.get('/zato/sso/user/attr/names', { ust: t.ctx.super_user_ust, user_id: t.ctx.super_user_id });
      expect(response.result).toContain(name1);
      expect(response.result).toContain(name2);
    });
  });
});
