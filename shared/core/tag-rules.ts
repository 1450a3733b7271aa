/**
 * One validator per tag value. Each takes the raw value (already trimmed) and answers either the
 * parsed value or a problem that names the tag, so a person reading `status` knows which tag on
 * which resource to fix. Discovery calls them; nothing else interprets a tag value.
 */
import type { FailbackPolicy } from './model.js';
import { type GroupChecks, MAX_COOLDOWN_SECONDS, MAX_PORTS_PER_MEMBER, MAX_PROBE_CHECKS, MAX_SCRIPT_CHECKS, groupProbeChecks } from './limits.js';
import { TAG } from './tags.js';
import { isIpv4, isPort, parseCidr } from './validate.js';

/** A tag value read: the value, or the problem that names the tag. */
export type Parsed<T> = { readonly value: T } | { readonly problem: string };

const ok = <T>(value: T): Parsed<T> => ({ value });
const bad = (problem: string): Parsed<never> => ({ problem });

/** What is done to a member the probes judged down while EC2 says it runs (`failover:remediate`). */
export type RemediationPolicy = 'off' | 'reboot' | 'stop-start' | 'replace';
export const REMEDIATIONS: readonly RemediationPolicy[] = ['off', 'reboot', 'stop-start', 'replace'];

/** `failover:group`: what IAM conditions and DynamoDB keys can carry safely. */
export const parseGroupName = (raw: string): Parsed<string> =>
  /^[A-Za-z0-9_.:-]{1,64}$/.test(raw) ? ok(raw) : bad(`tag ${TAG.group} must be 1 to 64 of A-Z a-z 0-9 _ . : -, got '${raw}'`);

export const parsePriority = (raw: string): Parsed<number> =>
  /^\d{1,6}$/.test(raw) ? ok(Number(raw)) : bad(`tag ${TAG.priority} must be a non-negative integer, got '${raw}'`);

/** `failover:ports`: distinct TCP ports, at most as many as the sensor takes for one target. */
export function parsePorts(raw: string): Parsed<number[]> {
  const parts = raw.split(',').map((p) => p.trim());
  const ports = parts.map(Number);
  if (parts.some((p) => !/^\d+$/.test(p)) || !ports.every(isPort)) return bad(`tag ${TAG.ports} must be comma-separated TCP ports, got '${raw}'`);
  if (ports.length > MAX_PORTS_PER_MEMBER) return bad(`tag ${TAG.ports} lists ${ports.length} ports; at most ${MAX_PORTS_PER_MEMBER} (the sensor's limit per target)`);
  return ok(ports);
}

export const parseFailback = (raw: string): Parsed<FailbackPolicy> =>
  raw === 'auto' || raw === 'manual' ? ok(raw) : bad(`tag ${TAG.failback} must be 'auto' or 'manual', got '${raw}'`);

export function parseCooldown(raw: string): Parsed<number> {
  if (!/^\d{1,6}$/.test(raw)) return bad(`tag ${TAG.cooldown} must be a number of seconds, got '${raw}'`);
  const seconds = Number(raw);
  return seconds <= MAX_COOLDOWN_SECONDS ? ok(seconds * 1000) : bad(`tag ${TAG.cooldown} must be at most ${MAX_COOLDOWN_SECONDS} seconds, got '${raw}'`);
}

export function parseRemediation(raw: string): Parsed<RemediationPolicy> {
  const found = REMEDIATIONS.find((r) => r === raw);
  return found ? ok(found) : bad(`tag ${TAG.remediate} must be one of ${REMEDIATIONS.join(', ')}, got '${raw}'`);
}

export const parseVip = (raw: string): Parsed<string> => (isIpv4(raw) ? ok(raw) : bad(`tag ${TAG.vip} must be an IPv4 address, got '${raw}'`));

/** `failover:eip`: an allocation ID, `eipalloc-` and 8 or 17 lower-case hex digits, as EC2 issues them. */
export const parseAllocationId = (raw: string): Parsed<string> =>
  /^eipalloc-([0-9a-f]{8}|[0-9a-f]{17})$/.test(raw) ? ok(raw) : bad(`tag ${TAG.eip} must be an allocation ID (eipalloc- and 8 or 17 hex digits), got '${raw}'`);

/** `failover:overlay-ip`: an IPv4 /32, with or without the suffix. */
export function parseOverlayIp(raw: string): Parsed<string> {
  const cidr = raw.includes('/') ? raw : `${raw}/32`;
  return parseCidr(cidr)?.prefixLength === 32 ? ok(cidr) : bad(`tag ${TAG.overlayIp} must be an IPv4 /32, got '${raw}'`);
}

const REGION = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/;
export const isRegionName = (value: string): boolean => REGION.test(value);

/**
 * The zone names EC2 gives within a Region: an Availability Zone is the Region and a letter
 * (`us-east-1a`); a Local Zone adds a location and a number (`us-west-2-lax-1a`); a Wavelength Zone
 * its carrier's (`us-east-1-wl1-bos-wlz-1`).
 */
const zoneSuffix = /^([a-z]|-[a-z]{2,10}-\d{1,2}[a-z]|-wl\d{1,2}-[a-z]{2,10}-wlz-\d{1,2})$/;

/** Whether `value` names a zone of `region` (of any Region when it is not known). */
export function isZoneName(value: string, region?: string): boolean {
  if (region !== undefined) return value.startsWith(region) && zoneSuffix.test(value.slice(region.length));
  const match = /^([a-z]{2}(?:-[a-z]+)+-\d{1,2})(.*)$/.exec(value);
  return match !== null && zoneSuffix.test(match[2] ?? '');
}

/**
 * `NATAZ` on a route table: `any`, or a zone of the deployment's Region. A value that is neither is
 * refused, never read as "no preferred zone", so a typo cannot send an AZ's traffic across zones.
 */
export function parseNatAz(raw: string, routeTableId: string, region?: string): Parsed<string> {
  if (raw === 'any' || isZoneName(raw, region)) return ok(raw);
  const zone = region === undefined ? 'an Availability Zone name' : `an Availability Zone of ${region}`;
  return bad(`${routeTableId}: tag ${TAG.natAz} must be 'any' or ${zone} (such as ${region ?? 'us-east-1'}a), got '${raw}'`);
}

/**
 * The group's probe cost against the script's limits: a group past them would make the SSM sweep
 * refuse its script (and with it every group sharing the command), so discovery refuses it first.
 */
export function checkProbeBudget(kind: 'vip' | 'eip' | 'nat' | 'overlay', memberPorts: readonly (readonly number[])[]): string | undefined {
  const cost: GroupChecks = groupProbeChecks(kind, memberPorts);
  if (cost.perProber <= MAX_PROBE_CHECKS && cost.total <= MAX_SCRIPT_CHECKS) return undefined;
  return (
    `tag ${TAG.ports}: ${memberPorts.length} members probing each other on these ports need ${cost.perProber} checks per member and ${cost.total} in all; ` +
    `the probe script takes at most ${MAX_PROBE_CHECKS} per member and ${MAX_SCRIPT_CHECKS} per group (fewer ports or fewer members)`
  );
}
