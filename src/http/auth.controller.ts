import { Body, HttpCode, Post, Req } from '@nestjs/common';
import { AuthService } from '../auth/auth.service';
import { auditContext } from './audit-context';
import { clientInfo, HttpRequest } from './bearer';
import { LoginDto } from './dto/login.dto';
import { Authenticated, CurrentSession } from './session.guard';
import { TesseraController } from './tessera-controller';

@TesseraController('auth')
export class AuthController {
  constructor(private readonly auth: AuthService) {}

  @Post('login')
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
