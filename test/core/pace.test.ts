import { describe, expect, it } from 'vitest';
import { type BucketState, EC2_BUCKETS, bucketOf, createEc2Pacer, drain, isThrottling, refund, reserve, succeeded, tokensAt } from '../../shared/core/pace.js';
import type { Ec2Action } from '../../shared/core/ports.js';
import { AwsCallError } from '../../shared/errors.js';

const EC2 = EC2_BUCKETS.mutating;
const route: Ec2Action = { type: 'replace-route', routeTableId: 'rtb-1', destination: { kind: 'ipv4', value: '0.0.0.0/0' }, target: { kind: 'eni', networkInterfaceId: 'eni-1', instanceId: 'i-1' } };
const assign: Ec2Action = { type: 'assign-private-ip', networkInterfaceId: 'eni-1', instanceId: 'i-1', ip: '10.0.0.9' };

describe('the EC2 request bucket', () => {
  it("is EC2's default mutating bucket: 50 of burst, 5 a second", () => {
    expect(EC2).toEqual({ capacity: 50, refillPerSecond: 5 });
    expect(EC2_BUCKETS.assign).toEqual({ capacity: 100, refillPerSecond: 5 });
  });

  it.each<[string, BucketState, number, number]>([
    ['full, a moment later', { tokens: 50, at: 0 }, 1_000, 50],
    ['empty, a second later', { tokens: 0, at: 0 }, 1_000, 5],
    ['half a token after 100 ms', { tokens: 0, at: 0 }, 100, 0.5],
    ['owed 3 tokens, a second later', { tokens: -3, at: 0 }, 1_000, 2],
    ['empty, a minute later: never above capacity', { tokens: 0, at: 0 }, 60_000, 50],
    ['a clock that went back: no refill', { tokens: 7, at: 1_000 }, 0, 7],
  ])('refills: %s', (_name, state, now, tokens) => {
    expect(tokensAt(EC2, state, now)).toBeCloseTo(tokens, 9);
  });

  it.each<[string, BucketState, number, number, number]>([
    ['a full bucket: no wait', { tokens: 50, at: 0 }, 0, 0, 49],
    ['the last token: no wait', { tokens: 1, at: 0 }, 0, 0, 0],
    ['an empty bucket: one refill interval', { tokens: 0, at: 0 }, 0, 200, -1],
    ['two calls already queued: the third interval', { tokens: -2, at: 0 }, 0, 600, -3],
    ['half a token there: the other half', { tokens: 0, at: 0 }, 100, 100, -0.5],
  ])('reserves: %s', (_name, state, now, waitMs, tokensAfter) => {
    const next = reserve(EC2, state, now);
    expect(next.waitMs).toBe(waitMs);
    expect(next.state.tokens).toBeCloseTo(tokensAfter, 9);
    expect(next.state.at).toBe(now);
  });

  it('spaces 60 calls made at once: 50 at once, then one every 200 ms', () => {
    let state: BucketState = { tokens: 50, at: 0 };
    const waits: number[] = [];
    for (let i = 0; i < 60; i++) {
      const next = reserve(EC2, state, 0);
      state = next.state;
      waits.push(next.waitMs);
    }
    expect(waits.slice(0, 50).every((w) => w === 0)).toBe(true);
    expect(waits.slice(50)).toEqual([200, 400, 600, 800, 1000, 1200, 1400, 1600, 1800, 2000]);
  });

  it('gives back a token for a call not made, never above capacity', () => {
    expect(refund(EC2, { tokens: -1, at: 0 }, 0)).toEqual({ tokens: 0, at: 0 });
    expect(refund(EC2, { tokens: 50, at: 0 }, 0)).toEqual({ tokens: 50, at: 0 });
  });

  it('empties on a throttle, keeps what is owed, and counts on a quarter less refill each time, down to a tenth', () => {
    expect(drain(EC2, { tokens: 30, at: 0 }, 0)).toEqual({ tokens: 0, at: 0, rate: 3.75 });
    expect(drain(EC2, { tokens: -4, at: 0, rate: 3.75 }, 0)).toEqual({ tokens: -4, at: 0, rate: 2.8125 });
    expect(drain(EC2, { tokens: 0, at: 0, rate: 0.6 }, 0).rate).toBe(0.5);
  });

  it.each<[string, BucketState, number | undefined]>([
    ['a full rate stays full', { tokens: 3, at: 0 }, undefined],
    ['a cut rate wins back 0.05 a second per call', { tokens: 3, at: 0, rate: 3.75 }, 3.8],
    ['never above EC2 own rate', { tokens: 3, at: 0, rate: 4.98 }, undefined],
  ])('after a call went through: %s', (_name, state, rate) => {
    expect(succeeded(EC2, state, 0).rate).toBe(rate);
  });

  it('refills at the rate it counts on after a throttle', () => {
    expect(tokensAt(EC2, { tokens: 0, at: 0, rate: 2.5 }, 1_000)).toBe(2.5);
    expect(reserve(EC2, { tokens: 0, at: 0, rate: 2.5 }, 0).waitMs).toBe(400);
  });

  it('draws Assign/UnassignPrivateIpAddresses from their own bucket and every other mutation from the shared one', () => {
    expect(bucketOf(assign)).toBe('assign');
    expect(bucketOf(route)).toBe('mutating');
    expect(bucketOf({ type: 'associate-address', allocationId: 'eipalloc-1', target: { kind: 'eni', networkInterfaceId: 'eni-1', instanceId: 'i-1' } })).toBe('mutating');
  });

  it("tells EC2's throttling from other errors", () => {
    expect(isThrottling(new AwsCallError('ReplaceRoute', 'RequestLimitExceeded', 'slow down', { retriable: true }))).toBe(true);
    expect(isThrottling(new AwsCallError('ReplaceRoute', 'InternalError', 'oops', { retriable: true }))).toBe(false);
    expect(isThrottling(new Error('RequestLimitExceeded'))).toBe(false);
  });
});

describe('createEc2Pacer', () => {
  it('keeps one bucket per kind across calls: routes wait, an assignment does not', () => {
    const pacer = createEc2Pacer(0);
    for (let i = 0; i < 50; i++) expect(pacer.reserve(route, 0)).toBe(0);

    expect(pacer.reserve(route, 0)).toBe(200);
    expect(pacer.reserve(assign, 0)).toBe(0);
  });

  it('slows every later call below the refill rate after EC2 says the bucket is empty', () => {
    const pacer = createEc2Pacer(0);
    pacer.reserve(route, 0);
    pacer.throttled(route, 0);

    expect(pacer.reserve(route, 0)).toBe(267);
    expect(pacer.reserve(route, 0)).toBe(534);
  });

  it('gives a refunded token to the next caller', () => {
    const pacer = createEc2Pacer(0);
    pacer.throttled(route, 0);
    expect(pacer.reserve(route, 0)).toBe(267);
    pacer.refund(route, 0);

    expect(pacer.reserve(route, 0)).toBe(267);
  });
});
