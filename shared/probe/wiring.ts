/** The probe function's wiring: the core, the sensor over Lambda Invoke, metrics through the log, its state in the table. */
import { createProbeStateStore } from '../aws/dynamo.js';
import { createProbeRunLease } from '../aws/probe-run-lease.js';
import { createSensorFleet } from '../aws/sensor-fleet.js';
import { ConfigError } from '../errors.js';
import { type Runtime, type RuntimeOptions, createRuntime } from '../runtime.js';
import { DEFAULT_PROBE_SETTINGS, type ProbeMemory, ProbeLoop } from './loop.js';
import type { ProbeStatePort } from './memory.js';
import type { ProbeRunLeasePort, SensorPort } from './ports.js';
import type { SensorFleetPort } from './sensors.js';

export interface ProbeRuntime extends Runtime {
  readonly sensor: SensorPort;
  /** The probe's memory in the state table, for a cold start. */
  readonly state: ProbeStatePort;
  /** One run at a time (shared/probe/run-lease.ts). */
  readonly runLease: ProbeRunLeasePort;
  /** Every sensor and where Lambda runs it: the main one and the fleet (shared/probe/sensors.ts). */
  readonly fleet: SensorFleetPort;
}

/** @throws ConfigError when VPCF_SENSOR_FUNCTION is not set, or any other setting is bad. */
export function createProbeRuntime(options: RuntimeOptions): ProbeRuntime {
  const runtime = createRuntime(options);
  const { sensor } = runtime;
  if (runtime.config.probe.sensorFunction === undefined || !sensor) {
    throw new ConfigError('VPCF_SENSOR_FUNCTION is required by the probe function', { context: { key: 'VPCF_SENSOR_FUNCTION' } });
  }
  const { dynamodb, lambda, ec2 } = options.clients;
  const { tableName, probe } = runtime.config;
  // The lambda client exists: the sensor above was built on it.
  const fleet = createSensorFleet(lambda as NonNullable<typeof lambda>, ec2, { main: probe.sensorFunction, fleet: probe.sensorFleet, clock: runtime.clock });
  return Object.freeze({ ...runtime, sensor, fleet, state: createProbeStateStore(dynamodb, tableName), runLease: createProbeRunLease(dynamodb, tableName) });
}

export function createProbeLoop(rt: ProbeRuntime, owner: string, memory: ProbeMemory): ProbeLoop {
  const { probe } = rt.config;
  return new ProbeLoop(
    {
      engine: rt.engine(owner),
      sensor: rt.sensor,
      fleet: rt.fleet,
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
