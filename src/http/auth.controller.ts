import { Body, Header, HttpCode, Post, Req, UseInterceptors } from '@nestjs/common';
import { AuthService } from '../auth/auth.service';
import { auditContext } from './audit-context';
import { clientInfo, HttpRequest } from './bearer';
import { LoginDto } from './dto/login.dto';
import { LoginMetricsInterceptor } from './login-metrics.interceptor';
import { Authenticated, CurrentSession } from './session.guard';
import { TesseraController } from './tessera-controller';

@TesseraController('auth')
export class AuthController {
  constructor(private readonly auth: AuthService) {}

  @Post('login')
  @UseInterceptors(LoginMetricsInterceptor)
  // The answer carries the UST: no cache (browser, proxy) may keep a copy.
  @Header('Cache-Control', 'no-store')
  login(@Body() body: LoginDto, @Req() request: HttpRequest) {
    return this.auth.login(body, clientInfo(request));
  }

  @Post('logout')
  @HttpCode(204)
  @Authenticated()
  async logout(@CurrentSession() current: CurrentSession, @Req() request: HttpRequest) {
    await this.auth.logout(current.session.id, auditContext(current, request));
  }
}
