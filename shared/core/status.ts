/**
 * The `status` view: every group (or one) with its members' health, its holders, its problems,
 * its last move and its recent journal, built from one observe and two reads of the table.
 */
import type { Discovery, Group } from './groups.js';
import { assessHealth } from './health.js';
import { slotsOf } from './holders.js';
import type { Verdict, WorldSnapshot } from './model.js';
import type { GroupHistory, JournalEntry } from './ports.js';
import { newcomersOf } from './roster.js';

export interface HolderView {
  readonly scope: string;
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
  /** Joined after the group's members were confirmed: no failback target, never remediated, until a person runs `failback`. */
  readonly newcomer?: true;
}

export interface GroupStatus {
  readonly group: string;
  readonly kind: Group['kind'] | 'unknown';
  readonly policy?: Group['policy'];
  readonly members: readonly MemberView[];
  readonly holders: readonly HolderView[];
  /** Empty for a group that can be moved. */
  readonly problems: readonly string[];
  /** Members not confirmed yet (see MemberView.newcomer); absent when there are none. */
  readonly newcomers?: readonly string[];
  readonly lastMoveAt?: string;
  readonly journal: readonly JournalEntry[];
}

export interface StatusReport {
  readonly observedAt: string;
  /** When the probe's verdicts in `members[].health` were saved; absent: EC2 state and status checks only. */
  readonly probedAt?: string;
  readonly groups: readonly GroupStatus[];
}

/** The probe's last verdicts, as status reads them from the state table. */
export interface ProbeVerdicts {
  readonly verdicts: Readonly<Record<string, Verdict>>;
  readonly reasons: Readonly<Record<string, string>>;
  readonly savedAt: number;
}

/** Where each slot of the group points now. */
export const holdersOf = (group: Group): HolderView[] =>
  slotsOf(group).map((s) => ({ scope: s.scope, pointsAt: s.pointsAt, broken: s.broken, ...(s.holder ? { holder: s.holder.instance.instanceId } : {}) }));

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
      ...(newcomer ? { newcomer: true as const } : {}),
    };
  };
  const common = (group: string) => {
    const at = histories[group]?.lastMoveAt;
    return { ...(at === undefined ? {} : { lastMoveAt: new Date(at).toISOString() }), journal: entries.filter((e) => e.group === group) };
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
        problems: [],
        ...(newcomers.length > 0 ? { newcomers } : {}),
        ...common(g.name),
      };
    }),
    ...misconfigured.map((g) => ({
      group: g.name,
      kind: g.kind ?? ('unknown' as const),
      members: g.instanceIds.map((id) => member(id)),
      holders: [],
      problems: g.problems,
      ...common(g.name),
    })),
  ];
  return {
    observedAt: new Date(world.observedAt).toISOString(),
    ...(probes ? { probedAt: new Date(probes.savedAt).toISOString() } : {}),
    groups: views.filter((v) => names.includes(v.group)),
  };
}
