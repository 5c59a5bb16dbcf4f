import { randomBytes } from 'node:crypto';
import request from 'supertest';
import { AuthService, TesseraError } from '../src';
import { accountKey } from '../src/auth/login-limits.service';
import { PasswordHasher } from '../src/crypto/password-hasher.service';
import { SweeperService } from '../src/sweeper/sweeper.service';
import { createUser, newClientAddress, PASSWORD, sleep, startTestApp, TestApp, uniqueName } from './support/test-app';

/** Limits small enough to reach in a test; blocks of 1 s, 2 s, 4 s. */
const LIMITS = {
  TRUST_PROXY: 'true',
  LOGIN_MAX_FAILURES_PER_ACCOUNT: '3',
  LOGIN_MAX_FAILURES_PER_ADDRESS: '6',
  LOGIN_FAILURE_WINDOW: '60',
  LOGIN_BLOCK_SECONDS: '1',
  LOGIN_MAX_BLOCK_SECONDS: '4',
  LOGIN_MAX_PENDING_PER_ACCOUNT: '2',
  LOGIN_MAX_PENDING_PER_ADDRESS: '4',
};

function attempt(t: TestApp | string, username: string, password: string, address: string) {
  return (typeof t === 'string' ? request(t) : t.http()).post('/auth/login').set('X-Forwarded-For', address).send({ username, password, currentApp: 'crm' });
}

function expectRateLimited(res: { status: number; body: { code?: string }; headers: Record<string, string> }, maxSeconds: number) {
  expect({ status: res.status, code: res.body.code }).toEqual({ status: 429, code: 'rate_limited' });
  const retryAfter = Number(res.headers['retry-after']);
  expect(Number.isInteger(retryAfter)).toBe(true);
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  expect(retryAfter).toBeLessThanOrEqual(maxSeconds);
  return retryAfter;
}

/** Counts the password checks (each one an argon2 verification) of one app from now on. */
function countHashes(t: TestApp) {
  return jest.spyOn(t.app.get(PasswordHasher), 'verify');
}

