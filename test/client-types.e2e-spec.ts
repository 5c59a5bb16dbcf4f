import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import { startTestApp, TestApp } from './support/test-app';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { renderClientTypes, TARGET } = require('../scripts/gen-client-types.js');

describe("the client's types", () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp();
  });

  afterAll(async () => {
    await t.close();
  });

  it('are what the served OpenAPI document generates (run npm run client:types after an API change)', async () => {
    const doc = (await request(t.app.getHttpServer()).get('/openapi.json')).body;
    expect(renderClientTypes(doc)).toBe(readFileSync(TARGET, 'utf8'));
  });

  it('type-check the client against them', () => {
    const tsc = join(__dirname, '..', 'node_modules', 'typescript', 'bin', 'tsc');
    expect(() => execFileSync(process.execPath, [tsc, '-p', join(__dirname, '..', 'client'), '--noEmit'], { stdio: 'pipe' })).not.toThrow();
  }, 60000);
});
