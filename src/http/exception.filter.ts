import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Injectable, Logger } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { describeError } from '../common/describe-error';
import { ERROR_STATUS, ErrorCode } from '../common/error-codes';
import { ErrorBody, TesseraError } from '../common/tessera-error';

const codeByStatus: Record<number, ErrorCode> = {
  400: 'bad_request',
  401: 'session_invalid',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  413: 'payload_too_large',
  414: 'uri_too_long',
  415: 'unsupported_media_type',
  431: 'headers_too_large',
  429: 'rate_limited',
};

/** Every 429 says when to come back; errors that do not know say in a second. */
const DEFAULT_RETRY_AFTER_SECONDS = 1;

/** The `Retry-After` of an error answered with 429 (seconds), or undefined for any other status. */
export function retryAfterOf(exception: unknown, errorBody: ErrorBody): number | undefined {
  if (errorBody.statusCode !== 429) return undefined;
  return (exception instanceof TesseraError && exception.retryAfterSeconds) || DEFAULT_RETRY_AFTER_SECONDS;
}

function body(code: ErrorCode, message: string): ErrorBody {
  return { statusCode: ERROR_STATUS[code], code, message };
}

/** How long a client should wait before trying again, for errors that pass by themselves. */
const RETRY_AFTER_SECONDS: Partial<Record<ErrorCode, number>> = { database_unavailable: 2 };

/** The HTTP servers' own client errors (bad JSON, body too large, wrong content type) by their codes. */
const frameworkCodes: Record<string, ErrorBody> = {
  FST_ERR_CTP_INVALID_JSON_BODY: body('invalid_json', 'request body is not valid JSON'),
  FST_ERR_CTP_EMPTY_JSON_BODY: body('invalid_json', 'request body is empty'),
  json_too_deep: body('invalid_json', 'request body is nested too deeply'),
  json_not_utf8: body('invalid_json', 'request body is not valid UTF-8'),
  FST_ERR_CTP_BODY_TOO_LARGE: body('payload_too_large', 'request body is too large'),
  FST_ERR_CTP_INVALID_MEDIA_TYPE: body('unsupported_media_type', 'request body must be application/json'),
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: body('bad_request', 'invalid content length'),
  FST_ERR_MAX_PARAM_LENGTH: body('uri_too_long', 'a path segment is too long'),
  FST_ERR_BAD_URL: body('bad_request', 'the URL is malformed'),
  // Node's HTTP parser, before Fastify (clientErrorHandler)
  HPE_HEADER_OVERFLOW: body('headers_too_large', 'the request line or headers are too large'),
  ERR_HTTP_REQUEST_TIMEOUT: body('request_timeout', 'the request did not arrive in time'),
  // Express (body-parser)
  'entity.parse.failed': body('invalid_json', 'request body is not valid JSON'),
  'entity.too.large': body('payload_too_large', 'request body is too large'),
  'encoding.unsupported': body('unsupported_media_type', 'request body must be UTF-8 JSON'),
  'charset.unsupported': body('unsupported_media_type', 'request body must be UTF-8 JSON'),
};

/** For Fastify's `frameworkErrors`: errors raised while routing, before Nest sees the request. */
export function frameworkErrorBody(error: { code?: string }): ErrorBody {
  return frameworkCodes[error.code ?? ''] ?? body('bad_request', 'request rejected');
}

/** Any error as Tessera's `{statusCode, code, message}`; messages never quote what the client sent. */
export function toErrorBody(exception: unknown): ErrorBody {
  if (exception instanceof TesseraError) return exception.body;
  // Nest wraps the HTTP server's client errors in an HttpException whose cause is the original.
  const original = exception instanceof HttpException ? (exception.cause ?? exception) : exception;
  const serverCode = (original as { code?: unknown; type?: unknown })?.code ?? (original as { type?: unknown })?.type;
  if (typeof serverCode === 'string' && frameworkCodes[serverCode]) return frameworkCodes[serverCode];
  if (exception instanceof HttpException) {
    const statusCode = exception.getStatus();
    if (statusCode >= 500) return body('internal_error', 'internal error');
    const response = exception.getResponse();
    const message =
      typeof response === 'object' && response && 'message' in response ? [response.message].flat().join('; ') : exception.message;
    return { statusCode, code: codeByStatus[statusCode] ?? 'bad_request', message };
  }
  // PostgreSQL's data exceptions (class 22: a NUL byte in text, a date out of range, ...) can only
  // come from what the client sent; the driver's message is not echoed, it may quote the value.
  const sqlState = (exception as { code?: unknown })?.code;
  if (typeof sqlState === 'string' && /^22[0-9A-Z]{3}$/.test(sqlState)) {
    return body('validation_failed', 'a field holds a value the database cannot store (out of range or malformed)');
  }
  const statusCode = (exception as { statusCode?: unknown; status?: unknown })?.statusCode ?? (exception as { status?: unknown })?.status;
  if (typeof statusCode === 'number' && statusCode >= 400 && statusCode < 500) {
    return { statusCode, code: codeByStatus[statusCode] ?? 'bad_request', message: 'request rejected' };
  }
  return body('internal_error', 'internal error');
}

/**
 * Answers every error of the routes it guards as `{statusCode, code, message}`. Unknown errors become
 * a 500 whose log line names only the error class and code: driver errors can carry query parameters,
 * which may hold values. Replies through Nest's HTTP adapter, so it works on Express and Fastify.
 */
@Catch()
@Injectable()
export class TesseraExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('Error');

  constructor(private readonly adapterHost: HttpAdapterHost) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const errorBody = toErrorBody(exception);
    const response = host.switchToHttp().getResponse();
    const adapter = this.adapterHost.httpAdapter;
    const retryAfter = RETRY_AFTER_SECONDS[errorBody.code] ?? retryAfterOf(exception, errorBody);
    if (retryAfter !== undefined) adapter.setHeader(response, 'Retry-After', String(retryAfter));
    // An outage is logged once by the database layer, not once per request.
    if (errorBody.statusCode >= 500 && errorBody.code !== 'database_unavailable') this.logger.error(describeError(exception));
    adapter.reply(response, errorBody, errorBody.statusCode);
  }
}
