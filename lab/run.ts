/**
 * Runs trials: build the lab, let it settle, inject the fault at a random moment, wait for the
 * outcome, check it, measure the outage from the clients' requests, take everything down.
 */
import { LabError } from './errors.js';
import type { Scenario } from './scenarios.js';
import { outageAround, percentile } from './stats.js';
import { REQUEST_TIMEOUT_MS, type Mode, Trial, type TrialEnv } from './trial.js';

export interface TrialRecord {
  readonly trial: number;
  readonly ok: boolean;
  readonly outcome: string;
  /** Epoch ms; null when the trial never got there. */
  readonly faultAt: number | null;
  readonly detectedAt: number | null;
  readonly switchAt: number | null;
  /** The longest run of failed requests around the fault; 0 when none failed, null without a fault. */
  readonly outageMs: number | null;
  readonly recovered: boolean;
  /** Moments after the fault, in ms: where the outage went. */
  readonly phasesMs: Readonly<Record<string, number>>;
  readonly timeline: readonly string[];
}

export interface Series {
  readonly ok: boolean;
  readonly trials: readonly TrialRecord[];
  readonly p50OutageMs: number | null;
  readonly p99OutageMs: number | null;
}

export interface ScenarioReport extends Series {
  readonly scenario: string;
  readonly summary: string;
  /** The classic vip_monitor.sh on the same fault, where the scenario has one. */
  readonly baseline?: Series & { readonly name: 'vip_monitor.sh' };
}

/** Registers cleanups for Ctrl-C while a trial runs; returns the unregister function. */
export type CleanupRegistry = (cleanup: () => Promise<void>) => () => void;

/** The lab is up: every client answered its last requests, every member is judged healthy. */
export function warmedUp(t: Trial): boolean {
  const clientsOk = [...t.clients.keys()].every((label) => {
    const recent = t.samples(label).slice(-10);
    return recent.length === 10 && recent.every((s) => s.ok);
  });
  if (!clientsOk) return false;
  if (t.mode === 'baseline') return t.marks.has('heartbeat');
  return t.topology.hosts.filter((h) => h.member).every((h) => {
    const state = t.nodeStates.get(h.instanceId ?? '');
    // A NAT's first sweep (egress and forwarding checks) must have come back too.
    return state?.verdict === 'healthy' && (!h.nat || (state.forwardingGood > 0 && state.egressGood > 0));
  });
}

export function warmUpProblem(t: Trial): string {
  const quiet = [...t.clients.keys()].filter((label) => !t.samples(label).slice(-10).every((s) => s.ok) || t.samples(label).length < 10);
  const judged = t.topology.hosts.filter((h) => h.member).map((h) => `${h.name}: ${t.nodeStates.get(h.instanceId ?? '')?.why ?? 'not probed'}`);
  return `${t.labErrors.join('; ')}${t.labErrors.length > 0 ? '; ' : ''}clients not answered: ${quiet.join(', ') || 'none'}; ${t.mode === 'controller' ? judged.join('; ') : `heartbeat: ${t.marks.has('heartbeat')}`}`;
}

/** Where the time went after the fault, for the nodes the fault is about. */
function phases(t: Trial, faultAt: number, subject: string | undefined, switchAt: number | undefined, recoveredAt: number | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  const put = (name: string, at: number | undefined) => {
    if (at !== undefined && Number.isFinite(at)) out[name] = at - faultAt;
  };
  if (subject !== undefined) {
    put('sensorRoundFailed', t.firstNote(subject, 'sensor-fail', faultAt - 2_000)?.at);
    const peers = t.firstNote(subject, 'peers-fail', faultAt);
    put('peersAsked', peers?.sentAt);
    put('peersConfirmed', peers?.at);
    put('forwardingCheckFailed', t.firstNote(subject, 'forwarding-fail', faultAt)?.at);
    put('judgedDown', t.firstNote(subject, 'unhealthy', faultAt)?.at);
  }
  put('monitorTookOver', t.marks.get('takeover'));
  put('stoppingEventDelivered', t.marks.get('event:stopping'));
  put('switchCall', switchAt);
  if (switchAt !== undefined) {
    put('vpcEffective', t.vpcChanges.find((at) => at >= switchAt));
    const activation = t.scriptRuns.find((r) => r.kind === 'activate-ip' && r.startedAt >= switchAt);
    put('osActivationStarted', activation?.startedAt);
    put('osActivated', activation?.endedAt ?? t.marks.get('monitor-os-up'));
  }
  put('clientRecovered', recoveredAt);
  return out;
}

