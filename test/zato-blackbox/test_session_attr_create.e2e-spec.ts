/** Port of Zato's zato-sso/test/zato/test_session_attr_create.py (support/3.3). */
import { zatoTestFile } from './support/zato-base';

describe('test_session_attr_create.py', () => {
  const t = zatoTestFile();

  describe('SessionAttrCreateTestCase', () => {
    it('test_create: the super-user creates an attribute of its own session, expiring in 900 s', async () => {
      await t.post('/zato/sso/session/attr', {
        current_ust: t.ctx.super_user_ust,
        target_ust: t.ctx.super_user_ust,
        user_id: t.ctx.super_user_id,
        name: t.getRandomData(),
        value: t.getRandomData(),
        expiration: 900,
      });
    });
  });
});
