import { runMigrations } from '../src';
import { loggedInUser, sleep, startTestApp, TestApp } from './support/test-app';
import { startThrowawayPostgres, ThrowawayPostgres } from './support/throwaway-postgres';

/**
 * A PostgreSQL of this test's own (never the machine's service), stopped and started again on the
 * same port while writers run: the service answers 503 while it is away and carries on after.
 */
describe('a database outage while writers run', () => {
  let db: ThrowawayPostgres;
  let t: TestApp;

  beforeAll(async () => {
    db = await startThrowawayPostgres();
    await runMigrations(db.url);
    t = await startTestApp({ DATABASE_URL: db.url });
  }, 60_000);

  afterAll(async () => {
    await t?.close();
    await db?.close();
  });

  it('answers 503 database_unavailable with Retry-After while it is down, loses no acknowledged write, and recovers by itself', async () => {
    const { auth, session } = await loggedInUser(t);
    const acknowledged: string[] = [];
    const outageAnswers: Array<{ status: number; code: string; retryAfter: string | undefined }> = [];
    let running = true;
    const writer = async (w: number) => {
      for (let i = 0; running; i++) {
        const name = `w${w}-${i}`;
        const res = await t.http().put(`/sessions/current/attrs/${name}`).set('Authorization', auth).send({ value: { w, i } });
        if (res.status === 200) acknowledged.push(name);
        else {
          outageAnswers.push({ status: res.status, code: res.body.code, retryAfter: res.headers['retry-after'] });
          await sleep(50);
        }
      }
    };
    const writers = [0, 1, 2, 3].map(writer);

    await sleep(700);
    const beforeOutage = acknowledged.length;
    await db.stop();
    await sleep(1500);
    const duringOutage = acknowledged.length;
    await db.start();
    // Wait for the writers to get through again, without restarting the service.
    for (let waited = 0; acknowledged.length < duringOutage + 20 && waited < 15_000; waited += 100) await sleep(100);
    running = false;
    await Promise.all(writers);

    expect(beforeOutage).toBeGreaterThan(0);
    expect(acknowledged.length).toBeGreaterThanOrEqual(duringOutage + 20);
    expect(outageAnswers.length).toBeGreaterThan(0);
    for (const answer of outageAnswers) expect(answer).toEqual({ status: 503, code: 'database_unavailable', retryAfter: '2' });

    const { rows } = await t.pg.query('SELECT name FROM sso_session_attr WHERE owner_id = $1', [session.id]);
    const stored = new Set(rows.map((r: { name: string }) => r.name));
    expect(acknowledged.filter((name) => !stored.has(name))).toEqual([]);

    // Said once when it went, once when it came back; not a line per failed request.
    const outageLines = t.logs.filter((line) => line.includes('the database is unreachable'));
    expect(outageLines.length).toBeGreaterThanOrEqual(1);
    expect(outageLines.length).toBeLessThanOrEqual(2);
    expect(t.logs.some((line) => line.includes('the database is reachable again'))).toBe(true);
    expect(t.logs.filter((line) => /"level":50/.test(line))).toEqual([]);
  }, 60_000);
});
