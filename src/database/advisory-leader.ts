import { Client } from 'pg';

/**
 * Leadership among the instances on one database, by a session-level advisory lock held on a
 * connection of its own: whoever holds the lock leads until that connection ends (process exit,
 * crash, network loss), and then another instance takes it on its next try. The connection must
 * reach PostgreSQL itself: through a transaction pooler a session lock would stay behind on a
 * pooled server connection.
 */
export class AdvisoryLeader {
  private client?: Client;
  private leading = false;

  constructor(
    private readonly url: string,
    private readonly lockKey: number,
  ) {}

  get isLeader(): boolean {
    return this.leading;
  }

  /** Takes the lock if it is free; answers whether this process leads now. */
  async tryLead(): Promise<boolean> {
    if (this.leading) return true;
    if (!this.client) {
      const client = new Client({ connectionString: this.url, application_name: 'tessera-leader', connectionTimeoutMillis: 5000 });
      const lost = () => {
        if (this.client === client) this.client = undefined;
        this.leading = false;
      };
      client.on('error', lost);
      client.on('end', lost);
      await client.connect().catch((error) => {
        lost();
        throw error;
      });
      this.client = client;
    }
    const { rows } = await this.client.query<{ got: boolean }>('SELECT pg_try_advisory_lock($1) AS got', [this.lockKey]);
    this.leading = rows[0].got;
    return this.leading;
  }

  /** Gives the lock up (by ending its connection). */
  async release(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    this.leading = false;
    await client?.end().catch(() => undefined);
  }
}
