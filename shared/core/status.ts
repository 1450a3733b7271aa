/**
 * The `status` view: every group (or one) with its members' health, its holders, its problems,
 * its last move and its recent journal, built from one observe and, concurrently, two reads of the
 * table and (when wired) one read of the members' SSM agents: peer confirmation and the VIP's OS
 * side both go through SSM, so a group whose members cannot be reached by it is said to have no SSM path.
 */
import { FailoverError } from '../errors.js';
import type { Discovery, Group } from './groups.js';
import { assessHealth } from './health.js';
import { slotsOf } from './holders.js';
import type { Verdict, WorldSnapshot } from './model.js';
import type { CallOptions, GroupHistory, JournalEntry, JournalPort, LeasePort, SsmAgentPort, SsmPing } from './ports.js';
import { newcomersOf } from './roster.js';
import { drillOutageMs } from './drill-record.js';

export interface HolderView {
  readonly scope: string;
  /** The member instance, or for a nat group on its last resort the NAT gateway. */
  readonly holder?: string;
  readonly pointsAt: string;
  readonly broken: boolean;
}

export interface MemberView {
  readonly instanceId: string;
  readonly state: string;
  readonly availabilityZone: string;
  readonly priority?: number;
  readonly health: Verdict;
  readonly why: string;
  /** Whether SSM reaches its agent (absent when status did not read it). */
  readonly ssm?: SsmPing;
  /** Joined after the group's members were confirmed: no failback target, never remediated, until a person runs `failback`. */
  readonly newcomer?: true;
}

/** A nat group's NAT gateway: a last-resort member, healthy when its state is `available`. */
export interface GatewayView {
  readonly natGatewayId: string;
  readonly state: string;
  readonly mode: 'zonal' | 'regional';
  /** Zonal gateways only. */
  readonly availabilityZone?: string;
}

export interface GroupStatus {
  readonly group: string;
  readonly kind: Group['kind'] | 'unknown';
  readonly policy?: Group['policy'];
  readonly members: readonly MemberView[];
  readonly holders: readonly HolderView[];
  /** Empty for a group that can be moved. */
  readonly problems: readonly string[];
  /** A nat group's NAT gateways (its last resort); absent when it has none. */
  readonly gateways?: readonly GatewayView[];
  /** Members not confirmed yet (see MemberView.newcomer); absent when there are none. */
  readonly newcomers?: readonly string[];
  readonly lastMoveAt?: string;
  /** The newest drill in the recent journal: when, how it ended, and its outage (the longest gap the sensor saw). */
  readonly lastDrill?: LastDrill;
  readonly journal: readonly JournalEntry[];
}

export interface LastDrill {
  readonly at: string;
  /** `applied`: out and back (or stayed on request); `failed`: aborted (see `summary`). */
  readonly outcome: JournalEntry['outcome'];
  readonly outageMs?: number;
  readonly summary: string;
}

export interface StatusReport {
  readonly observedAt: string;
  /** When the probe's verdicts in `members[].health` were saved; absent: EC2 state and status checks only. */
  readonly probedAt?: string;
  /** Why the members' SSM status is missing, when it could not be read. */
  readonly ssmUnread?: string;
  readonly groups: readonly GroupStatus[];
}

/** The probe's last verdicts, as status reads them from the state table. */
export interface ProbeVerdicts {
  readonly verdicts: Readonly<Record<string, Verdict>>;
  readonly reasons: Readonly<Record<string, string>>;
  readonly savedAt: number;
  /** Groups whose VPC has no sensor (the probe's sensor placement). */
  readonly uncovered?: readonly string[];
}

/** The problem status names for a group the probe found no sensor for. */
const NO_SENSOR =
  "no sensor in its VPC: its members are not probed by TCP, only judged on EC2's state, status checks and events (a sensor there: the sensorFleet param)";
const sensorProblems = (group: string, probes: ProbeVerdicts | undefined): string[] => (probes?.uncovered?.includes(group) ? [NO_SENSOR] : []);

/** Where each slot of the group points now. */
export const holdersOf = (group: Group): HolderView[] =>
  slotsOf(group).map((s) => {
    const holder = s.holder?.instance.instanceId ?? s.gateway?.natGatewayId;
    return { scope: s.scope, pointsAt: s.pointsAt, broken: s.broken, ...(holder === undefined ? {} : { holder }) };
  });

/** A nat group's gateways as status shows them. */
function gatewaysOf(group: Group): { gateways?: GatewayView[] } {
  if (group.kind !== 'nat' || !group.gateways || group.gateways.length === 0) return {};
  return {
    gateways: group.gateways.map((g) => ({ natGatewayId: g.natGatewayId, state: g.state, mode: g.mode, ...(g.availabilityZone === undefined ? {} : { availabilityZone: g.availabilityZone }) })),
  };
}

/** Names of the groups a status request covers: all of them, or the one asked for. */
export const statusNames = ({ groups, misconfigured }: Discovery, name: string | undefined): string[] =>
  [...groups.map((g) => g.name), ...misconfigured.map((g) => g.name)].filter((n) => name === undefined || n === name);

