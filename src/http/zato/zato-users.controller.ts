import { Body, Delete, Get, HttpCode, Inject, Patch, Post, Req } from '@nestjs/common';
import { Errors } from '../../common/tessera-error';
import { TESSERA_CONFIG, TesseraConfig } from '../../config/options';
import { CurrentSession, SessionsService } from '../../sessions/sessions.service';
import { LinkedAuthService, LinkedAuthType } from '../../users/linked-auth.service';
import { TotpService } from '../../users/totp.service';
import type { UserView } from '../../users/user.entity';
import type { AdminChanges, ProfileChanges } from '../../users/user.types';
import { MAX_SEARCH_PAGE_SIZE, UsersService } from '../../users/users.service';
import { auditContext } from '../audit-context';
import { ZATO_ONLY } from './zato-codes';
import { ZatoInput } from './zato-input';
import { ZatoController } from './zato.filter';
import { ZatoRequest, ZatoRoutes } from './zato-routes';
import { fromZatoApproval, fromZatoUserId, ok, parseZatoTime, toZatoUserId, zatoProfile, zatoTime, zatoUser, ZatoRefusal } from './zato-wire';

/** Zato's profile fields and Tessera's names for them, with their longest length. */
const PROFILE_FIELDS = [
  ['email', 'email', 320], ['display_name', 'displayName', 256], ['first_name', 'firstName', 256],
  ['middle_name', 'middleName', 256], ['last_name', 'lastName', 256],
] as const;
const USERNAME_MAX = 128;
/** Fields only a super-user may change. */
const SUPER_USER_FIELDS = ['is_locked', 'password_expiry', 'password_must_change', 'approval_status'] as const;

/** Zato's `/zato/sso/user/*`: accounts, passwords, approval, locks, TOTP, search, linked auth records. */
@ZatoController('user')
export class ZatoUsersController extends ZatoRoutes {
  constructor(
    sessions: SessionsService,
    @Inject(TESSERA_CONFIG) config: TesseraConfig,
    private readonly users: UsersService,
    private readonly totp: TotpService,
    private readonly linked: LinkedAuthService,
  ) {
    super(sessions, config);
  }

  /** The caller's own profile; with `user_id`, a super-user sees every field of any user. */
  @Get()
  async get(@Body() body: unknown, @Req() request: ZatoRequest) {
    const input = this.input(body, ['ust']);
    const current = await this.caller(input, request);
    const id = this.target(input, current);
    const user = id === current.user.id ? current.user : await this.users.get(id);
    return ok(await this.view(user, current.user.isSuperUser));
  }

  /**
   * A super-user creates a user: approved with `auto_approve` (or when approval is not required),
   * otherwise waiting for a decision. Without `password` the user has one nobody knows until it is
   * set (as Zato lets a super-user create users without one).
   */
  @Post()
  @HttpCode(200)
  async create(@Body() body: unknown, @Req() request: ZatoRequest) {
    const input = this.input(body, ['ust']);
    const current = await this.superUser(input, request);
    const context = auditContext(current, request);
    const approved = input.bool('auto_approve') === true || !this.config.signupApprovalRequired;
    const { username, ...profile } = profileFields(input);
    if (username === undefined) throw new ZatoRefusal(ZATO_ONLY.usernameInvalid);
    const signUpStatus = input.text('sign_up_status');
    if (signUpStatus !== undefined && signUpStatus !== 'before_confirmation' && signUpStatus !== 'final') {
      throw Errors.validation('sign_up_status must be before_confirmation or final');
    }
    // Every field is checked before the first write: a refused create leaves nothing behind.
    const locked = input.bool('is_locked');
    const totpKey = input.text('totp_key');
    const totpLabel = input.text('totp_label') ?? null;
    const withTotp = input.bool('is_totp_enabled') === true || totpKey !== undefined;
    if (withTotp) this.totp.checkEnrollment(totpKey, totpLabel);
    let user = await this.users.create(
      {
        ...profile,
        username,
        password: input.text('password'),
        passwordMustChange: input.bool('password_must_change'),
        approvalStatus: approved ? 'approved' : 'pending',
        signUpStatus,
      },
      context,
    );
    if (locked) user = await this.users.setLocked(user.id, true, context);
    if (withTotp) await this.totp.enable(user.id, totpKey, context, totpLabel);
    return ok(await this.view(user, true));
  }

