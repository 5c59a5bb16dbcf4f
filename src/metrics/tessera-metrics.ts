import { Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { PasswordHasher } from '../crypto/password-hasher.service';
import { Db } from '../database/db';

/** Kinds of rows the sweeper deletes, as the `kind` label of `tessera_sweeper_deleted_rows_total`. */
export type SweptKind = 'sessions' | 'session_attributes' | 'user_attributes' | 'login_counters' | 'audit_events' | 'signups' | 'password_resets';

/**
 * Tessera's Prometheus metrics, in a registry of its own: a host application's metrics (the global
 * default registry) are neither touched nor exposed. Labels carry only bounded, non-secret values
 * (route patterns, status codes, error codes, row kinds), never an id, name, value or token.
 */
@Injectable()
export class TesseraMetrics {
  readonly registry = new Registry();

  /** Observed once per response by the HTTP transport (`registerRequestMetrics`). */
  readonly requestDuration = new Histogram({
    name: 'tessera_http_request_duration_seconds',
    help: 'Time from request to response, by method, route pattern and status code',
    labelNames: ['method', 'route', 'status_code'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });

  readonly loginFailures = new Counter({
    name: 'tessera_login_failures_total',
    help: 'Refused logins, by error code (invalid_credentials, rate_limited, ...)',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });

  readonly sweptRows = new Counter({
    name: 'tessera_sweeper_deleted_rows_total',
    help: 'Expired rows deleted by the sweeper, by kind',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });

  constructor(db: Db, hasher: PasswordHasher) {
    // Read on scrape: nothing runs between scrapes.
    const gauge = (name: string, help: string, read: () => number) =>
      new Gauge({
        name,
        help,
        registers: [this.registry],
        collect() {
          this.set(read());
        },
      });
    gauge('tessera_db_pool_connections', 'Connections open in the Tessera database pool', () => db.pool.totalCount);
    gauge('tessera_db_pool_idle_connections', 'Idle connections in the Tessera database pool', () => db.pool.idleCount);
    gauge('tessera_db_pool_waiting_clients', 'Queries waiting for a connection of the Tessera database pool', () => db.pool.waitingCount);
    gauge('tessera_password_hash_running', 'Password hashes being computed now', () => hasher.runningCount);
    gauge('tessera_password_hash_queue_depth', 'Logins and password changes waiting for a hashing slot', () => hasher.queueDepth);
    // Process memory, CPU, event-loop lag, GC: prom-client's standard names (process_*, nodejs_*).
    collectDefaultMetrics({ register: this.registry });
  }

  /** The registry in Prometheus text format. */
  scrape(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
