/**
 * Limits that discovery checks and the probe enforces: one number, one place. A group that passes
 * discovery fits every one of them, so no group's tags can make the probe refuse a request or a
 * script that other groups share.
 */

/**
 * Ports one member may list in `failover:ports`: the sensor's request schema refuses a target with
 * more (shared/probe/sensor-schema.ts), and with it the whole request.
 */
export const MAX_PORTS_PER_MEMBER = 20;

/**
 * Checks one prober's block may hold. SSM returns only the first 24,000 characters of stdout and a
 * line is at most about 110 characters, so more checks than this could be cut off and silently read
 * as "no result" (shared/probe/script.ts refuses more).
 */
export const MAX_PROBE_CHECKS = 150;

/**
 * Checks in one block-script, all blocks together. SSM sends the same script to every instance of a
 * command, so its size grows with the sum of the blocks; this keeps it near 30 KB at most (about
 * 60 bytes a check, plus the prelude and a header per block), well inside what SendCommand takes.
 * One group's blocks always travel in one script, so one group must fit in it alone.
 */
export const MAX_SCRIPT_CHECKS = 300;

/** Egress endpoints a deployment may configure (VPCF_EGRESS_ENDPOINTS): each is one check in every NAT prober's block. */
export const MAX_EGRESS_ENDPOINTS = 4;

/** `failover:cooldown` in seconds: at most a day, so a tag cannot freeze a group's failover for longer. */
export const MAX_COOLDOWN_SECONDS = 86_400;

/** The probe checks one group costs, per prober block (the largest) and in all its blocks together. */
export interface GroupChecks {
  readonly perProber: number;
  readonly total: number;
}

/**
 * What the SSM sweep of one group costs at most, counted as shared/probe/peers.ts and script.ts
 * count it. Every member probes every other member that is a target (a member with ports, or any
 * member of a NAT group): one ICMP check plus one TCP check per distinct port. On top, a NAT
 * prober checks its own egress (one per endpoint, at most MAX_EGRESS_ENDPOINTS) and forwarding
 * configuration (one), and a VIP prober reports whether the VIP is on its interfaces (one).
 */
export function groupProbeChecks(kind: 'vip' | 'eip' | 'nat' | 'overlay', memberPorts: readonly (readonly number[])[]): GroupChecks {
  const nat = kind === 'nat';
  const costs = memberPorts.map((ports) => (ports.length > 0 || nat ? 1 + new Set(ports).size : 0));
  const all = costs.reduce((n, c) => n + c, 0);
  const own = nat ? MAX_EGRESS_ENDPOINTS + 1 : kind === 'vip' ? 1 : 0;
  const blocks = costs.map((c) => all - c + own);
  return { perProber: Math.max(0, ...blocks), total: blocks.reduce((n, b) => n + b, 0) };
}
