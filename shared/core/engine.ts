/**
 * The failover core: observe, decide, apply, verify, journal. Every trigger (manual, event, probe)
 * comes through `run()`, so the lease and the safety rules hold whatever started it.
 */
import { FailoverError, RefusedError } from '../errors.js';
import { type ActionReport, applyActions, verifyActions } from './apply.js';
import { type Intent, type Plan, decide } from './decide.js';
import { type Discovery, type DiscoveryDefaults, type Group, discover } from './groups.js';
import { type HealthMap, assessHealth } from './health.js';
import { groupHolder, slotsOf } from './holders.js';
import type { Trigger, Verdict, WorldSnapshot } from './model.js';
import type { Clock, Ec2Port, HostPort, JournalEntry, JournalPort, LeaseGrant, LeasePort } from './ports.js';
import { retry } from './retry.js';

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
}

export interface EngineDeps {
  readonly ec2: Ec2Port;
  readonly host: HostPort;
  readonly lease: LeasePort;
  readonly journal: JournalPort;
  readonly clock: Clock;
  readonly log: Log;
  readonly settings: EngineSettings;
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
  /** A snapshot the caller already has (the event path observes while it parses). */
  readonly snapshot?: WorldSnapshot;
  /** Epoch ms by which the run must be finished (the Lambda's remaining time, less a margin). */
  readonly deadline: number;
}

export interface HolderView {
  readonly scope: string;
  readonly holder?: string;
  readonly pointsAt: string;
  readonly broken: boolean;
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
}

const holders = (group: Group): HolderView[] =>
  slotsOf(group).map((s) => ({ scope: s.scope, pointsAt: s.pointsAt, broken: s.broken, ...(s.holder ? { holder: s.holder.instance.instanceId } : {}) }));

const LEASE_POLL_MS = 250;
/** Time kept back from the lease's expiry for journaling and release. */
const LEASE_MARGIN_MS = 3_000;

export interface MemberView {
  readonly instanceId: string;
  readonly state: string;
  readonly availabilityZone: string;
  readonly priority?: number;
  readonly health: Verdict;
  readonly why: string;
}

export interface GroupStatus {
  readonly group: string;
  readonly kind: Group['kind'] | 'unknown';
  readonly policy?: Group['policy'];
  readonly members: readonly MemberView[];
  readonly holders: readonly HolderView[];
  /** Empty for a group that can be moved. */
  readonly problems: readonly string[];
  readonly lastMoveAt?: string;
  readonly journal: readonly JournalEntry[];
}

export interface StatusReport {
  readonly observedAt: string;
  readonly groups: readonly GroupStatus[];
}

export class FailoverEngine {
  /**
   * Last move per group as this engine last saw it. It can only lag the truth (moves only add), so
   * planning with it can only see a shorter cooldown: a plan that says "change" is checked again
   * under the lease, and a long-lived caller (the probe loop) stops taking the lease on every call
   * during a cooldown.
   */
  private readonly lastMoveSeen = new Map<string, number>();

  constructor(private readonly deps: EngineDeps) {}

  /** One batched read; retried on throttling, never interpreted as "down" when it fails. */
  async observe(deadline: number): Promise<WorldSnapshot> {
    return retry(() => this.deps.ec2.observe(), { clock: this.deps.clock, deadline });
  }

  discover(world: WorldSnapshot): Discovery {
    return discover(world, this.deps.settings);
  }

  /** Every group (or one), with members, holders, problems and recent journal entries: a constant number of calls. */
  async status(name: string | undefined, deadline: number, probes?: Readonly<Record<string, Verdict>>): Promise<StatusReport> {
    const { lease, journal, settings } = this.deps;
    const world = await this.observe(deadline);
    const { groups, misconfigured } = this.discover(world);
    const names = [...groups.map((g) => g.name), ...misconfigured.map((g) => g.name)].filter((n) => name === undefined || n === name);
    if (name !== undefined && names.length === 0) {
      throw new RefusedError(`no group named '${name}': no instance carries failover:group=${name}`, { context: { group: name } });
    }
    const [lastMoves, entries] = await Promise.all([lease.lastMoves(names), journal.recent(name, settings.journalLimit)]);
    const health = assessHealth(world, probes);
    const byId = new Map(world.instances.map((i) => [i.instanceId, i]));
    const member = (id: string, priority?: number): MemberView => {
      const instance = byId.get(id);
      const h = health[id];
      return {
        instanceId: id,
        state: instance?.state ?? 'unknown',
        availabilityZone: instance?.availabilityZone ?? 'unknown',
        ...(priority === undefined || priority === Number.MAX_SAFE_INTEGER ? {} : { priority }),
        health: h?.verdict ?? 'unknown',
        why: h?.why ?? 'not observed',
      };
    };
    const common = (group: string) => {
      const at = lastMoves[group];
      return { ...(at === undefined ? {} : { lastMoveAt: new Date(at).toISOString() }), journal: entries.filter((e) => e.group === group) };
    };
    const views: GroupStatus[] = [
      ...groups.map((g) => ({
        group: g.name,
        kind: g.kind,
        policy: g.policy,
        members: g.members.map((m) => member(m.instance.instanceId, m.priority)),
        holders: holders(g),
        problems: [],
        ...common(g.name),
      })),
      ...misconfigured.map((g) => ({
        group: g.name,
        kind: g.kind ?? ('unknown' as const),
        members: g.instanceIds.map((id) => member(id)),
        holders: [],
        problems: g.problems,
        ...common(g.name),
      })),
    ];
    return { observedAt: new Date(world.observedAt).toISOString(), groups: views.filter((v) => names.includes(v.group)) };
  }

