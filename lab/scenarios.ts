/**
 * The lab's scenarios: a fault, when the outcome is in, and whether it is the right one. Outcomes
 * are checked; timings are only measured and reported.
 */
import type { NatSide, VipSide } from './topology.js';
import { GROUPS, type LabGroup } from './topology.js';
import { LABELS, type Trial } from './trial.js';
import { LabError } from './errors.js';
import { DRILL_SCENARIO } from './scenario-drill.js';
import { NAT_GATEWAY_SCENARIO } from './scenario-nat-gateway.js';
import { SECOND_VPC_SCENARIO } from './scenario-second-vpc.js';

export const SCENARIO_NAMES = ['vip-silent', 'vip-planned', 'vip-os-missing', 'vip-remediate', 'nat-silent', 'nat-dead', 'nat-forward-drop', 'failback', 'all-down', 'flaky', 'drill', 'nat-gateway', 'vip2-silent'] as const;
export type ScenarioName = (typeof SCENARIO_NAMES)[number];

/** Whether the outcome is the expected one, and what happened in one line. */
export interface Check {
  readonly ok: boolean;
  readonly outcome: string;
}

/** The trial's moments, as the report gives them (epoch ms). */
export interface Figures {
  /** The fault (for `failback`: NAT a coming back). */
  readonly faultAt: number | undefined;
  /** The controller knew: a verdict, an event, a metric. */
  readonly detectedAt: number | undefined;
  /** The switch call (or the OS-side fix). */
  readonly switchAt: number | undefined;
  /** The node the fault is about, for the time breakdown. */
  readonly subject: string | undefined;
}

export interface Scenario {
  readonly name: ScenarioName;
  readonly summary: string;
  readonly inDefault: boolean;
  readonly groups: readonly LabGroup[];
  /** Tags on every member of the scenario's groups, beyond the fixtures' (`failover:remediate`, say). */
  readonly memberTags?: Readonly<Record<string, string>>;
  /** Also run the classic vip_monitor.sh on the same fault, as its own trials. */
  readonly baseline: boolean;
  /** The fault lands uniformly within this window after the warm-up (its phase against rounds and sweeps matters). */
  readonly jitterMs: number;
  /** The longest wait for the outcome after the fault. */
  readonly limitMs: number;
  /** How long to keep watching once the outcome is in. */
  readonly tailMs: number;
  /** The client label whose requests measure the outage. */
  readonly measure: string;
  /** Says what the fault is, for the timeline. */
  describe(t: Trial): string;
  /** Injects the fault; may go on while the trial waits (a stop, a recovery). */
  inject(t: Trial): Promise<void>;
  settled(t: Trial): boolean;
  check(t: Trial): Promise<Check>;
  figures(t: Trial): Figures;
}

/** How long an instance takes from `stopping` to its network going away (an OS shutdown). */
export const SHUTDOWN_DELAY_MS = 5_000;
/** How long NAT a stays away after the move in `failback` before it comes back. */
export const FAILBACK_RESTORE_AFTER_MS = 5_000;
/**
 * The longest the OS side may take to come back: the sweep that sees the loss (up to 15 s after
 * it), that sweep's SSM round trip, the next call to the core (up to 10 s: the report does not
 * wake it), and the activation. 20 trials put the repair at 13.8 s p50 and 20.9 s p99.
 */
const OS_MISSING_LIMIT_MS = 35_000;
/** Answers in a row that count as "answers again". */
const STEADY = 10;

const vipOf = (t: Trial): VipSide => t.topology.vip ?? fail('the scenario needs the vip group');
const natOf = (t: Trial): NatSide => t.topology.nat ?? fail('the scenario needs the nat group');
function fail(message: string): never {
  throw new LabError(message);
}

const faultAt = (t: Trial): number => t.marks.get('fault') ?? Number.POSITIVE_INFINITY;
const firstCall = (t: Trial, operations: readonly string[], since: number): number | undefined => t.ec2Mutations(since).find((c) => operations.includes(c.operation))?.at;
const SWITCH_VIP = ['AssignPrivateIpAddresses'];
const SWITCH_ROUTE = ['ReplaceRoute', 'CreateRoute'];

