import { Body, Header, HttpCode, Inject, Post, Req, Res, UseInterceptors } from '@nestjs/common';
import { AuthService } from '../auth/auth.service';
import { Errors } from '../common/tessera-error';
import { TESSERA_CONFIG, TesseraConfig } from '../config/options';
import { auditContext } from './audit-context';
import { clientInfo, HttpRequest } from './bearer';
import { LoginDto } from './dto/login.dto';
import { LoginMetricsInterceptor } from './login-metrics.interceptor';
import { clearSessionCookie, CookieReply, setSessionCookie } from './session-cookie';
import { Authenticated, authenticatedByCookie, CurrentSession } from './session.guard';
import { ApiCall, ApiGroup } from './openapi/api-call';
import { LoginResponse } from './openapi/schemas';
import { TesseraController } from './tessera-controller';

@TesseraController('auth')
@ApiGroup('auth')
export class AuthController {
  constructor(
    private readonly auth: AuthService,
    @Inject(TESSERA_CONFIG) private readonly config: TesseraConfig,
  ) {}

  /**
   * With `cookie: true` the UST travels only in the HttpOnly cookie, not in the body, so no page
   * script ever holds it; with `LOGIN_COOKIE=always` every login also sets the cookie.
   */
  @Post('login')
  @ApiCall({ summary: 'Log in', status: 201, response: LoginResponse, auth: 'none', hasBody: true, errors: ['invalid_credentials', 'totp_required', 'app_not_allowed', 'password_change_required', 'rate_limited', 'validation_failed'] })
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
}
