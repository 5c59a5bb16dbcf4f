import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import * as argon2 from 'argon2';
import { randomBytes } from 'node:crypto';
import { TESSERA_CONFIG, TesseraConfig } from '../config/options';
import { Errors } from '../common/tessera-error';

/**
 * argon2id hashing with a bound on how many hashes run at once: each one takes a core for ~100 ms,
 * so an unbounded burst of logins would starve every other request. Excess callers wait in a queue;
 * past its limit they get `rate_limited` at once.
 */
@Injectable()
export class PasswordHasher implements OnModuleInit {
  private running = 0;
  private readonly waiting: Array<() => void> = [];
  private dummyHash = '';

  constructor(@Inject(TESSERA_CONFIG) private readonly config: TesseraConfig) {}

  /** Hashes being computed now (at most `passwordHashConcurrency`). */
  get runningCount(): number {
    return this.running;
  }

  /** Callers waiting for a hashing slot (at most `passwordHashQueueLimit`). */
  get queueDepth(): number {
    return this.waiting.length;
  }

  async onModuleInit() {
    // Verifying against this hash makes "no such user" cost the same as "wrong password".
    this.dummyHash = await this.hash(randomBytes(16).toString('hex'));
  }

  hash(password: string): Promise<string> {
    return this.limited(() =>
      argon2.hash(password, {
        type: argon2.argon2id,
        memoryCost: this.config.argon2MemoryKib,
        timeCost: this.config.argon2TimeCost,
        parallelism: this.config.argon2Parallelism,
      }),
    );
  }

  /** Verifies against `hash`, or against a dummy hash when there is no user, in about the same time. */
  verify(hash: string | undefined, password: string): Promise<boolean> {
    return this.limited(async () => {
      try {
        const ok = await argon2.verify(hash ?? this.dummyHash, password);
        return ok && hash !== undefined;
      } catch {
        return false;
      }
    });
  }

  /** About how long the queue ahead takes to drain: ~0.1 s per hash per lane, at least a second. */
  private queueWaitSeconds(): number {
    return Math.ceil((this.waiting.length * 0.1) / this.config.passwordHashConcurrency);
  }

  private async limited<T>(work: () => Promise<T>): Promise<T> {
    if (this.running >= this.config.passwordHashConcurrency) {
      if (this.waiting.length >= this.config.passwordHashQueueLimit) throw Errors.rateLimited(this.queueWaitSeconds());
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else {
      this.running++;
    }
    try {
      return await work();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }
}
