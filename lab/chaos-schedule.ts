/**
 * The `chaos` scenario's fault schedule: the soak's seeded schedule (soak/schedule.ts), kept to the
 * faults the lab can make with real namespaces and to its two groups, and squeezed into minutes of
 * real time. Pure, so the mapping is a unit test.
 */
import type { NodeFault, ServiceFault } from '../sim/faults.js';
import { type ScheduledFault, type SoakFaultKind, buildSchedule } from '../soak/schedule.js';

/** A member of the lab's groups: the VIP pair (`web`) and the NAT pair (`egress`). */
export type LabSlot = 'web/a' | 'web/b' | 'egress/a' | 'egress/b';

export type LabFault = (NodeFault & { readonly node: LabSlot }) | ServiceFault;

export interface ChaosEntry extends Omit<ScheduledFault, 'fault'> {
  readonly fault: LabFault;
}

/** The faults the lab plays, and why each of the others is left to the soak. */
export const LAB_KINDS: ReadonlySet<SoakFaultKind> = new Set<SoakFaultKind>([
  'node-hang', 'node-crash', 'node-stop', 'node-reboot', 'nat-no-forward', 'link-loss', 'link-flap',
  'ssm-delay', 'ssm-undelivered', 'ec2-throttle', 'ec2-5xx', 'ec2-timeout', 'ec2-lag', 'ec2-lost-answer',
  'dynamo-throttle', 'dynamo-unavailable', 'event-loss', 'event-duplicate', 'event-late',
]);

export const LEFT_TO_THE_SOAK: Readonly<Partial<Record<SoakFaultKind, string>>> = {
  'node-terminate': 'the lab has no namespace for a replacement instance',
  'ssm-timeout': 'the lab runs SSM scripts for real, and they finish',
  'lambda-kill': 'the lab runs one warm probe environment; kills need the soak’s execution environments',
  'probe-overlap': 'as lambda-kill',
  'cold-start': 'as lambda-kill',
  'manual-failover': 'the lab wires no failover function',
  'tag-edit': 'left to the soak (a tag is read from the simulated EC2 alike in both)',
  'event-unenrolled': 'the lab’s clients are its only unenrolled instances, and they measure',
};

/** The longest a lab fault lasts, so that an hour sees many of them come and go. */
export const MAX_FAULT_MS = 4 * 60_000;

export interface ChaosScheduleOptions {
  readonly seed: number;
  readonly minutes: number;
}

const SLOTS: Readonly<Record<string, LabSlot>> = { 'vip-0/a': 'web/a', 'vip-0/b': 'web/b', 'nat-0/a': 'egress/a', 'nat-0/b': 'egress/b' };

/**
 * The schedule for `minutes` of chaos: faults from 30 s on, every fault over by the last quiet
 * stretch (a quarter of the run, at least 3 and at most 10 minutes) so that convergence shows.
 */
export function chaosSchedule(options: ChaosScheduleOptions): ChaosEntry[] {
  const horizonMs = options.minutes * 60_000;
  const quietMs = Math.min(10 * 60_000, Math.max(3 * 60_000, horizonMs / 4));
  const lastEnd = horizonMs - quietMs;
  // Denser than the soak's: about half of the soak's draws are about its two other groups or left out.
  const drawn = buildSchedule({ seed: options.seed, hours: options.minutes / 60, warmupMs: 30_000, quietMs, meanGapMs: 30_000 });
  const out: ChaosEntry[] = [];
  for (const entry of drawn) {
    const { fault } = entry;
    if (!LAB_KINDS.has(fault.kind)) continue;
    const durationMs = Math.max(0, Math.min(entry.durationMs, MAX_FAULT_MS, lastEnd - entry.at));
    if ('node' in fault) {
      const node = SLOTS[fault.node];
      if (node === undefined) continue;
      out.push({ ...entry, durationMs, fault: { ...fault, node } as LabFault });
      continue;
    }
    out.push({ ...entry, durationMs, fault: fault as LabFault });
  }
  return out;
}