  /** Changes the caller's account, or with `user_id` a super-user changes anyone's; unknown keys are dropped. */
  @Patch()
  async update(@Body() body: unknown, @Req() request: ZatoRequest) {
    const input = this.input(body, ['ust']);
    const current = await this.caller(input, request);
    const id = this.target(input, current);
    const asSuperUser = current.user.isSuperUser;
    if (!asSuperUser && SUPER_USER_FIELDS.some((field) => input.has(field))) throw Errors.superUserRequired();
    const changes: AdminChanges = profileFields(input);
    if (input.has('password_must_change')) changes.passwordMustChange = input.bool('password_must_change');
    if (input.has('password_expiry')) changes.passwordExpiresAt = parseZatoTime(input.get('password_expiry'), 'password_expiry');
    if (input.has('approval_status')) changes.approvalStatus = fromZatoApproval(input.get('approval_status'));
    // Every field is checked before the first write: a refused update changes nothing.
    const locked = input.bool('is_locked');
    const switchTotp = await this.totpSwitch(input, id);
    const context = auditContext(current, request);
    await this.users.update(id, changes, context);
    if (locked !== undefined) await this.users.setLocked(id, locked, context);
    await switchTotp?.(context);
    return ok();
  }

  /** A super-user deletes another user (deleting oneself is an invalid operation, E008001). */
  @Delete()
  async delete(@Body() body: unknown, @Req() request: ZatoRequest) {
    const input = this.input(body, ['ust', 'user_id']);
    const current = await this.superUser(input, request);
    const id = fromZatoUserId(input.get('user_id'));
    if (id === current.user.id) throw new ZatoRefusal(ZATO_ONLY.invalidOperation);
    await this.users.delete(id, auditContext(current, request));
    return ok();
  }

  /**
   * The caller's own password (`old_password` must match; their other sessions end), or as a
   * super-user anyone's, optionally expiring in `password_expiry` days and to be changed (`must_change`).
   */
  @Patch('password')
  async changePassword(@Body() body: unknown, @Req() request: ZatoRequest) {
    const input = this.input(body, ['ust', 'new_password']);
    const current = await this.caller(input, request);
    const id = this.target(input, current);
    const newPassword = input.requiredText('new_password');
    const context = auditContext(current, request);
    if (id !== current.user.id) {
      const expiresInDays = input.int('password_expiry');
      if (expiresInDays !== undefined && expiresInDays < 0) throw Errors.validation('password_expiry must not be negative');
      await this.users.adminSetPassword(id, newPassword, { expiresInDays, mustChange: input.bool('must_change') }, context);
    } else {
      await this.users.changePassword(id, current.session.id, input.text('old_password') ?? '', newPassword, context);
    }
    return ok();
  }

  @Post('approve')
  @HttpCode(200)
  approve(@Body() body: unknown, @Req() request: ZatoRequest) {
    return this.onUser(body, request, (id, context) => this.users.setApproval(id, 'approved', context));
  }

  @Post('reject')
  @HttpCode(200)
  reject(@Body() body: unknown, @Req() request: ZatoRequest) {
    return this.onUser(body, request, (id, context) => this.users.setApproval(id, 'rejected', context));
  }

  @Post('lock')
  @HttpCode(200)
  lock(@Body() body: unknown, @Req() request: ZatoRequest) {
    return this.onUser(body, request, (id, context) => this.users.setLocked(id, true, context));
  }

