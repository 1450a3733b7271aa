/** Builds the probe loop from the runtime: the sensor over Lambda, metrics over CloudWatch, the core. */
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { createLambdaSensor } from '../aws/lambda-sensor.js';
import { createCloudWatchMetrics } from '../aws/metrics.js';
import { ConfigError } from '../errors.js';
import { type Runtime, clientOptions, sensorClientOptions } from '../runtime.js';
import { DEFAULT_PROBE_SETTINGS, type ProbeMemory, ProbeLoop } from './loop.js';

/** @throws ConfigError when VPCF_SENSOR_FUNCTION is not set. */
export function createProbeLoop(rt: Runtime, owner: string, memory: ProbeMemory): ProbeLoop {
  const { probe } = rt.config;
  if (probe.sensorFunction === undefined) {
    throw new ConfigError('VPCF_SENSOR_FUNCTION is required by the probe function', { context: { key: 'VPCF_SENSOR_FUNCTION' } });
  }
  const lambda = rt.clients.lambda ?? new LambdaClient(sensorClientOptions);
  const cloudwatch = rt.clients.cloudwatch ?? new CloudWatchClient(clientOptions);
  return new ProbeLoop(
    {
      engine: rt.engine(owner),
      sensor: createLambdaSensor(lambda, probe.sensorFunction),
      host: rt.host,
      metrics: createCloudWatchMetrics(cloudwatch, probe.metricsNamespace),
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
