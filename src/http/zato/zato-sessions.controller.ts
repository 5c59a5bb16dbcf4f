import { Body, Get, HttpCode, Inject, Patch, Post, Req } from '@nestjs/common';
import { Errors } from '../../common/tessera-error';
import { TESSERA_CONFIG, TesseraConfig } from '../../config/options';
import type { SessionView } from '../../sessions/session.entity';
import { CurrentSession, SessionsService } from '../../sessions/sessions.service';
import { ZATO_ONLY } from './zato-codes';
import { ZatoInput } from './zato-input';
import { ZatoController } from './zato.filter';
import { ZatoRequest, ZatoRoutes } from './zato-routes';
import { ok, zatoListedSession, ZatoRefusal, zatoTime } from './zato-wire';

/** Zato's `/zato/sso/user/session*`: verify, renew, get and list sessions. No answer carries a UST. */
@ZatoController('user/session')
export class ZatoSessionsController extends ZatoRoutes {
  constructor(sessions: SessionsService, @Inject(TESSERA_CONFIG) config: TesseraConfig) {
    super(sessions, config);
  }

  /** A super-user asks whether `target_ust` names a live session. */
  @Post()
  @HttpCode(200)
  async verify(@Body() body: unknown, @Req() request: ZatoRequest) {
    const input = this.input(body, ['current_ust']);
    await this.superUser(input, request, 'current_ust');
    const target = input.get('target_ust');
    if (typeof target !== 'string') throw Errors.sessionNotFound();
    return ok({ is_valid: await this.sessions.verify(target) });
  }

  /** Renews the caller's session; answers its new expiry. */
  @Patch()
  async renew(@Body() body: unknown, @Req() request: ZatoRequest) {
    const input = this.input(body, ['ust']);
    const current = await this.caller(input, request);
    const renewed = await this.sessions.renew(current.session.id);
    return ok({ expiration_time: zatoTime(renewed.expiresAt) });
  }

  /** A session named by `target_ust`, for its own user or a super-user (`current_ust`). */
  @Get()
  async get(@Body() body: unknown, @Req() request: ZatoRequest) {
    const input = this.input(body, ['current_ust']);
    const current = await this.caller(input, request, 'current_ust');
    const session = await this.targetOf(input, current);
    return ok({
      creation_time: zatoTime(session.createdAt),
      expiration_time: zatoTime(session.expiresAt),
      remote_addr: session.remoteAddr,
      user_agent: session.userAgent,
    });
  }

  /**
   * The live sessions of the caller (`ust`), or of the user of `target_ust` (`current_ust` of a
   * super-user or of the same user). Each is named by its session id, never by its UST.
   */
  @Get('list')
  async list(@Body() body: unknown, @Req() request: ZatoRequest) {
    const input = this.input(body);
    const own = input.has('ust');
    if (own === (input.has('current_ust') || input.has('target_ust')) || (!own && !(input.has('current_ust') && input.has('target_ust')))) {
      throw new ZatoRefusal(ZATO_ONLY.invalidInput);
    }
    const current = await this.caller(input, request, own ? 'ust' : 'current_ust');
    const userId = own ? current.user.id : (await this.targetOf(input, current)).userId;
    const sessions = await this.sessions.list(userId, current.session.id);
    return ok({ result: sessions.map(zatoListedSession) });
  }

  /**
   * The session of `target_ust`, as stored (looking does not slide it); another user's is visible to
   * a super-user only, and otherwise answers as missing.
   */
  private async targetOf(input: ZatoInput, current: CurrentSession): Promise<SessionView> {
    const ust = input.get('target_ust');
    if (typeof ust !== 'string') throw Errors.sessionNotFound();
    const target = await this.sessions.inspect(ust);
    if (target.userId !== current.user.id && !current.user.isSuperUser) throw Errors.sessionNotFound();
    return target;
  }
}
