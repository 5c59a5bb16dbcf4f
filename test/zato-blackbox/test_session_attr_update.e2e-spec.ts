/** Port of Zato's zato-sso/test/zato/test_session_attr_update.py (support/3.3). */
import { zatoTestFile } from './support/zato-base';

describe('test_session_attr_update.py', () => {
  const t = zatoTestFile();

  describe('SessionAttrUpdateTestCase', () => {
    it('test_update: a session attribute takes a new value and expiration', async () => {
      const name = t.getRandomData();
      await t.post('/zato/sso/session/attr', {
        current_ust: t.ctx.super_user_ust,
        target_ust: t.ctx.super_user_ust,
        user_id: t.ctx.super_user_id,
        name,
        value: t.getRandomData(),
        expiration: 900,
      });

      await t.patch('/zato/sso/session/attr', {
        current_ust: t.ctx.super_user_ust,
        target_ust: t.ctx.super_user_ust,
        user_id: t.ctx.super_user_id,
        name,
        value: t.getRandomData(),
        expiration: 123,
      });
    });
  });
});
