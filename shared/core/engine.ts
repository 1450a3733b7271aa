/**
 * The failover core: observe, decide, apply, verify, journal, tell. Every trigger (manual, event,
 * probe) comes through `run()`, so the lease and the safety rules hold whatever started it.
 */
import { FailoverError, RefusedError } from '../errors.js';
import { type ActionReport, LEFT_FOR_NEXT_RUN, applyActions, leftBehindNote, verifyActions } from './apply.js';
import { type Intent, type Plan, decide } from './decide.js';
import { type Discovery, type DiscoveryDefaults, type Group, discover } from './groups.js';
import { type HealthMap, assessHealth } from './health.js';
import { groupHolder } from './holders.js';
import type { Action, OsReport, OsView, Trigger, Verdict, WorldSnapshot } from './model.js';
import { lapsedMoveAt, leaseUpdate } from './lapse.js';
import { isNoteworthy, noticeOf } from './notice.js';
import { DEFAULT_REMEDIATION, type RemediationResult, type RemediationSettings } from './remediate.js';
import { runRemediation } from './remediation-run.js';
import type { CallOptions, Clock, DataPlanePort, Ec2Port, GroupHistory, HostPort, JournalPort, LeaseGrant, LeasePort, MetricsPort, NotifierPort, RemediationPort, SsmAgentPort } from './ports.js';
import { type Confirmation, confirmationOf, rosterFor, sameMembers } from './roster.js';
import { RosterBook } from './roster-book.js';
import { decisionEntry } from './journal-entry.js';
import type { Ec2Pacer } from './pace.js';
import { retry } from './retry.js';
import { type HolderView, type ProbeVerdicts, type StatusReport, holdersOf, readStatus, statusNames } from './status.js';

export type { GroupStatus, HolderView, MemberView, StatusReport } from './status.js';
export type { RemediationResult } from './remediate.js';

/** The subset of a structured logger the core uses (Powertools' Logger fits). */
export interface Log {
  debug(message: string, ...extra: Record<string, unknown>[]): void;
  info(message: string, ...extra: Record<string, unknown>[]): void;
  warn(message: string, ...extra: Record<string, unknown>[]): void;
  error(message: string, ...extra: Record<string, unknown>[]): void;
}

export interface EngineSettings extends DiscoveryDefaults {
  /** Unique per invocation: the lease owner. */
  readonly owner: string;
  readonly leaseTtlMs: number;
  readonly applyConcurrency: number;
  readonly verifyIntervalMs: number;
  readonly verifyTimeoutMs: number;
  /** How long OS-side commands (ip addr on the holders) may take; default 8 s. */
  readonly hostTimeoutMs?: number;
  readonly journalLimit: number;
  /** Names the deployment in notices, e.g. `vpc-failover prod`. */
  readonly noticePrefix?: string;
  /** How often a failed member may be remediated, and how long a stop-start may take. */
  readonly remediation?: RemediationSettings;
}

export interface EngineDeps {
  readonly ec2: Ec2Port;
  readonly host: HostPort;
  readonly lease: LeasePort;
  readonly journal: JournalPort;
  readonly clock: Clock;
  readonly log: Log;
  readonly settings: EngineSettings;
  /** Reaches a moved VIP from inside the VPC (the sensor); without it the data plane is not verified. */
  readonly dataPlane?: DataPlanePort;
  /** EC2's request buckets as this execution environment spent them (`createEc2Pacer`); shared by its runs. */
  readonly pacer?: Ec2Pacer;
  /** Tells people about moves and about automatic decisions that could not act; it must never throw. */
  readonly notifier?: NotifierPort;
  /** Counts moves (`Moves`) and moves that ended failed or partial (`FailedMoves`): the alarm's metric. */
  readonly metrics?: MetricsPort;
  /** Spot request types and Auto Scaling replacement, for remediation (the probe wires it). */
  readonly remediation?: RemediationPort;
}

