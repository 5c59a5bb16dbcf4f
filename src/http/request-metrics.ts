import type { FastifyInstance } from 'fastify';
import { TesseraMetrics } from '../metrics/tessera-metrics';

/**
 * One histogram observation per response, labelled with the route pattern
 * (`/sessions/:id/attrs/:name`), never the URL: ids and attribute names must not become labels.
 * Requests no route matched share the label `unmatched`.
 */
export function registerRequestMetrics(fastify: FastifyInstance, metrics: TesseraMetrics): void {
  const histogram = metrics.requestDuration;
  fastify.addHook('onResponse', (request, reply, done) => {
    histogram.observe(
      { method: request.method, route: request.routeOptions.url ?? 'unmatched', status_code: reply.statusCode },
      reply.elapsedTime / 1000,
    );
    done();
  });
}
