import { INestApplication, Logger } from '@nestjs/common';
import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { AuthService } from '../auth/auth.service';
import { describeError } from '../common/describe-error';
import { TesseraError } from '../common/tessera-error';
import { isUuid } from '../common/uuid';
import { TESSERA_CONFIG, TesseraConfig } from '../config/options';
import { clientInfo } from '../http/bearer';
import { checkOrigin } from '../http/csrf';
import { clearSessionCookie, CookieReply, sessionCookieValue, setSessionCookie } from '../http/session-cookie';
import { CurrentSession, SessionsService } from '../sessions/sessions.service';
import { safeNext } from './next-url';
import { STYLESHEET } from './stylesheet';
import { accountPage, errorPage, LoginView, loginPage, STYLESHEET_PATH } from './views';

export interface TesseraPagesOptions {
  auth: AuthService;
  sessions: SessionsService;
  config: TesseraConfig;
}

type Form = Record<string, string | undefined>;
type Request = FastifyRequest & { tesseraSessionId?: string };

const FORM_BODY_LIMIT_BYTES = 16 * 1024;

const NOTICES: Record<string, string> = {
  revoked: 'The session was revoked.',
  'revoked-others': 'All your other sessions were revoked.',
  gone: 'That session had already ended.',
};

/** A form body as a plain map; the first of repeated fields counts. */
function parseForm(text: string): Form {
  const form: Form = Object.create(null);
  for (const [key, value] of new URLSearchParams(text)) if (!(key in form)) form[key] = value;
  return form;
}

function securityHeaders(config: TesseraConfig): Record<string, string> {
  // Redirects after a form post are subject to form-action too: allowed origins may be `next` targets.
  const formAction = ["'self'", ...config.allowedOrigins].join(' ');
  return {
    'content-security-policy': `default-src 'none'; style-src 'self'; form-action ${formAction}; frame-ancestors 'none'; base-uri 'none'`,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'same-origin',
    'x-frame-options': 'DENY',
  };
}

/**
 * The login and account pages: server-rendered HTML forms, no script. They live in their own Fastify
 * context, so the form-encoded body parser and the CSRF token plugin serve these routes and no
 * other: the JSON API keeps refusing form posts.
 */
