import type { StatementTarget } from './attr-statements';

/** One caller's call waiting for its statement; `resolve`/`reject` answer that caller alone. */
export interface QueuedCall<K extends string, I> {
  kind: K;
  input: I;
  resolve(result: unknown): void;
  reject(error: unknown): void;
}

/**
 * Group commit per owner. A single call to an owner that arrives while a statement of its group
 * for that owner is in flight waits; when the statement completes, the waiting calls of one kind
 * go out together as one statement, and each caller is answered on its own from that statement's
 * rows. The attribute service keeps one instance for writes and one for reads.
 *
 * Why: the attribute rows of one session or user share their owner's row, which every insert locks
 * (`FOR KEY SHARE`, for the foreign key), and every write waits for its commit's WAL flush. Writers
 * arriving together at one hot owner would otherwise pay one commit after another; merged, they
 * pay one. Reads pay no flush, but each statement costs the service and PostgreSQL far more CPU
 * than its share of a merged one (docs/performance.md). An idle owner's call goes straight out, so
 * nothing waits that need not.
 *
 * Writes are grouped by statement target: the same owner reached the same way (the same UST and
 * owner id, or owner UST, for a REST caller; the same owner id in-process), so that the statement's own check of
 * the caller holds for every write it carries. Nothing is merged across owners or callers.
 */
export class AttrCallGroups<K extends string, I> {
  /** Present while a statement for the key is in flight: the calls that arrived since. */
  private readonly waiting = new Map<string, Array<QueuedCall<K, I>>>();

  constructor(
    private readonly maxWritesPerStatement: number,
    /** Runs one statement for the calls (all of one kind, one target) and settles each of them. */
    private readonly execute: (writes: Array<QueuedCall<K, I>>) => Promise<void>,
  ) {}

  submit<R>(target: StatementTarget, kind: K, input: I): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      const write: QueuedCall<K, I> = { kind, input, resolve: resolve as (result: unknown) => void, reject };
      const key = targetKey(target);
      const queue = this.waiting.get(key);
      if (queue) {
        queue.push(write);
      } else {
        this.waiting.set(key, []);
        void this.round(key, [write]);
      }
    });
  }

  /** How many calls wait behind a statement in flight, over all owners. */
  get queued(): number {
    let n = 0;
    for (const queue of this.waiting.values()) n += queue.length;
    return n;
  }

  private async round(key: string, writes: Array<QueuedCall<K, I>>): Promise<void> {
    try {
      await this.execute(writes);
    } catch (error) {
      for (const write of writes) write.reject(error);
    }
    const queue = this.waiting.get(key)!;
    if (queue.length === 0) {
      this.waiting.delete(key);
      return;
    }
    // The longest run of one kind from the front: writes of other kinds keep their turn.
    let n = 1;
    while (n < queue.length && n < this.maxWritesPerStatement && queue[n].kind === queue[0].kind) n++;
    void this.round(key, queue.splice(0, n));
  }
}

function targetKey(target: StatementTarget): string {
  switch (target.mode) {
    case 'direct':
      return `d ${target.ownerId}`;
    case 'caller':
      return `c ${target.ownerId ?? ''} ${target.ust}`;
    case 'caller_token':
      return `t ${target.ownerUst} ${target.ust}`;
  }
}
