import { describe, expect, it } from 'vitest';
import { FAULT_KINDS, buildSchedule, describeFault } from '../../soak/schedule.js';
import { shrink } from '../../soak/shrink.js';

describe('the soak schedule', () => {
  it('is the same for the same seed, entry for entry', () => {
    expect(buildSchedule({ seed: 42, hours: 24 })).toEqual(buildSchedule({ seed: 42, hours: 24 }));
  });

  it('differs between seeds', () => {
    expect(buildSchedule({ seed: 42, hours: 24 })).not.toEqual(buildSchedule({ seed: 43, hours: 24 }));
  });

  it('starts after the warm-up and ends every fault a quiet spell before the end', () => {
    const schedule = buildSchedule({ seed: 7, hours: 24, warmupMs: 300_000, quietMs: 900_000 });

    expect(schedule.length).toBeGreaterThan(300);
    expect(Math.min(...schedule.map((f) => f.at))).toBeGreaterThanOrEqual(300_000);
    expect(Math.max(...schedule.map((f) => f.at + f.durationMs))).toBeLessThanOrEqual(24 * 3_600_000 - 900_000);
    expect(schedule.map((f) => f.id)).toEqual(schedule.map((_, i) => i));
  });

  it('draws every kind of fault over a day', () => {
    const kinds = new Set(buildSchedule({ seed: 3, hours: 24 }).map((f) => f.fault.kind));

    expect([...kinds].sort()).toEqual([...FAULT_KINDS].sort());
  });

  it('describes an entry in one line', () => {
    expect(describeFault({ id: 12, at: 3_725_000, durationMs: 120_000, seed: 1, fault: { kind: 'node-hang', node: 'vip-0/a' } })).toBe('#12 +01:02:05 for 120 s node-hang vip-0/a');
    expect(describeFault({ id: 3, at: 90_000_000, durationMs: 0, seed: 1, fault: { kind: 'lambda-kill', fn: 'probe', atCall: 7, applied: true } })).toBe('#3 +25:00:00 lambda-kill fn=probe atCall=7 applied=true');
  });
});

describe('the shrinker', () => {
  const items = Array.from({ length: 40 }, (_, i) => i);

  it('keeps only the entries the failure needs', async () => {
    const result = await shrink(items, async (subset) => subset.includes(3) && subset.includes(31));

    expect(result).toMatchObject({ items: [3, 31], minimal: true });
  });

  it('keeps a failure that needs no entry at all down to nothing', async () => {
    expect((await shrink(items, async () => true)).items).toEqual([]);
  });

  it('stops at its budget with the smallest failing list found so far', async () => {
    const result = await shrink(items, async (subset) => subset.includes(3) && subset.includes(31), { budget: 3 });

    expect(result.runs).toBe(3);
    expect(result.minimal).toBe(false);
    expect(result.items).toEqual(expect.arrayContaining([3, 31]));
  });
});
