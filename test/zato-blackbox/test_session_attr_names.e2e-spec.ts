/** Port of Zato's zato-sso/test/zato/test_session_attr_names.py (support/3.3). */
import { zatoTestFile } from './support/zato-base';

describe('test_session_attr_names.py', () => {
  const t = zatoTestFile();

  describe('SessionAttrNamesTestCase', () => {
    it('test_names: both names created in one data list are among the session attribute names', async () => {
      const name1 = t.getRandomData();
      const name2 = t.getRandomData();
      await t.post('/zato/sso/session/attr', {
        current_ust: t.ctx.super_user_ust,
        target_ust: t.ctx.super_user_ust,
        user_id: t.ctx.super_user_id,
        data: [
          { name: name1, value: t.getRandomData() },
          { name: name2, value: t.getRandomData() },
        ],
      });

      const response = await t.get('/zato/sso/session/attr/names', {
        current_ust: t.ctx.super_user_ust,
        target_ust: t.ctx.super_user_ust,
        user_id: t.ctx.super_user_id,
      });
      expect(response.result).toContain(name1);
      expect(response.result).toContain(name2);
    });
  });
});
