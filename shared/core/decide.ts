/**
 * The decision: a pure function of (group, health, intent, clock, last move) to a plan.
 * Same inputs, same plan: two deciders that see the same world pick the same node.
 */
import type { Group, Member, NatGroup, VipGroup } from './groups.js';
import type { Assessment, HealthMap } from './health.js';
import { type Slot, groupHolder, slotsOf } from './holders.js';
import type { Action, GroupKind, NatGateway, OsReport, Route, RouteDestination, SourceRouting, SwitchTarget } from './model.js';
import { describeGateway, gatewayTier, isServing, rankGateways } from './nat-gateways.js';
import { DEFAULT_IPV4_ROUTE, carries, destinationText, orderRouteActions, routesVia, routesViaGateway, sameDestination, switchRank } from './routes.js';
import { isConfirmed } from './roster.js';
import { parseCidr, subnetRouterIp } from './validate.js';

/** Why the core was asked to look at a group. */
export type Intent =
  /** Automatic: move only what is broken, fail back per the group's policy. */
  | { readonly type: 'reconcile' }
  /** The instance is going away (stopping, terminating, Spot interruption): move off it now. */
  | { readonly type: 'evacuate'; readonly instanceId: string }
  /** Operator: move away from `from` (default: the holder), or onto `to`. Skips the cooldown, never the health rule. */
  | { readonly type: 'failover'; readonly from?: string; readonly to?: string }
  /** Operator: move to the preferred node if it is healthy. */
  | { readonly type: 'failback' };

export interface DecideInput {
  readonly group: Group;
  readonly health: HealthMap;
  readonly intent: Intent;
  readonly now: number;
  readonly lastMoveAt?: number;
  /** What the members' OSes had configured (VIP groups); reports older than the last move are ignored. */
  readonly os?: OsReport;
  /**
   * The group's roster (instance IDs and `asg:<name>` entries, see roster.ts). A member it does not
   * cover is a newcomer: never a failback target, and taken over from a failed holder only when no
   * confirmed member is healthy. Absent: every member counts as confirmed.
   */
  readonly roster?: readonly string[];
}

export interface Move {
  readonly scope: string;
  readonly from?: string;
  readonly to: string;
  readonly reason: string;
}

/** An OS-side correction that moves nothing in EC2: the VIP brought up where EC2 delivers it, or taken down elsewhere. */
export interface Repair {
  readonly scope: string;
  readonly instanceId: string;
  readonly change: 'bring-up' | 'take-down';
  readonly reason: string;
}

export interface Plan {
  readonly group: string;
  readonly kind: GroupKind;
  /** `refused`: something should change but nothing safe can be done (no healthy candidate, bad target). */
  readonly outcome: 'change' | 'none' | 'refused';
  readonly reason: string;
  readonly moves: readonly Move[];
  readonly repairs: readonly Repair[];
  readonly actions: readonly Action[];
}

type Choice =
  | { readonly kind: 'keep'; readonly reason: string }
  | { readonly kind: 'move'; readonly to: Member; readonly reason: string }
  | { readonly kind: 'refuse'; readonly reason: string };

interface Context {
  readonly members: readonly Member[];
  readonly health: HealthMap;
  readonly intent: Intent;
  readonly inCooldown: boolean;
  readonly autoFailback: boolean;
  /** Lower is better; failback only ever moves to a better tier. */
  readonly tier: (member: Member) => number;
  /** Whether the member is on the group's roster (see DecideInput.roster). */
  readonly confirmed: (member: Member) => boolean;
}

const idOf = (m: Member) => m.instance.instanceId;
const UNSEEN: Assessment = { verdict: 'unknown', gone: false, why: 'not observed' };

/** Healthy members, best first: confirmed members before newcomers, then by tier, priority and ID. */
function ranked(ctx: Context, exclude: ReadonlySet<string>): Member[] {
  const newcomer = (m: Member) => (ctx.confirmed(m) ? 0 : 1);
  return ctx.members
    .filter((m) => !exclude.has(idOf(m)) && ctx.health[idOf(m)]?.verdict === 'healthy')
    .sort((a, b) => newcomer(a) - newcomer(b) || ctx.tier(a) - ctx.tier(b) || a.priority - b.priority || idOf(a).localeCompare(idOf(b)));
}

/** The best healthy confirmed member: the only kind failback ever moves to. */
const bestConfirmed = (ctx: Context): Member | undefined => ranked(ctx, new Set()).find(ctx.confirmed);

