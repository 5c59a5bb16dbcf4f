import { CanActivate, createParamDecorator, ExecutionContext, Inject, Injectable, SetMetadata, UseGuards, applyDecorators } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { Errors } from '../common/app-error';
import { APP_CONFIG, AppConfig } from '../config/config';
import { CurrentSession, SessionsService } from '../sessions/sessions.service';
import { bearerToken, checkCurrentApp } from './bearer';

type AuthedRequest = FastifyRequest & { tesseraSession?: CurrentSession; tesseraSessionId?: string };

const SUPER_USER_ONLY = 'tessera:super-user-only';

/** Requires a live session (and, with `@SuperUserOnly()`, a super-user's) before the handler runs. */
@Injectable()
export class SessionGuard implements CanActivate {
  constructor(
    private readonly sessions: SessionsService,
    private readonly reflector: Reflector,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<AuthedRequest>();
    checkCurrentApp(request, this.config);
    const current = await this.sessions.resolve(bearerToken(request));
    request.tesseraSession = current;
    request.tesseraSessionId = current.session.id;
    const superUserOnly = this.reflector.getAllAndOverride<boolean>(SUPER_USER_ONLY, [context.getHandler(), context.getClass()]);
    if (superUserOnly && !current.user.isSuperUser) throw Errors.forbidden('super-user rights required');
    return true;
  }
}

/** Guards a controller or route with a live session. */
export const Authenticated = () => UseGuards(SessionGuard);

/** Guards a route with a live super-user session. */
export const SuperUserOnly = () => applyDecorators(SetMetadata(SUPER_USER_ONLY, true), UseGuards(SessionGuard));

/** The caller's session and user, as resolved by the guard. */
export const Current = createParamDecorator((_: unknown, context: ExecutionContext): CurrentSession => {
  const current = context.switchToHttp().getRequest<AuthedRequest>().tesseraSession;
  if (!current) throw Errors.sessionInvalid();
  return current;
});