export interface RunRequest {
  readonly intent: Intent;
  readonly trigger: Trigger;
  /** Only this group; every group when absent. */
  readonly group?: string;
  readonly dryRun?: boolean;
  readonly reason?: string;
  /** Probe verdicts; instances without one are judged on EC2 status checks. */
  readonly probes?: Readonly<Record<string, Verdict>>;
  /** Why a probe judged a node as it did (`no TCP on 443 from the VPC`), for reasons and notices. */
  readonly probeReasons?: Readonly<Record<string, string>>;
  /** What the members' OSes had configured, as the probe sweep saw it. */
  readonly os?: OsReport;
  /** A snapshot the caller already has (the event path observes while it parses). */
  readonly snapshot?: WorldSnapshot;
  /** A lease on `group` that the caller took while it observed (the event path saves a round trip). */
  readonly grant?: LeaseGrant;
  /** Epoch ms by which the run must be finished (the Lambda's remaining time, less a margin). */
  readonly deadline: number;
  /** Aborts the AWS calls of the work itself at the deadline. */
  readonly signal?: AbortSignal;
  /** Bounds what must still happen after the work (journal, release, notice); defaults to `signal`'s absence: unbounded. */
  readonly settle?: AbortSignal;
}

export interface RemediateRequest {
  readonly snapshot: WorldSnapshot;
  readonly probes: Readonly<Record<string, Verdict>>;
  readonly probeReasons?: Readonly<Record<string, string>>;
  readonly deadline: number;
  readonly signal?: AbortSignal;
  readonly settle?: AbortSignal;
}

export interface GroupResult {
  readonly group: string;
  readonly kind: Group['kind'] | 'unknown';
  readonly trigger: Trigger;
  readonly dryRun: boolean;
  /** `busy`: another decider held the lease until the deadline. `failed`: the world could not be changed or seen. */
  readonly outcome: 'unchanged' | 'changed' | 'partial' | 'refused' | 'busy' | 'failed';
  readonly reason: string;
  readonly before: readonly HolderView[];
  readonly after: readonly HolderView[];
  readonly actions: readonly ActionReport[];
  readonly plan?: Plan;
  readonly durationMs: number;
  /** Where the decision was journaled, when it was. */
  readonly journalKey?: string;
  /** A refusal people must hear about even though nothing wanted to move (an address the group does not own). */
  readonly notify?: boolean;
}

const LEASE_POLL_MS = 250;
/** Journal entries read for the group's newest move when the lease item may lack it. */
const JOURNAL_MOVES_READ = 10;
/** Time kept back from the lease's expiry for journaling and release. */
const LEASE_MARGIN_MS = 3_000;
/** Attempts to reach a moved VIP on its ports before the move counts as not verified. */
const DATA_PLANE_ATTEMPTS = 3;

const SWITCHES: ReadonlySet<Action['type']> = new Set(['assign-private-ip', 'associate-address', 'replace-route', 'create-route']);

export class FailoverEngine {
  /**
   * Last move per group as this engine last saw it. It can only lag the truth (moves only add), so
   * planning with it can only see a shorter cooldown: a plan that says "change" is checked again
   * under the lease, and a long-lived caller (the probe loop) stops taking the lease on every call
   * during a cooldown.
   */
  private readonly lastMoveSeen = new Map<string, number>();
  /**
   * What this engine did to the members' OSes, as OS views: an activation that failed counts as
   * "not up" until a later report says otherwise, so the next round tries it again.
   */
  private readonly osDone = new Map<string, OsView>();
  private readonly rosters: RosterBook;

  constructor(private readonly deps: EngineDeps) {
    const seen = (group: string, at: number) => this.lastMoveSeen.set(group, Math.max(at, this.lastMoveSeen.get(group) ?? 0));
    this.rosters = new RosterBook(deps.lease, (message, extra) => deps.log.warn(message, extra), seen);
  }

  /** One batched read; retried on throttling, never interpreted as "down" when it fails. */
  async observe(deadline: number, options: CallOptions = {}): Promise<WorldSnapshot> {
    return retry(() => this.deps.ec2.observe(options), { clock: this.deps.clock, deadline, ...(options.signal ? { signal: options.signal } : {}) });
  }

