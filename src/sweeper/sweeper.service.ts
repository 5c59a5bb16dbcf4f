import { Inject, Injectable, Logger, OnApplicationBootstrap, BeforeApplicationShutdown } from '@nestjs/common';
import { describeError } from '../common/describe-error';
import { AdvisoryLeader } from '../database/advisory-leader';
import { TESSERA_CONFIG, TesseraConfig } from '../config/options';
import { SessionAttrService, UserAttrService } from '../attributes/attr.service';
import { SweptKind, TesseraMetrics } from '../metrics/tessera-metrics';
import { SignupService } from '../users/signup.service';
import { AuditService } from '../audit/audit.service';
import { LoginLimits } from '../auth/login-limits.service';
import { PasswordResetService } from '../auth/password-reset.service';
import { SessionsService } from '../sessions/sessions.service';

// The advisory lock whose holder sweeps (the migration lock is 7_215_301).
const SWEEPER_LOCK = 7_215_302;

/**
 * Deletes expired rows in the background, in batches of `SWEEP_BATCH_SIZE` so no statement holds
 * many locks for long; never on the request path. Of several instances on one database, one sweeps
 * at a time: the one holding the sweeper's advisory lock (AdvisoryLeader); the others try for the
 * lock at each interval and otherwise stay idle, so one takes over when the leader goes.
 */
@Injectable()
export class SweeperService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('Sweeper');
  private timer?: NodeJS.Timeout;
  private running?: Promise<unknown>;
  private readonly leader: AdvisoryLeader;

  constructor(
    private readonly sessions: SessionsService,
    private readonly sessionAttrs: SessionAttrService,
    private readonly userAttrs: UserAttrService,
    private readonly metrics: TesseraMetrics,
    private readonly loginLimits: LoginLimits,
    private readonly audit: AuditService,
    private readonly signups: SignupService,
    private readonly passwordResets: PasswordResetService,
    @Inject(TESSERA_CONFIG) private readonly config: TesseraConfig,
  ) {
    this.leader = new AdvisoryLeader(config.directDatabaseUrl, SWEEPER_LOCK);
  }

  /** Whether this instance is the one that sweeps. */
  get isLeader(): boolean {
    return this.leader.isLeader;
  }

  onApplicationBootstrap() {
    if (this.config.sweepIntervalSeconds === 0) return;
    this.timer = setInterval(() => {
      if (this.running) return;
      this.running = this.sweepIfLeader()
        .catch((error) => this.logger.error(describeError(error)))
        .finally(() => (this.running = undefined));
    }, this.config.sweepIntervalSeconds * 1000);
    this.timer.unref();
  }

  // Before the database pool closes (TesseraModule.onApplicationShutdown).
  async beforeApplicationShutdown() {
    clearInterval(this.timer);
    await this.running;
    await this.leader.release();
  }

  private async sweepIfLeader() {
    const wasLeader = this.leader.isLeader;
    if (!(await this.leader.tryLead())) return;
    if (!wasLeader) this.logger.log('this instance now sweeps expired rows (it holds the sweeper lock)');
    await this.sweepAll();
  }

  /** Sweeps until nothing expired is left; returns counts per kind of row. */
  async sweepAll(): Promise<Record<string, number>> {
    const totals: Record<string, number> = {};
    for (const [kind, metricKind, sweep] of this.tasks()) {
      let total = 0;
      for (;;) {
        const deleted = await sweep(this.config.sweepBatchSize);
        total += deleted;
        if (deleted > 0) this.metrics.sweptRows.inc({ kind: metricKind }, deleted);
        if (deleted < this.config.sweepBatchSize) break;
      }
      totals[kind] = total;
      if (total > 0) this.logger.log(`purged ${total} expired ${kind}`);
    }
    return totals;
  }

  private tasks(): Array<[string, SweptKind, (limit: number) => Promise<number>]> {
    // Sessions first: their attributes go with them by cascade, leaving fewer rows to sweep after.
    return [
      ['sessions', 'sessions', (limit) => this.sessions.sweepExpired(limit)],
      ['session attributes', 'session_attributes', (limit) => this.sessionAttrs.sweepExpired(limit)],
      ['user attributes', 'user_attributes', (limit) => this.userAttrs.sweepExpired(limit)],
      ['login counters', 'login_counters', (limit) => this.loginLimits.sweepExpired(limit)],
      ['audit events', 'audit_events', (limit) => this.audit.purgeExpired(limit)],
      ['sign-ups', 'signups', (limit) => this.signups.sweepExpired(limit)],
      ['password reset tokens', 'password_resets', (limit) => this.passwordResets.sweepExpired(limit)],
    ];
  }
}
