import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { Authenticated, Current, SuperUserOnly } from '../auth/session.guard';
import { Errors } from '../common/app-error';
import { UuidPipe } from '../common/validation';
import { ListSessionsQuery, RevokeAllQuery, VerifyDto } from './dto/sessions.dto';
import { CurrentSession, SessionsService } from './sessions.service';

@Controller('sessions')
export class SessionsController {
  constructor(private readonly sessions: SessionsService) {}

  @Get('current')
  @Authenticated()
  current(@Current() current: CurrentSession) {
    return current.session;
  }

  @Post('current/renew')
  @HttpCode(200)
  @Authenticated()
  renew(@Current() current: CurrentSession) {
    return this.sessions.renew(current.session.id);
  }

  @Get()
  @Authenticated()
  async list(@Current() current: CurrentSession, @Query() query: ListSessionsQuery) {
    const userId = query.userId?.toLowerCase() ?? current.user.id;
    if (userId !== current.user.id && !current.user.isSuperUser) throw Errors.forbidden('super-user rights required');
    return { sessions: await this.sessions.list(userId) };
  }

  @Post('verify')
  @HttpCode(200)
  @SuperUserOnly()
  async verify(@Body() body: VerifyDto) {
    return { valid: await this.sessions.verify(body.ust) };
  }

  @Delete()
  @HttpCode(204)
  @Authenticated()
  async revokeAll(@Current() current: CurrentSession, @Query() query: RevokeAllQuery) {
    await this.sessions.revokeAllOfUser(current.user.id, query.keepCurrent ? current.session.id : undefined);
  }

  @Delete(':id')
  @HttpCode(204)
  @Authenticated()
  async revoke(@Current() current: CurrentSession, @Param('id', UuidPipe) id: string) {
    await this.sessions.revoke(id, current.user.id, current.user.isSuperUser);
  }
}