  discover(world: WorldSnapshot): Discovery {
    return discover(world, this.deps.settings);
  }

  /**
   * Every group (or one), with members, holders, problems and recent journal entries: a constant number
   * of calls. `probes`: the probe's last verdicts (a hung member with passing EC2 checks shows as down); `agents`: SSM's view of the members (a group with no SSM path says so).
   */
  async status(name: string | undefined, deadline: number, options: CallOptions & { probes?: ProbeVerdicts; agents?: SsmAgentPort } = {}): Promise<StatusReport> {
    const { lease, journal, settings } = this.deps;
    const world = await this.observe(deadline, options);
    const discovery = this.discover(world);
    const names = statusNames(discovery, name);
    if (name !== undefined && names.length === 0) {
      throw new RefusedError(`no group named '${name}': no instance carries failover:group=${name}`, { context: { group: name } });
    }
    const { agents, ...rest } = options;
    return readStatus(world, discovery, names, name, { lease, journal, journalLimit: settings.journalLimit, ...(agents ? { agents } : {}) }, rest);
  }

  /**
   * Takes a group's lease ahead of the decision (the event path, while it observes). The run that
   * gets it as `request.grant` releases it; `release` is for a caller that ends up not running.
   */
  async lease(group: string, deadline: number, options: CallOptions = {}): Promise<LeaseGrant | undefined> {
    return (await this.acquire(group, deadline, options))?.grant;
  }

  async release(grant: LeaseGrant, options: CallOptions = {}): Promise<void> {
    await this.deps.lease.release(grant, this.deps.clock.now(), leaseUpdate(lapsedMoveAt(grant), undefined), options).catch((error: unknown) => this.deps.log.warn('lease release failed; it expires on its own', { error: String(error) }));
  }

  /** Runs the request for the matching groups, concurrently; each group under its own lease. */
  async run(request: RunRequest): Promise<GroupResult[]> {
    const call = request.signal ? { signal: request.signal } : {};
    let grant = request.grant;
    try {
      const world = request.snapshot ?? (await this.observe(request.deadline, call));
      const { groups, misconfigured } = this.discover(world);
      const broken = misconfigured.filter((g) => request.group === undefined || g.name === request.group);
      const selected = groups.filter((g) => request.group === undefined || g.name === request.group);
      if (request.group !== undefined && selected.length === 0 && broken.length === 0) {
        throw new RefusedError(`no group named '${request.group}': no instance carries failover:group=${request.group}`, {
          context: { group: request.group },
        });
      }
      const health = assessHealth(world, request.probes, request.probeReasons);
      await this.rosters.load(selected, !(request.dryRun ?? false), call);
      const results = await Promise.all(
        selected.map((group) => {
          const mine = grant?.group === group.name ? grant : undefined;
          if (mine) grant = undefined;
          return this.runGroup(group, world, health, request, mine);
        }),
      );
      const refusals = broken.map((g): GroupResult => ({
        group: g.name,
        kind: g.kind ?? 'unknown',
        trigger: request.trigger,
        dryRun: request.dryRun ?? false,
        outcome: 'refused',
        reason: `misconfigured, never moved: ${g.problems.join('; ')}`,
        before: [], after: [], actions: [], durationMs: 0,
        ...(g.notify ? { notify: true } : {}),
      }));
      const settle = request.settle ? { signal: request.settle } : {};
      return [...results, ...(await Promise.all(refusals.map((r) => (r.notify ? this.tell(r, settle) : r))))];
    } finally {
      // A lease taken ahead for a group that turned out not to need it.
      if (grant) await this.release(grant, request.settle ? { signal: request.settle } : {});
    }
  }

