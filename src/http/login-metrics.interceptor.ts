import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import { Observable, tap } from 'rxjs';
import { TesseraMetrics } from '../metrics/tessera-metrics';
import { toErrorBody } from './exception.filter';

/**
 * Counts refused logins by their stable error code (`invalid_credentials`, `rate_limited`,
 * `validation_failed`, ...): a bounded set, and never the username.
 */
@Injectable()
export class LoginMetricsInterceptor implements NestInterceptor {
  constructor(private readonly metrics: TesseraMetrics) {}

  intercept(_context: ExecutionContext, next: CallHandler): Observable<unknown> {
    return next.handle().pipe(tap({ error: (error: unknown) => this.metrics.loginFailures.inc({ reason: toErrorBody(error).code }) }));
  }
}