function unhealthyAt(t: Trial, id: string, since: number): number | undefined {
  return t.firstNote(id, 'unhealthy', since)?.at;
}

function verdict(ok: boolean, good: string, bad: string): Check {
  return { ok, outcome: ok ? good : bad };
}

/** The NAT group's tables that start on NAT a (its own AZ's and the NATAZ=any one). */
function routesOf(t: Trial): { a?: string; any?: string; b?: string } {
  const nat = natOf(t);
  const via = (table: string) => t.world.routeTarget(table, '0.0.0.0/0')?.instanceId;
  return { a: via(nat.routeTables.a), any: via(nat.routeTables.any), b: via(nat.routeTables.b) };
}

function vipMoved(name: 'vip-silent' | 'vip-planned' | 'vip-remediate'): Pick<Scenario, 'settled' | 'figures'> {
  return {
    settled: (t) => t.answeredBy(LABELS.vip, 'web-b', STEADY, faultAt(t)) && (name !== 'vip-planned' || t.marks.has('event:stopped')),
    figures: (t) => {
      const { a } = vipOf(t);
      const at = faultAt(t);
      const detectedAt = t.mode === 'baseline' ? t.marks.get('takeover') : name === 'vip-planned' ? t.marks.get('event:stopping') : unhealthyAt(t, a.instanceId, at);
      return { faultAt: at, detectedAt, switchAt: firstCall(t, SWITCH_VIP, at), subject: a.instanceId };
    },
  };
}

async function vipCheck(t: Trial): Promise<Check> {
  const { a, b, vip } = vipOf(t);
  const holder = t.world.vipHolder(vip);
  const answers = t.answeredBy(LABELS.vip, 'web-b', STEADY, faultAt(t));
  const moves = t.ec2Mutations(faultAt(t)).filter((c) => SWITCH_VIP.includes(c.operation)).length;
  if (holder !== b.instanceId) return { ok: false, outcome: `the VIP is still on ${t.nameOf(holder)} (${holder ?? 'none'}), not web-b` };
  if (!answers) return { ok: false, outcome: `the VIP is on web-b in EC2, but the client does not get web-b's answers (${(await t.osAddresses(b.instanceId)).join(' ')})` };
  if (moves !== 1) return { ok: false, outcome: `the VIP moved ${moves} times` };
  return { ok: true, outcome: `the VIP moved from web-a (${a.instanceId}) to web-b (${b.instanceId}), which answers` };
}

/**
 * A default scenario in which a fault on nat-a must move AZ a's tables (its own and the NATAZ=any
 * one) to nat-b, and nothing else; the scenarios differ only in the fault.
 */
function natFault(fault: Pick<Scenario, 'name' | 'summary' | 'jitterMs' | 'describe' | 'inject'>): Scenario {
  return { ...fault, inDefault: true, groups: ['nat'], baseline: false, limitMs: 45_000, tailMs: 2_000, measure: LABELS.natA, ...natMoved };
}

const natMoved: Pick<Scenario, 'settled' | 'check' | 'figures'> = {
  settled: (t) => t.answeredBy(LABELS.natA, 'nat-b', STEADY, faultAt(t)),
  async check(t) {
    const { a, b } = natOf(t);
    const routes = routesOf(t);
    if (routes.a !== b.instanceId || routes.any !== b.instanceId) {
      return { ok: false, outcome: `AZ-a tables still point at ${t.nameOf(routes.a)} and ${t.nameOf(routes.any)}, not nat-b` };
    }
    if (routes.b !== b.instanceId) return { ok: false, outcome: `the AZ-b table moved to ${t.nameOf(routes.b)}` };
    if (!t.answeredBy(LABELS.natA, 'nat-b', STEADY, faultAt(t))) return { ok: false, outcome: 'AZ-a tables point at nat-b, but the AZ-a client does not reach the echo server through it' };
    return { ok: true, outcome: `AZ-a tables moved from nat-a (${a.instanceId}) to nat-b (${b.instanceId}); the AZ-a client reaches the echo server through nat-b` };
  },
  figures: (t) => {
    const { a } = natOf(t);
    const at = faultAt(t);
    return { faultAt: at, detectedAt: unhealthyAt(t, a.instanceId, at), switchAt: firstCall(t, SWITCH_ROUTE, at), subject: a.instanceId };
  },
};