/** Says why a newcomer that would rank first is left out, so a person knows to confirm it. */
function newcomerNote(ctx: Context, than: Member | undefined): string {
  const newcomers = ctx.members.filter((m) => !ctx.confirmed(m) && ctx.health[idOf(m)]?.verdict === 'healthy');
  const better = newcomers.filter((m) => !than || ctx.tier(m) < ctx.tier(than) || (ctx.tier(m) === ctx.tier(than) && m.priority < than.priority));
  if (better.length === 0) return '';
  return `; ${better.map(idOf).join(', ')} joined after the group's members were confirmed and is no failback target until a person runs failback`;
}

function moveOrRefuse(ctx: Context, exclude: ReadonlySet<string>, reason: string): Choice {
  const [best] = ranked(ctx, exclude);
  // A newcomer only when no confirmed member is healthy: the traffic must go somewhere, and it says so.
  if (best && !ctx.confirmed(best)) return { kind: 'move', to: best, reason: `${reason}; ${idOf(best)} is a newcomer (not confirmed), taken as the only healthy member` };
  if (best) return { kind: 'move', to: best, reason };
  const others = ctx.members.filter((m) => !exclude.has(idOf(m)));
  const states = others.map((m) => `${idOf(m)}: ${(ctx.health[idOf(m)] ?? UNSEEN).why}`).join('; ');
  return { kind: 'refuse', reason: `${reason}, but no other member is healthy${states ? ` (${states})` : ''}` };
}

function choose(slot: Pick<Slot, 'holder' | 'broken'>, ctx: Context): Choice {
  const holder = slot.holder;
  const holderId = holder && idOf(holder);
  const health = holder ? (ctx.health[idOf(holder)] ?? UNSEEN) : undefined;
  const intent = ctx.intent;

  switch (intent.type) {
    case 'failover': {
      if (intent.to !== undefined) {
        const target = ctx.members.find((m) => idOf(m) === intent.to);
        if (!target) return { kind: 'refuse', reason: `${intent.to} is not a member of this group` };
        const verdict = ctx.health[intent.to] ?? UNSEEN;
        if (verdict.verdict !== 'healthy') return { kind: 'refuse', reason: `${intent.to} is not healthy (${verdict.why})` };
        if (holderId === intent.to && !slot.broken) return { kind: 'keep', reason: `already on ${intent.to}` };
        return { kind: 'move', to: target, reason: `manual failover to ${intent.to}` };
      }
      const from = intent.from ?? holderId;
      if (intent.from !== undefined && holderId !== intent.from) return { kind: 'keep', reason: `not on ${intent.from}` };
      return moveOrRefuse(ctx, new Set(from ? [from] : []), from ? `manual failover away from ${from}` : 'manual failover');
    }
    case 'failback': {
      const preferred = bestConfirmed(ctx);
      if (!preferred) return { kind: 'refuse', reason: 'failback requested, but no confirmed member is healthy' };
      if (holderId === idOf(preferred) && !slot.broken) return { kind: 'keep', reason: `already on the preferred node ${holderId}` };
      if (holder && ctx.confirmed(holder) && health?.verdict === 'healthy' && ctx.tier(holder) <= ctx.tier(preferred) && holder.priority <= preferred.priority) {
        return { kind: 'keep', reason: `${holderId} is as preferred as ${idOf(preferred)}` };
      }
      return { kind: 'move', to: preferred, reason: `manual failback to ${idOf(preferred)}` };
    }
    case 'evacuate': {
      if (holderId !== intent.instanceId) return { kind: 'keep', reason: `does not use ${intent.instanceId}` };
      return moveOrRefuse(ctx, new Set([intent.instanceId]), `${intent.instanceId} is going away`);
    }
    case 'reconcile': {
      if (!holder || slot.broken || health?.gone) {
        const why = !holder ? 'points at no healthy member' : slot.broken ? `${holderId} is a blackhole` : `${holderId}: ${health?.why}`;
        return moveOrRefuse(ctx, new Set(holderId ? [holderId] : []), why);
      }
      if (health?.verdict === 'unknown') return { kind: 'keep', reason: `${holderId} health unknown (${health.why}); not moving on missing evidence` };
      // The cooldown holds back moves for preference (failback), never a move away from a holder
      // judged unhealthy to a healthy member. Flapping between two flaky members stays bounded:
      // the probe's hysteresis (fall 2, rise 3) must judge the other member healthy again before
      // it is a target, and a move only ever goes towards a member judged healthy.
      if (health?.verdict === 'unhealthy') {
        return moveOrRefuse(ctx, new Set([idOf(holder)]), `${holderId} is unhealthy (${health.why})${ctx.inCooldown ? ', moved although the group is in its cooldown' : ''}`);
      }
      // Failback only ever goes to a confirmed member; off a newcomer (taken as a last resort) it goes to any confirmed one.
      const best = bestConfirmed(ctx);
      if (best && best !== holder && (!ctx.confirmed(holder) || ctx.tier(best) < ctx.tier(holder))) {
        if (!ctx.autoFailback) return { kind: 'keep', reason: `failback to ${idOf(best)} is possible; policy is manual` };
        if (ctx.inCooldown) return { kind: 'keep', reason: `failback to ${idOf(best)} waits for the cooldown` };
        return { kind: 'move', to: best, reason: `failback to ${idOf(best)}` };
      }
      return { kind: 'keep', reason: `${holderId} is healthy${newcomerNote(ctx, holder)}` };
    }
  }
}