/** One trial, from an empty machine back to an empty machine. */
export async function runTrial(spec: Scenario, mode: Mode, index: number, env: TrialEnv, register: CleanupRegistry): Promise<TrialRecord> {
  const t = new Trial(mode, spec.groups, env, spec.memberTags);
  const unregister = register(() => t.close());
  let check = { ok: false, outcome: 'not run' };
  try {
    env.progress('building the VPC');
    await t.start();
    env.progress('waiting for the lab to settle');
    if (!(await t.waitFor(() => warmedUp(t) || t.labErrors.length > 0, 30_000)) || t.labErrors.length > 0) throw new LabError(`the lab did not settle within 30 s (${warmUpProblem(t)})`);
    const jitter = Math.floor(env.random() * spec.jitterMs);
    env.progress(`fault in ${(jitter / 1000).toFixed(1)} s`);
    await t.sleep(jitter);
    const faultAt = t.now();
    t.mark('fault', faultAt);
    t.timeline.add(faultAt, 'fault', `FAULT: ${spec.describe(t)}`);
    env.progress(`fault: ${spec.describe(t)}; waiting up to ${spec.limitMs / 1000} s for the outcome`);
    const injecting = spec.inject(t);
    const settled = await t.waitFor(() => spec.settled(t), spec.limitMs);
    if (settled) await t.sleep(spec.tailMs);
    await injecting;
    // Requests still in flight are answered or time out before the log is read.
    await t.sleep(REQUEST_TIMEOUT_MS + 200);
    check = t.labErrors.length > 0 ? { ok: false, outcome: `lab failure: ${t.labErrors[0] ?? ''}` } : await spec.check(t);
  } catch (error) {
    check = { ok: false, outcome: `lab failure: ${error instanceof Error ? error.message : String(error)}` };
  } finally {
    unregister();
    await t.close().catch((error: unknown) => {
      check = { ok: false, outcome: `${check.outcome}; ${error instanceof Error ? error.message : String(error)}` };
    });
  }
  const figures = t.marks.has('fault') ? spec.figures(t) : undefined;
  const from = figures?.faultAt;
  const outage = from === undefined ? undefined : outageAround(t.samples(spec.measure), from, REQUEST_TIMEOUT_MS);
  const origin = from ?? t.marks.get('fault') ?? t.now();
  return {
    trial: index,
    ok: check.ok,
    outcome: check.outcome,
    faultAt: from ?? null,
    detectedAt: figures?.detectedAt ?? null,
    switchAt: figures?.switchAt ?? null,
    outageMs: from === undefined ? null : (outage?.ms ?? 0),
    recovered: outage === undefined || outage.endAt !== undefined,
    phasesMs: from === undefined ? {} : phases(t, from, figures?.subject, figures?.switchAt, outage?.endAt),
    timeline: t.timeline.render(origin, (t.marks.get('fault') ?? origin) - 2_000, 24),
  };
}

function series(trials: readonly TrialRecord[]): Series {
  const outages = trials.flatMap((r) => (r.outageMs === null ? [] : [r.outageMs]));
  return { ok: trials.every((r) => r.ok), trials, p50OutageMs: percentile(outages, 50) ?? null, p99OutageMs: percentile(outages, 99) ?? null };
}

/** Runs a scenario `trials` times with the controller, then as many with the baseline if it has one. */
export async function runScenario(spec: Scenario, trials: number, env: TrialEnv, register: CleanupRegistry, progress: (line: string) => void): Promise<ScenarioReport> {
  const run = async (mode: Mode): Promise<TrialRecord[]> => {
    const records: TrialRecord[] = [];
    for (let i = 1; i <= trials; i += 1) {
      const who = mode === 'baseline' ? ' (vip_monitor.sh)' : '';
      const trialEnv = { ...env, progress: (line: string) => progress(`${spec.name}${who} ${i}/${trials}: ${line}`) };
      const record = await runTrial(spec, mode, i, trialEnv, register);
      trialEnv.progress(`${record.ok ? 'ok' : 'WRONG'}: ${record.outcome}; outage ${record.outageMs === null ? '—' : `${(record.outageMs / 1000).toFixed(1)} s`}`);
      records.push(record);
    }
    return records;
  };
  const main = series(await run('controller'));
  const baseline = spec.baseline ? { name: 'vip_monitor.sh' as const, ...series(await run('baseline')) } : undefined;
  return { scenario: spec.name, summary: spec.summary, ...main, ...(baseline ? { baseline } : {}) };
}