  /**
   * Fences members the probes judged down while they run, per their group's `failover:remediate`
   * (see remediate.ts), and carries on stop-starts this journal began (remediation-run.ts). Reads
   * the journal only for groups with something to do; journals and tells every attempt.
   */
  async remediate(request: RemediateRequest): Promise<RemediationResult[]> {
    const { journal, clock, log, settings, ec2, remediation, notifier } = this.deps;
    const call = request.signal ? { signal: request.signal } : {};
    const groups = this.discover(request.snapshot).groups;
    // Only members a roster covers are remediated: never a newcomer, nobody in a group whose roster could not be read.
    await this.rosters.load(groups.filter((g) => g.policy.remediate !== 'off'), false, call);
    return runRemediation(
      { ec2, journal, clock, log, settings: settings.remediation ?? DEFAULT_REMEDIATION, noticePrefix: settings.noticePrefix ?? 'vpc-failover', ...(remediation ? { remediation } : {}), ...(notifier ? { notifier } : {}) },
      {
        groups,
        rosters: this.rosters.all(),
        snapshot: request.snapshot,
        probes: request.probes,
        ...(request.probeReasons ? { probeReasons: request.probeReasons } : {}),
        deadline: request.deadline,
        call,
        settle: request.settle ? { signal: request.settle } : {},
      },
    );
  }

  /** What the OSes have, newest report per instance first: the probe's, or what this engine did since. */
  private osView(reported: OsReport | undefined): OsReport {
    const merged: Record<string, OsView> = { ...reported };
    for (const [id, done] of this.osDone) {
      const seen = merged[id];
      merged[id] = !seen || seen.at < done.at ? { at: done.at, addresses: { ...seen?.addresses, ...done.addresses } } : seen;
    }
    return merged;
  }

  /** Records what host actions did to the OSes: done means up (or down); failed means not up. */
  private noteOsActions(actions: readonly Action[], reports: readonly ActionReport[], at: number): void {
    actions.forEach((action, i) => {
      if (action.type !== 'activate-ip' && action.type !== 'deactivate-ip') return;
      const ok = reports[i]?.status === 'applied';
      // A failed take-down says nothing certain about the address; only a failed bring-up is "not up".
      if (action.type === 'deactivate-ip' && !ok) return;
      const up = action.type === 'activate-ip' && ok;
      const previous = this.osDone.get(action.instanceId)?.addresses;
      this.osDone.set(action.instanceId, { at, addresses: { ...previous, [action.ip]: up } });
    });
  }

