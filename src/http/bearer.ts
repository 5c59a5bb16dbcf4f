import type { IncomingHttpHeaders } from 'node:http';
import { Errors } from '../common/tessera-error';

/** The parts of a request Tessera reads, the same on Express and Fastify. */
export interface HttpRequest {
  headers: IncomingHttpHeaders;
  ip?: string;
  method?: string;
  /** `http` or `https` (both platforms honour their trust-proxy setting here). */
  protocol?: string;
  /** Parsed cookies, when the host parses them (@fastify/cookie, Express's cookie-parser). */
  cookies?: Record<string, string | undefined>;
}

/** The UST from `Authorization: Bearer …`; no header means no session. */
export function bearerToken(request: HttpRequest): string {
  const header = request.headers.authorization;
  if (typeof header !== 'string') throw Errors.sessionInvalid();
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!match) throw Errors.sessionInvalid();
  return match[1];
}

/** `X-Current-App`, when sent, must name a configured application. */
export function checkCurrentApp(request: HttpRequest, apps: string[]): void {
  const app = request.headers['x-current-app'];
  if (app === undefined) return;
  if (typeof app !== 'string' || !apps.includes(app)) throw Errors.appNotAllowed();
}

/** The client's address and user agent, as a session records them. */
export function clientInfo(request: HttpRequest) {
  const userAgent = request.headers['user-agent'];
  return { remoteAddr: request.ip ?? null, userAgent: typeof userAgent === 'string' ? userAgent.slice(0, 512) : null };
}
