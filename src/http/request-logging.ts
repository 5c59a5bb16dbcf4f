import type { FastifyInstance } from 'fastify';
import type { Logger as Pino } from 'pino';

/**
 * One line per request: method, path without query string, status, time, and the session id when one
 * was resolved. No headers (Authorization, Cookie), no query, no body: the UST, passwords and
 * attribute values travel there.
 */
export function registerRequestLogging(fastify: FastifyInstance, logger: Pino): void {
  fastify.addHook('onResponse', (request, reply, done) => {
    const url = request.url;
    const q = url.indexOf('?');
    logger.info(
      {
        req: { method: request.method, path: q === -1 ? url : url.slice(0, q) },
        status: reply.statusCode,
        ms: Math.round(reply.elapsedTime * 10) / 10,
        sessionId: (request as { tesseraSessionId?: string }).tesseraSessionId,
      },
      'request',
    );
    done();
  });
}
