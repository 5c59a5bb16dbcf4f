import { applyDecorators, Type } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiCookieAuth, ApiHeader, ApiOperation, ApiResponse, ApiTags, getSchemaPath } from '@nestjs/swagger';
import { ERROR_STATUS, ErrorCode } from '../../common/error-codes';

/** Security scheme names in the OpenAPI document (components.securitySchemes). */
export const BEARER_SCHEME = 'bearer';
export const COOKIE_SCHEME = 'cookie';

export interface ApiCallOptions {
  summary: string;
  description?: string;
  /** Success status; default 200; `none` for a route that only ever answers with an error. */
  status?: 200 | 201 | 202 | 204 | 'none';
  /** Success body; none for 204 and HEAD. */
  response?: Type<unknown>;
  /** A body parsed by hand (attributes); DTO bodies are described by their class. */
  body?: Type<unknown>;
  /** Who may call: anyone (login), a live session, or a super-user's. */
  auth: 'none' | 'session' | 'super-user';
  /** Codes this route answers besides the ones every route of its kind shares. */
  errors?: readonly ErrorCode[];
  /** Has a JSON body (adds invalid_json, payload_too_large, unsupported_media_type). */
  hasBody?: boolean;
}

/** The error schema narrowed to the codes one status of one route can carry. */
function errorSchema(codes: ErrorCode[]) {
  return { allOf: [{ $ref: getSchemaPath('ErrorResponse') }, { type: 'object', properties: { code: { enum: codes } } }] };
}

/** Every code a route may answer with, grouped by status, one OpenAPI response per status. */
function errorResponses(options: ApiCallOptions) {
  const shared: ErrorCode[] = options.status === 'none' ? [] : ['validation_failed', 'database_unavailable', 'internal_error'];
  const codes = new Set<ErrorCode>([...shared, ...(options.errors ?? [])]);
  if (options.hasBody || options.body) ['invalid_json', 'payload_too_large', 'unsupported_media_type'].forEach((c) => codes.add(c as ErrorCode));
  if (options.auth !== 'none') ['session_invalid', 'app_not_allowed'].forEach((c) => codes.add(c as ErrorCode));
  if (options.auth === 'super-user') codes.add('forbidden');
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of codes) byStatus.set(ERROR_STATUS[code], [...(byStatus.get(ERROR_STATUS[code]) ?? []), code]);
  return [...byStatus].map(([status, list]) =>
    ApiResponse({
      status,
      description: list.join(', '),
      schema: errorSchema(list),
      ...(status === 503 ? { headers: { 'Retry-After': { description: 'Seconds', schema: { type: 'integer' } } } } : {}),
    }),
  );
}

/**
 * One route's OpenAPI description: summary, success answer, body, security and every error code it
 * may answer with. Codes and statuses come from ERROR_STATUS, the table the exception filter uses.
 */
export function ApiCall(options: ApiCallOptions) {
  const status = options.status ?? 200;
  return applyDecorators(
    ApiOperation({ summary: options.summary, description: options.description }),
    ...(status === 'none' ? [] : [ApiResponse({ status, description: options.summary, ...(options.response ? { type: options.response } : {}) })]),
    ...(options.body ? [ApiBody({ type: options.body, required: true })] : []),
    ...(options.auth === 'none'
      ? []
      : [
          ApiBearerAuth(BEARER_SCHEME),
          ApiCookieAuth(COOKIE_SCHEME),
          ApiHeader({ name: 'X-Current-App', required: false, description: 'The calling application; must be one of SSO_APPS.' }),
        ]),
    ...errorResponses(options),
  );
}

/** Tags a controller's routes in the document. */
export const ApiGroup = (name: string) => ApiTags(name);