const eniTarget = (m: Member): SwitchTarget => ({ kind: 'eni', networkInterfaceId: m.eni.networkInterfaceId, instanceId: idOf(m) });

/** A NAT table's choice may also be its last resort, one of the group's NAT gateways. */
type NatChoice = Choice | { readonly kind: 'gateway'; readonly to: NatGateway; readonly reason: string };

/** Where a NAT table's routes go or stay: an instance member or a NAT gateway. Never told apart by ID. */
type Endpoint = { readonly kind: 'instance'; readonly member: Member } | { readonly kind: 'nat-gateway'; readonly gateway: NatGateway };

const endpointId = (e: Endpoint): string => (e.kind === 'instance' ? idOf(e.member) : e.gateway.natGatewayId);
const switchTargetOf = (e: Endpoint): SwitchTarget => (e.kind === 'instance' ? eniTarget(e.member) : { kind: 'nat-gateway', natGatewayId: e.gateway.natGatewayId });
const sameEndpoint = (a: Endpoint | undefined, b: Endpoint | undefined): boolean => a !== undefined && b !== undefined && endpointId(a) === endpointId(b);

function routeActions(slot: Slot, to: Endpoint, destination: RouteDestination): Action[] {
  return [
    {
      type: slot.route ? 'replace-route' : 'create-route',
      routeTableId: slot.scope,
      destination,
      target: switchTargetOf(to),
    },
  ];
}

/** Members no table should keep a route to: judged unhealthy (or gone), or named by the intent as the one to leave. */
function leavingMembers(members: readonly Member[], health: HealthMap, intent: Intent): ReadonlySet<Member> {
  const named = intent.type === 'evacuate' ? intent.instanceId : intent.type === 'failover' ? intent.from : undefined;
  return new Set(members.filter((m) => health[idOf(m)]?.verdict === 'unhealthy' || idOf(m) === named));
}

/** What a table's default route points at now, if it is one of the group's. */
const holderOf = (slot: Slot): Endpoint | undefined =>
  slot.holder ? { kind: 'instance', member: slot.holder } : slot.gateway ? { kind: 'nat-gateway', gateway: slot.gateway } : undefined;

/**
 * The last resort for a table no NAT instance can serve: the best serving gateway for its AZ, or
 * the refusal as it was. Only where traffic would otherwise go nowhere (reconcile, evacuate, a
 * failover away from an instance); an operator's `to` or failback names instances only.
 */
function lastResort(slot: Slot, choice: Choice, ctx: Context, gateways: readonly NatGateway[], exclude?: NatGateway): NatChoice {
  if (choice.kind !== 'refuse' || ctx.intent.type === 'failback' || (ctx.intent.type === 'failover' && ctx.intent.to !== undefined)) return choice;
  const az = slot.az ?? 'any';
  const [best] = rankGateways(gateways, az).filter((g) => g !== exclude);
  if (!best) return gateways.length > 0 ? { ...choice, reason: `${choice.reason}; no NAT gateway of the group is available (${gateways.map((g) => `${g.natGatewayId}: ${g.state}`).join(', ')})` } : choice;
  return { kind: 'gateway', to: best, reason: `${choice.reason}; last resort: ${describeGateway(best, az)}` };
}

