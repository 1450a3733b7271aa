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
