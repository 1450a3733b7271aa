/**
 * `npm run lab`: the real controller failing a VIP and a NAT over in network namespaces on this
 * machine, with real packets measuring each outage. See `npm run lab -- --help`.
 *
 * Progress goes to stderr; results to stdout (one JSON document with --json). Exit status: 0 every
 * outcome right, 1 an outcome wrong, 2 bad usage, 3 this machine cannot run the lab. Run as root on
 * a Debian-family system, it first installs the packages of the tools it lacks (lab/install.ts).
 */
import { randomInt } from 'node:crypto';
import type { Log } from '../shared/core/engine.js';
import { prng } from '../sim/prng.js';
import { type DynaliteHandle, startDynalite } from '../sim/dynalite.js';
import { CHAOS_ENTRY, type ChaosReport, chaosText, runChaos } from './chaos.js';
import { INSTALL_COMMAND, checkHost } from './host.js';
import { hasApt, installPlan, runInstall } from './install.js';
import { sweepStaleNamespaces } from './netns.js';
import { helpText, parseLabArgs } from './options.js';
import { jsonDocument, textReport } from './report.js';
import { type ScenarioReport, runScenario } from './run.js';
import { SCENARIOS, SCENARIO_NAMES, SHUTDOWN_DELAY_MS, scenario } from './scenarios.js';
import { ASSIGN_DELAY_MS, EVENT_DELAY_MS, REBOOT_MS, REQUEST_INTERVAL_MS, REQUEST_TIMEOUT_MS } from './trial.js';

/** What the lab runs inside its namespaces (lab/host.ts knows each one's package). */
export const LAB_TOOLS = ['ip', 'ping', 'nc', 'nft', 'timeout', 'setpriv', 'sysctl', 'dash'] as const;

/** Progress on stderr, stamped with the time since the start (m:ss). */
function progressSince(started: number): (line: string) => void {
  return (line) => {
    const s = Math.floor((Date.now() - started) / 1000);
    process.stderr.write(`[lab ${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}] ${line}\n`);
  };
}

function controllerLog(verbose: boolean): Log {
  const print = (level: string) => (message: string, ...extra: Record<string, unknown>[]) => {
    if (verbose) process.stderr.write(`[controller ${level}] ${message} ${extra.map((e) => JSON.stringify(e)).join(' ')}\n`);
  };
  return { debug: () => undefined, info: print('info'), warn: print('warn'), error: print('error') };
}

async function main(argv: readonly string[]): Promise<number> {
  const request = parseLabArgs(argv, { names: [...SCENARIO_NAMES, CHAOS_ENTRY.name], defaults: SCENARIOS.filter((s) => s.inDefault).map((s) => s.name) });
  if (request.kind === 'help') {
    process.stdout.write(`${helpText([...SCENARIOS, CHAOS_ENTRY])}\n`);
    return 0;
  }
  if (request.kind === 'error') {
    process.stderr.write(`lab: ${request.message}. See: npm run lab -- --help\n`);
    return 2;
  }
  let host = checkHost(LAB_TOOLS);
  if (!host.ok) {
    const plan = installPlan({ missing: host.missingTools, root: process.getuid?.() === 0, apt: hasApt(), allowed: request.install });
    if (plan.kind === 'install') {
      process.stderr.write(`lab: ${plan.announce}\n`);
      try {
        runInstall(plan);
      } catch (error) {
        process.stderr.write(`lab: the install failed (${error instanceof Error ? error.message.split('\n')[0] : String(error)}); try: ${INSTALL_COMMAND}\n`);
        return 3;
      }
      host = checkHost(LAB_TOOLS);
    }
  }
  if (!host.ok) {
    process.stderr.write(`lab: this machine cannot run the lab: ${host.reason}\n`);
    return 3;
  }

  const started = Date.now();
  const progress = progressSince(started);
  const seed = request.seed ?? randomInt(2 ** 32);
  const swept = await sweepStaleNamespaces();
  if (swept.length > 0) progress(`removed ${swept.length} namespaces a run that died had left`);
  progress(`seed ${seed} (--seed ${seed} repeats the fault timing); ${request.scenarios.join(', ')}; ${request.trials} trial(s) each`);

  const cleanups = new Set<() => Promise<void>>();
  let db: DynaliteHandle | undefined;
  let stopping = false;
  /** Removes what the trials under way built, then exits; a second call exits at once. */
  const shutdown = (code: number, why: string) => {
    if (stopping) process.exit(code);
    stopping = true;
    progress(`${why}: removing the lab's namespaces and processes (again to quit at once)`);
    void Promise.allSettled([...cleanups].map((cleanup) => cleanup()))
      .then(() => db?.stop())
      .finally(() => process.exit(code));
  };
  process.on('SIGINT', () => shutdown(130, 'SIGINT'));
  process.on('SIGTERM', () => shutdown(143, 'SIGTERM'));
  process.on('SIGHUP', () => shutdown(129, 'SIGHUP'));
  // A bug must not leave namespaces behind either (a killed run's are swept by the next one).
  const crash = (error: unknown) => shutdown(1, `crashed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.on('uncaughtException', crash);
  process.on('unhandledRejection', crash);

  const random = prng(seed);
  const reports: ScenarioReport[] = [];
  let chaos: ChaosReport | undefined;
  try {
    db = await startDynalite('vpc-failover-lab');
    const env = { dynamodb: db.client, random, log: controllerLog(request.verbose), progress };
    const register = (cleanup: () => Promise<void>) => {
      cleanups.add(cleanup);
      return () => void cleanups.delete(cleanup);
    };
    if (request.scenarios[0] === CHAOS_ENTRY.name) chaos = await runChaos({ minutes: request.minutes, seed }, env, register);
    else for (const name of request.scenarios) reports.push(await runScenario(scenario(name), request.trials, env, register, progress));
  } finally {
    await db?.stop();
  }
  if (chaos) {
    process.stdout.write(`${request.json ? JSON.stringify({ ...chaos, node: process.version, wallTimeMs: Date.now() - started }, null, 2) : chaosText(chaos)}\n`);
    return chaos.ok ? 0 : 1;
  }
  const wallTimeMs = Date.now() - started;
  const meta = {
    node: process.version,
    startedAt: new Date(started).toISOString(),
    seed,
    wallTimeMs,
    settings: {
      probe: 'production defaults (VPCF_* unset but the table, the VPC IDs, the sensor and the egress endpoints)',
      assignDelayMs: ASSIGN_DELAY_MS,
      eventDelayMs: EVENT_DELAY_MS,
      shutdownDelayMs: SHUTDOWN_DELAY_MS,
      rebootMs: REBOOT_MS,
      requestIntervalMs: REQUEST_INTERVAL_MS,
      requestTimeoutMs: REQUEST_TIMEOUT_MS,
    },
  };
  process.stdout.write(`${request.json ? JSON.stringify(jsonDocument(reports, meta), null, 2) : textReport(reports, wallTimeMs)}\n`);
  const wrong = reports.filter((r) => !r.ok || (r.baseline !== undefined && !r.baseline.ok));
  if (wrong.length > 0) progress(`wrong outcome: ${wrong.map((r) => r.scenario).join(', ')}`);
  return wrong.length === 0 ? 0 : 1;
}

if (import.meta.main) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`lab: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exit(1);
    },
  );
}
