import { LoggerService } from '@nestjs/common';
import pino, { DestinationStream, Logger as Pino } from 'pino';

// Nest's start-up chatter (one line per module and route) is debug material.
const QUIET_CONTEXTS = new Set(['InstanceLoader', 'RoutesResolver', 'RouterExplorer']);

/**
 * Nest's logger backed by pino (JSON lines). What reaches it is chosen by its callers: request logs
 * carry method, path, status and timing only; error logs carry a class and a code, never a value.
 */
export class AppLogger implements LoggerService {
  readonly pino: Pino;

  constructor(level: string, destination?: DestinationStream) {
    this.pino = pino({ level, base: undefined, timestamp: pino.stdTimeFunctions.isoTime }, destination ?? pino.destination(1));
  }

  log(message: unknown, context?: string) {
    if (context && QUIET_CONTEXTS.has(context)) this.pino.debug({ context }, String(message));
    else this.pino.info({ context }, String(message));
  }
  error(message: unknown, ...rest: unknown[]) {
    // Nest passes (message, stack?, context?); only the message and context are kept.
    this.pino.error({ context: rest[rest.length - 1] }, String(message));
  }
  warn(message: unknown, context?: string) {
    this.pino.warn({ context }, String(message));
  }
  debug(message: unknown, context?: string) {
    this.pino.debug({ context }, String(message));
  }
  verbose(message: unknown, context?: string) {
    this.pino.trace({ context }, String(message));
  }
}
