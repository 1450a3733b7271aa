import { describe, expect, it } from 'vitest';
import { type Check, longestGap, startSampler, steadyStart } from '../../shared/core/drill-sampler.js';
import { AwsCallError } from '../../shared/errors.js';
import { simClock } from '../../sim/sim-clock.js';

const at = (ms: number, result: Check['result']): Check => ({ at: ms, result });

describe('longestGap', () => {
  it.each([
    ['no checks', [], 1_000, 0],
    ['every check answered', [at(0, 'ok'), at(200, 'ok'), at(400, 'ok')], 600, 0],
    ['one stretch: from the first failed check to the next answered one', [at(0, 'ok'), at(200, 'fail'), at(400, 'fail'), at(600, 'ok')], 800, 400],
    ['the longest of two stretches', [at(0, 'fail'), at(200, 'ok'), at(400, 'fail'), at(600, 'fail'), at(800, 'fail'), at(1_000, 'ok')], 1_200, 600],
    ['a stretch still open at the end counts to the end', [at(0, 'ok'), at(200, 'fail')], 1_000, 800],
    ['checks the sensor could not make say nothing', [at(0, 'ok'), at(200, 'unknown'), at(400, 'unknown'), at(600, 'ok')], 800, 0],
  ])('%s', (_, checks, end, gap) => {
    expect(longestGap(checks, end)).toBe(gap);
  });
});

describe('steadyStart', () => {
  const pending = (ms: number) => ({ at: ms });
  it.each([
    ['no checks', [], undefined],
    ['answered from the start', [at(200, 'ok'), at(400, 'ok'), at(600, 'ok')], 200],
    // The old holder answers right after the switch, then lets the address go before EC2 delivers it to the new one.
    ['an early answer, then a gap: the run after the gap', [at(0, 'ok'), at(200, 'ok'), at(400, 'fail'), at(600, 'fail'), at(800, 'ok'), at(1_000, 'ok'), at(1_200, 'ok'), at(1_400, 'ok')], 800],
    ['a run too short to be steady', [at(0, 'fail'), at(200, 'ok'), at(400, 'ok')], undefined],
    ['a check still in flight ends the search', [at(0, 'ok'), pending(200), at(400, 'ok'), at(600, 'ok')], undefined],
    ['checks the sensor could not make say nothing', [at(200, 'ok'), at(400, 'unknown'), at(600, 'ok')], 200],
    // One sent at the switch call's return may have met the old holder.
    ['checks sent at or before `since` do not count', [at(-200, 'ok'), at(0, 'ok'), at(200, 'ok'), at(400, 'ok'), at(600, 'ok')], 200],
  ])('%s', (_, checks, start) => {
    expect(steadyStart(checks, 0, 400)).toBe(start);
  });
});

describe('startSampler', () => {
  it('checks every 200 ms without waiting for a check that gets no answer, and keeps each by the time it was sent', async () => {
    const clock = simClock(0);
    let answering = true;
    const sampler = startSampler({
        // Whether the address answers is decided when the check is sent; a failed one takes the connect timeout.
        reach: async () => {
          const up = answering;
          await clock.sleep(up ? 20 : 1_000);
          return up ? 'ok' : 'fail';
        },
      }, { id: 'drill:web', ip: '10.0.1.100', ports: [443] }, clock, 200);

    const checks = await clock.drive(
      (async () => {
        await clock.sleep(500);
        answering = false;
        await clock.sleep(1_000);
        answering = true;
        const answered = await sampler.answeredSince(clock.now(), clock.now() + 5_000);
        expect(answered).toBe(1_600);
        return sampler.stop();
      })(),
    );

    expect(checks.map((c) => c.at)).toEqual([0, 200, 400, 600, 800, 1_000, 1_200, 1_400, 1_600]);
    expect(checks.map((c) => c.result).join(',')).toBe('ok,ok,ok,fail,fail,fail,fail,fail,ok');
    expect(longestGap(checks, clock.now())).toBe(1_000);
  });

  it('waits past an early answer for the gap that follows it, until the address answers steadily', async () => {
    const clock = simClock(0);
    // Answers until 500 ms, not from 500 to 1_100 ms, then again: a switch at 100 ms whose old holder lets go first.
    const up = () => clock.now() < 500 || clock.now() >= 1_100;
    const sampler = startSampler({ reach: async () => (up() ? (await clock.sleep(20), 'ok') : (await clock.sleep(1_000), 'fail')) }, { id: 'drill', ip: '10.0.1.100', ports: [80] }, clock, 200);

    const [steady, checks] = await clock.drive(
      (async () => {
        const s = await sampler.steadySince(100, 1_000, 10_000);
        return [s, await sampler.stop()] as const;
      })(),
    );

    expect(steady).toBe(1_200);
    expect(longestGap(checks, clock.now())).toBe(600);
  });

  it('counts a sensor that could not be asked as unknown, not as a gap', async () => {
    const clock = simClock(0);
    const sampler = startSampler({ reach: () => Promise.reject(new AwsCallError('Invoke', 'TooManyRequestsException', 'throttled')) }, { id: 'drill:web', ip: '10.0.1.100', ports: [443] }, clock, 200);

    const checks = await clock.drive((async () => (await clock.sleep(300), sampler.stop()))());

    expect(checks.map((c) => c.result)).toEqual(['unknown', 'unknown']);
  });
});
