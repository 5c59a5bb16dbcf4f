import { Get, Header, Inject, Req } from '@nestjs/common';
import { createHash, timingSafeEqual } from 'node:crypto';
import { Registry } from 'prom-client';
import { TesseraError } from '../common/tessera-error';
import { TESSERA_CONFIG, TesseraConfig } from '../config/options';
import { TesseraMetrics } from '../metrics/tessera-metrics';
import { HttpRequest } from './bearer';
import { TesseraController } from './tessera-controller';

const digest = (text: string) => createHash('sha256').update(text, 'utf8').digest();

/** `GET /metrics` in Prometheus text format; with `metricsToken` set, only for `Bearer <metricsToken>`. */
@TesseraController('metrics')
export class MetricsController {
  private readonly tokenDigest?: Buffer;

  constructor(
    private readonly metrics: TesseraMetrics,
    @Inject(TESSERA_CONFIG) config: TesseraConfig,
  ) {
    if (config.metricsToken) this.tokenDigest = digest(config.metricsToken);
  }

  @Get()
  @Header('Content-Type', Registry.PROMETHEUS_CONTENT_TYPE)
  scrape(@Req() request: HttpRequest): Promise<string> {
    if (this.tokenDigest) this.checkToken(request);
    return this.metrics.scrape();
  }

  private checkToken(request: HttpRequest): void {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '');
    // Comparing digests of equal length in constant time: neither the token's characters nor its
    // length leak through the time a wrong guess takes.
    if (!match || !timingSafeEqual(digest(match[1]), this.tokenDigest!)) {
      throw new TesseraError('metrics_unauthorized', 'metrics require Authorization: Bearer <METRICS_TOKEN>');
    }
  }
}
