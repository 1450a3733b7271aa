/** The probe function's wiring: the core, the sensor over Lambda Invoke, metrics over CloudWatch. */
import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { LambdaClient } from '@aws-sdk/client-lambda';
import { createLambdaSensor } from '../aws/lambda-sensor.js';
import { createCloudWatchMetrics } from '../aws/metrics.js';
import type { Clock } from '../core/ports.js';
import type { Log } from '../core/engine.js';
import { ConfigError } from '../errors.js';
import { type CoreClients, type Runtime, createRuntime } from '../runtime.js';
import { DEFAULT_PROBE_SETTINGS, type ProbeMemory, ProbeLoop } from './loop.js';
import type { MetricsPort, SensorPort } from './ports.js';

export interface ProbeRuntime extends Runtime {
  readonly sensor: SensorPort;
  readonly metrics: MetricsPort;
}

/** @throws ConfigError when VPCF_SENSOR_FUNCTION is not set, or any other setting is bad. */
export function createProbeRuntime(options: {
  env: Readonly<Record<string, string | undefined>>;
  clients: CoreClients & { readonly lambda: LambdaClient; readonly cloudwatch: CloudWatchClient };
  clock?: Clock;
  log?: Log;
}): ProbeRuntime {
  const runtime = createRuntime(options);
  const { probe } = runtime.config;
  if (probe.sensorFunction === undefined) {
    throw new ConfigError('VPCF_SENSOR_FUNCTION is required by the probe function', { context: { key: 'VPCF_SENSOR_FUNCTION' } });
  }
  return Object.freeze({
    ...runtime,
    sensor: createLambdaSensor(options.clients.lambda, probe.sensorFunction),
    metrics: createCloudWatchMetrics(options.clients.cloudwatch, probe.metricsNamespace),
  });
}

export function createProbeLoop(rt: ProbeRuntime, owner: string, memory: ProbeMemory): ProbeLoop {
  const { probe } = rt.config;
  return new ProbeLoop(
    {
      engine: rt.engine(owner),
      sensor: rt.sensor,
      host: rt.host,
      metrics: rt.metrics,
      clock: rt.clock,
      log: rt.log,
      settings: {
        ...DEFAULT_PROBE_SETTINGS,
        intervalMs: probe.intervalMs,
        fall: probe.fall,
        rise: probe.rise,
        tcpTimeoutMs: probe.tcpTimeoutMs,
        sweepMs: probe.sweepMs,
        egress: probe.egress,
        forwardingCheck: probe.forwardingCheck,
      },
    },
    memory,
  );
}