/**
 * A table on one of the group's gateways goes back to an instance as a failback does: to a healthy
 * confirmed member, under the group's failback policy and cooldown. A gateway that no longer
 * serves is left at once, for an instance or a better gateway.
 */
function fromGateway(slot: Slot, gateway: NatGateway, ctx: Context, gateways: readonly NatGateway[]): NatChoice {
  const az = slot.az ?? 'any';
  const id = gateway.natGatewayId;
  if (!isServing(gateway) || slot.broken) {
    const why = slot.broken ? `${id} is a blackhole` : `${id} is ${gateway.state}`;
    return lastResort(slot, moveOrRefuse(ctx, new Set(), why), ctx, gateways, gateway);
  }
  if (ctx.intent.type !== 'reconcile') return choose({ broken: false }, ctx);
  const best = bestConfirmed(ctx);
  if (best) {
    if (!ctx.autoFailback) return { kind: 'keep', reason: `on the last resort ${id}; failback to ${idOf(best)} is possible; policy is manual` };
    if (ctx.inCooldown) return { kind: 'keep', reason: `on the last resort ${id}; failback to ${idOf(best)} waits for the cooldown` };
    return { kind: 'move', to: best, reason: `${idOf(best)} is healthy again: back from the last resort ${id}` };
  }
  const [top] = rankGateways(gateways, az);
  if (top && top !== gateway && gatewayTier(top, az) < gatewayTier(gateway, az)) return { kind: 'gateway', to: top, reason: `${describeGateway(top, az)} serves ${az} better than ${id}` };
  return { kind: 'keep', reason: `${id} (last resort) serves it; no confirmed NAT instance is healthy${newcomerNote(ctx, undefined)}` };
}

function chooseNat(slot: Slot, ctx: Context, gateways: readonly NatGateway[]): NatChoice {
  if (slot.gateway) return fromGateway(slot, slot.gateway, ctx, gateways);
  return lastResort(slot, choose(slot, ctx), ctx, gateways);
}

/**
 * The routes of one NAT table, other than its default route, that go with a move to `to`: every
 * route through a member that is leaving (or through the table's old holder, or a blackhole
 * through a member), and, when the table goes to an instance, every route still on one of the
 * group's gateways. A route through anything else (an endpoint, a peering, a transit gateway, a
 * member that stays) is never touched. Routes the target cannot carry stay, named in `stay`.
 */
function routesThatFollow(slot: Slot, group: NatGroup, leaving: ReadonlySet<Member>, to: Endpoint): { follow: { route: Route; from: Endpoint }[]; stay: string[] } {
  const follow: { route: Route; from: Endpoint }[] = [];
  const stay: string[] = [];
  const holder = holderOf(slot);
  for (const route of slot.table?.routes ?? []) {
    if (sameDestination(route.destination, DEFAULT_IPV4_ROUTE)) continue;
    const member = group.members.find((m) => routesVia(route, m));
    const gateway = member ? undefined : (group.gateways ?? []).find((g) => routesViaGateway(route, g));
    const from: Endpoint | undefined = member ? { kind: 'instance', member } : gateway ? { kind: 'nat-gateway', gateway } : undefined;
    if (!from || sameEndpoint(from, to)) continue;
    const goes = sameEndpoint(from, holder) || (member !== undefined && leaving.has(member)) || route.state === 'blackhole' || (gateway !== undefined && to.kind === 'instance');
    if (!goes) continue;
    if (carries(switchTargetOf(to), route.destination)) follow.push({ route, from });
    else stay.push(`${slot.scope}: ${destinationText(route.destination)} stays on ${endpointId(from)}`);
  }
  return { follow, stay };
}

/** Where a NAT table goes: where its default route moves to, or the healthy instance or serving gateway it stays on. */
function natTableTarget(slot: Slot, choice: NatChoice, health: HealthMap): Endpoint | undefined {
  if (choice.kind === 'move') return { kind: 'instance', member: choice.to };
  if (choice.kind === 'gateway') return { kind: 'nat-gateway', gateway: choice.to };
  if (choice.kind !== 'keep' || slot.broken) return undefined;
  if (slot.holder && health[idOf(slot.holder)]?.verdict === 'healthy') return { kind: 'instance', member: slot.holder };
  return slot.gateway && isServing(slot.gateway) ? { kind: 'nat-gateway', gateway: slot.gateway } : undefined;
}

