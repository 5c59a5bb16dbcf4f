import { Body, Delete, Header, HttpCode, Inject, Patch, Post, Req, Res, UseInterceptors } from '@nestjs/common';
import { AuthService } from '../auth/auth.service';
import { PasswordResetService } from '../auth/password-reset.service';
import { Errors } from '../common/tessera-error';
import { TESSERA_CONFIG, TesseraConfig } from '../config/options';
import { auditContext } from './audit-context';
import { clientInfo, HttpRequest } from './bearer';
import { LoginDto } from './dto/login.dto';
import { PasswordResetAccessDto, PasswordResetCompleteDto, PasswordResetRequestDto } from './dto/password-reset.dto';
import { LoginMetricsInterceptor } from './login-metrics.interceptor';
import { clearSessionCookie, CookieReply, setSessionCookie } from './session-cookie';
import { Authenticated, authenticatedByCookie, CurrentSession } from './session.guard';
import { ApiCall, ApiGroup } from './openapi/api-call';
import { LoginResponse, PasswordResetAccessResponse, PasswordResetRequestedResponse } from './openapi/schemas';
import { TesseraController } from './tessera-controller';

@TesseraController('auth')
@ApiGroup('auth')
export class AuthController {
  constructor(
    private readonly auth: AuthService,
    private readonly passwordReset: PasswordResetService,
    @Inject(TESSERA_CONFIG) private readonly config: TesseraConfig,
  ) {}

  /**
   * With `cookie: true` the UST travels only in the HttpOnly cookie, not in the body, so no page
   * script ever holds it; with `LOGIN_COOKIE=always` every login also sets the cookie.
   */
  @Post('login')
  @ApiCall({ summary: 'Log in', status: 201, response: LoginResponse, auth: 'none', hasBody: true, errors: ['invalid_credentials', 'totp_required', 'app_not_allowed', 'password_expired', 'password_change_required', 'signup_not_confirmed', 'not_approved', 'rate_limited', 'validation_failed'] })
  @UseInterceptors(LoginMetricsInterceptor)
  // The answer carries the UST: no cache (browser, proxy) may keep a copy.
  @Header('Cache-Control', 'no-store')
  async login(@Body() body: LoginDto, @Req() request: HttpRequest, @Res({ passthrough: true }) reply: CookieReply) {
    const { cookie, ...input } = body;
    if (cookie && this.config.loginCookie === 'off') throw Errors.validation('cookie is not available: cookie mode is off on this service');
    const result = await this.auth.login(input, clientInfo(request));
    if (cookie || this.config.loginCookie === 'always') setSessionCookie(reply, this.config, result.ust, result.session.absoluteExpiresAt);
    if (!cookie) return result;
    const { ust: _inCookieOnly, ...rest } = result;
    return rest;
  }

  @Post('logout')
  @ApiCall({ summary: 'Log out: end the calling session', status: 204, auth: 'session' })
  @HttpCode(204)
  @Authenticated()
  async logout(@CurrentSession() current: CurrentSession, @Req() request: HttpRequest, @Res({ passthrough: true }) reply: CookieReply) {
    await this.auth.logout(current.session.id, auditContext(current, request));
    if (authenticatedByCookie(request)) clearSessionCookie(reply, this.config);
  }

  // --- user lifecycle (issue 9): password reset in Zato's three steps ---

  @Post('password-reset')
  @ApiCall({ summary: 'Ask for a password reset token (delivered out of band); the same answer whether or not the user exists', status: 202, response: PasswordResetRequestedResponse, auth: 'none', hasBody: true, errors: ['rate_limited'] })
  @HttpCode(202)
  async requestPasswordReset(@Body() body: PasswordResetRequestDto, @Req() request: HttpRequest) {
    await this.passwordReset.request(body.credential, { remoteAddr: clientInfo(request).remoteAddr });
    return { status: 'requested' as const };
  }

  @Patch('password-reset')
  @ApiCall({ summary: 'Open a reset token (once): answers the short-lived reset key', response: PasswordResetAccessResponse, auth: 'none', hasBody: true, errors: ['password_reset_invalid'] })
  @Header('Cache-Control', 'no-store')
  accessPasswordReset(@Body() body: PasswordResetAccessDto, @Req() request: HttpRequest) {
    return this.passwordReset.access(body.token, { remoteAddr: clientInfo(request).remoteAddr });
  }

  @Delete('password-reset')
  @ApiCall({ summary: 'Set the new password with the token and reset key (both then spent); every session of the user ends', status: 204, auth: 'none', hasBody: true, errors: ['password_reset_invalid'] })
  @HttpCode(204)
  async completePasswordReset(@Body() body: PasswordResetCompleteDto, @Req() request: HttpRequest) {
    await this.passwordReset.complete(body.token, body.resetKey, body.password, { remoteAddr: clientInfo(request).remoteAddr });
  }
}