  private async runGroup(initial: Group, world: WorldSnapshot, health: HealthMap, request: RunRequest, early: LeaseGrant | undefined): Promise<GroupResult> {
    const { clock, lease, settings, log } = this.deps;
    const call = request.signal ? { signal: request.signal } : {};
    const settle = request.settle ? { signal: request.settle } : {};
    const started = clock.now();
    const dryRun = request.dryRun ?? false;
    const result = (group: Group, fields: Pick<GroupResult, 'outcome' | 'reason'> & Partial<GroupResult>): GroupResult => ({
      group: group.name,
      kind: group.kind,
      trigger: request.trigger,
      dryRun,
      before: holdersOf(initial),
      after: holdersOf(group),
      actions: [],
      durationMs: clock.now() - started,
      ...fields,
    });
    // "Away from the holder" means the holder seen now: a second decider that wins the lease later must not
    // move away from the node the first one just moved to.
    const pinned = request.intent.type === 'failover' && request.intent.from === undefined && request.intent.to === undefined && initial.kind !== 'nat';
    const holderNow = pinned ? groupHolder(initial)?.instance.instanceId : undefined;
    const intent: Intent = holderNow ? { type: 'failover', from: holderNow } : request.intent;
    const confirmation: Confirmation = confirmationOf(request.intent, request.trigger);
    const decideAt = (group: Group, h: HealthMap, lastMoveAt: number | undefined, stored: readonly string[] | undefined) =>
      decide({ group, health: h, intent, now: clock.now(), os: this.osView(request.os), roster: rosterFor(group, stored, confirmation), ...(lastMoveAt === undefined ? {} : { lastMoveAt }) });

    if (dryRun) {
      if (early) await this.release(early, settle);
      const history: GroupHistory = (await lease.lastMoves([initial.name], call))[initial.name] ?? {};
      const plan = decideAt(initial, health, history.lastMoveAt, history.roster);
      return result(initial, { outcome: plan.outcome === 'refused' ? 'refused' : 'unchanged', reason: `dry run: ${plan.reason}`, plan });
    }

    // Most rounds change nothing: plan first, and only take the lease for a move or a person's confirmation.
    const storedNow = early?.roster ?? this.rosters.get(initial.name);
    const tentative = decideAt(initial, health, early?.lastMoveAt ?? this.lastMoveSeen.get(initial.name), storedNow);
    const confirms = confirmation.kind !== 'none' && !sameMembers(rosterFor(initial, storedNow, confirmation), storedNow);
    if (tentative.outcome !== 'change' && !confirms) {
      if (early) await this.release(early, settle);
      return this.tell(result(initial, { outcome: tentative.outcome === 'refused' ? 'refused' : 'unchanged', reason: tentative.reason, plan: tentative }), settle);
    }

    const acquired = early ? { grant: early, waited: false } : await this.acquire(initial.name, request.deadline, call);
    if (!acquired) return result(initial, { outcome: 'busy', reason: 'another decider held the lease until the deadline', plan: tentative });
    const { grant, waited } = acquired;
    // The larger: a failed release after our own move left the lease item behind; a holder that died with it may have moved (lapse.ts).
    const lapse = lapsedMoveAt(grant);
    this.seeMove(initial.name, lapse ?? grant.lastMoveAt);
    let [movedAt, roster]: [number | undefined, readonly string[] | undefined] = [undefined, undefined];
    try {
      // Someone may have acted since we looked: look again before acting on a stale picture.
      let group = initial;
      let groupHealth = health;
      if (waited || (grant.previousReleasedAt !== undefined && grant.previousReleasedAt >= world.observedAt)) {
        const fresh = await this.observe(request.deadline, call);
        const again = this.discover(fresh).groups.find((g) => g.name === initial.name);
        if (!again) return result(initial, { outcome: 'refused', reason: 'the group changed or became misconfigured while waiting for the lease' });
        group = again;
        groupHealth = assessHealth(fresh, request.probes, request.probeReasons);
      }
      const lastMoveAt = await this.lastMoveFor(group, grant, (at) => decideAt(group, groupHealth, at, grant.roster), call);
      const plan = decideAt(group, groupHealth, lastMoveAt, grant.roster);
      // The roster this decision stands on is recorded with the release (see roster.ts).
      const decided = rosterFor(group, grant.roster, confirmation);
      if (!sameMembers(decided, grant.roster)) roster = decided;
      this.rosters.set(group.name, decided);
      const confirmed = roster && confirmation.kind !== 'none' ? `; confirmed members: ${decided.join(', ')}` : '';
      if (plan.outcome !== 'change') {
        return this.tell(result(group, { outcome: plan.outcome === 'refused' ? 'refused' : 'unchanged', reason: `${plan.reason}${confirmed}`, plan }), settle);
      }

      log.info('applying plan', { group: group.name, trigger: request.trigger, moves: plan.moves, repairs: plan.repairs });
      // Finish acting while the lease is still ours, so no other decider can start on a half-applied plan.
      const actBy = Math.min(request.deadline, grant.expiresAt - LEASE_MARGIN_MS);
      const reports = await applyActions(plan.actions, this.deps, {
        deadline: actBy,
        hostDeadline: clock.now() + (settings.hostTimeoutMs ?? 8_000),
        concurrency: settings.applyConcurrency,
        ...call,
        onRetry: (summary, error, attempt) => log.warn('retrying', { group: group.name, action: summary, attempt, error: error.message }),
      });
      this.noteOsActions(plan.actions, reports, clock.now());
      const applied = plan.actions.filter((_, i) => reports[i]?.status === 'applied');
      const leftBehind = plan.actions.filter((_, i) => reports[i]?.error === LEFT_FOR_NEXT_RUN);
      // OS-side repairs start no cooldown; a move the deadline cut short starts it with the run that finishes it.
      if (applied.some((a) => SWITCHES.has(a.type)) && leftBehind.length === 0) {
        movedAt = clock.now();
        this.lastMoveSeen.set(group.name, movedAt);
      }
      const verification = await verifyActions(applied, this.deps, {
        deadline: Math.min(actBy, clock.now() + settings.verifyTimeoutMs),
        intervalMs: settings.verifyIntervalMs,
        ...call,
      });
      const answering = await this.verifyDataPlane(group, applied, Math.min(actBy, clock.now() + settings.verifyTimeoutMs), call);
      const failed = reports.filter((r) => r.status !== 'applied');
      const outcome = failed.length === 0 && verification.verified && answering.ok ? 'changed' : applied.length === 0 ? 'failed' : 'partial';
      const notes = [
        ...leftBehindNote(leftBehind),
        ...failed.filter((r) => r.error !== LEFT_FOR_NEXT_RUN).map((r) => `${r.summary}: ${r.status}${r.error ? ` (${r.error})` : ''}`),
        ...verification.pending.map((p) => `not visible before the deadline: ${p}`),
        ...answering.notes,
      ];
      const reason = [request.reason, plan.reason, ...notes].filter(Boolean).join('; ') + confirmed;
      const after = movedAt !== undefined ? await this.afterView(group, request.deadline, call) : group;
      const done = result(after, { outcome, reason, actions: reports, plan });
      const entry = decisionEntry(done, plan, request.trigger, clock.now(), { members: group.members.map((m) => m.instance.instanceId), confirmed: decided });
      const journalKey = await this.deps.journal.record(entry, settle).catch((error: unknown) => {
        log.error('journal write failed', { group: group.name, error: String(error) });
        return undefined;
      });
      return this.tell(journalKey === undefined ? done : { ...done, journalKey }, settle);
    } finally {
      const update = leaseUpdate(movedAt ?? lapse, roster);
      // It carries the move's time (the next cooldown): retried while the lease is ours; conditional on the lease token, so idempotent.
      const released = retry(() => lease.release(grant, clock.now(), update, settle), { clock, deadline: grant.expiresAt, ...settle });
      await released.catch((error: unknown) => log.warn('lease release failed; it expires on its own', { error: String(error) }));
    }
  }