  /** Runs the request for the matching groups, concurrently; each group under its own lease. */
  async run(request: RunRequest): Promise<GroupResult[]> {
    const world = request.snapshot ?? (await this.observe(request.deadline));
    const { groups, misconfigured } = this.discover(world);
    const broken = misconfigured.filter((g) => request.group === undefined || g.name === request.group);
    const selected = groups.filter((g) => request.group === undefined || g.name === request.group);
    if (request.group !== undefined && selected.length === 0 && broken.length === 0) {
      throw new RefusedError(`no group named '${request.group}': no instance carries failover:group=${request.group}`, {
        context: { group: request.group },
      });
    }
    const health = assessHealth(world, request.probes);
    const results = await Promise.all(selected.map((group) => this.runGroup(group, world, health, request)));
    return [
      ...results,
      ...broken.map((g) => ({
        group: g.name,
        kind: g.kind ?? ('unknown' as const),
        trigger: request.trigger,
        dryRun: request.dryRun ?? false,
        outcome: 'refused' as const,
        reason: `misconfigured, never moved: ${g.problems.join('; ')}`,
        before: [],
        after: [],
        actions: [],
        durationMs: 0,
      })),
    ];
  }

  private async runGroup(initial: Group, world: WorldSnapshot, health: HealthMap, request: RunRequest): Promise<GroupResult> {
    const { clock, lease, settings, log } = this.deps;
    const started = clock.now();
    const dryRun = request.dryRun ?? false;
    const result = (group: Group, fields: Pick<GroupResult, 'outcome' | 'reason'> & Partial<GroupResult>): GroupResult => ({
      group: group.name,
      kind: group.kind,
      trigger: request.trigger,
      dryRun,
      before: holders(initial),
      after: holders(group),
      actions: [],
      durationMs: clock.now() - started,
      ...fields,
    });
    // "Away from the holder" means the holder seen now: a second decider that wins the lease later must not
    // move away from the node the first one just moved to.
    const pinned = request.intent.type === 'failover' && request.intent.from === undefined && request.intent.to === undefined && initial.kind !== 'nat';
    const holderNow = pinned ? groupHolder(initial)?.instance.instanceId : undefined;
    const intent: Intent = holderNow ? { type: 'failover', from: holderNow } : request.intent;
    const decideAt = (group: Group, h: HealthMap, lastMoveAt?: number) =>
      decide({ group, health: h, intent, now: clock.now(), ...(lastMoveAt === undefined ? {} : { lastMoveAt }) });

    if (dryRun) {
      const lastMoveAt = (await lease.lastMoves([initial.name]))[initial.name];
      const plan = decideAt(initial, health, lastMoveAt);
      return result(initial, { outcome: plan.outcome === 'refused' ? 'refused' : 'unchanged', reason: `dry run: ${plan.reason}`, plan });
    }

    // Most rounds change nothing: plan first, and only take the lease when there is something to do.
    const tentative = decideAt(initial, health, this.lastMoveSeen.get(initial.name));
    if (tentative.outcome !== 'change') {
      return result(initial, { outcome: tentative.outcome === 'refused' ? 'refused' : 'unchanged', reason: tentative.reason, plan: tentative });
    }

    const acquired = await this.acquire(initial.name, request.deadline);
    if (!acquired) return result(initial, { outcome: 'busy', reason: 'another decider held the lease until the deadline', plan: tentative });
    const { grant, waited } = acquired;
    if (grant.lastMoveAt !== undefined) this.lastMoveSeen.set(initial.name, grant.lastMoveAt);
    let movedAt: number | undefined;
    try {
      // Someone may have acted since we looked: look again before acting on a stale picture.
      let group = initial;
      let groupHealth = health;
      if (waited || (grant.previousReleasedAt !== undefined && grant.previousReleasedAt >= world.observedAt)) {
        const fresh = await this.observe(request.deadline);
        const again = this.discover(fresh).groups.find((g) => g.name === initial.name);
        if (!again) return result(initial, { outcome: 'refused', reason: 'the group changed or became misconfigured while waiting for the lease' });
        group = again;
        groupHealth = assessHealth(fresh, request.probes);
      }
      const plan = decideAt(group, groupHealth, grant.lastMoveAt);
      if (plan.outcome !== 'change') {
        return result(group, { outcome: plan.outcome === 'refused' ? 'refused' : 'unchanged', reason: plan.reason, plan });
      }

      log.info('applying plan', { group: group.name, trigger: request.trigger, moves: plan.moves });
      // Finish acting while the lease is still ours, so no other decider can start on a half-applied plan.
      const actBy = Math.min(request.deadline, grant.expiresAt - LEASE_MARGIN_MS);
      const reports = await applyActions(plan.actions, this.deps, {
        deadline: actBy,
        hostDeadline: clock.now() + (settings.hostTimeoutMs ?? 8_000),
        concurrency: settings.applyConcurrency,
        onRetry: (summary, error, attempt) => log.warn('retrying', { group: group.name, action: summary, attempt, error: error.message }),
      });
      const applied = plan.actions.filter((_, i) => reports[i]?.status === 'applied');
      if (applied.length > 0) {
        movedAt = clock.now();
        this.lastMoveSeen.set(group.name, movedAt);
      }
      const verification = await verifyActions(applied, this.deps, {
        deadline: Math.min(actBy, clock.now() + settings.verifyTimeoutMs),
        intervalMs: settings.verifyIntervalMs,
      });
      const failed = reports.filter((r) => r.status !== 'applied');
      const outcome = failed.length === 0 && verification.verified ? 'changed' : applied.length === 0 ? 'failed' : 'partial';
      const notes = [
        ...failed.map((r) => `${r.summary}: ${r.status}${r.error ? ` (${r.error})` : ''}`),
        ...verification.pending.map((p) => `not visible before the deadline: ${p}`),
      ];
      const reason = [request.reason, plan.reason, ...notes].filter(Boolean).join('; ');
      const after = applied.length > 0 ? await this.afterView(group, request.deadline) : group;
      const final = result(after, { outcome, reason, actions: reports, plan });
      await this.record(final, plan, request).catch((error: unknown) => log.error('journal write failed', { group: group.name, error: String(error) }));
      return final;
    } finally {
      await lease.release(grant, clock.now(), movedAt).catch((error: unknown) => log.warn('lease release failed; it expires on its own', { error: String(error) }));
    }
  }

