/**
 * What people see of a drill: the figures `failover.sh drill` prints, and the last drill in `status`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findDrillReport, formatDrill } from '../../scripts/drill-report.mjs';
import { formatStatus } from '../../scripts/status-table.mjs';
import { type DrillReport, drillEntry } from '../../shared/core/drill-record.js';
import type { StatusReport } from '../../shared/core/status.js';
import { type DynaliteHandle, startDynalite } from '../../sim/dynalite.js';
import { manualClock } from '../../sim/clock.js';
import { buildVipPair } from '../../sim/world.js';
import { harness } from './support/harness.js';

const A = 'i-0aaaaaaaaaaaaaaaa';
const B = 'i-0bbbbbbbbbbbbbbbb';
const done: DrillReport = {
  group: 'web',
  kind: 'vip',
  outcome: 'done',
  summary: `moved ${A} → ${B} and back`,
  refusals: [],
  from: A,
  to: B,
  endsOn: A,
  measured: 'TCP to 10.0.1.100 on 443 from the sensor',
  legs: [
    { leg: 'out', from: A, to: B, outcome: 'changed', switchMs: 240, answeredMs: 640, maxGapMs: 400, checks: { answered: 3, failed: 2 } },
    { leg: 'back', from: B, to: A, outcome: 'changed', switchMs: 250, answeredMs: 650, maxGapMs: 600, checks: { answered: 3, failed: 3 } },
  ],
  durationMs: 61_300,
};

describe('the drill as failover.sh prints it', () => {
  it('gives each leg its switch time, the time the address answered, and the longest gap', () => {
    const lines = formatDrill(done).split('\n');

    expect(lines[0]).toBe('drill web (vip): done in 1 min');
    expect(lines).toContainEqual(expect.stringMatching(/^ {2}LEG +FROM +TO +OUTCOME +SWITCH +ANSWERED +LONGEST GAP +CHECKS OK\/FAILED$/));
    expect(lines).toContainEqual(expect.stringMatching(new RegExp(`^ {2}out +${A} +${B} +changed +240 ms +640 ms +400 ms +3/2$`)));
    expect(lines).toContainEqual(expect.stringMatching(new RegExp(`^ {2}back +${B} +${A} +changed +250 ms +650 ms +600 ms +3/3$`)));
  });

  it('lists every reason of a refusal', () => {
    const refused: DrillReport = { ...done, outcome: 'refused', legs: [], refusals: ['alarm vpc-failover-prod-move-failed is in ALARM', `${B} is not healthy: no TCP on 443`], summary: 'refused' };

    expect(formatDrill(refused).split('\n').slice(1, 3)).toEqual(['  refused: alarm vpc-failover-prod-move-failed is in ALARM', `  refused: ${B} is not healthy: no TCP on 443`]);
  });

  it('finds the answer after the log lines serverless prints before it', () => {
    expect(findDrillReport(`INFO something\n${JSON.stringify(done, null, 2)}\n`)).toEqual(done);
    expect(findDrillReport('{"observedAt":"x","groups":[]}')).toBeUndefined();
  });
});

describe('the last drill in status', () => {
  let db: DynaliteHandle;
  beforeAll(async () => {
    db = await startDynalite();
  });
  afterAll(async () => {
    await db?.stop();
  });

  it('shows when the group was last drilled, whether it passed, and its outage', async () => {
    const clock = manualClock();
    const { world, group } = buildVipPair({ worldOptions: { clock }, group: 'web' });
    const h = await harness(world, clock, db);
    await h.runtime.store.record(drillEntry({ ...done, group }, clock.now()));

    const report = (await h.invoke({ action: 'status', group })) as StatusReport;

    expect(report.groups[0]?.lastDrill).toEqual({ at: new Date(clock.now()).toISOString(), outcome: 'applied', outageMs: 600, summary: done.summary });
    expect(formatStatus(report).split('\n')).toContainEqual(expect.stringMatching(/^ {2}last drill: \S+ \S+ {2}passed, outage 600 ms: moved /));
  });
});
