import { Inject, Injectable, Logger, OnApplicationBootstrap, BeforeApplicationShutdown } from '@nestjs/common';
import { describeError } from '../common/describe-error';
import { TESSERA_CONFIG, TesseraConfig } from '../config/options';
import { SessionAttrService, UserAttrService } from '../attributes/attr.service';
import { AuditService } from '../audit/audit.service';
import { LoginLimits } from '../auth/login-limits.service';
import { SessionsService } from '../sessions/sessions.service';

/**
 * Deletes expired rows in the background, in batches of `SWEEP_BATCH_SIZE` so no statement holds
 * many locks for long; never on the request path. Several instances may sweep at once: batches
 * skip rows another sweeper has locked.
 */
@Injectable()
export class SweeperService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('Sweeper');
  private timer?: NodeJS.Timeout;
  private running?: Promise<unknown>;

  constructor(
    private readonly sessions: SessionsService,
    private readonly sessionAttrs: SessionAttrService,
    private readonly userAttrs: UserAttrService,
    private readonly loginLimits: LoginLimits,
    private readonly audit: AuditService,
    @Inject(TESSERA_CONFIG) private readonly config: TesseraConfig,
  ) {}

  onApplicationBootstrap() {
    if (this.config.sweepIntervalSeconds === 0) return;
    this.timer = setInterval(() => {
      if (this.running) return;
      this.running = this.sweepAll()
        .catch((error) => this.logger.error(describeError(error)))
        .finally(() => (this.running = undefined));
    }, this.config.sweepIntervalSeconds * 1000);
    this.timer.unref();
  }

  // Before the database pool closes (TesseraModule.onApplicationShutdown).
  async beforeApplicationShutdown() {
    clearInterval(this.timer);
    await this.running;
  }

  /** Sweeps until nothing expired is left; returns counts per kind of row. */
  async sweepAll(): Promise<Record<string, number>> {
    const totals: Record<string, number> = {};
    for (const [kind, sweep] of this.tasks()) {
      let total = 0;
      for (;;) {
        const deleted = await sweep(this.config.sweepBatchSize);
        total += deleted;
        if (deleted < this.config.sweepBatchSize) break;
      }
      totals[kind] = total;
      if (total > 0) this.logger.log(`purged ${total} expired ${kind}`);
    }
    return totals;
  }

  private tasks(): Array<[string, (limit: number) => Promise<number>]> {
    // Sessions first: their attributes go with them by cascade, leaving fewer rows to sweep after.
    return [
      ['sessions', (limit) => this.sessions.sweepExpired(limit)],
      ['session attributes', (limit) => this.sessionAttrs.sweepExpired(limit)],
      ['user attributes', (limit) => this.userAttrs.sweepExpired(limit)],
      ['login counters', (limit) => this.loginLimits.sweepExpired(limit)],
      ['audit events', (limit) => this.audit.purgeExpired(limit)],
    ];
  }
}
