import { TesseraError } from './tessera-error';

/**
 * A log-safe description of anything thrown: class, code and the first stack frames; the message
 * only for Tessera's own errors, whose messages never carry a value (a driver's may quote one).
 */
export function describeError(exception: unknown): string {
  if (exception instanceof TesseraError) return `${exception.code}: ${exception.message}`;
  if (exception instanceof Error) {
    const code = (exception as { code?: unknown }).code;
    const where = exception.stack?.split('\n').slice(1, 4).map((l) => l.trim()).join(' | ');
    return `${exception.name}${code ? ` (${String(code)})` : ''} ${where ?? 'at unknown'}`;
  }
  return 'non-error thrown';
}
