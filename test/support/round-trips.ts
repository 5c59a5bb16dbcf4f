import { Client } from 'pg';

/**
 * Counts what the service sends to PostgreSQL: every query of every pg client in this process goes
 * through Client.prototype.query, so the count is exact, whatever path (ORM or hand-written SQL) sent it.
 */
export function countQueries() {
  const original = Client.prototype.query;
  let count = 0;
  Client.prototype.query = function (this: Client, ...args: unknown[]) {
    count++;
    return (original as (...a: unknown[]) => unknown).apply(this, args);
  } as typeof original;
  return {
    get count() {
      return count;
    },
    restore: () => (Client.prototype.query = original),
  };
}

export async function roundTrips(work: () => Promise<unknown>): Promise<number> {
  const counter = countQueries();
  try {
    await work();
  } finally {
    counter.restore();
  }
  return counter.count;
}
