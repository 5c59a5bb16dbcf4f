import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import { AppError } from './app-error';

interface ErrorBody {
  statusCode: number;
  code: string;
  message: string;
}

const codeByStatus: Record<number, string> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  406: 'not_acceptable',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  429: 'rate_limited',
};

/** Fastify's own client errors (bad JSON, body too large, wrong content type) arrive with these codes. */
const fastifyCodes: Record<string, ErrorBody> = {
  FST_ERR_CTP_INVALID_JSON_BODY: { statusCode: 400, code: 'invalid_json', message: 'request body is not valid JSON' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { statusCode: 400, code: 'invalid_json', message: 'request body is empty' },
  FST_ERR_CTP_BODY_TOO_LARGE: { statusCode: 413, code: 'payload_too_large', message: 'request body is too large' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: {
    statusCode: 415,
    code: 'unsupported_media_type',
    message: 'request body must be application/json',
  },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { statusCode: 400, code: 'bad_request', message: 'invalid content length' },
  FST_ERR_MAX_PARAM_LENGTH: { statusCode: 414, code: 'uri_too_long', message: 'a path segment is too long' },
  FST_ERR_BAD_URL: { statusCode: 400, code: 'bad_request', message: 'the URL is malformed' },
};

/** For Fastify's `frameworkErrors`: errors raised while routing, before Nest sees the request. */
export function frameworkErrorBody(error: { code?: string }): ErrorBody {
  return fastifyCodes[error.code ?? ''] ?? { statusCode: 400, code: 'bad_request', message: 'request rejected' };
}

/**
 * Every error leaves as `{statusCode, code, message}`. Unknown errors become a 500 whose log line names
 * only the error class and code: driver errors can carry query parameters, which may hold values.
 */
@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  private readonly logger = new Logger('Error');

  catch(exception: unknown, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse();
    const body = this.toBody(exception);
    if (body.statusCode >= 500) this.logger.error(describeError(exception));
    reply.status(body.statusCode).send(body);
  }

  private toBody(exception: unknown): ErrorBody {
    if (exception instanceof AppError) {
      return { statusCode: exception.status, code: exception.code, message: exception.message };
    }
    // Nest wraps Fastify's client errors in an HttpException whose cause is the original.
    const original = exception instanceof HttpException ? exception.cause : exception;
    const fastifyCode = (original as { code?: unknown })?.code;
    if (typeof fastifyCode === 'string' && fastifyCodes[fastifyCode]) return fastifyCodes[fastifyCode];
    if (exception instanceof HttpException) {
      const statusCode = exception.getStatus();
      const response = exception.getResponse();
      const message =
        typeof response === 'object' && response && 'message' in response
          ? [response.message].flat().join('; ')
          : exception.message;
      return { statusCode, code: codeByStatus[statusCode] ?? (statusCode >= 500 ? 'internal_error' : 'bad_request'), message };
    }
    // PostgreSQL's data exceptions (class 22: a NUL byte in text, a date out of range, ...) can only
    // come from what the client sent; the driver's message is not echoed, it may quote the value.
    const sqlState = (exception as { driverError?: { code?: unknown }; code?: unknown })?.driverError?.code ?? (exception as { code?: unknown })?.code;
    if (typeof sqlState === 'string' && /^22[0-9A-Z]{3}$/.test(sqlState)) {
      return { statusCode: 400, code: 'validation_failed', message: 'a field holds a value the database cannot store (out of range or malformed)' };
    }
    const statusCode = (exception as { statusCode?: unknown })?.statusCode;
    if (typeof statusCode === 'number' && statusCode >= 400 && statusCode < 500) {
      return { statusCode, code: codeByStatus[statusCode] ?? 'bad_request', message: 'request rejected' };
    }
    return { statusCode: 500, code: 'internal_error', message: 'internal error' };
  }
}

/** A log-safe description: class, code and, for our own errors only, the message. */
export function describeError(exception: unknown): string {
  if (exception instanceof AppError) return `${exception.code}: ${exception.message}`;
  if (exception instanceof Error) {
    const code = (exception as { code?: unknown }).code;
    const where = exception.stack?.split('\n').slice(1, 4).map((l) => l.trim()).join(' | ');
    return `${exception.name}${code ? ` (${String(code)})` : ''} ${where ?? 'at unknown'}`;
  }
  return 'non-error thrown';
}
