/**
 * Egress from behind a NAT, the pure parts: the streak a NAT's credited checks build (behind.ts),
 * and the verdict `judge` draws from it.
 */
import { describe, expect, it } from 'vitest';
import { type BehindState, behindConfirmed, noteBehind, releaseBehind, releaseOnReturn } from '../../shared/probe/behind.js';
import { type NodeState, type Observation, initialState, judge } from '../../shared/probe/verdicts.js';

const T = { fall: 2, rise: 3 };
type Check = readonly [Observation, boolean];

/** Replays checks, one a round every 2 s from t=0, into a NAT's state judged as the loop judges it. */
function replay(checks: readonly Check[], from: NodeState = { ...initialState, nat: true, good: 5, verdict: 'healthy', why: 'answering' }): NodeState {
  return checks.reduce((s, [result, proven], i) => {
    const behind = noteBehind(s.behind, result, i * 2_000, T, proven);
    return judge({ ...s, ...(behind ? { behind } : {}) }, T);
  }, from);
}

describe('a NAT checked from behind', () => {
  it.each<[string, readonly Check[], NodeState['verdict'], boolean]>([
    ['fails fall rounds in a row while another path gets out: not forwarding', [['fail', true], ['fail', true]], 'unhealthy', true],
    ['is proven by another path in one round of the streak only', [['fail', false], ['fail', true]], 'unhealthy', true],
    ['fails once: not yet', [['fail', true]], 'healthy', false],
    ['fails fall rounds with no other path getting out: the endpoints or the sensors may be at fault', [['fail', false], ['fail', false], ['fail', false]], 'healthy', false],
    ['a pass breaks the streak', [['fail', true], ['ok', false], ['fail', true]], 'healthy', false],
    ['an unknown round changes no count', [['fail', true], ['unknown', false], ['fail', true]], 'unhealthy', true],
    ['proof from before a pass does not carry into the next streak', [['fail', true], ['ok', false], ['fail', false], ['fail', false]], 'healthy', false],
  ])('%s', (_, checks, verdict, down) => {
    const s = replay(checks);
    expect(s.verdict).toBe(verdict);
    expect(s.behind?.down ?? false).toBe(down);
  });

  it('says why it is unhealthy', () => {
    expect(replay([['fail', true], ['fail', true]]).why).toMatch(/traffic from behind it does not get out/);
  });

  it('stays marked until rise passing checks from behind it', () => {
    const down = replay([['fail', true], ['fail', true]]);
    const twice = replay([['ok', false], ['ok', false]], down);
    expect(twice).toMatchObject({ verdict: 'unhealthy', behind: { down: true } });
    const thrice = replay([['ok', false], ['ok', false], ['ok', false]], down);
    expect(thrice.behind?.down).toBe(false);
    expect(thrice.verdict).toBe('healthy');
  });

  it('never leaves a node without checks from behind with a behind state', () => {
    expect(noteBehind(undefined, 'unknown', 0, T, true)).toBeUndefined();
  });
});

describe('the hold on a NAT marked not forwarding', () => {
  const marked: BehindState = { good: 0, bad: 2, since: 0, provenAt: 2_000, down: true, lastFailAt: 2_000 };

  it.each([
    ['holds it within holdMs of its last failed check', 2_000 + 599_999, true],
    ['releases it holdMs after its last failed check', 2_000 + 600_000, false],
  ])('%s', (_, now, down) => {
    expect(releaseBehind({ behind: marked }, now, 600_000).behind?.down).toBe(down);
  });

  it('a released NAT starts a new streak: one more failure does not mark it again', () => {
    const released = releaseBehind({ behind: marked }, 700_000, 600_000);
    const again = noteBehind(released.behind, 'fail', 702_000, T, true);
    expect(behindConfirmed({ ...(again ? { behind: again } : {}) }, T)).toBe(false);
  });

  it('leaves a NAT that is not marked alone', () => {
    const s = { behind: { good: 1, bad: 0, down: false } };
    expect(releaseBehind(s, 10_000_000, 600_000)).toBe(s);
  });
});

describe('a NAT marked not forwarding that was down, not just dropping', () => {
  const marked: BehindState = { good: 0, bad: 2, since: 0, provenAt: 2_000, down: true, lastFailAt: 2_000 };

  it.each<[string, number, number, boolean]>([
    ['loses the mark when it answers the sensor again after failing it', 3, 0, false],
    ['keeps it while it still fails the sensor', 3, 4, true],
    ['keeps it when it never failed the sensor (it answers, and drops what it forwards)', 0, 0, true],
  ])('%s', (_, badBefore, badAfter, down) => {
    expect(releaseOnReturn({ bad: badBefore }, { bad: badAfter, behind: marked }).behind?.down).toBe(down);
  });
});