export const tesseraPagesPlugin: FastifyPluginAsync<TesseraPagesOptions> = async (fastify, { auth, sessions, config }) => {
  const logger = new Logger('Pages');
  // Loaded here, not at import: a host that never mounts the pages needs neither package.
  if (!fastify.hasReplyDecorator('setCookie')) await fastify.register(require('@fastify/cookie'));
  const csrfProtectionPlugin = require('@fastify/csrf-protection');
  await fastify.register(csrfProtectionPlugin, {
    cookieKey: config.cookieSecure ? '__Host-tessera_csrf' : 'tessera_csrf',
    cookieOpts: { path: '/', sameSite: 'lax', httpOnly: true, secure: config.cookieSecure },
    // Only the hidden form field: these routes take forms, never headers from scripts.
    getToken: (request: FastifyRequest) => (request.body as Form | undefined)?._csrf,
  });

  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: FORM_BODY_LIMIT_BYTES }, (_request, text, done) =>
    done(null, parseForm(text as string)),
  );

  const headers = securityHeaders(config);
  fastify.addHook('onSend', async (_request, reply, payload) => {
    reply.headers(headers);
    if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
    return payload;
  });

  /** Origin check, then the synchronizer token of the form (@fastify/csrf-protection). */
  const protect = (request: FastifyRequest, reply: FastifyReply, done: (error?: Error) => void) => {
    try {
      checkOrigin(request, config.allowedOrigins);
    } catch (error) {
      return done(error as Error);
    }
    (fastify as FastifyInstance & { csrfProtection: typeof protect }).csrfProtection(request, reply, done);
  };
  const csrfToken = (reply: FastifyReply) => (reply as FastifyReply & { generateCsrf(): string }).generateCsrf();

  const page = (reply: FastifyReply, status: number, body: string) => reply.code(status).type('text/html; charset=utf-8').send(body);

  /** The session of the cookie, or undefined when there is none (or it ended). */
  const current = async (request: Request): Promise<CurrentSession | undefined> => {
    const ust = sessionCookieValue(request, config);
    if (!ust) return undefined;
    try {
      const found = await sessions.resolve(ust);
      request.tesseraSessionId = found.session.id;
      return found;
    } catch (error) {
      if (error instanceof TesseraError && error.code === 'session_invalid') return undefined;
      throw error;
    }
  };

  fastify.setErrorHandler((error: Error & { code?: string; statusCode?: number }, _request, reply) => {
    const code = error instanceof TesseraError ? error.code : error.code;
    if (code === 'csrf_failed' || code === 'FST_CSRF_INVALID_TOKEN' || code === 'FST_CSRF_MISSING_SECRET') {
      return page(reply, 403, errorPage('Request refused', 'This form was not sent from this site, or it has expired: nothing was changed. Go back, reload the page and try again. (csrf_failed)', { href: '/account', text: 'Your account' }));
    }
    if (code === 'database_unavailable') {
      reply.header('retry-after', '2');
      return page(reply, 503, errorPage('Try again shortly', 'The service is unavailable right now; nothing was changed.'));
    }
    const status = error instanceof TesseraError ? error.getStatus() : error.statusCode;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      return page(reply, status, errorPage('Request refused', 'The request could not be handled.', { href: '/account', text: 'Your account' }));
    }
    logger.error(describeError(error));
    return page(reply, 500, errorPage('Something went wrong', 'The request failed on the server; try again later.'));
  });

  fastify.get(STYLESHEET_PATH, (_request, reply) => {
    reply.header('cache-control', 'public, max-age=3600').type('text/css; charset=utf-8').send(STYLESHEET);
  });

  fastify.get('/login', async (request: Request, reply) => {
    const next = safeNext((request.query as Form).next, config.allowedOrigins);
    if (await current(request)) return reply.redirect(next, 303);
    return page(reply, 200, loginPage({ csrfToken: csrfToken(reply), apps: config.apps, next }));
  });

  fastify.post('/login', { preHandler: protect }, async (request: Request, reply) => {
    const form = (request.body ?? {}) as Form;
    const { username = '', password = '', currentApp = '', totpCode = '' } = form;
    const next = safeNext(form.next, config.allowedOrigins);
    const view: LoginView = { csrfToken: csrfToken(reply), apps: config.apps, next, username, currentApp, fieldErrors: {} };
    const errors = view.fieldErrors!;
    if (!username.trim()) errors.username = 'Enter your username.';
    else if (username.length > 128) errors.username = 'A username has at most 128 characters.';
    if (!password) errors.password = 'Enter your password.';
    else if (password.length > 1024) errors.password = 'A password has at most 1024 characters.';
    if (!config.apps.includes(currentApp)) errors.currentApp = 'Choose one of the applications in the list.';
    if (Object.keys(errors).length) return page(reply, 400, loginPage(view));
    try {
      const { ust, session } = await auth.login({ username, password, currentApp, totpCode: typeof totpCode === 'string' ? totpCode.trim().slice(0, 16) : undefined }, clientInfo(request));
      setSessionCookie(reply as CookieReply, config, ust, session.absoluteExpiresAt);
      return reply.redirect(next, 303);
    } catch (error) {
      if (!(error instanceof TesseraError)) throw error;
      // One message for unknown user, wrong password or locked user (as the API answers).
      if (error.code === 'invalid_credentials') return page(reply, 401, loginPage({ ...view, formError: 'The username or password is not right.' }));
      if (error.code === 'totp_required') {
        return page(reply, 401, loginPage({ ...view, formError: 'Enter the one-time code from your authenticator app.' }));
      }
      if (error.code === 'password_expired' || error.code === 'password_change_required') {
        return page(reply, 403, loginPage({ ...view, formError: 'Your password has expired or must be changed before you can sign in.' }));
      }
      // Said only after the right password (as the API answers).
      if (error.code === 'not_approved' || error.code === 'signup_not_confirmed') {
        const why = error.code === 'not_approved' ? 'has not been approved' : 'has not been confirmed yet';
        return page(reply, 403, loginPage({ ...view, formError: `Your account ${why}, so you cannot sign in.` }));
      }
      if (error.code === 'rate_limited') {
        reply.header('retry-after', String(error.retryAfterSeconds ?? 1));
        return page(reply, 429, loginPage({ ...view, formError: 'Too many sign-ins right now. Wait a moment and try again.' }));
      }
      throw error;
    }
  });

  fastify.get('/account', async (request: Request, reply) => {
    const me = await current(request);
    if (!me) return reply.redirect('/login?next=%2Faccount', 303);
    const notice = NOTICES[String((request.query as Form).done)];
    const list = await sessions.list(me.user.id, me.session.id);
    return page(reply, 200, accountPage({ csrfToken: csrfToken(reply), user: me.user, sessions: list, notice }));
  });

  fastify.post('/account/revoke', { preHandler: protect }, async (request: Request, reply) => {
    const me = await current(request);
    if (!me) return reply.redirect('/login?next=%2Faccount', 303);
    const id = (request.body as Form | undefined)?.session?.toLowerCase();
    if (!isUuid(id)) return page(reply, 400, errorPage('Request refused', 'No session was named.', { href: '/account', text: 'Your account' }));
    if (id === me.session.id) {
      await auth.logout(id);
      clearSessionCookie(reply as CookieReply, config);
      return reply.redirect('/login', 303);
    }
    try {
      await sessions.revoke(id, me.user.id, false);
    } catch (error) {
      if (error instanceof TesseraError && error.code === 'session_not_found') return reply.redirect('/account?done=gone', 303);
      throw error;
    }
    return reply.redirect('/account?done=revoked', 303);
  });

  fastify.post('/account/revoke-others', { preHandler: protect }, async (request: Request, reply) => {
    const me = await current(request);
    if (!me) return reply.redirect('/login?next=%2Faccount', 303);
    await sessions.revokeAllOfUser(me.user.id, me.session.id);
    return reply.redirect('/account?done=revoked-others', 303);
  });

  fastify.post('/account/logout', { preHandler: protect }, async (request: Request, reply) => {
    const me = await current(request);
    if (me) await auth.logout(me.session.id);
    clearSessionCookie(reply as CookieReply, config);
    return reply.redirect('/login', 303);
  });
};

/**
 * Mounts the pages in a Nest application on Fastify (the service does, unless `PAGES=false`); call
 * it after `NestFactory.create` and before `listen`. Not available on Express.
 */
export async function mountTesseraPages(app: INestApplication): Promise<void> {
  const fastify = app.getHttpAdapter().getInstance() as FastifyInstance;
  const options: TesseraPagesOptions = { auth: app.get(AuthService), sessions: app.get(SessionsService), config: app.get(TESSERA_CONFIG) };
  await fastify.register(tesseraPagesPlugin, options);
}