const choiceTo = (to: Endpoint, reason: string): NatChoice => (to.kind === 'instance' ? { kind: 'move', to: to.member, reason } : { kind: 'gateway', to: to.gateway, reason });
const moving = (choice: NatChoice): boolean => choice.kind === 'move' || choice.kind === 'gateway';
const why = (from: Endpoint, health: HealthMap): string => (from.kind === 'instance' ? (health[idOf(from.member)] ?? UNSEEN).why : `NAT gateway ${from.gateway.state}`);

/** One move per member a table's other routes leave, besides the default route's own move. */
function followMoves(slot: Slot, choice: NatChoice, follow: readonly { route: Route; from: Endpoint }[], to: Endpoint, health: HealthMap): { slot: Slot; choice: NatChoice }[] {
  const holder = holderOf(slot);
  const froms = [...new Map(follow.map((f) => [endpointId(f.from), f.from])).values()].filter((from) => !moving(choice) || !sameEndpoint(from, holder));
  return froms.map((from) => {
    const what = follow.filter((f) => sameEndpoint(f.from, from)).map((f) => destinationText(f.route.destination));
    const reason = `${what.join(', ')} still ${what.length > 1 ? 'point' : 'points'} at ${endpointId(from)} (${why(from, health)})`;
    const base: Slot = { scope: slot.scope, broken: slot.broken, pointsAt: slot.pointsAt };
    return { slot: from.kind === 'instance' ? { ...base, holder: from.member } : { ...base, gateway: from.gateway }, choice: choiceTo(to, reason) };
  });
}

/**
 * A NAT group, table by table: the default route decides where the table goes (`chooseNat`), and every
 * other route through the member it leaves goes with it. A table whose default route stays on a
 * healthy member still has its other routes through a leaving member moved there: that finishes a
 * move an earlier run could not complete (its deadline came first), so no cooldown holds it.
 * When no instance can serve a table, it goes to the group's best NAT gateway for its AZ.
 * Route actions are ordered so the failed AZ's own tables switch first.
 */
function planNat(group: NatGroup, slots: readonly Slot[], base: Omit<Context, 'tier'>): Plan {
  const leaving = leavingMembers(group.members, base.health, base.intent);
  const gateways = group.gateways ?? [];
  const choices: { slot: Slot; choice: NatChoice }[] = [];
  const routes: Action[] = [];
  const targets: Member[] = [];
  const stays: string[] = [];
  const rank = new Map<string, number>();
  for (const slot of slots) {
    const choice = chooseNat(slot, { ...base, tier: (m) => (slot.az === 'any' || m.instance.availabilityZone === slot.az ? 0 : 1) }, gateways);
    const to = natTableTarget(slot, choice, base.health);
    const { follow, stay } = to ? routesThatFollow(slot, group, leaving, to) : { follow: [], stay: [] };
    stays.push(...stay);
    if (moving(choice) || follow.length === 0) choices.push({ slot, choice });
    if (to && moving(choice)) routes.push(...routeActions(slot, to, DEFAULT_IPV4_ROUTE));
    if (to && follow.length > 0) {
      choices.push(...followMoves(slot, choice, follow, to, base.health));
      routes.push(...follow.map(({ route }) => ({ type: 'replace-route', routeTableId: slot.scope, destination: route.destination, target: switchTargetOf(to) }) as const));
    }
    if (to?.kind === 'instance' && (moving(choice) || follow.length > 0)) targets.push(to.member);
    const leftAz = slot.holder && !sameEndpoint(holderOf(slot), to) ? slot.holder.instance.availabilityZone : [...leaving][0]?.instance.availabilityZone;
    rank.set(slot.scope, switchRank(slot.az ?? 'any', leftAz));
  }
  const plan = summarize(group, choices, orderRouteActions([...forwardingPrereqs(targets), ...routes], (id) => rank.get(id) ?? 2));
  return stays.length > 0 ? { ...plan, reason: `${plan.reason}; ${stays.join('; ')} (the target cannot carry it)` } : plan;
}

/** A forwarding node drops traffic not addressed to it unless source/dest check is off. */
function forwardingPrereqs(targets: readonly Member[]): Action[] {
  const unique = [...new Map(targets.map((m) => [m.eni.networkInterfaceId, m])).values()];
  return unique
    .filter((m) => m.eni.sourceDestCheck)
    .map((m) => ({ type: 'disable-source-dest-check', networkInterfaceId: m.eni.networkInterfaceId, instanceId: idOf(m) }) as const);
}

