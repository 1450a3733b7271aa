/**
 * The `drill` scenario: drills run as an operator runs them, `{"action":"drill"}` to the failover
 * function (functions/failover.ts over the lab's EC2, SSM, DynamoDB, sensor and CloudWatch), against
 * the lab's VIP group, in one trial:
 *
 * 1. a drill whose move out fails: EC2 carries the move to web-b out, then every answer to it is
 *    lost (the simulated EC2's fault injection); the drill must put the group back on web-a and say so;
 * 2. a drill out and back (10 s on the standby): the drill's own figure (the longest gap its 200 ms
 *    sensor checks saw, per leg) must agree with the clients' measured outage of that leg within 0.5 s;
 * 3. a drill while the standby is hung and the probe's saved verdicts say so: refused, with the
 *    reason, and nothing moves.
 *
 * The group carries `failover:cooldown=15` so that the second drill need not wait out the
 * production 60 s after the first one's put-back (a drill refuses during the cooldown).
 */
import type { DrillReport } from '../shared/core/drill.js';
import type { ProbeVerdicts } from '../shared/core/status.js';
import { GROUPS, type VipSide } from './topology.js';
import { LabError } from './errors.js';
import { outageAround } from './stats.js';
import { LABELS, REQUEST_TIMEOUT_MS, type Trial } from './trial.js';

/** How long the full drill stays on the standby. */
export const DRILL_BACK_AFTER_SECONDS = 10;
/** The group's `failover:cooldown` in this scenario. */
export const DRILL_COOLDOWN_SECONDS = 15;
/** How far the drill's outage figure may be from the clients'. */
export const DRILL_AGREEMENT_MS = 500;
/** The probe saves its verdicts at the end of each run, once a minute: a change is seen by the next save. */
const SAVE_WAIT_MS = 75_000;
const STEADY = 10;

interface Drilled {
  readonly report: DrillReport;
  readonly startedAt: number;
  readonly endedAt: number;
}

/** What the trial's drills found, for the check. */
interface Findings {
  problem?: string;
  aborted?: Drilled;
  /** Where the VIP is in EC2 right after the aborted drill. */
  holderAfterAbort?: string | undefined;
  done?: Drilled;
  refused?: Drilled;
}

const findings = new WeakMap<Trial, Findings>();

const vipOf = (t: Trial): VipSide => {
  if (!t.topology.vip) throw new LabError('the drill scenario needs the vip group');
  return t.topology.vip;
};

async function drill(t: Trial, payload: Record<string, unknown>): Promise<Drilled> {
  if (!t.controller) throw new LabError('the drill scenario needs the controller');
  const startedAt = t.now();
  const report = (await t.controller.invoke({ action: 'drill', group: GROUPS.vip, ...payload })) as DrillReport;
  const endedAt = t.now();
  t.timeline.add(endedAt, 'decision', `drill: ${report.summary}`);
  return { report, startedAt, endedAt };
}

/** Polls the probe's saved verdicts (as the failover function reads them) until `wanted` holds. */
async function savedVerdicts(t: Trial, wanted: (v: ProbeVerdicts | undefined) => boolean, timeoutMs: number): Promise<boolean> {
  const until = t.now() + timeoutMs;
  while (t.now() < until) {
    if (wanted(await t.controller?.probeVerdicts())) return true;
    await t.sleep(1_000);
  }
  return false;
}

async function inject(t: Trial): Promise<void> {
  const found: Findings = {};
  findings.set(t, found);
  const { a, b, vip } = vipOf(t);
  try {
    const bothHealthy = (v: ProbeVerdicts | undefined) => v?.verdicts[a.instanceId] === 'healthy' && v.verdicts[b.instanceId] === 'healthy';
    if (!(await savedVerdicts(t, bothHealthy, SAVE_WAIT_MS))) {
      found.problem = `the probe saved no verdicts with both members healthy within ${SAVE_WAIT_MS / 1000} s`;
      return;
    }

    t.timeline.add(t.now(), 'fault', "drill 1: EC2 carries out the move to web-b, then loses every answer to it (InternalError)");
    const lost = t.world.faults.inject({ operation: 'AssignPrivateIpAddresses', error: 'InternalError', applyThenFail: true, match: (input) => input['NetworkInterfaceId'] === b.networkInterfaceId });
    try {
      found.aborted = await drill(t, {});
    } finally {
      lost.remove();
    }
    found.holderAfterAbort = t.world.vipHolder(vip);
    // The put-back started the group's cooldown; a drill refuses inside it.
    await t.sleep(DRILL_COOLDOWN_SECONDS * 1_000 + 1_000);

    t.mark('drill', t.now());
    t.timeline.add(t.now(), 'fault', `drill 2: to the standby and back after ${DRILL_BACK_AFTER_SECONDS} s`);
    found.done = await drill(t, { backAfterSeconds: DRILL_BACK_AFTER_SECONDS });
    // The clients' last requests of the back leg are answered or time out.
    await t.sleep(REQUEST_TIMEOUT_MS + 200);

    t.timeline.add(t.now(), 'fault', 'drill 3: web-b hangs; the drill waits for the probe to save that verdict');
    await t.hang(b.instanceId);
    if (!(await savedVerdicts(t, (v) => v?.verdicts[b.instanceId] === 'unhealthy', SAVE_WAIT_MS))) {
      found.problem = `the probe saved no unhealthy verdict for the hung web-b within ${SAVE_WAIT_MS / 1000} s`;
      return;
    }
    found.refused = await drill(t, { backAfterSeconds: DRILL_BACK_AFTER_SECONDS });
  } finally {
    t.mark('drills-done', t.now());
  }
}

