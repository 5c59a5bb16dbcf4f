import { ArgumentsHost, Catch, ExceptionFilter, Get, Injectable, ServiceUnavailableException, UseFilters } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { HealthCheckService, HealthIndicatorService } from '@nestjs/terminus';
import { Readiness } from '../health/readiness.service';
import { TesseraController } from './tessera-controller';

/** How long the readiness check waits for the database before it answers 503. */
export const READY_DB_TIMEOUT_MS = 2000;

/**
 * Terminus answers a failed check with a 503 whose body is the check's result; Tessera's filter
 * would turn any 5xx into `internal_error`, so these routes pass that answer through as it is.
 */
@Catch(ServiceUnavailableException)
@Injectable()
export class HealthUnavailableFilter implements ExceptionFilter {
  constructor(private readonly adapterHost: HttpAdapterHost) {}

  catch(exception: ServiceUnavailableException, host: ArgumentsHost): void {
    this.adapterHost.httpAdapter.reply(host.switchToHttp().getResponse(), exception.getResponse(), 503);
  }
}

/** `GET /health/live` and `GET /health/ready` for load balancers and orchestrators; no authentication. */
@TesseraController('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    private readonly readiness: Readiness,
  ) {}

  /** The process answers HTTP. Nothing else is checked, so a database outage never restarts it. */
  @Get('live')
  @UseFilters(HealthUnavailableFilter)
  live() {
    return this.health.check([]);
  }

  /** Not shutting down, database reachable, no pending Tessera migration; otherwise 503. */
  @Get('ready')
  @UseFilters(HealthUnavailableFilter)
  async ready() {
    const database = await this.readiness.checkDatabase(READY_DB_TIMEOUT_MS);
    const serving = this.indicators.check('serving');
    const db = this.indicators.check('database');
    const migrations = this.indicators.check('migrations');
    return this.health.check([
      () => (this.readiness.draining ? serving.down({ message: 'shutting down' }) : serving.up()),
      () => (database.reachable ? db.up() : db.down({ message: database.problem })),
      () => {
        if (!database.reachable) return migrations.down({ message: 'unknown while the database is unreachable' });
        const pending = database.pendingMigrations;
        return pending.length ? migrations.down({ message: 'pending migrations', pending }) : migrations.up();
      },
    ]);
  }
}
