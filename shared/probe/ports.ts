/** What the probe loop depends on besides the core: the in-VPC sensor and a metrics sink. */
import type { CallOptions } from '../core/ports.js';
import type { TcpResult, TcpTarget } from './tcp.js';

/** The sensor's request and answer, as they travel in the Lambda payload. */
export interface SensorRequest {
  readonly targets: readonly TcpTarget[];
  readonly timeoutMs: number;
}

export interface SensorResponse {
  readonly results: readonly TcpResult[];
}

/** TCP probing from inside the VPC (the `sensor` function). Throws AwsCallError when it cannot be asked. */
export interface SensorPort {
  probe(request: SensorRequest, options?: CallOptions): Promise<SensorResponse>;
}

export type MetricUnit = 'Count' | 'Milliseconds' | 'None';

/** One CloudWatch datum. `values` carries many samples of one metric in one datum. */
export interface MetricDatum {
  readonly name: string;
  readonly unit: MetricUnit;
  readonly dimensions: Readonly<Record<string, string>>;
  readonly value?: number;
  readonly values?: readonly number[];
  /** Epoch ms. */
  readonly timestamp: number;
}

/** Sends a round's metrics in as few calls as the service allows. */
export interface MetricsPort {
  put(data: readonly MetricDatum[], options?: CallOptions): Promise<void>;
}
