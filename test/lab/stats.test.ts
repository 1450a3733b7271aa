/** Outage and percentiles: the lab's figures come from these, so they are specified here. */
import { describe, expect, it } from 'vitest';
import { type Sample, outageAround, percentile } from '../../lab/stats.js';

/** One request every 100 ms from t=0: `pattern` has one character per request, `.` answered, `x` not. */
function requests(pattern: string): Sample[] {
  return [...pattern].map((c, i) => ({ at: i * 100, ok: c === '.' }));
}

describe('outageAround', () => {
  it('is the time from the first failed request to the first answered one after it', () => {
    const outage = outageAround(requests('....xxxxx...'), 400);

    expect(outage).toEqual({ startAt: 400, endAt: 900, ms: 500, failed: 5 });
  });

  it('takes the longest run when there are several after the fault', () => {
    const outage = outageAround(requests('..x..xxx..x.'), 0);

    expect(outage).toMatchObject({ startAt: 500, ms: 300, failed: 3 });
  });

  it('ignores failures that ended before the fault, but counts one sent within the lookback', () => {
    const samples = requests('xxx......x....');

    expect(outageAround(samples, 600)).toMatchObject({ startAt: 900, ms: 100 });
    expect(outageAround(samples, 1_000, 200)).toMatchObject({ startAt: 900 });
    expect(outageAround(samples, 1_100, 100)).toBeUndefined();
  });

  it('runs to the last request and says so when nothing answered again', () => {
    const outage = outageAround(requests('...xxxx'), 300);

    expect(outage).toEqual({ startAt: 300, endAt: undefined, ms: 300, failed: 4 });
  });

  it('orders requests by when they were sent, not by when their answer came', () => {
    const samples = [...requests('..xxx...')].reverse();

    expect(outageAround(samples, 0)).toMatchObject({ startAt: 200, endAt: 500 });
  });

  it('is undefined when every request was answered', () => {
    expect(outageAround(requests('........'), 0)).toBeUndefined();
  });
});

describe('percentile', () => {
  it.each([
    [50, 5],
    [90, 9],
    [99, 10],
    [100, 10],
    [0, 1],
  ])('gives the nearest-rank p%d of 1..10', (p, expected) => {
    expect(percentile([10, 3, 1, 7, 2, 9, 4, 8, 6, 5], p)).toBe(expected);
  });

  it('is the value itself for one trial and undefined for none', () => {
    expect(percentile([4_200], 99)).toBe(4_200);
    expect(percentile([], 50)).toBeUndefined();
  });
});