export function buildStatus(
  world: WorldSnapshot,
  { groups, misconfigured }: Discovery,
  names: readonly string[],
  histories: Readonly<Record<string, GroupHistory>>,
  entries: readonly JournalEntry[],
  probes?: ProbeVerdicts,
  agents?: ReadonlyMap<string, SsmPing>,
): StatusReport {
  const health = assessHealth(world, probes?.verdicts, probes?.reasons);
  const byId = new Map(world.instances.map((i) => [i.instanceId, i]));
  const member = (id: string, priority?: number, newcomer = false): MemberView => {
    const instance = byId.get(id);
    const h = health[id];
    return {
      instanceId: id,
      state: instance?.state ?? 'unknown',
      availabilityZone: instance?.availabilityZone ?? 'unknown',
      ...(priority === undefined || priority === Number.MAX_SAFE_INTEGER ? {} : { priority }),
      health: h?.verdict ?? 'unknown',
      why: h?.why ?? 'not observed',
      ...(agents?.has(id) ? { ssm: agents.get(id) } : {}),
      ...(newcomer ? { newcomer: true as const } : {}),
    };
  };
  const common = (group: string) => {
    const at = histories[group]?.lastMoveAt;
    const drill = entries.find((e) => e.group === group && e.kind === 'drill');
    const outageMs = drill?.legs ? drillOutageMs(drill.legs) : undefined;
    return {
      ...(at === undefined ? {} : { lastMoveAt: new Date(at).toISOString() }),
      ...(drill ? { lastDrill: { at: new Date(drill.at).toISOString(), outcome: drill.outcome, ...(outageMs === undefined ? {} : { outageMs }), summary: drill.reason } } : {}),
      journal: entries.filter((e) => e.group === group),
    };
  };
  const views: GroupStatus[] = [
    ...groups.map((g) => {
      const newcomers = newcomersOf(g, histories[g.name]?.roster);
      return {
        group: g.name,
        kind: g.kind,
        policy: g.policy,
        members: g.members.map((m) => member(m.instance.instanceId, m.priority, newcomers.includes(m.instance.instanceId))),
        holders: holdersOf(g),
        ...gatewaysOf(g),
        problems: [...(g.kind === 'nat' ? (g.gatewayProblems ?? []) : []), ...ssmProblems(g.members.map((m) => m.instance.instanceId), agents), ...sensorProblems(g.name, probes)],
        ...(newcomers.length > 0 ? { newcomers } : {}),
        ...common(g.name),
      };
    }),
    ...misconfigured.map((g) => ({
      group: g.name,
      kind: g.kind ?? ('unknown' as const),
      members: g.instanceIds.map((id) => member(id)),
      holders: [],
      problems: [...g.problems, ...ssmProblems(g.instanceIds, agents)],
      ...common(g.name),
    })),
  ];
  return {
    observedAt: new Date(world.observedAt).toISOString(),
    ...(probes ? { probedAt: new Date(probes.savedAt).toISOString() } : {}),
    groups: views.filter((v) => names.includes(v.group)),
  };
}

/**
 * "no SSM path" when no member's agent is online: no peer can confirm a failure and no OS side of
 * a VIP can be done, which is what a dead NAT in front of members without VPC endpoints looks like.
 */
function ssmProblems(ids: readonly string[], agents: ReadonlyMap<string, SsmPing> | undefined): string[] {
  if (!agents || ids.length === 0 || ids.some((id) => agents.get(id) === 'online')) return [];
  const each = ids.map((id) => `${id} ${agents.get(id) ?? 'unknown'}`).join(', ');
  return [`no SSM path: no member's SSM agent is online (${each}); peer confirmation and the VIP's OS side cannot run until one is (a NAT in front of them, or the ssm, ssmmessages and ec2messages endpoints)`];
}

/** What status reads besides EC2. */
export interface StatusReads {
  readonly lease: LeasePort;
  readonly journal: JournalPort;
  readonly journalLimit: number;
  /** The members' SSM agents; without it status says nothing about SSM. */
  readonly agents?: SsmAgentPort;
}

/**
 * The table's reads and the SSM agents' read, concurrently, then the report. A failed SSM read
 * leaves the members' `ssm` out and says why; the table's failures fail status, as before.
 */
export async function readStatus(world: WorldSnapshot, discovery: Discovery, names: readonly string[], group: string | undefined, reads: StatusReads, options: CallOptions & { probes?: ProbeVerdicts } = {}): Promise<StatusReport> {
  const { lease, journal, journalLimit, agents } = reads;
  const members = [
    ...discovery.groups.filter((g) => names.includes(g.name)).flatMap((g) => g.members.map((m) => m.instance.instanceId)),
    ...discovery.misconfigured.filter((g) => names.includes(g.name)).flatMap((g) => g.instanceIds),
  ];
  let unread: string | undefined;
  const ssm =
    agents && members.length > 0
      ? agents.pingStatus(members, options).catch((error: unknown) => {
          if (!(error instanceof FailoverError)) throw error;
          unread = error.message;
          return undefined;
        })
      : Promise.resolve(undefined);
  const [lastMoves, entries, pings] = await Promise.all([lease.lastMoves(names, options), journal.recent(group, journalLimit, options), ssm]);
  const report = buildStatus(world, discovery, names, lastMoves, entries, options.probes, pings);
  return unread === undefined ? report : { ...report, ssmUnread: unread };
}
