import { Body, Delete, Get, HttpCode, Param, Post, Query, Req } from '@nestjs/common';
import { Errors } from '../common/tessera-error';
import { SessionsService } from '../sessions/sessions.service';
import { auditContext } from './audit-context';
import { HttpRequest } from './bearer';
import { ListSessionsQuery, RevokeAllQuery, VerifyDto } from './dto/sessions.dto';
import { Authenticated, CurrentSession, SuperUserOnly } from './session.guard';
import { TesseraController } from './tessera-controller';
import { UuidPipe } from './validation.pipe';

@TesseraController('sessions')
export class SessionsController {
  constructor(private readonly sessions: SessionsService) {}

  @Get('current')
  @Authenticated()
  current(@CurrentSession() { session }: CurrentSession) {
    return session;
  }

  @Post('current/renew')
  @HttpCode(200)
  @Authenticated()
  renew(@CurrentSession() { session }: CurrentSession) {
    return this.sessions.renew(session.id);
  }

  @Get()
  @Authenticated()
  async list(@CurrentSession() { session, user }: CurrentSession, @Query() query: ListSessionsQuery) {
    const userId = query.userId?.toLowerCase() ?? user.id;
    if (userId !== user.id && !user.isSuperUser) throw Errors.superUserRequired();
    return { sessions: await this.sessions.list(userId, session.id) };
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
  async revokeAll(@CurrentSession() current: CurrentSession, @Query() query: RevokeAllQuery, @Req() request: HttpRequest) {
    const { session, user } = current;
    await this.sessions.revokeAllOfUser(user.id, query.keepCurrent ? session.id : undefined, auditContext(current, request));
  }

  @Delete(':id')
  @HttpCode(204)
  @Authenticated()
  async revoke(@CurrentSession() current: CurrentSession, @Param('id', UuidPipe) id: string, @Req() request: HttpRequest) {
    await this.sessions.revoke(id, current.user.id, current.user.isSuperUser, auditContext(current, request));
  }
}
