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
 * rows. The attribute service keeps one instance for writes, one for reads per owner and one for
 * REST callers' reads across owners (keyed by `keyOf`).
 *
 * Why: the attribute rows of one session or user share their owner's row, which every insert locks
 * (`FOR KEY SHARE`, for the foreign key), and every write waits for its commit's WAL flush. Writers
 * arriving together at one hot owner would otherwise pay one commit after another; merged, they
 * pay one. Reads pay no flush, but each statement costs the service and PostgreSQL far more CPU
 * than its share of a merged one (docs/performance.md). An idle owner's call goes straight out, so
 * nothing waits that need not.
 *
 * By default calls are grouped by statement target: the same owner reached the same way (the same
 * UST and owner id, or owner UST, for a REST caller; the same owner id in-process), so that the
 * statement's own check of the caller holds for every call it carries. Writes are never merged
 * across owners or callers; only REST callers' gets are (one key for all, `keyOf`), in a statement
 * that resolves and checks each get on its own.
 */
export class AttrCallGroups<K extends string, I> {
  /** Present while a statement for the key is in flight: the calls that arrived since. */
  private readonly waiting = new Map<string, Array<QueuedCall<K, I>>>();

  /** Statements in flight per key. */
  private readonly inFlight = new Map<string, number>();

  constructor(
    private readonly maxCallsPerStatement: number,
    /** Runs one statement for the calls (all of one kind, one target) and settles each of them. */
    private readonly execute: (calls: Array<QueuedCall<K, I>>) => Promise<void>,
    /** How many statements of one key may be in flight before calls wait (1: one per owner). */
    private readonly maxInFlight = 1,
    /** The key calls are grouped by; by default their statement target (one owner, one access). */
    private readonly keyOf: (target: StatementTarget) => string = targetKey,
  ) {}

  submit<R>(target: StatementTarget, kind: K, input: I): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      const call: QueuedCall<K, I> = { kind, input, resolve: resolve as (result: unknown) => void, reject };
      const key = this.keyOf(target);
      const running = this.inFlight.get(key) ?? 0;
      if (running >= this.maxInFlight) {
        this.waiting.get(key)!.push(call);
      } else {
        if (running === 0) this.waiting.set(key, []);
        this.inFlight.set(key, running + 1);
        void this.round(key, [call]);
      }
    });
  }

  /** How many calls wait behind a statement in flight, over all owners. */
  get queued(): number {
    let n = 0;
    for (const queue of this.waiting.values()) n += queue.length;
    return n;
  }

  private async round(key: string, calls: Array<QueuedCall<K, I>>): Promise<void> {
    try {
      await this.execute(calls);
    } catch (error) {
      for (const call of calls) call.reject(error);
    }
    const queue = this.waiting.get(key)!;
    if (queue.length === 0) {
      const running = this.inFlight.get(key)! - 1;
      if (running > 0) {
        this.inFlight.set(key, running);
      } else {
        this.inFlight.delete(key);
        this.waiting.delete(key);
      }
      return;
    }
    // The longest run of one kind from the front: calls of other kinds keep their turn.
    let n = 1;
    while (n < queue.length && n < this.maxCallsPerStatement && queue[n].kind === queue[0].kind) n++;
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
