import { Body, Delete, HttpCode, Inject, Patch, Post, Req } from '@nestjs/common';
import { AuthService } from '../../auth/auth.service';
import { LoginLimits } from '../../auth/login-limits.service';
import { PasswordResetService } from '../../auth/password-reset.service';
import { Errors } from '../../common/tessera-error';
import { TESSERA_CONFIG, TesseraConfig } from '../../config/options';
import { SessionsService } from '../../sessions/sessions.service';
import { SignupService } from '../../users/signup.service';
import { auditContext } from '../audit-context';
import { clientInfo } from '../bearer';
import { ZatoController } from './zato.filter';
import { ZatoRequest, ZatoRoutes } from './zato-routes';
import { ok } from './zato-wire';

/** Login's warning that the password expires soon (Tessera's `password_expiring`). */
const W_ABOUT_TO_EXPIRE = 'W003005';

/** Zato's calls made without a session: login and logout, sign-up, password reset. */
@ZatoController('')
export class ZatoAuthController extends ZatoRoutes {
  constructor(
    sessions: SessionsService,
    @Inject(TESSERA_CONFIG) config: TesseraConfig,
    private readonly auth: AuthService,
    private readonly signups: SignupService,
    private readonly passwordReset: PasswordResetService,
    private readonly limits: LoginLimits,
  ) {
    super(sessions, config);
  }

  /** A failed login has no `ust` key; one whose password expires soon is a warning that still carries it. */
  @Post('user/login')
  @HttpCode(200)
  async login(@Body() body: unknown, @Req() request: ZatoRequest) {
    const input = this.input(body, ['username', 'password']);
    const username = input.get('username');
    const password = input.get('password');
    // An empty or null username (or password) is an ordinary failed login, as in Zato.
    if (typeof username !== 'string' || typeof password !== 'string' || !username) throw Errors.invalidCredentials();
    const totpCode = input.get('totp_code');
    const result = await this.auth.login(
      {
        username,
        password,
        currentApp: input.get('current_app') as string,
        // Six digits sent as a number lose their leading zeros on the way.
        totpCode: typeof totpCode === 'number' ? String(totpCode).padStart(6, '0') : input.text('totp_code'),
        newPassword: input.text('new_password'),
      },
      clientInfo(request),
    );
    request.tesseraSessionId = result.session.id;
    if (result.warnings.includes('password_expiring')) return { ...ok({ ust: result.ust }), status: 'warning', sub_status: [W_ABOUT_TO_EXPIRE] };
    return ok({ ust: result.ust });
  }

  /** Always ok: the answer tells nothing about whether the UST was live. */
  @Post('user/logout')
  @HttpCode(200)
  async logout(@Body() body: unknown, @Req() request: ZatoRequest) {
    const input = this.input(body, ['ust']);
    try {
      const current = await this.caller(input, request);
      await this.auth.logout(current.session.id, auditContext(current, request));
    } catch {
      // a UST of no live session is logged out already
    }
    return ok();
  }

  /** Sign-up from `current_app`; every app of `app_list` must be configured. Answers the confirmation token. */
  @Post('user/signup')
  @HttpCode(200)
  async signUp(@Body() body: unknown, @Req() request: ZatoRequest) {
    const input = this.input(body);
    const app = input.get('current_app') as string;
    const appList = input.get('app_list');
    if (appList !== undefined && (!Array.isArray(appList) || !appList.every((a) => typeof a === 'string' && this.config.apps.includes(a)))) {
      throw Errors.appNotAllowed();
    }
    const { remoteAddr } = clientInfo(request);
    // Counted against the address as the REST route counts it (src/http/signup.controller.ts).
    await this.limits.countRequest('signup', null, remoteAddr);
    const { confirmToken } = await this.signups.signUp(
      { username: input.text('username') ?? '', password: input.text('password') ?? '', email: input.text('email'), displayName: input.text('display_name'), app },
      { remoteAddr, app },
    );
    return ok({ confirm_token: confirmToken });
  }

  @Patch('user/signup')
  async confirmSignUp(@Body() body: unknown, @Req() request: ZatoRequest) {
    const input = this.input(body, ['confirm_token']);
    await this.signups.confirm(input.requiredText('confirm_token'), { remoteAddr: clientInfo(request).remoteAddr });
    return ok();
  }

  /** Always ok: the token goes to the user out of band (PasswordResetNotifier), if there is such a user. */
  @Post('password/reset')
  @HttpCode(200)
  async requestPasswordReset(@Body() body: unknown, @Req() request: ZatoRequest) {
    const input = this.input(body, ['credential']);
    await this.passwordReset.request(input.requiredText('credential'), { remoteAddr: clientInfo(request).remoteAddr });
    return ok();
  }

  @Patch('password/reset')
  async accessPasswordReset(@Body() body: unknown, @Req() request: ZatoRequest) {
    const input = this.input(body, ['token']);
    const { resetKey } = await this.passwordReset.access(input.requiredText('token'), { remoteAddr: clientInfo(request).remoteAddr });
    return ok({ reset_key: resetKey });
  }

  @Delete('password/reset')
  async completePasswordReset(@Body() body: unknown, @Req() request: ZatoRequest) {
    const input = this.input(body, ['token', 'reset_key', 'password']);
    await this.passwordReset.complete(input.requiredText('token'), input.requiredText('reset_key'), input.requiredText('password'), {
      remoteAddr: clientInfo(request).remoteAddr,
    });
    return ok();
  }
}
