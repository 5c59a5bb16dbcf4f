/** Port of Zato's zato-sso/test/zato/test_user_attr_update.py (support/3.3). */
import { status_code, zatoTestFile } from './support/zato-base';

describe('test_user_attr_update.py', () => {
  const t = zatoTestFile();

  describe('UserAttrUpdateTestCase', () => {
    it('test_update: the super-user gives its own attribute a new value and expiration', async () => {
      const name = t.getRandomData();
      await t.post('/zato/sso/user/attr', { ust: t.ctx.super_user_ust, user_id: t.ctx.super_user_id, name, value: t.getRandomData(), expiration: 900 });
      await t.patch('/zato/sso/user/attr', { ust: t.ctx.super_user_ust, user_id: t.ctx.super_user_id, name, value: t.getRandomData(), expiration: 123 });
    });

    it('test_update_for_another_user_by_super_user: the super-user updates another user\'s attribute', async () => {
      const user = await t.createApprovedUser();
      const name = t.getRandomData();
      await t.post('/zato/sso/user/attr', { ust: t.ctx.super_user_ust, user_id: user.user_id, name, value: t.getRandomData(), expiration: 900 });
      await t.patch('/zato/sso/user/attr', { ust: t.ctx.super_user_ust, user_id: user.user_id, name, value: t.getRandomData(), expiration: 123 });
    });

    it('test_update_for_another_user_by_regular_user: a regular user updating another user\'s attribute is E005001', async () => {
      const user1 = await t.createApprovedUser();
      const user2 = await t.createApprovedUser();
      const { ust } = await t.post('/zato/sso/user/login', { username: user1.username, password: user1.password });

      const name = t.getRandomData();
      await t.post('/zato/sso/user/attr', { ust: t.ctx.super_user_ust, user_id: user2.user_id, name, value: t.getRandomData(), expiration: 900 });

      const response = await t.patch(
        '/zato/sso/user/attr',
        { ust, user_id: user2.user_id, name, value: t.getRandomData(), expiration: 123 },
        false,
      );
      expect(response.status).toBe(status_code.error);
      expect(response.sub_status).toEqual([status_code.auth.not_allowed]);
    });

    it('test_update_many: the super-user updates two of its attributes in one data list', async () => {
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
      await t.patch('/zato/sso/user/attr', {
        ust: t.ctx.super_user_ust,
        user_id: t.ctx.super_user_id,
        data: [
          { name: name1, value: t.getRandomData() },
          { name: name2, value: t.getRandomData() },
        ],
      });
    });
  });
});
