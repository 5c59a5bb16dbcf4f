import { Body, HttpCode, Post, Req } from '@nestjs/common';
import { AuthService } from '../auth/auth.service';
import { clientInfo, HttpRequest } from './bearer';
import { LoginDto } from './dto/login.dto';
import { ApiCall, ApiGroup } from './openapi/api-call';
import { LoginResponse } from './openapi/schemas';
import { Authenticated, CurrentSession } from './session.guard';
import { TesseraController } from './tessera-controller';

@TesseraController('auth')
@ApiGroup('auth')
export class AuthController {
  constructor(private readonly auth: AuthService) {}

  @Post('login')
  @ApiCall({ summary: 'Log in', status: 201, response: LoginResponse, auth: 'none', hasBody: true, errors: ['invalid_credentials', 'app_not_allowed', 'password_change_required', 'rate_limited'] })
  login(@Body() body: LoginDto, @Req() request: HttpRequest) {
    return this.auth.login(body, clientInfo(request));
  }

  @Post('logout')
  @ApiCall({ summary: 'Log out: end the calling session', status: 204, auth: 'session' })
  @HttpCode(204)
  @Authenticated()
  async logout(@CurrentSession() { session }: CurrentSession) {
    await this.auth.logout(session.id);
  }
}
