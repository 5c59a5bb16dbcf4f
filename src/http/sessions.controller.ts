import { Body, Delete, Get, HttpCode, Inject, Param, Post, Query, Req, Res } from '@nestjs/common';
import { Errors } from '../common/tessera-error';
import { TESSERA_CONFIG, TesseraConfig } from '../config/options';
import { SessionsService } from '../sessions/sessions.service';
import { auditContext } from './audit-context';
import { HttpRequest } from './bearer';
import { ListSessionsQuery, RevokeAllQuery, VerifyDto } from './dto/sessions.dto';
import { clearSessionCookie, CookieReply, sessionCookieValue, setSessionCookie } from './session-cookie';
import { Authenticated, authenticatedByCookie, CurrentSession, SuperUserOnly } from './session.guard';
import { ApiCall, ApiGroup } from './openapi/api-call';
import { SessionListResponse, SessionResponse, VerifyResponse } from './openapi/schemas';
import { TesseraController } from './tessera-controller';
import { UuidPipe } from './validation.pipe';

@TesseraController('sessions')
@ApiGroup('sessions')
export class SessionsController {
  constructor(
    private readonly sessions: SessionsService,
    @Inject(TESSERA_CONFIG) private readonly config: TesseraConfig,
  ) {}

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
  async renew(@CurrentSession() { session }: CurrentSession, @Req() request: HttpRequest, @Res({ passthrough: true }) reply: CookieReply) {
    const renewed = await this.sessions.renew(session.id);
    // Same UST, fresh attributes and expiry.
    const ust = sessionCookieValue(request, this.config);
    if (authenticatedByCookie(request) && ust) setSessionCookie(reply, this.config, ust, renewed.absoluteExpiresAt);
    return renewed;
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
  async revokeAll(
    @CurrentSession() current: CurrentSession,
    @Query() query: RevokeAllQuery,
    @Req() request: HttpRequest,
    @Res({ passthrough: true }) reply: CookieReply,
  ) {
    const { session, user } = current;
    await this.sessions.revokeAllOfUser(user.id, query.keepCurrent ? session.id : undefined, auditContext(current, request));
    if (!query.keepCurrent && authenticatedByCookie(request)) clearSessionCookie(reply, this.config);
  }

  @Delete(':id')
  @ApiCall({ summary: 'End one session', status: 204, auth: 'session', errors: ['session_not_found'] })
  @HttpCode(204)
  @Authenticated()
  async revoke(
    @CurrentSession() current: CurrentSession,
    @Param('id', UuidPipe) id: string,
    @Req() request: HttpRequest,
    @Res({ passthrough: true }) reply: CookieReply,
  ) {
    await this.sessions.revoke(id, current.user.id, current.user.isSuperUser, auditContext(current, request));
    if (id === current.session.id && authenticatedByCookie(request)) clearSessionCookie(reply, this.config);
  }
}