/** The clients' outage of each leg of the full drill: the out leg until the back leg's switch call, the back leg after it. */
function clientLegOutages(t: Trial, done: Drilled): number[] {
  const switches = t.ec2Mutations(done.startedAt).filter((c) => c.operation === 'AssignPrivateIpAddresses' && c.at <= done.endedAt);
  const backAt = switches[1]?.at ?? done.endedAt;
  const samples = t.samples(LABELS.vip);
  const within = (from: number, to: number) => samples.filter((s) => s.at >= from && s.at < to);
  const outage = (from: number, to: number) => outageAround(within(from, to), from)?.ms ?? 0;
  return [outage(done.startedAt, backAt), outage(backAt, done.endedAt + REQUEST_TIMEOUT_MS)];
}

const secs = (ms: number | undefined) => (ms === undefined ? '—' : `${(ms / 1000).toFixed(2)} s`);

function checkAborted(t: Trial, f: Findings): string | undefined {
  const { a } = vipOf(t);
  const r = f.aborted?.report;
  if (!r) return 'drill 1 did not run';
  if (r.outcome !== 'aborted') return `drill 1 (the move out fails) ended ${r.outcome}: ${r.summary}`;
  if (!r.summary.includes(`put back on ${a.instanceId}`)) return `drill 1 aborted without putting the group back on web-a: ${r.summary}`;
  if (f.holderAfterAbort !== a.instanceId) return `drill 1 says ${r.summary}, but EC2 has the VIP on ${t.nameOf(f.holderAfterAbort)}`;
  if (!t.answeredBy(LABELS.vip, 'web-a', STEADY, f.aborted?.endedAt ?? 0)) return 'drill 1 put the VIP back on web-a in EC2, but the client does not get web-a’s answers';
  return undefined;
}

function checkDone(t: Trial, f: Findings): { problem?: string; text: string } {
  const d = f.done;
  if (!d) return { problem: 'drill 2 did not run', text: '' };
  const { report } = d;
  if (report.outcome !== 'done') return { problem: `drill 2 ended ${report.outcome}: ${report.summary}`, text: '' };
  const clients = clientLegOutages(t, d);
  const pairs = report.legs.map((leg, i) => ({ leg: leg.leg, drill: leg.maxGapMs, clients: clients[i] ?? 0 }));
  const text = pairs.map((p) => `${p.leg}: drill ${secs(p.drill)}, clients ${secs(p.clients)}`).join('; ');
  const off = pairs.find((p) => p.drill === undefined || Math.abs(p.drill - p.clients) > DRILL_AGREEMENT_MS);
  if (off) return { problem: `drill 2's outage figure disagrees with the clients' by more than ${DRILL_AGREEMENT_MS / 1000} s (${text})`, text };
  return { text };
}

function checkRefused(t: Trial, f: Findings): string | undefined {
  const { b } = vipOf(t);
  const r = f.refused;
  if (!r) return 'drill 3 did not run';
  if (r.report.outcome !== 'refused') return `drill 3 (standby hung) ended ${r.report.outcome}: ${r.report.summary}`;
  if (!r.report.refusals.some((why) => why.startsWith(`${b.instanceId} is not healthy`))) return `drill 3 was refused, but not for web-b: ${r.report.refusals.join('; ')}`;
  const moves = t.ec2Mutations(r.startedAt).filter((c) => c.at <= r.endedAt);
  if (moves.length > 0) return `drill 3 was refused, but EC2 was changed: ${moves.map((c) => c.operation).join(', ')}`;
  return undefined;
}

async function check(t: Trial): Promise<{ ok: boolean; outcome: string }> {
  const f = findings.get(t) ?? {};
  if (f.problem) return { ok: false, outcome: f.problem };
  const done = checkDone(t, f);
  const problem = checkAborted(t, f) ?? done.problem ?? checkRefused(t, f);
  if (problem) return { ok: false, outcome: problem };
  if (t.world.vipHolder(vipOf(t).vip) !== vipOf(t).a.instanceId) return { ok: false, outcome: 'the VIP did not end on web-a' };
  const refusal = f.refused?.report.refusals.find((why) => why.startsWith(vipOf(t).b.instanceId)) ?? '';
  return {
    ok: true,
    outcome: `a failed move aborted and put back on web-a; out and back, longest gap per leg ${done.text}; refused with the standby hung (${refusal}), nothing moved`,
  };
}

/** The parts of the lab's Scenario this one defines (lab/scenarios.ts lists it). */
export const DRILL_SCENARIO = {
  name: 'drill',
  summary: 'drills through the failover function: a failed move put back, out and back measured against the clients, a refusal with the standby hung',
  inDefault: false,
  groups: ['vip'],
  memberTags: { 'failover:cooldown': String(DRILL_COOLDOWN_SECONDS) },
  baseline: false,
  jitterMs: 2_000,
  limitMs: 300_000,
  tailMs: 0,
  measure: LABELS.vip,
  describe: () => 'three drills of group web: a failed move, out and back, standby hung',
  inject,
  settled: (t: Trial) => t.marks.has('drills-done'),
  check,
  figures: (t: Trial) => {
    const at = t.marks.get('drill');
    const switchAt = at === undefined ? undefined : t.ec2Mutations(at).find((c) => c.operation === 'AssignPrivateIpAddresses')?.at;
    return { faultAt: at, detectedAt: undefined, switchAt, subject: t.topology.vip?.a.instanceId };
  },
} as const;