function summarize(group: Group, choices: readonly { slot: Slot; choice: NatChoice }[], actions: Action[], repairs: readonly Repair[] = []): Plan {
  const fromOf = (slot: Slot) => (slot.holder ? { from: idOf(slot.holder) } : slot.gateway ? { from: slot.gateway.natGatewayId } : {});
  const moves = choices.flatMap(({ slot, choice }) =>
    choice.kind === 'move' || choice.kind === 'gateway'
      ? [{ scope: slot.scope, ...fromOf(slot), to: choice.kind === 'move' ? idOf(choice.to) : choice.to.natGatewayId, reason: choice.reason }]
      : [],
  );
  const refusals = choices.filter(({ choice }) => choice.kind === 'refuse');
  const reasons = choices.map(({ slot, choice }) => (choices.length > 1 ? `${slot.scope}: ${choice.reason}` : choice.reason));
  const reason = [...new Set([...reasons, ...repairs.map((r) => r.reason)])].join('; ');
  const changes = moves.length > 0 || repairs.length > 0;
  const outcome = changes ? 'change' : refusals.length > 0 ? 'refused' : 'none';
  return { group: group.name, kind: group.kind, outcome, reason, moves, repairs, actions: changes ? actions : [] };
}

/** What the OS side of a VIP group needs: bring the address up on its holder, take it down everywhere else. */
function vipOsActions(group: VipGroup, member: Member, change: 'bring-up' | 'take-down'): Action {
  const prefixLength = parseCidr(group.subnet.cidrBlock)?.prefixLength ?? 32;
  const eni = member.eni;
  const sourceRouting: SourceRouting | undefined =
    eni.deviceIndex > 0
      ? { table: 10_000 + 100 * (eni.networkCardIndex ?? 0) + eni.deviceIndex, gateway: subnetRouterIp(group.subnet.cidrBlock) ?? '', subnetCidr: group.subnet.cidrBlock }
      : undefined;
  return {
    type: change === 'bring-up' ? 'activate-ip' : 'deactivate-ip',
    instanceId: idOf(member),
    macAddress: eni.macAddress,
    ip: group.vip,
    prefixLength,
    ...(sourceRouting ? { sourceRouting } : {}),
  };
}

/**
 * OS-side repairs for a VIP group that stays where it is: the holder's OS lacks the address (a
 * failed or lost activation), or another member still has it (a split brain in the OS). Only
 * reports made after the last move count: an older one describes a world the move has changed.
 */
function vipRepairs(group: VipGroup, holder: Member | undefined, os: OsReport | undefined, lastMoveAt: number | undefined, skip: ReadonlySet<string>): Repair[] {
  const seen = (m: Member): boolean | undefined => {
    const view = os?.[idOf(m)];
    return view && view.at >= (lastMoveAt ?? Number.NEGATIVE_INFINITY) ? view.addresses[group.vip] : undefined;
  };
  const repairs: Repair[] = [];
  for (const m of group.members) {
    if (m.instance.state !== 'running' || skip.has(idOf(m))) continue;
    if (m === holder && seen(m) === false) {
      repairs.push({ scope: group.vip, instanceId: idOf(m), change: 'bring-up', reason: `${group.vip} is on ${idOf(m)}'s ENI but not up in its OS: bring it up` });
    } else if (m !== holder && seen(m) === true) {
      repairs.push({ scope: group.vip, instanceId: idOf(m), change: 'take-down', reason: `${idOf(m)} still has ${group.vip} up in its OS but does not hold it: take it down` });
    }
  }
  return repairs;
}