  private seeMove(group: string, at: number | undefined): void {
    if (at !== undefined) this.lastMoveSeen.set(group, Math.max(at, this.lastMoveSeen.get(group) ?? 0));
  }

  /**
   * The last move under the lease: the lease item's, or this engine's own if newer (a failed release). A plan a cooldown
   * would hold back (a failback) is checked against the journal's newest move too, which outlives a lost release; other plans cost no read.
   */
  private async lastMoveFor(group: Group, grant: LeaseGrant, plan: (lastMoveAt: number | undefined) => Plan, call: CallOptions): Promise<number | undefined> {
    const { clock, journal, log } = this.deps;
    const known = this.lastMoveSeen.get(group.name) ?? grant.lastMoveAt;
    const now = clock.now();
    if (known !== undefined && now - known < group.policy.cooldownMs) return known;
    if (plan(known).outcome !== 'change' || plan(now).outcome === 'change') return known;
    const entries = await journal.recent(group.name, JOURNAL_MOVES_READ, call).catch((error: unknown) => {
      log.warn('journal not read for the last move; the lease item stands alone', { group: group.name, error: String(error) });
      return [];
    });
    const moved = entries.filter((e) => (e.kind === undefined || e.kind === 'move') && e.outcome !== 'failed' && e.to !== undefined).map((e) => e.at);
    const newest = Math.max(known ?? Number.NEGATIVE_INFINITY, ...moved);
    if (!Number.isFinite(newest)) return known;
    this.seeMove(group.name, newest);
    return newest;
  }

