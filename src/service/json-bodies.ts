import type { FastifyInstance, FastifyRequest } from 'fastify';
import { InvalidJsonBody, ZATO_PATH_PREFIX } from '../index';

/** Deeper JSON than this is refused before any recursive walk (parser, validation) can overflow. */
export const MAX_JSON_DEPTH = 64;

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function clientError(statusCode: number, code: string): Error {
  return Object.assign(new Error(code), { statusCode, code });
}

/** The deepest nesting of `[`/`{` in JSON text, scanning once and skipping strings. */
export function jsonDepth(text: string, limit: number): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92) i++; // backslash: skip the escaped character
      else if (c === 34) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 91 || c === 123) {
      if (++depth > deepest && (deepest = depth) > limit) return deepest;
    } else if (c === 93 || c === 125) depth--;
  }
  return deepest;
}

/** JSON text in strict UTF-8 as a value, or the client error it is. */
function decodeJson(bytes: Buffer): { value: unknown } | { error: Error } {
  let json: string;
  try {
    // Strict: a byte that is not UTF-8 would otherwise become U+FFFD silently, in a name or a value.
    json = strictUtf8.decode(bytes);
  } catch {
    return { error: clientError(400, 'json_not_utf8') };
  }
  if (json.length === 0) return { error: clientError(400, 'FST_ERR_CTP_EMPTY_JSON_BODY') };
  if (jsonDepth(json, MAX_JSON_DEPTH) > MAX_JSON_DEPTH) return { error: clientError(400, 'json_too_deep') };
  try {
    return { value: JSON.parse(json) };
  } catch {
    return { error: clientError(400, 'FST_ERR_CTP_INVALID_JSON_BODY') };
  }
}

function isZatoPath(request: FastifyRequest): boolean {
  return request.url.startsWith(ZATO_PATH_PREFIX);
}

/**
 * Zato's clients send a JSON body on every method and no content type: under `/zato/sso/` the body
 * is JSON whatever the type says, an empty one is no body, and one that is not JSON reaches the
 * route as InvalidJsonBody, which answers Zato's own 400 envelope.
 */
function zatoBody(bytes: Buffer): unknown {
  if (bytes.length === 0) return undefined;
  const decoded = decodeJson(bytes);
  return 'value' in decoded ? decoded.value : new InvalidJsonBody();
}

/**
 * The only request bodies the service accepts: JSON in UTF-8. Any other type (a form post, text,
 * another charset) is 415, so a cross-site form cannot drive the API. `JSON.parse` keeps a
 * `"__proto__"` key as an ordinary property, so any JSON value is stored exactly as sent.
 * With `zatoBodies`, the Zato routes take JSON of any content type (or none) on every method.
 */
export function registerJsonBodies(fastify: FastifyInstance, bodyLimit: number, zatoBodies = false): void {
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser('application/json', { parseAs: 'buffer', bodyLimit }, (request, bytes, done) => {
    if (zatoBodies && isZatoPath(request)) return done(null, zatoBody(bytes as Buffer));
    const charset = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(request.headers['content-type'] ?? '')?.[1]?.toLowerCase();
    if (charset && charset !== 'utf-8' && charset !== 'utf8') return done(clientError(415, 'FST_ERR_CTP_INVALID_MEDIA_TYPE'), undefined);
    const decoded = decodeJson(bytes as Buffer);
    if ('error' in decoded) done(decoded.error, undefined);
    else done(null, decoded.value);
  });
  if (!zatoBodies) return;
  // Any other type, or none: JSON on the Zato routes, refused elsewhere as before (415).
  fastify.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit }, (request, bytes, done) => {
    if (isZatoPath(request)) done(null, zatoBody(bytes as Buffer));
    else done(clientError(415, 'FST_ERR_CTP_INVALID_MEDIA_TYPE'), undefined);
  });
  // Fastify does not read the body of a GET (it is a bodyless method): the Zato routes read it here.
  fastify.addHook('preValidation', async (request) => {
    if (request.method !== 'GET' || !isZatoPath(request)) return;
    request.body = zatoBody(await readBody(request, bodyLimit));
  });
}

/** The raw body of a request Fastify left unread, at most `limit` bytes (else 413). */
async function readBody(request: FastifyRequest, limit: number): Promise<Buffer> {
  const declared = Number(request.headers['content-length'] ?? 0);
  if (declared > limit) throw clientError(413, 'FST_ERR_CTP_BODY_TOO_LARGE');
  if (declared === 0 && request.headers['transfer-encoding'] === undefined) return Buffer.alloc(0);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request.raw) {
    size += (chunk as Buffer).length;
    if (size > limit) throw clientError(413, 'FST_ERR_CTP_BODY_TOO_LARGE');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}
