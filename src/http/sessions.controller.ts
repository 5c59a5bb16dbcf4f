import { Body, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { Errors } from '../common/tessera-error';
import { SessionsService } from '../sessions/sessions.service';
import { ListSessionsQuery, RevokeAllQuery, VerifyDto } from './dto/sessions.dto';
import { ApiCall, ApiGroup } from './openapi/api-call';
import { SessionListResponse, SessionResponse, VerifyResponse } from './openapi/schemas';
import { Authenticated, CurrentSession, SuperUserOnly } from './session.guard';
import { TesseraController } from './tessera-controller';
import { UuidPipe } from './validation.pipe';

@TesseraController('sessions')
@ApiGroup('sessions')
export class SessionsController {
  constructor(private readonly sessions: SessionsService) {}

  @Get('current')
  @ApiCall({ summary: 'The calling session', response: SessionResponse, auth: 'session' })
  @Authenticated()
  current(@CurrentSession() { session }: CurrentSession) {
    return session;
  }

  @Post('current/renew')
  @ApiCall({ summary: 'Renew the calling session (expiresAt = now + SESSION_TTL, capped)', response: SessionResponse, auth: 'session' })
  @HttpCode(200)
  @Authenticated()
  renew(@CurrentSession() { session }: CurrentSession) {
    return this.sessions.renew(session.id);
  }

  @Get()
  @ApiCall({ summary: 'Live sessions of the caller (a super-user: of ?userId)', response: SessionListResponse, auth: 'session', errors: ['forbidden'] })
  @Authenticated()
  async list(@CurrentSession() { session, user }: CurrentSession, @Query() query: ListSessionsQuery) {
    const userId = query.userId?.toLowerCase() ?? user.id;
    if (userId !== user.id && !user.isSuperUser) throw Errors.superUserRequired();
    return { sessions: await this.sessions.list(userId, session.id) };
  }

  @Post('verify')
  @ApiCall({ summary: 'Whether a UST names a live session', response: VerifyResponse, auth: 'super-user', hasBody: true })
  @HttpCode(200)
  @SuperUserOnly()
  async verify(@Body() body: VerifyDto) {
    return { valid: await this.sessions.verify(body.ust) };
  }

  @Delete()
  @ApiCall({ summary: "End all the caller's sessions (?keepCurrent=true: but this one)", status: 204, auth: 'session' })
  @HttpCode(204)
  @Authenticated()
  async revokeAll(@CurrentSession() { session, user }: CurrentSession, @Query() query: RevokeAllQuery) {
    await this.sessions.revokeAllOfUser(user.id, query.keepCurrent ? session.id : undefined);
  }

  @Delete(':id')
  @ApiCall({ summary: 'End one session', status: 204, auth: 'session', errors: ['session_not_found'] })
  @HttpCode(204)
  @Authenticated()
  async revoke(@CurrentSession() { user }: CurrentSession, @Param('id', UuidPipe) id: string) {
    await this.sessions.revoke(id, user.id, user.isSuperUser);
  }
}
