/** The `chaos` scenario's schedule: the soak's draws, kept to what the lab can play, inside the run. */
import { describe, expect, it } from 'vitest';
import { LAB_KINDS, LEFT_TO_THE_SOAK, MAX_FAULT_MS, chaosSchedule } from '../../lab/chaos-schedule.js';
import { FAULT_KINDS } from '../../soak/schedule.js';

describe('chaos schedule', () => {
  it('plays the same faults at the same moments for the same seed', () => {
    expect(chaosSchedule({ seed: 9, minutes: 60 })).toEqual(chaosSchedule({ seed: 9, minutes: 60 }));
    expect(chaosSchedule({ seed: 9, minutes: 60 })).not.toEqual(chaosSchedule({ seed: 10, minutes: 60 }));
  });

  it('keeps to the faults the lab can make, on the members of its two groups', () => {
    const entries = [1, 2, 3, 4, 5].flatMap((seed) => chaosSchedule({ seed, minutes: 60 }));

    expect(entries.length).toBeGreaterThan(100);
    for (const { fault } of entries) {
      expect(LAB_KINDS.has(fault.kind)).toBe(true);
      if ('node' in fault) expect(['web/a', 'web/b', 'egress/a', 'egress/b']).toContain(fault.node);
    }
    expect(new Set(entries.map((e) => e.fault.kind)).size).toBeGreaterThan(12);
  });

  it('names why each fault kind it leaves out is left to the soak', () => {
    const left = FAULT_KINDS.filter((kind) => !LAB_KINDS.has(kind));

    expect(left.length).toBeGreaterThan(0);
    for (const kind of left) expect(LEFT_TO_THE_SOAK[kind], kind).toMatch(/\w/);
  });

  it('ends every fault by the quiet stretch at the end, so that convergence can be seen', () => {
    for (const minutes of [4, 60]) {
      const quietMs = Math.min(10 * 60_000, Math.max(3 * 60_000, (minutes * 60_000) / 4));
      for (const entry of chaosSchedule({ seed: 3, minutes })) {
        expect(entry.at).toBeGreaterThanOrEqual(30_000);
        expect(entry.durationMs).toBeLessThanOrEqual(MAX_FAULT_MS);
        expect(entry.at + entry.durationMs).toBeLessThanOrEqual(minutes * 60_000 - quietMs);
      }
    }
  });
});
