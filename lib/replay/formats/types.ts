import type { AccessLogLine } from '../../../lambdas/log-feedback/access-log-format';

/** The log formats replay reads. */
export const LOG_FORMATS = ['gatewarden', 'apigw-json', 'apigw-clf', 'alb', 'cloudfront'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

/**
 * One recorded request, whatever format it came in. `recordedBy: 'gatewarden'` when the line was written by a stage
 * behind Gatewarden (its `riskBand` tells the authorizer's 401s from the backend's); `other` for logs from before
 * Gatewarden (every recorded status is then the backend's, or another authorizer's, answer).
 */
export interface ReplayLine extends AccessLogLine {
  readonly recordedBy: 'gatewarden' | 'other';
  /** The raw query string (without `?`), when the format records it (ALB, CloudFront). */
  readonly query?: string;
}

/** What a format records beyond method, path, status, time and client IP: decides what replay can judge. */
export interface FormatCapabilities {
  readonly userAgent: boolean;
  readonly query: boolean;
  /** The authenticated subject (authorizer principal). */
  readonly principal: boolean;
  readonly tokenHash: boolean;
  /** The route template (resource path / route key); without it, numeric path segments stand for `{id}`. */
  readonly route: boolean;
  /** The concrete path (API Gateway's CLF records only the route template). */
  readonly path: boolean;
}
