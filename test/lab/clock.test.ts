/** The lab clock: real time until the trial ends, then past every deadline at once. */
import { describe, expect, it } from 'vitest';
import { labClock } from '../../lab/clock.js';

describe('labClock', () => {
  it('wakes every sleeper at once when it ends, and never sleeps again', async () => {
    let now = 1_000;
    const clock = labClock(() => 0.25, () => now);
    const woken: string[] = [];
    const long = clock.sleep(60_000).then(() => woken.push('long'));

    clock.end();
    await long;
    const started = Date.now();
    await clock.sleep(60_000);

    expect(woken).toEqual(['long']);
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(clock.ended).toBe(true);
    now = 2_000;
    expect(clock.now()).toBeGreaterThan(2_000 + 3_600_000);
  });

  it('tells the real time, and the injected randomness, until then', () => {
    const clock = labClock(() => 0.25, () => 1_234);

    expect([clock.now(), clock.random(), clock.ended]).toEqual([1_234, 0.25, false]);
  });
});
