/** The probe function's wiring: the core, the sensor over Lambda Invoke, metrics through the log, its state in the table. */
import { createProbeStateStore } from '../aws/dynamo.js';
import { createProbeRunLease } from '../aws/probe-run-lease.js';
import { ConfigError } from '../errors.js';
import { type Runtime, type RuntimeOptions, createRuntime } from '../runtime.js';
import { DEFAULT_PROBE_SETTINGS, type ProbeMemory, ProbeLoop } from './loop.js';
import type { ProbeStatePort } from './memory.js';
import type { ProbeRunLeasePort, SensorPort } from './ports.js';

export interface ProbeRuntime extends Runtime {
  readonly sensor: SensorPort;
  /** The probe's memory in the state table, for a cold start. */
  readonly state: ProbeStatePort;
  /** One run at a time (shared/probe/run-lease.ts). */
  readonly runLease: ProbeRunLeasePort;
}

/** @throws ConfigError when VPCF_SENSOR_FUNCTION is not set, or any other setting is bad. */
export function createProbeRuntime(options: RuntimeOptions): ProbeRuntime {
  const runtime = createRuntime(options);
  const { sensor } = runtime;
  if (runtime.config.probe.sensorFunction === undefined || !sensor) {
    throw new ConfigError('VPCF_SENSOR_FUNCTION is required by the probe function', { context: { key: 'VPCF_SENSOR_FUNCTION' } });
  }
  const { dynamodb } = options.clients;
  const { tableName } = runtime.config;
  return Object.freeze({ ...runtime, sensor, state: createProbeStateStore(dynamodb, tableName), runLease: createProbeRunLease(dynamodb, tableName) });
}

export function createProbeLoop(rt: ProbeRuntime, owner: string, memory: ProbeMemory): ProbeLoop {
  const { probe } = rt.config;
  return new ProbeLoop(
    {
      engine: rt.engine(owner),
      sensor: rt.sensor,
      host: rt.host,
      metrics: rt.metrics,
      state: rt.state,
      clock: rt.clock,
      log: rt.log,
      settings: {
        ...DEFAULT_PROBE_SETTINGS,
        mode: probe.mode,
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
