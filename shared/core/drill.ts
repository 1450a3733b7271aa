/**
 * A drill: a real failover on purpose. Preflight (every member healthy by the probes, no alarm of
 * this deployment firing, the group's lease free, no cooldown), then a planned move to the best
 * standby through the same engine as any move (a manual `failover` away from the holder), then,
 * after `backAfterMs`, a move back (`failover --to` the original holder) unless told to stay.
 * The sensor checks the group's address every 200 ms during each leg. A leg that fails, or whose
 * address does not answer in time, ends the drill: the group is put back where it started when
 * that member is healthy, and the report says so.
 */
import { type EngineDeps, FailoverEngine, type GroupResult } from './engine.js';
import type { Group } from './groups.js';
import { assessHealth } from './health.js';
import { groupHolder } from './holders.js';
import { type Check, type SamplerTarget, longestGap, startSampler } from './drill-sampler.js';
import { type DrillReport, drillEntry, drillNotice, drillSummary } from './drill-record.js';

export type { DrillReport } from './drill-record.js';
import type { AlarmPort, CallOptions, DataPlanePort, DrillLeg, Ec2Port, LeaseGrant } from './ports.js';
import type { ProbeVerdicts } from './status.js';
import { RefusedError } from '../errors.js';

/** How often the sensor checks the address during a leg. */
export const DRILL_CHECK_INTERVAL_MS = 200;
export const DEFAULT_BACK_AFTER_MS = 60_000;
/**
 * How long the address must answer without a failure before a leg counts as answered from the new
 * holder: until then the old holder may still answer (the remap is asynchronous) and the gap may
 * be ahead. Ten checks at the 200 ms cadence.
 */
export const DRILL_STEADY_MS = 2_000;

export interface DrillDeps {
  /** What the drill builds its engine from: the same adapters and settings as any run's. */
  readonly engine: EngineDeps;
  /** Reads the probe's last verdicts (the state item); undefined when none are recent. */
  readonly probes: () => Promise<ProbeVerdicts | undefined>;
  /** This deployment's alarms; `alarmPrefix` selects them by name (`vpc-failover-prod-`). */
  readonly alarms: AlarmPort;
  readonly alarmPrefix: string;
  /** The sensor for the checks during the legs; without it the legs report no answer or gap figures. */
  readonly sensor?: DataPlanePort;
}

export interface DrillRequest {
  readonly group: string;
  /** How long the group stays on the standby before the move back; default 60 s. */
  readonly backAfterMs?: number;
  /** Leave the group on the standby: no move back. */
  readonly stay?: boolean;
  readonly deadline: number;
  readonly signal?: AbortSignal;
  readonly settle?: AbortSignal;
}


/** Time a leg may take: the engine's verification, a lease wait, and the wait for the address to answer. */
const legBudgetMs = (deps: EngineDeps) => 2 * deps.settings.verifyTimeoutMs + deps.settings.leaseTtlMs;

/** The sensor's name for the address it checks: a probe id (lower-case letters, digits, dashes), as the sensor's schema requires. */
const DRILL_TARGET_ID = 'drill';

const SWITCHES = new Set(['assign-private-ip', 'associate-address', 'replace-route', 'create-route']);

/** What the sensor can check for a group: the VIP or overlay address on the group's ports. */
function targetOf(group: Group): { target?: SamplerTarget; measured: string } {
  const ports = group.members[0]?.ports ?? [];
  if (ports.length === 0) return { measured: 'nothing: the group has no failover:ports for the sensor to connect to' };
  if (group.kind === 'vip') return { target: { id: DRILL_TARGET_ID, ip: group.vip, ports }, measured: `TCP to ${group.vip} on ${ports.join(',')} from the sensor` };
  if (group.kind === 'overlay' && group.cidr.endsWith('/32')) {
    const ip = group.cidr.slice(0, -3);
    return { target: { id: DRILL_TARGET_ID, ip, ports }, measured: `TCP to ${ip} on ${ports.join(',')} from the sensor (answers only where the sensor's subnets use the group's route tables)` };
  }
  if (group.kind === 'eip') return { measured: "nothing: an Elastic IP is reached from outside the VPC, which the sensor is not; the legs give the switch time and EC2's verification" };
  if (group.kind === 'nat') return { measured: "nothing: a NAT's egress is reached from the private subnets, which the sensor cannot stand in for; the legs give the switch time and EC2's verification" };
  return { measured: 'nothing: the overlay is a range, not one address' };
}

