import { SweeperService } from '../src';
import { createUser, loggedInUser, PASSWORD, startTestApp, TestApp, uniqueName } from './support/test-app';

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i;
const TOKEN = 'metrics-token-0123456789abcdef';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The samples of a Prometheus text exposition (comments skipped). */
function parse(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match) throw new Error(`not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, key, value] of (match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[key] = value;
    samples.push({ name: match[1], labels, value: Number(match[3]) });
  }
  return samples;
}

function value(samples: Sample[], name: string, labels: Record<string, string> = {}): number | undefined {
  const found = samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  return found?.value;
}

describe('metrics', () => {
  let t: TestApp;
  beforeAll(async () => (t = await startTestApp()));
  afterAll(() => t.close());

  const scrape = async () => {
    const res = await t.http().get('/metrics');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    return { text: res.text, samples: parse(res.text) };
  };

  it('labels request durations with the route pattern, never an id, attribute name or URL', async () => {
    const { auth, session } = await loggedInUser(t);
    const attrName = uniqueName('secret-attr-name');
    const stray = uniqueName('no-such-path');
    expect((await t.http().put(`/sessions/current/attrs/${attrName}`).set('Authorization', auth).send({ value: 'v' })).status).toBe(200);
    expect((await t.http().get(`/sessions/current/attrs/${attrName}`).set('Authorization', auth)).status).toBe(200);
    expect((await t.http().get(`/sessions/${session.id}/attrs/${attrName}`).set('Authorization', auth)).status).toBe(200);
    expect((await t.http().get(`/${stray}`)).status).toBe(404);

    const { text, samples } = await scrape();
    const attrRoute = { method: 'GET', route: '/sessions/:id/attrs/:name', status_code: '200' };
    expect(value(samples, 'tessera_http_request_duration_seconds_count', attrRoute)).toBeGreaterThanOrEqual(2);
    expect(value(samples, 'tessera_http_request_duration_seconds_count', { method: 'PUT', route: '/sessions/:id/attrs/:name' })).toBeGreaterThanOrEqual(1);
    expect(value(samples, 'tessera_http_request_duration_seconds_count', { route: 'unmatched', status_code: '404' })).toBeGreaterThanOrEqual(1);
    expect(value(samples, 'tessera_http_request_duration_seconds_bucket', { ...attrRoute, le: '+Inf' })).toBeGreaterThanOrEqual(2);

    const labelValues = samples.flatMap((s) => Object.values(s.labels));
    for (const label of labelValues) {
      expect(label).not.toMatch(UUID);
      expect(label).not.toContain('secret-attr-name');
      expect(label).not.toContain('no-such-path');
    }
    expect(text).not.toContain(attrName);
    expect(text).not.toContain(session.id);
    expect(text).not.toContain(auth.slice(7));
  });

  it('reports the database pool and the password-hash queue, read at scrape time', async () => {
    const { samples } = await scrape();
    expect(value(samples, 'tessera_db_pool_connections')).toBeGreaterThanOrEqual(1);
    expect(value(samples, 'tessera_db_pool_idle_connections')).toBeGreaterThanOrEqual(0);
    expect(value(samples, 'tessera_db_pool_waiting_clients')).toBe(0);
    expect(value(samples, 'tessera_password_hash_running')).toBe(0);
    expect(value(samples, 'tessera_password_hash_queue_depth')).toBe(0);
  });

  it('includes process memory and event-loop lag from the default metrics', async () => {
    const { samples } = await scrape();
    expect(value(samples, 'process_resident_memory_bytes')).toBeGreaterThan(0);
    expect(value(samples, 'nodejs_eventloop_lag_seconds')).toBeGreaterThanOrEqual(0);
    expect(value(samples, 'nodejs_heap_size_used_bytes')).toBeGreaterThan(0);
  });

  it('counts refused logins by error code, never by username', async () => {
    const before = (await scrape()).samples;
    const user = await createUser(t);
    const wrong = await t.http().post('/auth/login').send({ username: user.username, password: 'wrong password!', currentApp: 'crm' });
    expect(wrong.status).toBe(401);
    const malformed = await t.http().post('/auth/login').send({ username: user.username, currentApp: 'crm' });
    expect(malformed.status).toBe(400);
    expect((await t.http().post('/auth/login').send({ username: user.username, password: PASSWORD, currentApp: 'crm' })).status).toBe(201);

    const { text, samples } = await scrape();
    const delta = (reason: string) =>
      (value(samples, 'tessera_login_failures_total', { reason }) ?? 0) - (value(before, 'tessera_login_failures_total', { reason }) ?? 0);
    expect(delta('invalid_credentials')).toBe(1);
    expect(delta(malformed.body.code)).toBe(1);
    expect(text).not.toContain(user.username);
  });

  it('counts logins refused because the hashing queue is full as rate_limited', async () => {
    const busy = await startTestApp({ PASSWORD_HASH_CONCURRENCY: '1', PASSWORD_HASH_QUEUE_LIMIT: '1', ARGON2_MEMORY_KIB: '8192' });
    try {
      const user = await createUser(busy);
      const answers = await Promise.all(
        Array.from({ length: 24 }, () => busy.http().post('/auth/login').send({ username: user.username, password: PASSWORD, currentApp: 'crm' })),
      );
      const limited = answers.filter((res) => res.status === 429).length;
      expect(limited).toBeGreaterThan(0);
      const samples = parse((await busy.http().get('/metrics')).text);
      expect(value(samples, 'tessera_login_failures_total', { reason: 'rate_limited' })).toBe(limited);
    } finally {
      await busy.close();
    }
  });

  it('counts rows the sweeper deletes, by kind', async () => {
    const { session } = await loggedInUser(t);
    await t.pg.query(`UPDATE sso_session SET expires_at = now() - interval '1 minute' WHERE id = $1`, [session.id]);
    const before = value((await scrape()).samples, 'tessera_sweeper_deleted_rows_total', { kind: 'sessions' }) ?? 0;
    const totals = await t.app.get(SweeperService).sweepAll();
    expect(totals.sessions).toBeGreaterThanOrEqual(1);
    const after = value((await scrape()).samples, 'tessera_sweeper_deleted_rows_total', { kind: 'sessions' });
    expect(after).toBe(before + totals.sessions);
  });

  describe('with METRICS_TOKEN set', () => {
    let guarded: TestApp;
    beforeAll(async () => (guarded = await startTestApp({ METRICS_TOKEN: TOKEN })));
    afterAll(() => guarded.close());

    it('answers 401 metrics_unauthorized without the token or with a wrong one', async () => {
      for (const header of [undefined, `Bearer ${TOKEN}x`, `Bearer ${TOKEN.slice(0, -1)}`, TOKEN, 'Basic abc']) {
        const req = guarded.http().get('/metrics');
        const res = header === undefined ? await req : await req.set('Authorization', header);
        expect({ status: res.status, code: res.body.code }).toEqual({ status: 401, code: 'metrics_unauthorized' });
        expect(res.text).not.toContain('tessera_db_pool');
      }
    });

    it('answers 200 with the metrics for Bearer <METRICS_TOKEN>', async () => {
      const res = await guarded.http().get('/metrics').set('Authorization', `Bearer ${TOKEN}`);
      expect(res.status).toBe(200);
      expect(res.text).toContain('tessera_db_pool_connections');
    });

    it('refuses a token shorter than 16 characters at start', async () => {
      await expect(startTestApp({ METRICS_TOKEN: 'short' })).rejects.toThrow('METRICS_TOKEN must be a string of at least 16 characters');
    });
  });
});