/** A NAT that drops whatever it should forward, in a table of its own beside its masquerade rule. */
export const FORWARD_DROP_RULESET = 'table inet vpcf_fwd {\n chain forward {\n  type filter hook forward priority 0; policy drop;\n }\n}';

/** Drops 1 % of what arrives over every link, in every namespace on the router (so each link, each way). */
export const LOSS_RULESET = 'table inet vpcf_loss {\n chain arrive {\n  type filter hook prerouting priority -300;\n  iifname != "lo" numgen random mod 100 == 0 drop\n }\n}';

/**
 * When the probe first wrote GroupsWithoutHealthyMember ≥ 1 after `since` (the line, not the
 * datum's round). The NAT group stays healthy in the scenarios that look, so it counts the VIP group.
 */
const noHealthyMemberAt = (t: Trial, since: number): number | undefined => {
  const flagged = (value: unknown) => (Array.isArray(value) ? value : [value]).some((v) => typeof v === 'number' && v >= 1);
  return t.metrics.find((m) => m.at >= since && flagged(m.doc['GroupsWithoutHealthyMember']))?.at;
};

export const SCENARIOS: readonly Scenario[] = [
  {
    name: 'vip-silent',
    summary: 'the VIP holder hangs (links down, no event): the probe detects it, the VIP moves',
    inDefault: true,
    groups: ['vip'],
    baseline: true,
    // vip_monitor.sh's cycle is 4 s (ping -c 3 for 2 s, then 2 s of sleep), the probe's 2 s: a
    // 4 s window puts the fault at a uniformly random phase of both loops.
    jitterMs: 4_000,
    limitMs: 30_000,
    tailMs: 2_000,
    measure: LABELS.vip,
    describe: () => 'web-a hangs: its links go down, EC2 says nothing',
    inject: (t) => t.hang(vipOf(t).a.instanceId),
    check: vipCheck,
    ...vipMoved('vip-silent'),
  },
  {
    name: 'vip-planned',
    summary: 'the VIP holder is stopped: the VIP moves on the stopping event, before its links go',
    inDefault: true,
    groups: ['vip'],
    baseline: false,
    jitterMs: 2_000,
    limitMs: 30_000,
    tailMs: 2_000,
    measure: LABELS.vip,
    describe: () => `web-a is stopped (links go down ${SHUTDOWN_DELAY_MS / 1000} s later, as the OS shuts down)`,
    inject: (t) => t.fabric?.stop(vipOf(t).a.instanceId, SHUTDOWN_DELAY_MS, (ms) => t.sleep(ms)) ?? Promise.resolve(),
    async check(t) {
      const moved = await vipCheck(t);
      if (!moved.ok) return moved;
      const switchAt = firstCall(t, SWITCH_VIP, faultAt(t)) ?? Number.POSITIVE_INFINITY;
      const linksDown = t.marks.get('links-down') ?? Number.NEGATIVE_INFINITY;
      return verdict(switchAt < linksDown, `${moved.outcome}; moved on the stopping event, ${((linksDown - switchAt) / 1000).toFixed(1)} s before the links went`, 'the VIP moved only after web-a\'s links went down');
    },
    ...vipMoved('vip-planned'),
  },
  {
    name: 'vip-os-missing',
    summary: "the VIP is on the holder's ENI but missing from its OS: put back after the next sweep, no move",
    inDefault: true,
    groups: ['vip'],
    baseline: false,
    jitterMs: 15_000,
    limitMs: OS_MISSING_LIMIT_MS,
    tailMs: 2_000,
    measure: LABELS.vip,
    describe: (t) => `${vipOf(t).vip} disappears from web-a's OS (still assigned to its ENI in EC2)`,
    inject: async (t) => {
      await t.namespaces.mustExec('web-a', ['ip', '-4', 'addr', 'flush', 'dev', 'eth0', 'to', `${vipOf(t).vip}/32`]);
    },
    settled: (t) => t.answeredBy(LABELS.vip, 'web-a', STEADY, faultAt(t)),
    async check(t) {
      const { a, vip } = vipOf(t);
      const up = (await t.osAddresses(a.instanceId)).includes(vip);
      const moves = t.ec2Mutations(faultAt(t)).length;
      const activations = t.scriptRuns.filter((r) => r.kind === 'activate-ip' && r.instanceId === a.instanceId && r.startedAt >= faultAt(t)).length;
      if (!up) {
        const why = activations === 0 ? 'no activation ran on web-a' : `${activations} activation(s) ran but it is not up`;
        return { ok: false, outcome: `VIP ${vip} still missing from ${a.instanceId} (web-a) OS after ${OS_MISSING_LIMIT_MS / 1000} s; ${why}` };
      }
      return verdict(moves === 0, `${vip} is back in web-a's OS with no move`, `${vip} is back, but EC2 was changed ${moves} times`);
    },
    figures: (t) => {
      const { a } = vipOf(t);
      const at = faultAt(t);
      const fix = t.scriptRuns.find((r) => r.kind === 'activate-ip' && r.instanceId === a.instanceId && r.startedAt >= at && r.exitCode === 0);
      return { faultAt: at, detectedAt: fix?.startedAt, switchAt: fix?.endedAt, subject: a.instanceId };
    },
  },
  {
    name: 'vip-remediate',
    summary: 'the VIP holder hangs in a group tagged failover:remediate=reboot: the VIP moves, then the hung node is rebooted and comes back without it',
    inDefault: true,
    groups: ['vip'],
    memberTags: { 'failover:remediate': 'reboot' },
    baseline: false,
    jitterMs: 2_000,
    limitMs: 45_000,
    tailMs: 2_000,
    measure: LABELS.vip,
    describe: () => 'web-a hangs: its links go down, EC2 says nothing (members tagged failover:remediate=reboot)',
    inject: (t) => t.hang(vipOf(t).a.instanceId),
    settled: (t) => {
      const back = t.marks.get('rebooted');
      return back !== undefined && t.firstNote(vipOf(t).a.instanceId, 'healthy', back) !== undefined && t.answeredBy(LABELS.vip, 'web-b', STEADY, faultAt(t));
    },
    async check(t) {
      const moved = await vipCheck(t);
      if (!moved.ok) return moved;
      const { a, vip } = vipOf(t);
      const since = faultAt(t);
      const switchAt = firstCall(t, SWITCH_VIP, since) ?? Number.POSITIVE_INFINITY;
      const reboots = t.ec2Mutations(since).filter((c) => c.operation === 'RebootInstances');
      const fenced = reboots.map((c) => (c.input['InstanceIds'] as string[] | undefined)?.join(',')).join(' ');
      if (reboots.length !== 1 || fenced !== a.instanceId) return verdict(false, '', `expected one RebootInstances of web-a, got ${reboots.length} (${fenced})`);
      const rebootAt = reboots[0]?.at ?? Number.NEGATIVE_INFINITY;
      if (rebootAt < switchAt) return verdict(false, '', 'web-a was rebooted before the VIP moved off it');
      const back = t.marks.get('rebooted');
      if (back === undefined || !t.firstNote(a.instanceId, 'healthy', back)) return verdict(false, '', 'web-a did not come back healthy after the reboot');
      const stale = (await t.osAddresses(a.instanceId)).includes(vip);
      return verdict(
        !stale,
        `${moved.outcome}; web-a rebooted ${((rebootAt - switchAt) / 1000).toFixed(1)} s after the move, healthy again ${((back - rebootAt) / 1000).toFixed(1)} s later without ${vip} in its OS`,
        `web-a came back from the reboot with ${vip} still in its OS`,
      );
    },
    figures: vipMoved('vip-remediate').figures,
  },
  natFault({
    name: 'nat-silent',
    summary: 'NAT a answers ping and TCP but stops forwarding (masquerade removed): AZ-a tables move to NAT b',
    jitterMs: 15_000,
    describe: () => "nat-a's masquerade rule is removed: it answers, but forwards untranslated",
    inject: (t) => t.namespaces.clearNft('nat-a'),
  }),
  natFault({
    name: 'nat-dead',
    summary: "NAT a's links go down: AZ-a tables move to NAT b",
    jitterMs: 2_000,
    describe: () => 'nat-a hangs: its links go down, EC2 says nothing',
    inject: (t) => t.hang(natOf(t).a.instanceId),
  }),
  natFault({
    name: 'nat-forward-drop',
    summary: 'NAT a keeps its masquerade rule, answers and reaches out, but drops what it forwards: AZ-a tables move to NAT b',
    jitterMs: 2_000,
    describe: () => "nat-a drops forwarded packets (nft forward chain, policy drop); its masquerade rule, its own egress and its TCP service are untouched",
    // Added beside the masquerade table (nft() would replace it): the NAT's own checks still pass.
    inject: (t) => t.namespaces.mustExec('nat-a', ['sh', '-c', 'printf "%s\\n" "$1" | nft -f -', 'sh', FORWARD_DROP_RULESET]).then(() => undefined),
  }),
  {
    name: 'failback',
    summary: "NAT a comes back healthy: its AZ's table returns to it, once, after the cooldown",
    inDefault: true,
    groups: ['nat'],
    baseline: false,
    jitterMs: 2_000,
    limitMs: 150_000,
    tailMs: 10_000,
    measure: LABELS.natA,
    describe: () => `nat-a hangs, then comes back ${FAILBACK_RESTORE_AFTER_MS / 1000} s after the move`,
    async inject(t) {
      const { a } = natOf(t);
      await t.hang(a.instanceId);
      const moved = await t.waitFor(() => t.answeredBy(LABELS.natA, 'nat-b', STEADY, faultAt(t)), 45_000);
      if (!moved) return;
      await t.sleep(FAILBACK_RESTORE_AFTER_MS);
      await t.unhang(a.instanceId);
      t.mark('restored', t.now());
      t.timeline.add(t.now(), 'fault', 'nat-a comes back: links up, reachable again');
    },
    settled: (t) => {
      const restored = t.marks.get('restored');
      return restored !== undefined && firstCall(t, SWITCH_ROUTE, restored) !== undefined && t.answeredBy(LABELS.natA, 'nat-a', STEADY, restored);
    },
    async check(t) {
      const { a } = natOf(t);
      const restored = t.marks.get('restored');
      if (restored === undefined) return { ok: false, outcome: 'the AZ-a tables never moved to nat-b, so nothing could fail back' };
      const { routeTables } = natOf(t);
      const routes = routesOf(t);
      const after = t.ec2Mutations(restored).filter((c) => SWITCH_ROUTE.includes(c.operation));
      const away = firstCall(t, SWITCH_ROUTE, faultAt(t)) ?? 0;
      const cooldown = (after[0]?.at ?? 0) - away;
      if (routes.a !== a.instanceId) return { ok: false, outcome: `the AZ-a table points at ${t.nameOf(routes.a)} after nat-a came back` };
      // A NATAZ=any table prefers no AZ: moving it back would be a second disruption for nothing.
      if (routes.any !== natOf(t).b.instanceId) return { ok: false, outcome: `the NATAZ=any table moved back to ${t.nameOf(routes.any)} although no AZ prefers it` };
      const once = after.length === 1 && after[0]?.input['RouteTableId'] === routeTables.a && after[0]?.input['NetworkInterfaceId'] === a.networkInterfaceId;
      if (!once) return { ok: false, outcome: `${after.length} route changes after nat-a came back; expected one, of the AZ-a table to nat-a` };
      if (cooldown < 60_000) return { ok: false, outcome: `failed back ${(cooldown / 1000).toFixed(1)} s after the move, inside the 60 s cooldown` };
      return verdict(
        t.answeredBy(LABELS.natA, 'nat-a', STEADY, restored),
        `the AZ-a table returned to nat-a once, ${(cooldown / 1000).toFixed(1)} s after the move (cooldown 60 s); NATAZ=any stays on nat-b`,
        'the AZ-a table returned to nat-a, but the AZ-a client does not reach the echo server through it',
      );
    },
    figures: (t) => {
      const { a } = natOf(t);
      const restored = t.marks.get('restored');
      if (restored === undefined) return { faultAt: undefined, detectedAt: undefined, switchAt: undefined, subject: a.instanceId };
      return { faultAt: restored, detectedAt: t.firstNote(a.instanceId, 'healthy', restored)?.at, switchAt: firstCall(t, SWITCH_ROUTE, restored), subject: a.instanceId };
    },
  },
  {
    name: 'all-down',
    summary: 'every member of the VIP group hangs: no move, and GroupsWithoutHealthyMember says so',
    inDefault: true,
    groups: ['vip'],
    baseline: false,
    jitterMs: 2_000,
    limitMs: 20_000,
    tailMs: 0,
    measure: LABELS.vip,
    describe: () => 'web-a and web-b hang: links down, EC2 says nothing',
    inject: async (t) => {
      const { a, b } = vipOf(t);
      await Promise.all([t.hang(a.instanceId), t.hang(b.instanceId)]);
    },
    settled: () => false,
    async check(t) {
      const { a, vip } = vipOf(t);
      const moves = t.ec2Mutations(faultAt(t)).length;
      const flagged = noHealthyMemberAt(t, faultAt(t));
      if (moves > 0) return { ok: false, outcome: `EC2 was changed ${moves} times with no healthy member` };
      if (t.world.vipHolder(vip) !== a.instanceId) return { ok: false, outcome: 'the VIP left web-a' };
      return verdict(flagged !== undefined, `no move; GroupsWithoutHealthyMember counts group ${GROUPS.vip}`, `no move, but GroupsWithoutHealthyMember never counted group ${GROUPS.vip}`);
    },
    figures: (t) => ({ faultAt: faultAt(t), detectedAt: noHealthyMemberAt(t, faultAt(t)), switchAt: undefined, subject: vipOf(t).a.instanceId }),
  },
  {
    name: 'flaky',
    summary: '1 % packet loss on every link for 10 minutes, no fault: no move at all',
    inDefault: false,
    groups: ['vip', 'nat'],
    baseline: false,
    jitterMs: 0,
    limitMs: 600_000,
    tailMs: 0,
    measure: LABELS.vip,
    describe: () => '1 % loss on every link, each way, for 10 minutes',
    async inject(t) {
      const names = ['router', 'internet', ...t.topology.hosts.map((h) => h.name)];
      await Promise.all(names.map((name) => t.namespaces.mustExec(name, ['sh', '-c', 'printf "%s\\n" "$1" | nft -f -', 'sh', LOSS_RULESET])));
    },
    settled: () => false,
    async check(t) {
      const moves = t.ec2Mutations(faultAt(t));
      return verdict(moves.length === 0, 'no move in 10 minutes of 1 % loss', `${moves.length} EC2 changes under loss alone: ${moves.map((c) => c.operation).join(', ')}`);
    },
    figures: (t) => ({ faultAt: faultAt(t), detectedAt: undefined, switchAt: firstCall(t, [...SWITCH_VIP, ...SWITCH_ROUTE], faultAt(t)), subject: undefined }),
  },
  DRILL_SCENARIO,
  NAT_GATEWAY_SCENARIO,
  SECOND_VPC_SCENARIO,
];

export function scenario(name: string): Scenario {
  const found = SCENARIOS.find((s) => s.name === name);
  if (!found) throw new LabError(`unknown scenario '${name}'`);
  return found;
}