export async function runDrill(deps: DrillDeps, request: DrillRequest): Promise<DrillReport> {
  const { clock, log, settings } = deps.engine;
  const started = clock.now();
  const call: CallOptions = request.signal ? { signal: request.signal } : {};
  const settle: CallOptions = request.settle ? { signal: request.settle } : {};
  const leg: { switchedAt?: number } = {};
  const ec2: Ec2Port = {
    ...deps.engine.ec2,
    async apply(action, options) {
      await deps.engine.ec2.apply(action, options);
      if (SWITCHES.has(action.type)) leg.switchedAt ??= clock.now();
    },
  };
  const engine = new FailoverEngine({ ...deps.engine, ec2 });
  const backAfterMs = request.backAfterMs ?? DEFAULT_BACK_AFTER_MS;

  const world = await engine.observe(request.deadline, call);
  const discovery = engine.discover(world);
  const group = discovery.groups.find((g) => g.name === request.group);
  const broken = discovery.misconfigured.find((g) => g.name === request.group);
  if (!group && !broken) throw new RefusedError(`no group named '${request.group}': no instance carries failover:group=${request.group}`, { context: { group: request.group } });

  const report = (fields: Omit<DrillReport, 'group' | 'kind' | 'durationMs' | 'refusals' | 'legs' | 'measured'> & Partial<DrillReport>): DrillReport => ({
    group: request.group,
    kind: group?.kind ?? broken?.kind ?? 'unknown',
    refusals: [],
    legs: [],
    measured: 'nothing',
    durationMs: clock.now() - started,
    ...fields,
  });
  const finish = async (done: DrillReport): Promise<DrillReport> => {
    const moved = done.legs.length > 0;
    const journalKey = moved ? await deps.engine.journal.record(drillEntry(done, clock.now()), settle).catch((error: unknown) => void log.error('journal write failed', { group: done.group, error: String(error) })) : undefined;
    const final = journalKey ? { ...done, journalKey } : done;
    const outage = Math.max(0, ...final.legs.map((l) => l.maxGapMs ?? 0));
    // One line per drill: the dashboard's drill widget reads these.
    log.info('drill', { group: final.group, kind: final.kind, result: final.outcome, outageMs: outage, from: final.from, to: final.to, legs: final.legs, summary: final.summary, journalKey: final.journalKey });
    if (deps.engine.notifier) await deps.engine.notifier.notify(drillNotice(final, settings.noticePrefix ?? 'vpc-failover'), settle);
    return final;
  };

  // --- preflight: every reason, not only the first ---
  const refusals: string[] = [];
  if (broken) refusals.push(`the group is misconfigured: ${broken.problems.join('; ')}`);
  const probes = await deps.probes();
  if (!probes) refusals.push('the probe has saved no recent verdicts: a drill needs every member healthy by the probes');
  const health = assessHealth(world, probes?.verdicts, probes?.reasons);
  for (const member of group?.members ?? []) {
    const id = member.instance.instanceId;
    const h = health[id];
    if (h?.verdict !== 'healthy') refusals.push(`${id} is not healthy: ${h?.why ?? 'not observed'}`);
    else if (probes && probes.verdicts[id] !== 'healthy') refusals.push(`${id} has no healthy verdict from the probes`);
  }
  const holder = group ? groupHolder(group)?.instance.instanceId : undefined;
  if (group && !holder) refusals.push('no member holds the group now: nothing to move away from');
  if (group && group.members.length < 2) refusals.push('the group has one member: there is no standby to move to');
  const firing = await deps.alarms.firing(deps.alarmPrefix, call).then(
    (names) => names.map((n) => `alarm ${n} is in ALARM`),
    (error: unknown) => [`this deployment's alarms could not be read: ${error instanceof Error ? error.message : String(error)}`],
  );
  refusals.push(...firing);
  const room = backAfterMs * (request.stay ? 0 : 1) + legBudgetMs(deps.engine) * (request.stay ? 1 : 2);
  if (request.deadline - clock.now() < room) refusals.push(`the invocation has ${Math.round((request.deadline - clock.now()) / 1000)} s left and the drill needs up to ${Math.round(room / 1000)} s: ask for a shorter backAfterSeconds`);
  let grant: LeaseGrant | undefined;
  if (group && refusals.length === 0) {
    grant = await deps.engine.lease.tryAcquire(group.name, settings.owner, settings.leaseTtlMs, clock.now(), call);
    if (!grant) refusals.push("the group's lease is held: another decider is working on it");
    const cooldownMs = group.policy.cooldownMs;
    if (grant?.lastMoveAt !== undefined && clock.now() - grant.lastMoveAt < cooldownMs) {
      refusals.push(`the group is in its cooldown until ${new Date(grant.lastMoveAt + cooldownMs).toISOString()} (it last moved at ${new Date(grant.lastMoveAt).toISOString()})`);
    }
  }
  if (!group || !holder || refusals.length > 0) {
    if (grant) await engine.release(grant, settle);
    return finish(report({ outcome: 'refused', refusals, summary: `refused: ${refusals.join('; ')}`, ...(holder ? { from: holder } : {}) }));
  }

  // --- the legs ---
  const { target, measured } = targetOf(group);
  const runLeg = async (name: DrillLeg['leg'], to: string | undefined, lease?: LeaseGrant): Promise<{ figures: DrillLeg; result?: GroupResult; answered: boolean; unchecked: boolean }> => {
    const legStart = clock.now();
    delete leg.switchedAt;
    const sampler = target && deps.sensor ? startSampler(deps.sensor, target, clock, DRILL_CHECK_INTERVAL_MS) : undefined;
    const deadline = Math.min(request.deadline, legStart + legBudgetMs(deps.engine));
    const verdicts = name === 'out' ? probes : await deps.probes();
    let result: GroupResult | undefined;
    let checks: readonly Check[] = [];
    let answeredAt: number | undefined;
    try {
      [result] = await engine.run({
        intent: to === undefined ? { type: 'failover', from: holder } : { type: 'failover', to },
        trigger: 'manual',
        group: group.name,
        reason: name === 'out' ? 'drill: planned move to the best standby' : name === 'back' ? 'drill: move back to where the group started' : 'drill: putting the group back after a failed leg',
        ...(verdicts ? { probes: verdicts.verdicts, probeReasons: verdicts.reasons } : {}),
        ...(lease ? { grant: lease } : {}),
        deadline,
        ...(request.signal ? { signal: request.signal } : {}),
        ...(request.settle ? { settle: request.settle } : {}),
      });
      const moved = result?.outcome === 'changed' || result?.outcome === 'partial';
      if (sampler && moved && leg.switchedAt !== undefined) answeredAt = await sampler.steadySince(leg.switchedAt, DRILL_STEADY_MS, deadline);
    } finally {
      checks = sampler ? await sampler.stop() : [];
    }
    const move = result?.plan?.moves[0];
    const figures: DrillLeg = {
      leg: name,
      ...(move?.from ? { from: move.from } : {}),
      ...(move?.to ? { to: move.to } : {}),
      outcome: result?.outcome ?? 'failed',
      ...(leg.switchedAt !== undefined ? { switchMs: leg.switchedAt - legStart } : {}),
      ...(answeredAt !== undefined ? { answeredMs: answeredAt - legStart } : {}),
      ...(sampler ? { maxGapMs: longestGap(checks, clock.now()), checks: { answered: checks.filter((c) => c.result === 'ok').length, failed: checks.filter((c) => c.result === 'fail').length } } : {}),
    };
    const unchecked = sampler !== undefined && checks.length > 0 && checks.every((c) => c.result === 'unknown');
    return { figures, ...(result ? { result } : {}), answered: !sampler || answeredAt !== undefined, unchecked };
  };

  const failedWhy = (r: { result?: GroupResult; answered: boolean; unchecked: boolean }): string | undefined =>
    r.result?.outcome !== 'changed'
      ? `ended ${r.result?.outcome ?? 'failed'}: ${r.result?.reason ?? 'no result'}`
      : r.answered
        ? undefined
        : r.unchecked
          ? 'switched, but the sensor could not check the address (is it deployed in the VPC, and let in on the ports?)'
          : `switched, but the address did not answer from inside the VPC within ${legBudgetMs(deps.engine) / 1000} s`;

  const holderNow = async (): Promise<string | undefined> => {
    const now = await engine.observe(request.deadline, call).then((w) => engine.discover(w).groups.find((g) => g.name === group.name));
    return now ? groupHolder(now)?.instance.instanceId : undefined;
  };

  const abort = async (legs: DrillLeg[], why: string, standby?: string): Promise<DrillReport> => {
    const common = { outcome: 'aborted' as const, from: holder, ...(standby ? { to: standby } : {}), measured, legs };
    const on = await holderNow();
    if (on === holder) return finish(report({ ...common, summary: `aborted: ${why}; the group is on ${holder}, where it started`, endsOn: holder }));
    const back = await runLeg('put-back', holder);
    legs.push(back.figures);
    // Where the group is now, whatever the put-back's verification said.
    const after = await holderNow();
    const how = back.result?.outcome === 'changed' ? '' : ` (${back.result?.outcome ?? 'failed'}: ${back.result?.reason ?? 'no result'})`;
    const put = after === holder ? `put back on ${holder}${how}` : `NOT put back on ${holder}${how}; it is on ${after ?? 'no member'}`;
    return finish(report({ ...common, summary: `aborted: ${why}; ${put}`, endsOn: after ?? 'none' }));
  };

  const out = await runLeg('out', undefined, grant);
  const legs = [out.figures];
  const standby = out.figures.to;
  const outFailed = failedWhy(out);
  if (outFailed) return abort(legs, `the move out ${outFailed}`, standby);
  if (request.stay) return finish(report({ outcome: 'stayed', summary: drillSummary('stayed', holder, standby, legs), from: holder, ...(standby ? { to: standby, endsOn: standby } : {}), measured, legs }));

  await clock.sleep(backAfterMs);
  const back = await runLeg('back', holder);
  legs.push(back.figures);
  const backFailed = failedWhy(back);
  if (backFailed) return abort(legs, `the move back ${backFailed}`, standby);
  return finish(report({ outcome: 'done', summary: drillSummary('done', holder, standby, legs), from: holder, ...(standby ? { to: standby } : {}), endsOn: holder, measured, legs }));
}
