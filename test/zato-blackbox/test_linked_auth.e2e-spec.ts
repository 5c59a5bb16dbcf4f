/** Port of Zato's zato-sso/test/zato/test_linked_auth.py (support/3.3): linked auth records. */
import { status_code, zatoTestFile } from './support/zato-base';

// Zato links the super-user to its own HTTP Basic Auth definition `pubapi`.
const basicAuthUserName = 'pubapi';

describe('test_linked_auth.py', () => {
  const t = zatoTestFile();

  describe('LinkedAuthTestCase', () => {
    it('test_create: the super-user links itself to basic_auth "pubapi", lists and unlinks it', async () => {
      await t.post('/zato/sso/user/linked', {
        ust: t.ctx.super_user_ust,
        user_id: t.ctx.super_user_id,
        auth_type: 'basic_auth',
        auth_username: basicAuthUserName,
        is_active: true,
      });

      const listed = await t.get('/zato/sso/user/linked', { ust: t.ctx.super_user_ust, user_id: t.ctx.super_user_id });
      // Zato's test only requires the call to succeed; the record it created is in the list.
      expect(listed.result).toEqual(
        expect.arrayContaining([expect.objectContaining({ auth_type: 'basic_auth', auth_username: basicAuthUserName, is_active: true })]),
      );

      const response = await t.delete('/zato/sso/user/linked', {
        ust: t.ctx.super_user_ust,
        user_id: t.ctx.super_user_id,
        auth_type: 'basic_auth',
        auth_username: basicAuthUserName,
      });
      expect(response.status).toBe(status_code.ok);
    });
  });
});
