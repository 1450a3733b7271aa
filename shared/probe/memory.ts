/**
 * What the probe keeps between runs: each node's rise/fall state, what each member's OS reported
 * of the group's VIP, and (economy mode) the sweep the last run sent and did not wait for.
 *
 * A warm execution environment keeps it in memory; the state table keeps a copy (one small item,
 * written when a verdict changes and at the end of each run, read at a cold start, and by failover
 * and on-event for the verdicts) so a new environment does not start every node unjudged, and a
 * run that was cut short does not lose what it had counted.
 */
import type { OsView, Verdict } from '../core/model.js';
import type { CallOptions, PendingCommand } from '../core/ports.js';
import type { PeerBatch } from './peers.js';
import { type NodeState, restoredState } from './verdicts.js';

/** A sweep sent by one run, to be read by the next. */
export interface PendingSweep {
  readonly command: PendingCommand;
  readonly batches: readonly PeerBatch[];
}

export interface ProbeMemory {
  readonly states: Map<string, NodeState>;
  readonly os: Map<string, OsView>;
  pending?: PendingSweep;
  /** Whether the stored copy was already read in this execution environment. */
  loaded?: boolean;
  /** The scheduled time of the last run here: Lambda may deliver a scheduled event twice. */
  lastScheduledAt?: number;
  /** Groups the last run found no sensor for in their VPC (sensors.ts), for status. */
  uncovered?: readonly string[];
  /** The verdicts this environment last handed to the state table, to save again only when one changes. */
  savedVerdicts?: Readonly<Record<string, Verdict>>;
}

export const newMemory = (): ProbeMemory => ({ states: new Map(), os: new Map() });

/** The stored copy: plain JSON. */
export interface StoredProbeState {
  /** When it was saved (epoch ms). */
  readonly savedAt: number;
  /** When the run that saved it started: a run never overwrites the state of a later one. */
  readonly runStartedAt: number;
  readonly states: Readonly<Record<string, NodeState>>;
  readonly os: Readonly<Record<string, OsView>>;
  /** Groups with no sensor in their VPC, as the run that saved it found them. */
  readonly uncovered?: readonly string[];
  readonly pending?: {
    readonly command: PendingCommand;
    readonly batches: readonly (Omit<PeerBatch, 'groupOf'> & { readonly groupOf: readonly (readonly [string, string])[] })[];
  };
}

/** Reads and writes the stored copy (the state table). */
export interface ProbeStatePort {
  load(options?: CallOptions): Promise<StoredProbeState | undefined>;
  /** Keeps `state` unless a run that started later already saved; then does nothing. */
  save(state: StoredProbeState, options?: CallOptions): Promise<void>;
}

export function toStored(memory: ProbeMemory, runStartedAt: number, savedAt: number): StoredProbeState {
  return {
    savedAt,
    runStartedAt,
    states: Object.fromEntries(memory.states),
    os: Object.fromEntries(memory.os),
    ...(memory.uncovered && memory.uncovered.length > 0 ? { uncovered: memory.uncovered } : {}),
    ...(memory.pending
      ? { pending: { command: memory.pending.command, batches: memory.pending.batches.map((b) => ({ ...b, groupOf: [...b.groupOf] })) } }
      : {}),
  };
}

/**
 * Fills `memory` from a stored copy that is at most `maxAgeMs` old. Older counters describe a
 * world that has moved on: the nodes then start unjudged, as before there was a copy. A NAT's
 * forwarding since the copy was saved is unknown: with `natChecks` (NATs have forwarding checks
 * to wait for), it is no target until checked again (verdicts.ts).
 */
export function restore(memory: ProbeMemory, stored: StoredProbeState | undefined, now: number, maxAgeMs: number, natChecks = true): boolean {
  if (!stored || now - stored.savedAt > maxAgeMs) return false;
  for (const [id, state] of Object.entries(stored.states)) {
    if (!memory.states.has(id)) memory.states.set(id, natChecks ? restoredState(state, stored.savedAt) : state);
  }
  for (const [id, view] of Object.entries(stored.os)) if (!memory.os.has(id)) memory.os.set(id, view);
  if (stored.pending && !memory.pending) {
    memory.pending = { command: stored.pending.command, batches: stored.pending.batches.map((b) => ({ ...b, groupOf: new Map(b.groupOf) })) };
  }
  return true;
}

/** What the probes last concluded, for a reader outside the probe (status). */
export interface ProbeView {
  readonly verdicts: Readonly<Record<string, Verdict>>;
  /** Why, for the members judged unhealthy. */
  readonly reasons: Readonly<Record<string, string>>;
  /** When the probe saved it (epoch ms). */
  readonly savedAt: number;
  /** Groups whose VPC has no sensor: their members are not probed by TCP. */
  readonly uncovered?: readonly string[];
}

/** The verdicts in a stored copy no older than `maxAgeMs`; undefined when there is none that fresh. */
export function probeView(stored: StoredProbeState | undefined, now: number, maxAgeMs: number): ProbeView | undefined {
  if (!stored || now - stored.savedAt > maxAgeMs) return undefined;
  const judged = Object.entries(stored.states).filter(([, s]) => s.verdict !== undefined);
  return {
    verdicts: Object.fromEntries(judged.map(([id, s]) => [id, s.verdict as Verdict])),
    reasons: Object.fromEntries(judged.filter(([, s]) => s.verdict === 'unhealthy').map(([id, s]) => [id, s.why])),
    savedAt: stored.savedAt,
    ...(stored.uncovered && stored.uncovered.length > 0 ? { uncovered: stored.uncovered } : {}),
  };
}