/** Plans what to change for one group. Never throws on world state; returns `refused` instead. */
export function decide(input: DecideInput): Plan {
  const { group, health, intent, now, lastMoveAt, os, roster } = input;
  const confirmedIds = roster === undefined ? undefined : new Set(roster);
  const base = {
    members: group.members,
    health,
    intent,
    confirmed: (m: Member) => confirmedIds === undefined || isConfirmed(m, confirmedIds),
    inCooldown: lastMoveAt !== undefined && now - lastMoveAt < group.policy.cooldownMs,
    autoFailback: group.policy.failback === 'auto',
  };
  const slots = slotsOf(group);

  if (group.kind === 'nat') {
    if (intent.type === 'failover' && intent.from === undefined && intent.to === undefined) {
      return { group: group.name, kind: group.kind, outcome: 'refused', reason: "a nat group needs 'from' or 'to' for a manual failover", moves: [], repairs: [], actions: [] };
    }
    return planNat(group, slots, base);
  }

  const ctx: Context = { ...base, tier: (m) => m.priority };
  if (group.kind === 'overlay') {
    // The tables should agree; after a partial failure they may not. The most common healthy-looking
    // target is the group's holder, and every table converges on whatever the group decides.
    const verdictRank = (m: Member) => ({ healthy: 0, unknown: 1, unhealthy: 2 })[health[idOf(m)]?.verdict ?? 'unknown'];
    const holder = groupHolder(group, slots, verdictRank);
    const choice = choose({ broken: !holder, ...(holder ? { holder } : {}) }, ctx);
    // A split is never repaired towards a member judged unhealthy: tables that left it stay where they are.
    const keepTarget = holder && health[idOf(holder)]?.verdict !== 'unhealthy' ? holder : undefined;
    const target = choice.kind === 'move' ? choice.to : choice.kind === 'keep' ? keepTarget : undefined;
    const behind = target ? slots.filter((s) => s.holder !== target || s.broken) : [];
    const actions = target ? [...forwardingPrereqs([target]), ...behind.flatMap((s) => routeActions(s, { kind: 'instance', member: target }, { kind: 'ipv4', value: group.cidr }))] : [];
    const groupSlot: Slot = { scope: group.cidr, broken: !holder, pointsAt: holder ? idOf(holder) : 'nothing', ...(holder ? { holder } : {}) };
    if (choice.kind !== 'move' && target && behind.length > 0) {
      const repair = { kind: 'move', to: target, reason: `repair ${behind.length} of ${slots.length} tables that do not point at ${idOf(target)}` } as const;
      return summarize(group, behind.map((slot) => ({ slot, choice: repair })), actions);
    }
    return summarize(group, choice.kind === 'move' ? behind.map((slot) => ({ slot, choice })) : [{ slot: groupSlot, choice }], actions);
  }

  const [slot] = slots;
  if (!slot) throw new Error(`unreachable: ${group.kind} group ${group.name} has no slot`);
  const choice = choose(slot, ctx);

  if (group.kind === 'eip') {
    if (choice.kind !== 'move') return summarize(group, [{ slot, choice }], []);
    const to = choice.to;
    const primaryIp = to.eni.privateIps.find((ip) => ip.primary)?.address ?? to.instance.privateIp;
    const target: SwitchTarget = { kind: 'eni-private-ip', networkInterfaceId: to.eni.networkInterfaceId, instanceId: idOf(to), privateIp: primaryIp };
    return summarize(group, [{ slot, choice }], [{ type: 'associate-address', allocationId: group.allocationId, target }]);
  }

  if (choice.kind !== 'move') {
    // Nothing moves in EC2; the OS side may still be wrong where the VIP is delivered.
    const repairs = slot.holder ? vipRepairs(group, slot.holder, os, lastMoveAt, new Set()) : [];
    const actions = repairs.map((r) => vipOsActions(group, group.members.find((m) => idOf(m) === r.instanceId) as Member, r.change));
    return summarize(group, [{ slot, choice }], actions, repairs);
  }
  const to = choice.to;
  const old = slot.holder;
  const actions: Action[] = [
    { type: 'assign-private-ip', networkInterfaceId: to.eni.networkInterfaceId, instanceId: idOf(to), ip: group.vip },
    vipOsActions(group, to, 'bring-up'),
  ];
  // The old holder may still answer for the VIP in its OS; take it down there if it can still run
  // commands: it runs, and was not judged down. On a node judged down (hung, unreachable) the
  // command would only wait out its timeout and hold the run up; the OS convergence takes the
  // address down once a sweep sees the node again, and a fence (failover:remediate) restarts it without it.
  if (old && old !== to && old.instance.state === 'running' && health[idOf(old)]?.verdict !== 'unhealthy') actions.push(vipOsActions(group, old, 'take-down'));
  // And any other member whose OS still has it (an older split brain).
  const others = vipRepairs(group, to, os, lastMoveAt, new Set([idOf(to), ...(old ? [idOf(old)] : [])])).filter((r) => r.change === 'take-down');
  actions.push(...others.map((r) => vipOsActions(group, group.members.find((m) => idOf(m) === r.instanceId) as Member, 'take-down')));
  return summarize(group, [{ slot, choice }], actions, others);
}