  private async afterView(group: Group, deadline: number): Promise<Group> {
    try {
      const world = await this.observe(deadline);
      return this.discover(world).groups.find((g) => g.name === group.name) ?? group;
    } catch (error) {
      if (!(error instanceof FailoverError)) throw error;
      return group;
    }
  }

  private async acquire(group: string, deadline: number): Promise<{ grant: LeaseGrant; waited: boolean } | undefined> {
    const { lease, clock, settings } = this.deps;
    for (let waited = false; ; waited = true) {
      const grant = await retry(() => lease.tryAcquire(group, settings.owner, settings.leaseTtlMs, clock.now()), { clock, deadline });
      if (grant) return { grant, waited };
      const delay = LEASE_POLL_MS + Math.floor(clock.random() * LEASE_POLL_MS);
      if (clock.now() + delay >= deadline) return undefined;
      await clock.sleep(delay);
    }
  }

  private record(result: GroupResult, plan: Plan, request: RunRequest): Promise<void> {
    const list = (ids: (string | undefined)[]) => [...new Set(ids.filter((id): id is string => id !== undefined))].join(',');
    const from = list(plan.moves.map((m) => m.from));
    const to = list(plan.moves.map((m) => m.to));
    const entry: JournalEntry = {
      group: result.group,
      at: this.deps.clock.now(),
      trigger: request.trigger,
      reason: result.reason,
      ...(from ? { from } : {}),
      ...(to ? { to } : {}),
      actions: result.actions.map((a) => `${a.status}: ${a.summary}`),
      outcome: result.outcome === 'changed' ? 'applied' : result.outcome === 'partial' ? 'partial' : 'failed',
      durationMs: result.durationMs,
    };
    return this.deps.journal.record(entry);
  }
}
