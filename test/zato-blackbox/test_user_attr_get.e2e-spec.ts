/** Port of Zato's zato-sso/test/zato/test_user_attr_get.py (support/3.3). */
import { expectZatoTimestamp, zatoTestFile } from './support/zato-base';

describe('test_user_attr_get.py', () => {
  const t = zatoTestFile();

  describe('UserAttrGetTestCase', () => {
    it('test_get: a user attribute reads back with its name, value and three timestamps', async () => {
      const name = t.getRandomData();
      const value = t.getRandomData();
      await t.post('/zato/sso/user/attr', { ust: t.ctx.super_user_ust, user_id: t.ctx.super_user_id, name, value, expiration: 900 });

      const response = await t.get('/zato/sso/user/attr', { ust: t.ctx.super_user_ust, user_id: t.ctx.super_user_id, name });

      expect(response.found).toBe(true);
      expect(response.name).toBe(name);
      expect(response.value).toBe(value);

      // Zato: "will raise an exception if date parsing fails"; here also in Zato's exact format.
      expectZatoTimestamp(response.creation_time, 'creation_time');
      expectZatoTimestamp(response.last_modified, 'last_modified');
      expectZatoTimestamp(response.expiration_time, 'expiration_time');
    });
  });
});
