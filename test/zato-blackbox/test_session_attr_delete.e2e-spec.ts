/** Port of Zato's zato-sso/test/zato/test_session_attr_delete.py (support/3.3). */
import { zatoTestFile } from './support/zato-base';

describe('test_session_attr_delete.py', () => {
  const t = zatoTestFile();

  describe('SessionAttrDeleteTestCase', () => {
    it('test_delete: a deleted session attribute is not found (extra value/expiration keys on delete are ignored)', async () => {
      const name = t.getRandomData();
      await t.post('/zato/sso/session/attr', {
        current_ust: t.ctx.super_user_ust,
        target_ust: t.ctx.super_user_ust,
        user_id: t.ctx.super_user_id,
        name,
        value: t.getRandomData(),
        expiration: 900,
      });

      // As Zato's test sends it: with a value and an expiration, which a delete has no use for.
      await t.delete('/zato/sso/session/attr', {
        current_ust: t.ctx.super_user_ust,
        target_ust: t.ctx.super_user_ust,
        user_id: t.ctx.super_user_id,
        name,
        value: t.getRandomData(),
        expiration: 123,
      });

      const response = await t.get('/zato/sso/session/attr', { current_ust: t.ctx.super_user_ust, target_ust: t.ctx.super_user_ust, name });
      expect(response.found).toBe(false);
    });
  });
});
