import type { FastifyInstance } from 'fastify';

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

/**
 * The only request bodies the service accepts: JSON in UTF-8. Any other type (a form post, text,
 * another charset) is 415, so a cross-site form cannot drive the API. `JSON.parse` keeps a
 * `"__proto__"` key as an ordinary property, so any JSON value is stored exactly as sent.
 */
export function registerJsonBodies(fastify: FastifyInstance, bodyLimit: number): void {
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser('application/json', { parseAs: 'buffer', bodyLimit }, (request, bytes, done) => {
    const charset = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(request.headers['content-type'] ?? '')?.[1]?.toLowerCase();
    if (charset && charset !== 'utf-8' && charset !== 'utf8') return done(clientError(415, 'FST_ERR_CTP_INVALID_MEDIA_TYPE'), undefined);
    let json: string;
    try {
      // Strict: a byte that is not UTF-8 would otherwise become U+FFFD silently, in a name or a value.
      json = strictUtf8.decode(bytes as Buffer);
    } catch {
      return done(clientError(400, 'json_not_utf8'), undefined);
    }
    if (json.length === 0) return done(clientError(400, 'FST_ERR_CTP_EMPTY_JSON_BODY'), undefined);
    if (jsonDepth(json, MAX_JSON_DEPTH) > MAX_JSON_DEPTH) return done(clientError(400, 'json_too_deep'), undefined);
    try {
      done(null, JSON.parse(json));
    } catch {
      done(clientError(400, 'FST_ERR_CTP_INVALID_JSON_BODY'), undefined);
    }
  });
}
