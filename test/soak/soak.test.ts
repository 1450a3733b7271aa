/**
 * A short soak on fixed seeds: the production functions over the in-memory VPC with each seed's
 * random fault schedule, every invariant checked. `npm run soak` runs the long ones.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DynaliteHandle, startDynalite } from '../../sim/dynalite.js';
import { formatViolation, movesOf } from '../../soak/invariants.js';
import { runSoak } from '../../soak/run.js';
import { buildSchedule } from '../../soak/schedule.js';

/** Seeds and length: two simulated hours each, about 10 s of CPU per seed on the CI machine. */
const SEEDS = [2, 3];
const HOURS = 2;

let db: DynaliteHandle;
beforeAll(async () => {
  db = await startDynalite('vpcf-soak-ci');
});
afterAll(async () => {
  await db.stop();
});

describe('the soak', () => {
  it.each(SEEDS)(`breaks no invariant over ${HOURS} simulated hours of random faults (seed %i)`, { timeout: 180_000 }, async (seed) => {
    const result = await runSoak({ seed, hours: HOURS, schedule: buildSchedule({ seed, hours: HOURS }), db });

    expect(result.violations.map((v) => formatViolation(v, result.trace.startAt))).toEqual([]);
    // Not vacuous: faults of many kinds landed, traffic moved, and the functions were killed and recycled.
    expect(Object.keys(result.injected).length).toBeGreaterThan(15);
    expect(movesOf(result.trace).length).toBeGreaterThan(5);
    expect(result.trace.invocations.some((i) => i.killed === 'fault')).toBe(true);
  });

  it('replays a seed exactly', { timeout: 120_000 }, async () => {
    const run = async () => {
      const { trace } = await runSoak({ seed: 11, hours: 0.75, schedule: buildSchedule({ seed: 11, hours: 0.75 }), db });
      return { mutations: trace.mutations, verdicts: trace.verdicts, journal: trace.journal.map((e) => ({ ...e })), served: trace.samples.map((s) => s.served) };
    };

    const first = await run();
    const second = await run();

    expect(first.mutations.length + first.verdicts.length).toBeGreaterThan(8);
    expect(second).toEqual(first);
  });
});
