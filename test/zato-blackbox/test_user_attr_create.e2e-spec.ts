/** Port of Zato's zato-sso/test/zato/test_user_attr_create.py (support/3.3). */
import { status_code, zatoTestFile } from './support/zato-base';

describe('test_user_attr_create.py', () => {
  const t = zatoTestFile();

  const twoAttrs = () => [
    { name: t.getRandomData(), value: t.getRandomData() },
    { name: t.getRandomData(), value: t.getRandomData() },
  ];

  /** Two users the super-user created and approved; the first one logged in. */
  const twoUsersFirstLoggedIn = async () => {
    const user1 = await t.createApprovedUser();
    const user2 = await t.createApprovedUser();
    const { ust } = await t.post('/zato/sso/user/login', { username: user1.username, password: user1.password });
    return { ust: ust as string, user_id2: user2.user_id };
  };

  describe('UserAttrCreateTestCase', () => {
    it('test_create: the super-user creates an attribute of its own, expiring in 900 s', async () => {
      await t.post('/zato/sso/user/attr', {
        ust: t.ctx.super_user_ust,
        user_id: t.ctx.super_user_id,
        name: t.getRandomData(),
        value: t.getRandomData(),
        expiration: 900,
      });
    });

    it('test_create_already_exists: creating the same name twice is E009001', async () => {
      const name = t.getRandomData();
      const value = t.getRandomData();
      const request = { ust: t.ctx.super_user_ust, user_id: t.ctx.super_user_id, name, value };

      const response1 = await t.post('/zato/sso/user/attr', request);
      const response2 = await t.post('/zato/sso/user/attr', request, false);

      expect(response1.status).toBe(status_code.ok);
      expect(response2.status).toBe(status_code.error);
      expect(response2.sub_status).toEqual([status_code.attr.already_exists]);
    });

    it('test_create_for_another_user_by_super_user: the super-user creates an attribute of another user', async () => {
      const user = await t.createApprovedUser();
      const response = await t.post('/zato/sso/user/attr', {
        ust: t.ctx.super_user_ust,
        user_id: user.user_id,
        name: t.getRandomData(),
        value: t.getRandomData(),
        expiration: 900,
      });
      expect(response.status).toBe(status_code.ok);
    });

    it('test_create_for_another_user_by_regular_user: a regular user creating another user\'s attribute is E005001', async () => {
      const { ust, user_id2 } = await twoUsersFirstLoggedIn();
      const response = await t.post(
        '/zato/sso/user/attr',
        { ust, user_id: user_id2, name: t.getRandomData(), value: t.getRandomData(), expiration: 900 },
        false,
      );
      expect(response.status).toBe(status_code.error);
      expect(response.sub_status).toEqual([status_code.auth.not_allowed]);
    });

    it('test_create_many: the super-user creates two attributes of its own in one data list', async () => {
      const response = await t.post('/zato/sso/user/attr', { ust: t.ctx.super_user_ust, user_id: t.ctx.super_user_id, data: twoAttrs() });
      expect(response.status).toBe(status_code.ok);
    });

    it('test_create_many_already_exists: the same data list twice is E009001', async () => {
      const data = twoAttrs();
      const response1 = await t.post('/zato/sso/user/attr', { ust: t.ctx.super_user_ust, user_id: t.ctx.super_user_id, data });
      const response2 = await t.post('/zato/sso/user/attr', { ust: t.ctx.super_user_ust, user_id: t.ctx.super_user_id, data }, false);

      expect(response1.status).toBe(status_code.ok);
      expect(response2.status).toBe(status_code.error);
      expect(response2.sub_status).toEqual([status_code.attr.already_exists]);
    });

    it('test_create_many_for_another_user_by_super_user: the super-user creates two attributes of another user', async () => {
      const user = await t.createApprovedUser();
      const response = await t.post('/zato/sso/user/attr', { ust: t.ctx.super_user_ust, user_id: user.user_id, data: twoAttrs() });
      expect(response.status).toBe(status_code.ok);
    });

    it('test_create_many_for_another_user_by_regular_user: a regular user creating another user\'s attributes is E005001', async () => {
      const { ust, user_id2 } = await twoUsersFirstLoggedIn();
      const response = await t.post('/zato/sso/user/attr', { ust, user_id: user_id2, data: twoAttrs() }, false);
      expect(response.status).toBe(status_code.error);
      expect(response.sub_status).toEqual([status_code.auth.not_allowed]);
    });
  });
});
