import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { BEARER_SCHEME, COOKIE_SCHEME } from './api-call';
import { EXTRA_MODELS, JSON_VALUE_SCHEMA } from './schemas';

/** The name of the cookie that carries the UST in cookie mode (`tessera_session` over plain HTTP). */
export const SESSION_COOKIE_NAME = '__Host-tessera_session';

export interface OpenApiDocumentOptions {
  title?: string;
  version?: string;
  /** Only these modules' routes (e.g. `[TesseraModule]` inside a host application); default: all. */
  include?: Function[];
}

/** `SessionAttrController` + `create` → `sessionAttr_create`: stable names for generated clients. */
function operationId(controllerKey: string, methodKey: string): string {
  const owner = controllerKey.replace(/Controller$/, '');
  return `${owner[0].toLowerCase()}${owner.slice(1)}_${methodKey}`;
}

/**
 * The OpenAPI 3.1 document of an application's routes, built from their decorators: Tessera's
 * service serves it, a host application can serve it (or merge it into its own) too.
 */
export function buildOpenApiDocument(app: INestApplication, options: OpenApiDocumentOptions = {}): OpenAPIObject {
  const config = new DocumentBuilder()
    .setOpenAPIVersion('3.1.0')
    .setTitle(options.title ?? 'Tessera')
    .setDescription('Single sign-on sessions and attributes. Errors are {statusCode, code, message}; clients match on code.')
    .setVersion(options.version ?? '1')
    .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'Authorization: Bearer <UST>' }, BEARER_SCHEME)
    .addCookieAuth(
      SESSION_COOKIE_NAME,
      {
        type: 'apiKey',
        in: 'cookie',
        description: `Cookie mode: the UST in the ${SESSION_COOKIE_NAME} cookie (tessera_session over plain HTTP); state-changing calls also need CSRF protection.`,
      },
      COOKIE_SCHEME,
    )
    .build();
  config.components = { ...config.components, schemas: { JsonValue: JSON_VALUE_SCHEMA } };
  return SwaggerModule.createDocument(app, config, { include: options.include, extraModels: EXTRA_MODELS, operationIdFactory: operationId });
}

export interface MountOpenApiOptions extends OpenApiDocumentOptions {
  /** Where the document is served; default `/openapi.json`. */
  jsonPath?: string;
  /** Where the interactive UI is served; default `/docs`. */
  uiPath?: string;
}

/** Serves the document and Swagger UI (on Fastify through @fastify/static). Call before `app.init()`. */
export function mountOpenApi(app: INestApplication, options: MountOpenApiOptions = {}): void {
  SwaggerModule.setup(options.uiPath ?? 'docs', app, () => buildOpenApiDocument(app, options), {
    jsonDocumentUrl: options.jsonPath ?? 'openapi.json',
    raw: ['json'],
    customSiteTitle: options.title ?? 'Tessera API',
  });
}
