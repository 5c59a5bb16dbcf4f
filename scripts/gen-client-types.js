'use strict';
/**
 * Writes client/src/api-types.ts from Tessera's OpenAPI document, so the client's request and
 * response types come from the same decorators as the document and cannot drift from it
 * (test/client-types.e2e-spec.ts regenerates it from the served document and compares).
 *
 * Hand-written and small on purpose: openapi-typescript does not install beside TypeScript 6. It
 * understands what Tessera's document uses: $ref, allOf, oneOf/anyOf, enum, type arrays with
 * "null", arrays and objects; a schema with no type at all is any JSON value.
 *
 *   npm run client:types     (builds, then runs this against dist/)
 */
const { writeFileSync } = require('node:fs');
const { join } = require('node:path');

const TARGET = join(__dirname, '..', 'client', 'src', 'api-types.ts');
const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head'];
const JSON_TYPE = 'string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue }';

const refName = (ref) => ref.replace('#/components/schemas/', '');
const isAny = (s) => !s.type && !s.$ref && !s.allOf && !s.oneOf && !s.anyOf && !s.enum && s.const === undefined;
const quoteKey = (k) => (/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(k) ? k : JSON.stringify(k));

function tsType(s, indent = '') {
  if (s.$ref) return refName(s.$ref);
  if (s.allOf) return s.allOf.length === 1 ? tsType(s.allOf[0], indent) : s.allOf.map((p) => tsType(p, indent)).join(' & ');
  const union = s.oneOf ?? s.anyOf;
  if (union) return union.map((p) => tsType(p, indent)).join(' | ');
  if (s.enum) return s.enum.map((v) => JSON.stringify(v)).join(' | ');
  if (s.const !== undefined) return JSON.stringify(s.const);
  if (Array.isArray(s.type)) return s.type.map((t) => tsType({ ...s, type: t }, indent)).join(' | ');
  switch (s.type) {
    case 'string':
      return 'string';
    case 'integer':
    case 'number':
      return 'number';
    case 'boolean':
      return 'boolean';
    case 'null':
      return 'null';
    case 'array': {
      const item = tsType(s.items ?? {}, indent);
      return /[ |&]/.test(item) ? `Array<${item}>` : `${item}[]`;
    }
    case 'object':
      return s.properties ? objectType(s, indent) : 'Record<string, JsonValue>';
    default:
      return 'JsonValue';
  }
}

function doc(text, indent) {
  return text ? `${indent}/** ${String(text).replace(/\*\//g, '*\\/')} */\n` : '';
}

function objectType(s, indent) {
  const required = new Set(s.required ?? []);
  const inner = `${indent}  `;
  const lines = Object.entries(s.properties).map(
    ([key, prop]) => `${doc(prop.description, inner)}${inner}${quoteKey(key)}${required.has(key) ? '' : '?'}: ${tsType(prop, inner)};`,
  );
  return `{\n${lines.join('\n')}\n${indent}}`;
}

function schemaDeclaration(name, s) {
  if (isAny(s)) return `${doc(s.description, '')}export type ${name} = ${JSON_TYPE};`;
  if (s.type === 'object' && s.properties) return `${doc(s.description, '')}export interface ${name} ${objectType(s, '')}`;
  return `${doc(s.description, '')}export type ${name} = ${tsType(s)};`;
}

const braces = (fields) => (fields.length ? `{ ${fields.join('; ')} }` : '{}');

function jsonSchemaOf(content) {
  return content?.['application/json']?.schema;
}

function operations(document) {
  const entries = [];
  for (const [path, item] of Object.entries(document.paths)) {
    for (const method of METHODS) {
      const op = item[method];
      if (!op) continue;
      const params = (op.parameters ?? []).filter((p) => p.in === 'path').map((p) => `${quoteKey(p.name)}: string`);
      const query = (op.parameters ?? [])
        .filter((p) => p.in === 'query')
        .map((p) => `${quoteKey(p.name)}${p.required ? '' : '?'}: ${tsType(p.schema ?? {})}`);
      const statuses = Object.keys(op.responses ?? {});
      const success = statuses.find((s) => s.startsWith('2'));
      const body = jsonSchemaOf(op.requestBody?.content);
      const response = success && jsonSchemaOf(op.responses[success].content);
      const errors = statuses
        .filter((s) => /^[45]/.test(s))
        .flatMap((s) => jsonSchemaOf(op.responses[s].content)?.allOf?.[1]?.properties?.code?.enum ?? []);
      entries.push({
        id: op.operationId,
        method: method.toUpperCase(),
        path,
        type: [
          `method: '${method.toUpperCase()}'`,
          `path: '${path}'`,
          `params: ${braces(params)}`,
          `query: ${braces(query)}`,
          `body: ${body ? tsType(body) : 'undefined'}`,
          `response: ${response ? tsType(response) : 'void'}`,
          `status: ${success ?? 'never'}`,
          `errors: ${errors.length ? [...new Set(errors)].map((c) => `'${c}'`).join(' | ') : 'never'}`,
        ],
      });
    }
  }
  return entries.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** The text of client/src/api-types.ts for an OpenAPI document. */
function renderClientTypes(document) {
  const schemas = Object.entries(document.components?.schemas ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const ops = operations(document);
  return [
    '// Generated by scripts/gen-client-types.js from the OpenAPI document. Do not edit: npm run client:types.',
    `// OpenAPI ${document.openapi}, ${document.info.title} ${document.info.version}.`,
    '',
    ...schemas.map(([name, s]) => `${schemaDeclaration(name, s)}\n`),
    '/** Every operation of the REST API, by operationId. */',
    'export interface Operations {',
    ...ops.map((o) => `  ${o.id}: {\n${o.type.map((t) => `    ${t};`).join('\n')}\n  };`),
    '}',
    '',
    '/** Method and path template of each operation, for the client at run time. */',
    'export const OPERATIONS = {',
    ...ops.map((o) => `  ${o.id}: { method: '${o.method}', path: '${o.path}' },`),
    '} as const satisfies { [K in keyof Operations]: Pick<Operations[K], \'method\' | \'path\'> };',
    '',
  ].join('\n');
}

async function main() {
  require('reflect-metadata');
  const { NestFactory } = require('@nestjs/core');
  const { FastifyAdapter } = require('@nestjs/platform-fastify');
  const { buildOpenApiDocument, TesseraModule } = require('../dist/src');
  // Preview mode: the module graph and routes without creating providers (no database needed).
  const app = await NestFactory.create(TesseraModule.forRoot({ databaseUrl: 'postgres://unused', routes: true }), new FastifyAdapter(), {
    preview: true,
    logger: false,
    abortOnError: false,
  });
  writeFileSync(TARGET, renderClientTypes(buildOpenApiDocument(app)));
  await app.close();
  process.stdout.write(`wrote ${TARGET}\n`);
}

module.exports = { renderClientTypes, TARGET };

if (require.main === module) {
  main().catch((error) => {
    process.stderr.write(`gen-client-types: ${error instanceof Error ? error.message : error}\n`);
    process.exit(1);
  });
}
