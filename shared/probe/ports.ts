/** What the probe loop depends on besides the core: the in-VPC sensor and a metrics sink. */
import type { CallOptions } from '../core/ports.js';
import type { SensorRefusal } from './sensor-schema.js';
import type { TcpResult, TcpTarget } from './tcp.js';

/** The sensor's request and answer, as they travel in the Lambda payload. */
export interface SensorRequest {
  readonly targets: readonly TcpTarget[];
  readonly timeoutMs: number;
}

export interface SensorResponse {
  readonly results: readonly TcpResult[];
  /** Targets the sensor would not probe (past its schema), each named with the field and why. */
  readonly refused?: readonly SensorRefusal[];
}

/** TCP probing from inside the VPC (the `sensor` function). Throws AwsCallError when it cannot be asked. */
export interface SensorPort {
  probe(request: SensorRequest, options?: CallOptions): Promise<SensorResponse>;
}

export type { SensorRefusal } from './sensor-schema.js';
export type { MetricDatum, MetricUnit, MetricsPort } from '../core/ports.js';

/** Whether a probe run got the run lease, and, when not, who holds it until when (when the store says). */
export type RunClaim = { readonly granted: true } | { readonly granted: false; readonly holder?: string; readonly expiresAt?: number };

/**
 * Keeps scheduled probe runs from overlapping: one run at a time holds the lease, from its start
 * until it releases it or its expiry (the end of its invocation) passes.
 */
export interface ProbeRunLeasePort {
  /** Takes the lease for `owner` until `expiresAt` (epoch ms), unless another owner holds it at `now`. */
  claim(owner: string, now: number, expiresAt: number, options?: CallOptions): Promise<RunClaim>;
  /** Gives the lease up, if `owner` still holds it. */
  release(owner: string, now: number, options?: CallOptions): Promise<void>;
}
