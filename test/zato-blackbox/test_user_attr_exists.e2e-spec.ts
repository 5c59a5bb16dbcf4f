/** Port of Zato's zato-sso/test/zato/test_user_attr_exists.py (support/3.3). */
import { zatoTestFile } from './support/zato-base';

describe('test_user_attr_exists.py', () => {
  const t = zatoTestFile();

  describe('UserAttrExistsTestCase', () => {
    it('test_exists: the first of two attributes created in one data list exists', async () => {
      const name1 = t.getRandomData();
      await t.post('/zato/sso/user/attr', {
        ust: t.ctx.super_user_ust,
        user_id: t.ctx.super_user_id,
        data: [
          { name: name1, value: t.getRandomData() },
          { name: t.getRandomData(), value: t.getRandomData() },
        ],
      });

      const response = await t.get('/zato/sso/user/attr/exists', { ust: t.ctx.super_user_ust, user_id: t.ctx.super_user_id, name: name1 });
      expect(response.result).toBe(true);
    });
  });
});