  /**
   * After a VIP moved, the new holder must answer on the group's ports from inside the VPC (the
   * sensor): EC2 and the OS can both say yes while the service does not.
   */
  private async verifyDataPlane(group: Group, applied: readonly Action[], deadline: number, call: CallOptions): Promise<{ ok: boolean; notes: string[] }> {
    const { dataPlane, clock, settings } = this.deps;
    const activated = applied.find((a) => a.type === 'activate-ip');
    if (!dataPlane || group.kind !== 'vip' || activated?.type !== 'activate-ip') return { ok: true, notes: [] };
    const member = group.members.find((m) => m.instance.instanceId === activated.instanceId);
    if (!member || member.ports.length === 0) return { ok: true, notes: [] };
    let verdict: 'ok' | 'fail' | 'unknown' = 'unknown';
    for (let attempt = 1; attempt <= DATA_PLANE_ATTEMPTS; attempt++) {
      verdict = await dataPlane.reach({ id: member.instance.instanceId, ip: activated.ip, ports: member.ports }, call).catch((error: unknown) => {
        if (!(error instanceof FailoverError)) throw error;
        return 'unknown' as const;
      });
      if (verdict === 'ok' || clock.now() + settings.verifyIntervalMs > deadline) break;
      await clock.sleep(settings.verifyIntervalMs);
    }
    const ports = member.ports.join(',');
    if (verdict === 'ok') return { ok: true, notes: [] };
    return {
      ok: false,
      notes: [verdict === 'fail' ? `${activated.ip} does not answer on ${ports} from inside the VPC` : `could not check that ${activated.ip} answers on ${ports}`],
    };
  }

  /** Counts and tells people about a result worth telling, never failing or holding up the result itself. */
  private async tell(result: GroupResult, settle: CallOptions): Promise<GroupResult> {
    const { notifier, metrics, settings, clock, log } = this.deps;
    const changed = result.outcome === 'changed' || result.outcome === 'partial' || result.outcome === 'failed';
    if (metrics && changed && !result.dryRun) {
      const at = clock.now();
      const data = [
        ...((result.plan?.moves.length ?? 0) > 0 ? [{ name: 'Moves', unit: 'Count' as const, dimensions: {}, value: 1, timestamp: at }] : []),
        ...(result.outcome !== 'changed' ? [{ name: 'FailedMoves', unit: 'Count' as const, dimensions: {}, value: 1, timestamp: at }] : []),
      ];
      if (data.length > 0) await metrics.put(data, settle).catch((error: unknown) => log.warn('move metrics not written', { error: String(error) }));
    }
    if (isNoteworthy(result)) {
      // One line per decision worth telling: the dashboard counts moves per group from these.
      const moves = result.plan?.moves ?? [];
      const ids = (pick: (m: (typeof moves)[number]) => string | undefined) => [...new Set(moves.map(pick).filter((id): id is string => id !== undefined))].join(',');
      log.info('decision', { group: result.group, kind: result.kind, outcome: result.outcome, trigger: result.trigger, ...(moves.length > 0 ? { from: ids((m) => m.from), to: ids((m) => m.to) } : {}), durationMs: result.durationMs, journalKey: result.journalKey });
      if (notifier) await notifier.notify(noticeOf(result, settings.noticePrefix ?? 'vpc-failover', result.journalKey), settle);
    }
    return result;
  }

  private async afterView(group: Group, deadline: number, call: CallOptions): Promise<Group> {
    try {
      const world = await this.observe(deadline, call);
      return this.discover(world).groups.find((g) => g.name === group.name) ?? group;
    } catch (error) {
      if (!(error instanceof FailoverError)) throw error;
      return group;
    }
  }

  private async acquire(group: string, deadline: number, call: CallOptions): Promise<{ grant: LeaseGrant; waited: boolean } | undefined> {
    const { lease, clock, settings } = this.deps;
    for (let waited = false; ; waited = true) {
      const grant = await retry(() => lease.tryAcquire(group, settings.owner, settings.leaseTtlMs, clock.now(), call), {
        clock,
        deadline,
        ...(call.signal ? { signal: call.signal } : {}),
      });
      if (grant) return { grant, waited };
      const delay = LEASE_POLL_MS + Math.floor(clock.random() * LEASE_POLL_MS);
      if (clock.now() + delay >= deadline || call.signal?.aborted) return undefined;
      await clock.sleep(delay);
    }
  }
}
