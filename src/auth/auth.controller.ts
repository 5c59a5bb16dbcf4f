import { Body, Controller, HttpCode, Post, Req } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { CurrentSession } from '../sessions/sessions.service';
import { SessionsService } from '../sessions/sessions.service';
import { AuthService } from './auth.service';
import { LoginDto } from './dto/login.dto';
import { Authenticated, Current } from './session.guard';

@Controller('auth')
export class AuthController {
  constructor(
    private readonly auth: AuthService,
    private readonly sessions: SessionsService,
  ) {}

  @Post('login')
  login(@Body() body: LoginDto, @Req() request: FastifyRequest) {
    const userAgent = request.headers['user-agent'];
    return this.auth.login(body, {
      remoteAddr: request.ip ?? null,
      userAgent: typeof userAgent === 'string' ? userAgent.slice(0, 512) : null,
    });
  }

  @Post('logout')
  @HttpCode(204)
  @Authenticated()
  async logout(@Current() current: CurrentSession) {
    await this.sessions.revoke(current.session.id, current.user.id, false);
  }
}
