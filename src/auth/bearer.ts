import type { FastifyRequest } from 'fastify';
import { Errors } from '../common/app-error';
import type { AppConfig } from '../config/config';

/** The UST from `Authorization: Bearer …`; no header means no session. */
export function bearerToken(request: FastifyRequest): string {
  const header = request.headers.authorization;
  if (typeof header !== 'string') throw Errors.sessionInvalid();
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!match) throw Errors.sessionInvalid();
  return match[1];
}

/** `X-Current-App`, when sent, must name a configured application. */
export function checkCurrentApp(request: FastifyRequest, config: AppConfig): void {
  const app = request.headers['x-current-app'];
  if (app === undefined) return;
  if (typeof app !== 'string' || !config.apps.includes(app)) throw Errors.appNotAllowed();
}