  @Delete('lock')
  unlock(@Body() body: unknown, @Req() request: ZatoRequest) {
    return this.onUser(body, request, (id, context) => this.users.setLocked(id, false, context));
  }

  /** Sets the TOTP key of the caller, or as a super-user of `user_id`; answers the key. `totp_label` is not kept. */
  @Patch('totp')
  async setTotp(@Body() body: unknown, @Req() request: ZatoRequest) {
    const input = this.input(body, ['ust', 'totp_key', 'totp_label']);
    const current = await this.caller(input, request);
    const { key } = await this.totp.enable(
      this.target(input, current), input.requiredText('totp_key'), auditContext(current, request), input.requiredText('totp_label'),
    );
    return ok({ totp_key: key });
  }

  /**
   * A super-user's search, as Zato's: by `user_id` alone if given, else by `username` alone (the
   * whole name), else by display name (whole, or a part with `is_name_exact: false`), e-mail and
   * statuses. A page size or page below 1 takes the default (50) or the first page.
   */
  @Get('search')
  async search(@Body() body: unknown, @Req() request: ZatoRequest) {
    const input = this.input(body, ['ust']);
    await this.superUser(input, request);
    const paginate = input.bool('paginate') ?? true;
    const pageSize = paginate ? Math.max(input.int('page_size') ?? 50, 0) || 50 : MAX_SEARCH_PAGE_SIZE;
    const page = paginate ? Math.max(input.int('cur_page') ?? 1, 1) : 1;
    const found = input.has('user_id')
      ? await this.byId(input.get('user_id'), page, pageSize)
      : input.has('username')
        ? await this.users.search({ username: input.text('username') ?? '', exact: true, page, pageSize })
        : await this.users.search({
            displayName: input.text('display_name'),
            email: input.text('email'),
            exact: input.bool('is_name_exact') ?? true,
            approvalStatus: input.has('approval_status') ? fromZatoApproval(input.get('approval_status')) : undefined,
            signUpStatus: input.text('sign_up_status') as UserView['signUpStatus'] | undefined,
            page,
            pageSize,
          });
    const result = await Promise.all(found.users.map((user) => this.view(user, true)));
    return ok({
      total: found.total,
      num_pages: found.numPages,
      page_size: found.pageSize,
      cur_page: found.page,
      has_next_page: found.hasNextPage,
      has_prev_page: found.hasPrevPage,
      next_page: found.hasNextPage ? found.page + 1 : null,
      prev_page: found.hasPrevPage ? found.page - 1 : null,
      result,
    });
  }

  /** The linked auth records of the caller, or as a super-user of `user_id`. */
  @Get('linked')
  async linkedList(@Body() body: unknown, @Req() request: ZatoRequest) {
    const input = this.input(body, ['ust']);
    const current = await this.caller(input, request);
    const records = await this.linked.list(this.target(input, current));
    return ok({
      result: records.map((r) => ({ auth_type: r.authType, auth_username: r.authUsername, is_active: r.isActive, creation_time: zatoTime(r.createdAt) })),
    });
  }

  @Post('linked')
  @HttpCode(200)
  async linkedAdd(@Body() body: unknown, @Req() request: ZatoRequest) {
    const input = this.input(body, ['ust', 'user_id', 'auth_type', 'auth_username']);
    const current = await this.superUser(input, request);
    const id = fromZatoUserId(input.get('user_id'));
    await this.linked.add(id, { ...this.linkedRecord(input), isActive: input.bool('is_active') }, auditContext(current, request));
    return ok({ user_id: toZatoUserId(id) });
  }

  @Delete('linked')
  async linkedRemove(@Body() body: unknown, @Req() request: ZatoRequest) {
    const input = this.input(body, ['ust', 'user_id', 'auth_type', 'auth_username']);
    const current = await this.superUser(input, request);
    await this.linked.remove(fromZatoUserId(input.get('user_id')), this.linkedRecord(input), auditContext(current, request));
    return ok();
  }

