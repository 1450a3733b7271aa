/** The probe loop's settings and what a run reports. */
import type { GroupResult } from '../core/engine.js';
import type { Verdict } from '../core/model.js';
import type { PeerProbeSettings } from './peer-probes.js';

export interface ProbeSettings extends PeerProbeSettings {
  /** `fast`: rounds every `intervalMs` for the whole run; `economy`: one round per run. */
  readonly mode?: 'fast' | 'economy';
  readonly intervalMs: number;
  /** The sensor's connect timeout. */
  readonly tcpTimeoutMs: number;
  /** The core is called at least this often, even when no verdict changed. */
  readonly engineEveryMs: number;
  /** A snapshot older than this is refreshed before the core is called with it. */
  readonly snapshotMaxAgeMs: number;
  /**
   * Rounds buffered per metrics flush. Each flush is one EMF line per dimension set, stamped with its
   * newest value's time (so a flush every 30 s still puts samples in every minute, for the
   * heartbeat). A move, a change in the groups without a healthy member, and the end of a run flush at once.
   */
  readonly metricsFlushRounds: number;
  /** How long a NAT marked not forwarding by the sensors behind it stays marked after its last failed check (behind.ts). */
  readonly egressHoldMs: number;
}

export const DEFAULT_PROBE_SETTINGS: ProbeSettings = Object.freeze({
  mode: 'fast',
  intervalMs: 2_000,
  fall: 2,
  rise: 3,
  tcpTimeoutMs: 1_000,
  sweepMs: 15_000,
  engineEveryMs: 10_000,
  snapshotMaxAgeMs: 30_000,
  ssmTimeoutMs: 8_000,
  egress: [],
  metricsFlushRounds: 15,
  egressHoldMs: 600_000,
});

/** A stored state older than this describes a world that has moved on; the nodes start unjudged. */
export const STATE_MAX_AGE_MS = 180_000;

export interface RunOptions {
  /** Aborts the AWS calls of the rounds at the run's end. */
  readonly signal?: AbortSignal;
  /** Bounds what happens after the rounds: the last flush, saving the state, releasing leases. */
  readonly settle?: AbortSignal;
}

export interface Move {
  readonly group: string;
  readonly from?: string;
  readonly to: string;
  readonly outcome: GroupResult['outcome'];
  /** From the start of the first failed round of the node moved away from, to the end of the move. */
  readonly detectionMs?: number;
}

export interface RoundReport {
  readonly index: number;
  readonly startedAt: number;
  readonly verdicts: Readonly<Record<string, Verdict>>;
  readonly engineCalled: boolean;
  readonly moves: readonly Move[];
}

export interface GroupSummary {
  readonly members: number;
  readonly healthy: number;
}

export interface RunSummary {
  readonly rounds: number;
  readonly engineCalls: number;
  readonly observes: number;
  readonly sweeps: number;
  readonly confirms: number;
  readonly moves: readonly Move[];
  /** Members and healthy members per group at the end of the run (the dashboard reads these from the log). */
  readonly groups: Readonly<Record<string, GroupSummary>>;
  /** The sensor's handshake times this run, median and largest, in ms. */
  readonly sensorMs?: { readonly p50: number; readonly max: number };
  /** Groups whose VPC has no sensor: their members were not probed by TCP (sensors.ts). */
  readonly uncovered?: readonly { readonly group: string; readonly vpcId: string }[];
}
