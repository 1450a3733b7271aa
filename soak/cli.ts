/**
 * `npm run soak -- --hours 24 --seed S [--seeds N] [--json] [--only 3,17] [--no-shrink] [--shrink-runs N] [--max-wall-seconds T] [--out report.json]`
 *
 * Runs the production functions over the in-memory VPC for `hours` simulated hours per seed with
 * the seed's random fault schedule, checks the invariants, and prints the report. A failing seed is
 * shrunk to the shortest schedule that still breaks the same invariant; `--only` replays a subset
 * of a seed's schedule by entry number (what the shrinker prints).
 */
import { parseArgs } from 'node:util';
import { startDynalite } from '../sim/dynalite.js';
import { writeFileSync } from 'node:fs';
import { type SeedDigest, buildReport, digest, formatReport } from './report.js';
import { runSoak } from './run.js';
import { type ScheduledFault, buildSchedule, describeFault } from './schedule.js';
import { shrink } from './shrink.js';

const USAGE = 'usage: npm run soak -- --hours H --seed S [--seeds N] [--json] [--only 3,17] [--no-shrink] [--shrink-runs N] [--max-wall-seconds T] [--out report.json]';

function usage(message: string): never {
  process.stderr.write(`${message}\n${USAGE}\n`);
  process.exit(2);
}

/** The options, or one line naming what is wrong with them (never a stack trace). */
function options(args: readonly string[]) {
  try {
    return parseArgs({
      args: [...args],
      options: {
        help: { type: 'boolean', default: false },
        hours: { type: 'string' },
        seed: { type: 'string' },
        seeds: { type: 'string' },
        json: { type: 'boolean', default: false },
        only: { type: 'string' },
        'no-shrink': { type: 'boolean', default: false },
        'max-wall-seconds': { type: 'string' },
        out: { type: 'string' },
        'shrink-runs': { type: 'string' },
      },
      strict: true,
    }).values;
  } catch (error) {
    return usage(`soak: ${error instanceof Error ? error.message : String(error)}`);
  }
}

function positive(name: string, raw: string | undefined, fallback: number, integer = true): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value))) usage(`--${name} must be a positive ${integer ? 'integer' : 'number'}, got '${raw}'`);
  return value;
}

async function main(): Promise<void> {
  const values = options(process.argv.slice(2));
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  const hours = positive('hours', values.hours, 24, false);
  const first = values.seed === undefined ? 1 : Number(values.seed);
  if (!Number.isInteger(first) || first < 0 || first >= 2 ** 32) usage(`--seed must be an integer in [0, 2^32), got '${values.seed}'`);
  const count = positive('seeds', values.seeds, 1);
  const shrinkRuns = positive('shrink-runs', values['shrink-runs'], 150);
  const maxWallMs = positive('max-wall-seconds', values['max-wall-seconds'], Number.POSITIVE_INFINITY, false) * 1000;
  const only = values.only?.split(',').map((id) => Number(id));
  if (only?.some((id) => !Number.isInteger(id) || id < 0)) usage(`--only takes entry numbers, e.g. 3,17; got '${values.only}'`);

  const db = await startDynalite();
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const started = Date.now();
  const runs: SeedDigest[] = [];
  try {
    for (let seed = first; seed < first + count && Date.now() - started < maxWallMs; seed += 1) {
      const full = buildSchedule({ seed, hours });
      const schedule = only ? full.filter((f) => only.includes(f.id)) : full;
      const result = await runSoak({ seed, hours, schedule, db });
      log(`seed ${seed}: ${hours} h, ${schedule.length} faults, ${result.violations.length} violation(s), ${(result.wallMs / 1000).toFixed(1)} s`);
      runs.push(digest(seed, hours, result));
      // Written after every seed, so a long soak that is stopped keeps what it ran.
      if (values.out) writeFileSync(values.out, `${JSON.stringify(buildReport(runs), null, 2)}\n`);
      if (result.violations.length > 0 && !values['no-shrink']) await shrinkSeed(seed, hours, schedule, result.violations[0]?.invariant ?? '', db, log, shrinkRuns);
    }
  } finally {
    await db.stop();
  }
  const report = buildReport(runs);
  process.stdout.write(values.json ? `${JSON.stringify(report, null, 2)}\n` : `${formatReport(report)}\n`);
  process.exit(report.violations > 0 ? 1 : 0);
}

async function shrinkSeed(seed: number, hours: number, schedule: readonly ScheduledFault[], invariant: string, db: Awaited<ReturnType<typeof startDynalite>>, log: (line: string) => void, budget: number): Promise<void> {
  log(`seed ${seed}: shrinking ${schedule.length} faults to the shortest schedule that still breaks ${invariant}`);
  const shrunk = await shrink(
    schedule,
    async (subset) => (await runSoak({ seed, hours, schedule: subset, db })).violations.some((v) => v.invariant === invariant),
    { budget, onAttempt: (size, failed) => log(`  ${size} faults: ${failed ? 'still fails' : 'passes'}`) },
  );
  log(`seed ${seed}: ${shrunk.items.length} fault(s) still break ${invariant} (${shrunk.runs} runs${shrunk.minimal ? ', minimal' : ', budget spent'}):`);
  for (const entry of shrunk.items) log(`  ${describeFault(entry)}`);
  log(`replay: npm run soak -- --hours ${hours} --seed ${seed} --only ${shrunk.items.map((f) => f.id).join(',') || '-'} --no-shrink`);
}

await main();
