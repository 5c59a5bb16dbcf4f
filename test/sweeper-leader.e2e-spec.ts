import { SessionAttrService, SweeperService } from '../src';
import { loggedInUser, sleep, startTestApp, TestApp } from './support/test-app';

async function until(condition: () => boolean | Promise<boolean>, ms: number): Promise<boolean> {
  for (let waited = 0; waited <= ms; waited += 100) {
    if (await condition()) return true;
    await sleep(100);
  }
  return false;
}

describe('the sweeper with two instances on one database', () => {
  let a: TestApp;
  let b: TestApp;
  beforeAll(async () => {
    a = await startTestApp({ SWEEP_INTERVAL: '1' });
    b = await startTestApp({ SWEEP_INTERVAL: '1' });
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
  });

  const leaders = () => [a, b].filter((t) => t.app.get(SweeperService).isLeader);
  const lockHolders = async () => {
    const { rows } = await a.pg.query(`SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND objid = 7215302 AND granted`);
    return rows[0].n as number;
  };

  it('has one of them sweep while the other idles, and hands over when the sweeper stops', async () => {
    expect(await until(() => leaders().length === 1, 5000)).toBe(true);
    // Over several intervals, never two sweepers, and the lock is held exactly once.
    for (let i = 0; i < 5; i++) {
      expect(leaders()).toHaveLength(1);
      expect(await lockHolders()).toBe(1);
      await sleep(300);
    }

    // The leader purges what expires.
    const { session } = await loggedInUser(a);
    await a.app.get(SessionAttrService).createMany(session.id, [
      { name: 'soon', value: 1, expiration: 1 },
      { name: 'later', value: 2 },
    ]);
    const rows = async () =>
      (await a.pg.query('SELECT name FROM sso_session_attr WHERE owner_id = $1 ORDER BY name', [session.id])).rows.map((r) => r.name);
    expect(await until(async () => (await rows()).join() === 'later', 5000)).toBe(true);

    // The leader goes; the other takes over at its next interval.
    const [first] = leaders();
    const other = first === a ? b : a;
    await first.close();
    if (first === a) a = undefined as unknown as TestApp;
    else b = undefined as unknown as TestApp;
    expect(await until(() => other.app.get(SweeperService).isLeader, 4000)).toBe(true);
  }, 30_000);
});
