import { applyDecorators, CanActivate, createParamDecorator, ExecutionContext, Inject, Injectable, SetMetadata, UseGuards } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { BoundAttrs, SessionAttrService } from '../attributes/attr.service';
import { Errors } from '../common/tessera-error';
import { TESSERA_CONFIG, TesseraConfig } from '../config/options';
import { CurrentSession as Current, SessionsService } from '../sessions/sessions.service';
import { checkCurrentApp, HttpRequest } from './bearer';
import { sessionToken } from './session-token';

const SUPER_USER_ONLY = 'tessera:super-user-only';

/** The current session's attributes, plus values kept for this request only. */
export interface SessionAttrsHandle extends BoundAttrs {
  /** Holds a value until the request ends: never stored, never logged, no database work. */
  setTransient(name: string, value: unknown): void;
  getTransient<T = unknown>(name: string): T | undefined;
  deleteTransient(name: string): boolean;
}

/** What the guard leaves on the request for the decorators below. */
interface RequestState {
  current: Current;
  /** The UST came in the session cookie (logout and revocation then clear it, renew re-issues it). */
  byCookie: boolean;
  /** Made on first use: most routes never ask for it. */
  attrs: () => SessionAttrsHandle;
}

const STATE: unique symbol = Symbol('tessera');
type GuardedRequest = HttpRequest & { tesseraSessionId?: string; [STATE]?: RequestState };

/**
 * Requires a live session (and, with `@SuperUserOnly()`, a super-user's) before the handler runs.
 * It reads headers and, in cookie mode, the parsed session cookie, so it works the same on Express
 * and Fastify (where the host parses cookies).
 */
@Injectable()
export class SessionGuard implements CanActivate {
  constructor(
    private readonly sessions: SessionsService,
    private readonly sessionAttrs: SessionAttrService,
    private readonly reflector: Reflector,
    @Inject(TESSERA_CONFIG) private readonly config: TesseraConfig,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<GuardedRequest>();
    checkCurrentApp(request, this.config.apps);
    const { ust, byCookie } = sessionToken(request, this.config);
    const current = await this.sessions.resolve(ust);
    let attrs: SessionAttrsHandle | undefined;
    request[STATE] = { current, byCookie, attrs: () => (attrs ??= this.handle(current)) };
    request.tesseraSessionId = current.session.id;
    const superUserOnly = this.reflector.getAllAndOverride<boolean>(SUPER_USER_ONLY, [context.getHandler(), context.getClass()]);
    if (superUserOnly && !current.user.isSuperUser) throw Errors.superUserRequired();
    return true;
  }

  private handle(current: Current): SessionAttrsHandle {
    const transient = new Map<string, unknown>();
    return {
      ...this.sessionAttrs.of(current.session.id),
      setTransient: (name, value) => void transient.set(name, value),
      getTransient: <T>(name: string) => transient.get(name) as T | undefined,
      deleteTransient: (name) => transient.delete(name),
    };
  }
}

function state(context: ExecutionContext): RequestState {
  const found = context.switchToHttp().getRequest<GuardedRequest>()[STATE];
  if (!found) throw Errors.sessionInvalid();
  return found;
}

/**
 * The current session's attribute handle from an interceptor, a later guard or a filter of a route
 * behind `@Authenticated()` (what `@SessionAttrs()` gives a handler); the handle is the same object
 * for the whole request, so transient values set here reach the handler.
 */
export function sessionAttrsOf(context: ExecutionContext): SessionAttrsHandle {
  return state(context).attrs();
}

/** Whether the guard authenticated this request by the session cookie. */
export function authenticatedByCookie(request: object): boolean {
  return (request as GuardedRequest)[STATE]?.byCookie === true;
}

/** Guards a controller or route with a live session. */
export const Authenticated = () => UseGuards(SessionGuard);

/** Guards a route with a live super-user session. */
export const SuperUserOnly = () => applyDecorators(SetMetadata(SUPER_USER_ONLY, true), UseGuards(SessionGuard));

/** The caller's session and user, as resolved by the guard: `@CurrentSession() { session, user }: CurrentSession`. */
export const CurrentSession = createParamDecorator((_: unknown, context: ExecutionContext): Current => state(context).current);
export type CurrentSession = Current;

/** The current session's attribute handle (`attrs.get('cart')`), with request-only transient values. */
export const SessionAttrs = createParamDecorator((_: unknown, context: ExecutionContext): SessionAttrsHandle => state(context).attrs());
export type SessionAttrs = SessionAttrsHandle;