  /**
   * What `is_totp_enabled` (with `totp_key`, `totp_label`) asks of the user's TOTP, checked now and
   * done later by the returned step: `false` turns TOTP off; `true` with `totp_key` sets that key (a
   * user has TOTP exactly while a key is stored, so `true` without a key is refused unless TOTP is on
   * already, and does nothing then); nothing when not asked.
   */
  private async totpSwitch(input: ZatoInput, id: string): Promise<((context: ReturnType<typeof auditContext>) => Promise<unknown>) | undefined> {
    const enabled = input.bool('is_totp_enabled');
    const key = input.text('totp_key');
    const label = input.text('totp_label') ?? null;
    if (enabled === false) return (context) => this.totp.disable(id, context);
    if (enabled !== true) return undefined;
    if (key !== undefined) {
      this.totp.checkEnrollment(key, label);
      return (context) => this.totp.enable(id, key, context, label);
    }
    if (!(await this.totp.isEnabled(id))) throw Errors.validation('totp_key is required to turn TOTP on');
    return undefined;
  }

  /** The user a call acts on: `user_id` when given (another user's needs a super-user), else the caller. */
  private target(input: ZatoInput, current: CurrentSession): string {
    if (!input.has('user_id') || input.get('user_id') === null) return current.user.id;
    const id = fromZatoUserId(input.get('user_id'));
    if (id !== current.user.id && !current.user.isSuperUser) throw Errors.superUserRequired();
    return id;
  }

  /** A super-user's call on the user of `user_id`. */
  private async onUser(body: unknown, request: ZatoRequest, act: (id: string, context: ReturnType<typeof auditContext>) => Promise<unknown>) {
    const input = this.input(body, ['ust', 'user_id']);
    const current = await this.superUser(input, request);
    await act(fromZatoUserId(input.get('user_id')), auditContext(current, request));
    return ok();
  }

  private linkedRecord(input: ZatoInput) {
    return { authType: input.requiredText('auth_type') as LinkedAuthType, authUsername: input.requiredText('auth_username') };
  }

  /** A search by id: a page of the one user, or of none. */
  private async byId(userId: unknown, page: number, pageSize: number) {
    const user = await this.users.get(fromZatoUserId(userId)).catch(() => null);
    const users = user && page === 1 ? [user] : [];
    const total = user ? 1 : 0;
    return { users, total, page, pageSize, numPages: total, hasNextPage: false, hasPrevPage: page > 1 };
  }

  /** What a caller sees of a user: a super-user every field, a regular user their profile. */
  private async view(user: UserView, full: boolean) {
    const totp = await this.totp.status(user.id);
    return full ? zatoUser(user, totp) : zatoProfile(user, totp);
  }
}

/** Zato's username rules, with Zato's codes: not empty, at most 128 characters, no white space. */
function checkUsername(username: string): void {
  if (username.length === 0) throw new ZatoRefusal(ZATO_ONLY.usernameInvalid);
  if (username.length > USERNAME_MAX) throw new ZatoRefusal(ZATO_ONLY.usernameTooLong);
  if (/\s/.test(username)) throw new ZatoRefusal(ZATO_ONLY.usernameHasWhitespace);
}

/**
 * The profile fields the body sends (`null` clears one): username (1-128 characters, no white
 * space), e-mail, display, first, middle and last name. Unsent fields are left out.
 */
function profileFields(input: ZatoInput): ProfileChanges & { username?: string } {
  const fields: ProfileChanges & { username?: string } = {};
  if (input.has('username')) {
    const username = input.text('username');
    if (username !== undefined) checkUsername(username);
    fields.username = username;
  }
  for (const [zato, native, max] of PROFILE_FIELDS) {
    if (!input.has(zato)) continue;
    const value = input.text(zato) ?? null;
    if (value !== null && value.length > max) throw Errors.validation(`${zato} must be at most ${max} characters`);
    fields[native] = value;
  }
  return fields;
}