describe('login limits', () => {
  let t: TestApp;
  beforeAll(async () => (t = await startTestApp(LIMITS)));
  afterAll(() => t.close());
  afterEach(() => jest.restoreAllMocks());

  const counter = async (key: string) =>
    (await t.pg.query('SELECT failures, strikes, blocked_until FROM sso_login_limit WHERE key = $1', [key])).rows[0];

  describe('per account', () => {
    it('blocks the account after its maximum of failures with 429 rate_limited and Retry-After, even for the right password', async () => {
      const user = await createUser(t);
      for (let i = 0; i < 3; i++) expect((await attempt(t, user.username, 'wrong password', newClientAddress())).status).toBe(401);
      const blocked = await attempt(t, user.username, PASSWORD, newClientAddress());
      expectRateLimited(blocked, 1);
      expect(Object.keys(blocked.body).sort()).toEqual(['code', 'message', 'statusCode']);
      // The username is compared in any case, and another address does not help.
      expectRateLimited(await attempt(t, user.username.toUpperCase(), PASSWORD, newClientAddress()), 1);
      expect(Number((await t.pg.query('SELECT count(*) AS n FROM sso_session WHERE user_id = $1', [user.id])).rows[0].n)).toBe(0);
    });

    it('refuses a blocked attempt before any password hashing', async () => {
      const user = await createUser(t);
      for (let i = 0; i < 3; i++) await attempt(t, user.username, 'wrong password', newClientAddress());
      const hashes = countHashes(t);
      const answers = await Promise.all(Array.from({ length: 20 }, () => attempt(t, user.username, 'guess', newClientAddress())));
      for (const res of answers) expectRateLimited(res, 1);
      expect(hashes).not.toHaveBeenCalled();
    });

    it('keeps a hash of the username, never its text: a password typed into the username field stays out of the table', async () => {
      const typedByMistake = `My Secret Password ${randomBytes(4).toString('hex')}`;
      expect((await attempt(t, typedByMistake, 'whatever', newClientAddress())).status).toBe(401);
      expect(await counter(accountKey(typedByMistake))).toMatchObject({ failures: 1 });
      expect(await counter(accountKey(typedByMistake.toUpperCase()))).toMatchObject({ failures: 1 });
      const { rows } = await t.pg.query('SELECT count(*)::int AS n FROM sso_login_limit WHERE key ILIKE $1', [`%${typedByMistake.slice(-8)}%`]);
      expect(rows[0].n).toBe(0);
    });

    it('allows one attempt after a block, blocks twice as long after its failure, and forgets it all on success', async () => {
      const user = await createUser(t);
      const address = newClientAddress();
      for (let i = 0; i < 3; i++) await attempt(t, user.username, 'wrong password', address);
      expect(expectRateLimited(await attempt(t, user.username, PASSWORD, address), 1)).toBe(1);
      await sleep(1100);
      expect((await attempt(t, user.username, 'wrong again', address)).status).toBe(401);
      expect(expectRateLimited(await attempt(t, user.username, PASSWORD, address), 2)).toBe(2);
      expect(await counter(accountKey(user.username))).toMatchObject({ failures: 2, strikes: 2 });
      await sleep(2100);

      expect((await attempt(t, user.username, PASSWORD, address)).status).toBe(201);
      expect(await counter(accountKey(user.username))).toBeUndefined();
      // A fresh start: the full number of failures again before a block (from other addresses: this
      // one has 4 of its 6 failures).
      for (let i = 0; i < 3; i++) expect((await attempt(t, user.username, 'wrong password', newClientAddress())).status).toBe(401);
      expectRateLimited(await attempt(t, user.username, PASSWORD, newClientAddress()), 1);
    });

    it('resets the failure count of an account on a successful login', async () => {
      const user = await createUser(t);
      for (let round = 0; round < 3; round++) {
        for (let i = 0; i < 2; i++) expect((await attempt(t, user.username, 'wrong password', newClientAddress())).status).toBe(401);
        expect((await attempt(t, user.username, PASSWORD, newClientAddress())).status).toBe(201);
      }
    });

    it('counts unknown usernames like known ones (the answer does not tell them apart)', async () => {
      const ghost = uniqueName('ghost');
      for (let i = 0; i < 3; i++) expect((await attempt(t, ghost, 'any password', newClientAddress())).status).toBe(401);
      expectRateLimited(await attempt(t, ghost, 'any password', newClientAddress()), 1);
    });
  });

  describe('per address', () => {
    it('blocks an address after its maximum of failures over any accounts, and only that address', async () => {
      const address = newClientAddress();
      for (let i = 0; i < 6; i++) expect((await attempt(t, uniqueName('probe'), 'guess', address)).status).toBe(401);
      const user = await createUser(t);
      expectRateLimited(await attempt(t, user.username, PASSWORD, address), 1);
      expect((await attempt(t, user.username, PASSWORD, newClientAddress())).status).toBe(201);
    });

    it('does not let a successful login wipe the address count', async () => {
      const address = newClientAddress();
      const own = await createUser(t);
      for (let i = 0; i < 5; i++) expect((await attempt(t, uniqueName('probe'), 'guess', address)).status).toBe(401);
      expect((await attempt(t, own.username, PASSWORD, address)).status).toBe(201);
      expect((await attempt(t, uniqueName('probe'), 'guess', address)).status).toBe(401);
      expectRateLimited(await attempt(t, own.username, PASSWORD, address), 1);
    });
  });

  describe('under a flood', () => {
    it('keeps other users logging in while one account is flooded with wrong passwords', async () => {
      // Blocks longer than the flood lasts, so that no attempt is allowed after one ends.
      const f = await startTestApp({ ...LIMITS, LOGIN_BLOCK_SECONDS: '60', LOGIN_MAX_BLOCK_SECONDS: '60' });
      const victim = await createUser(f);
      const others = await Promise.all(Array.from({ length: 8 }, () => createUser(f)));
      const attacker = newClientAddress();
      // One listening server for all the clients, as in production.
      await f.app.listen(0, '127.0.0.1');
      const url = await f.app.getUrl();
      // Warm (the pool's connections open, statements prepared), and time the same logins with no
      // flood: on a busy machine the bound below grows with it.
      const quietStart = Date.now();
      await Promise.all(others.map((user) => attempt(url, user.username, PASSWORD, newClientAddress())));
      const quietMs = Date.now() - quietStart;
      const hashes = countHashes(f);

      const flood = Promise.all(Array.from({ length: 80 }, (_, i) => attempt(url, victim.username, `guess ${i}`, attacker)));
      const legit = Promise.all(
        others.map(async (user) => {
          const started = Date.now();
          const res = await attempt(url, user.username, PASSWORD, newClientAddress());
          return { status: res.status, ms: Date.now() - started };
        }),
      );
      const [floodAnswers, legitAnswers] = await Promise.all([flood, legit]).finally(() => f.close());

      for (const answer of legitAnswers) {
        expect(answer.status).toBe(201);
        expect(answer.ms).toBeLessThan(Math.max(2000, 4 * quietMs));
      }
      const statuses = floodAnswers.map((res) => res.status);
      expect(statuses.every((s) => s === 401 || s === 429)).toBe(true);
      for (const res of floodAnswers.filter((r) => r.status === 429)) expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      // Of 80 guesses, at most the 3 failures allowed were hashed, plus what was already running
      // beside the third (the account holds at most 2 places at once).
      const victimHashes = hashes.mock.calls.length - others.length;
      expect(victimHashes).toBeGreaterThanOrEqual(3);
      expect(victimHashes).toBeLessThanOrEqual(3 + 2 - 1);
      expect(statuses.filter((s) => s === 401).length).toBe(victimHashes);
    });

    it('does not let one address fill the hash queue with guesses at many accounts', async () => {
      const q = await startTestApp({
        ...LIMITS,
        PASSWORD_HASH_CONCURRENCY: '1',
        PASSWORD_HASH_QUEUE_LIMIT: '6',
        LOGIN_MAX_FAILURES_PER_ADDRESS: '1000',
      });
      try {
        const others = await Promise.all(Array.from({ length: 6 }, () => createUser(q)));
        const attacker = newClientAddress();
        const flood = Promise.all(Array.from({ length: 60 }, (_, i) => attempt(q, uniqueName(`spray${i}`), 'guess', attacker)));
        const legit = Promise.all(others.map((user) => attempt(q, user.username, PASSWORD, newClientAddress())));
        const [floodAnswers, legitAnswers] = await Promise.all([flood, legit]);
        expect(legitAnswers.map((res) => res.status)).toEqual(others.map(() => 201));
        const refused = floodAnswers.filter((res) => res.status === 429);
        expect(refused.length).toBeGreaterThan(0);
        for (const res of refused) expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      } finally {
        await q.close();
      }
    });
  });

  describe('several instances', () => {
    it('shares the counts and blocks of one account between two instances on one database', async () => {
      const other = await startTestApp(LIMITS);
      try {
        const user = await createUser(t);
        const apps = [t, other];
        for (let i = 0; i < 3; i++) expect((await attempt(apps[i % 2], user.username, 'wrong password', newClientAddress())).status).toBe(401);
        // The third failure happened on `t`; `other` refuses, and so does `t`.
        expectRateLimited(await attempt(other, user.username, PASSWORD, newClientAddress()), 1);
        expectRateLimited(await attempt(t, user.username, PASSWORD, newClientAddress()), 1);
      } finally {
        await other.close();
      }
    });

    it('shares the counts of one address between two instances', async () => {
      const other = await startTestApp(LIMITS);
      try {
        const address = newClientAddress();
        const apps = [t, other];
        for (let i = 0; i < 6; i++) expect((await attempt(apps[i % 2], uniqueName('probe'), 'guess', address)).status).toBe(401);
        const user = await createUser(t);
        expectRateLimited(await attempt(t, user.username, PASSWORD, address), 1);
        expectRateLimited(await attempt(other, user.username, PASSWORD, address), 1);
      } finally {
        await other.close();
      }
    });
  });

  describe('in process', () => {
    it('applies the account limit to AuthService.login without a client address', async () => {
      const user = await createUser(t);
      const auth = t.app.get(AuthService);
      const input = { username: user.username, password: 'wrong password', currentApp: 'crm' };
      for (let i = 0; i < 3; i++) await expect(auth.login(input)).rejects.toMatchObject({ code: 'invalid_credentials' });
      const error = await auth.login({ ...input, password: PASSWORD }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TesseraError);
      expect(error).toMatchObject({ code: 'rate_limited' });
      expect((error as TesseraError).retryAfterSeconds).toBeGreaterThanOrEqual(1);
      // No address, no address counter (not one shared by every in-process login).
      expect(await t.pg.query("SELECT 1 FROM sso_login_limit WHERE key IN ('address:', 'address:null', 'address:undefined')")).toMatchObject({ rowCount: 0 });
    });
  });

  describe('turned off', () => {
    it('lets any number of failed and concurrent logins through with LOGIN_LIMITS=false', async () => {
      const off = await startTestApp({ ...LIMITS, LOGIN_LIMITS: 'false' });
      try {
        const user = await createUser(off);
        const address = newClientAddress();
        for (let i = 0; i < 8; i++) expect((await attempt(off, user.username, 'wrong password', address)).status).toBe(401);
        const answers = await Promise.all(Array.from({ length: 12 }, () => attempt(off, user.username, PASSWORD, address)));
        expect(answers.map((res) => res.status)).toEqual(answers.map(() => 201));
        const { rowCount } = await off.pg.query('SELECT 1 FROM sso_login_limit WHERE key = ANY($1)', [
          [accountKey(user.username), `address:${address}`],
        ]);
        expect(rowCount).toBe(0);
      } finally {
        await off.close();
      }
    });
  });

  describe('Retry-After', () => {
    it('comes with the 429 of a full hash queue too', async () => {
      const busy = await startTestApp({ LOGIN_LIMITS: 'false', PASSWORD_HASH_CONCURRENCY: '1', PASSWORD_HASH_QUEUE_LIMIT: '1' });
      try {
        const user = await createUser(busy);
        const answers = await Promise.all(Array.from({ length: 20 }, () => busy.http().post('/auth/login').send({ username: user.username, password: PASSWORD, currentApp: 'crm' })));
        const refused = answers.filter((res) => res.status === 429);
        expect(refused.length).toBeGreaterThan(0);
        for (const res of refused) {
          expect(res.body.code).toBe('rate_limited');
          expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
        }
      } finally {
        await busy.close();
      }
    });
  });

  describe('the sweeper', () => {
    it('deletes counters whose window has passed, and keeps live ones', async () => {
      const old = accountKey(uniqueName('old'));
      const live = accountKey(uniqueName('live'));
      await t.pg.query(
        `INSERT INTO sso_login_limit (key, failures, strikes, expires_at) VALUES ($1, 1, 0, now() - interval '1 second'), ($2, 1, 0, now() + interval '1 hour')`,
        [old, live],
      );
      const totals = await t.app.get(SweeperService).sweepAll();
      expect(typeof totals['login counters']).toBe('number'); // another file's sweeper may take the same rows first
      const { rows } = await t.pg.query('SELECT key FROM sso_login_limit WHERE key = ANY($1)', [[old, live]]);
      expect(rows).toEqual([{ key: live }]);
    });
  });
});
