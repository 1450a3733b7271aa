import { describe, expect, it } from 'vitest';
import { type NodeState, type Observation, combinePeers, combinePorts, initialState, judge, noteEgress, noteForwarding, notePeers, restoredState, step, unverifiedNat, verdictsOf } from '../../shared/probe/verdicts.js';

const T = { fall: 2, rise: 3 };
type Event = Observation | { peers: Observation } | { egress: Observation } | { forwarding: Observation } | { sweep: { egress: Observation; forwarding: Observation } };

/** Replays sensor rounds (one every 2 s) and peer/egress/forwarding reports; returns the verdict after each event. */
function replay(events: readonly Event[], start: NodeState = initialState): (string | undefined)[] {
  let s = start;
  let t = 0;
  return events.map((e) => {
    if (typeof e === 'string') {
      t += 2_000;
      s = step(s, e, t, T);
    } else if ('peers' in e) {
      s = judge(notePeers(s, { verdict: e.peers, sentAt: t + 1_000 }), T);
    } else if ('sweep' in e) {
      s = judge(noteForwarding(noteEgress(s, e.sweep.egress, T, t + 1_000), e.sweep.forwarding, T, t + 1_000), T);
    } else if ('egress' in e) {
      s = judge(noteEgress(s, e.egress, T, t + 1_000), T);
    } else {
      s = judge(noteForwarding(s, e.forwarding, T, t + 1_000), T);
    }
    return s.verdict;
  });
}

describe('verdicts', () => {
  it.each<[string, Event[], (string | undefined)[]]>([
    ['a node never judged is healthy at its first good round', ['ok'], ['healthy']],
    [
      'a NAT without ports that failed egress goes back to EC2 status checks once egress recovers',
      [{ egress: 'fail' }, { egress: 'fail' }, { egress: 'ok' }, { egress: 'ok' }, { egress: 'ok' }],
      [undefined, 'unhealthy', 'unhealthy', 'unhealthy', undefined],
    ],
    ['one failed round changes nothing', ['ok', 'fail', 'ok'], ['healthy', 'healthy', 'healthy']],
    ['fall failures without the peers make it unknown, never unhealthy', ['ok', 'fail', 'fail', 'fail'], ['healthy', 'healthy', 'unknown', 'unknown']],
    ['fall failures confirmed by the peers make it unhealthy', ['ok', 'fail', { peers: 'fail' }, 'fail'], ['healthy', 'healthy', 'healthy', 'unhealthy']],
    ['the peers seeing it answer keep it from being down', ['ok', 'fail', { peers: 'ok' }, 'fail'], ['healthy', 'healthy', 'healthy', 'unknown']],
    ['an unknown peer opinion is no confirmation', ['ok', 'fail', { peers: 'unknown' }, 'fail'], ['healthy', 'healthy', 'healthy', 'unknown']],
    ['unknown sensor rounds neither count nor reset', ['ok', 'fail', 'unknown', 'fail', { peers: 'fail' }], ['healthy', 'healthy', 'healthy', 'unknown', 'unhealthy']],
    [
      'a down node needs rise good rounds to be healthy again',
      ['ok', 'fail', { peers: 'fail' }, 'fail', 'ok', 'ok', 'ok'],
      ['healthy', 'healthy', 'healthy', 'unhealthy', 'unhealthy', 'unhealthy', 'healthy'],
    ],
    ['a failure between good rounds restarts the rise count', ['ok', 'fail', { peers: 'fail' }, 'fail', 'ok', 'ok', 'fail', 'ok', 'ok'], ['healthy', 'healthy', 'healthy', 'unhealthy', 'unhealthy', 'unhealthy', 'unhealthy', 'unhealthy', 'unhealthy']],
    ['fall failed forwarding checks make an answering NAT unhealthy', ['ok', { egress: 'fail' }, 'ok', { egress: 'fail' }], ['healthy', 'healthy', 'healthy', 'unhealthy']],
    ['rise good forwarding checks clear it', ['ok', { egress: 'fail' }, { egress: 'fail' }, 'ok', { egress: 'ok' }, { egress: 'ok' }, 'ok', { egress: 'ok' }], ['healthy', 'healthy', 'unhealthy', 'unhealthy', 'unhealthy', 'unhealthy', 'unhealthy', 'healthy']],
    ['unknown egress checks between failures neither count nor reset', ['ok', { egress: 'fail' }, { egress: 'unknown' }, { egress: 'fail' }], ['healthy', 'healthy', 'healthy', 'unhealthy']],
    [
      'a NAT without ports handed back to EC2 status checks is judged afresh at its first sensor round',
      [{ egress: 'fail' }, { egress: 'fail' }, { egress: 'ok' }, { egress: 'ok' }, { egress: 'ok' }, 'ok'],
      [undefined, 'unhealthy', 'unhealthy', 'unhealthy', undefined, 'healthy'],
    ],
    ['an unknown peer report does not replace the confirmation the peers already gave', ['ok', 'fail', { peers: 'fail' }, { peers: 'unknown' }, 'fail'], ['healthy', 'healthy', 'healthy', 'healthy', 'unhealthy']],
    ["the peers' latest report counts, even for a command sent at the same time as the previous one", ['ok', 'fail', { peers: 'ok' }, { peers: 'fail' }, 'fail'], ['healthy', 'healthy', 'healthy', 'healthy', 'unhealthy']],
    [
      'a node that went down stays down while it keeps failing, whatever the peers say later',
      ['ok', 'fail', { peers: 'fail' }, 'fail', { peers: 'ok' }, 'fail'],
      ['healthy', 'healthy', 'healthy', 'unhealthy', 'unhealthy', 'unhealthy'],
    ],
  ])('%s', (_name, events, expected) => {
    expect(replay(events)).toEqual(expected);
  });

  describe('the NAT forwarding-configuration check', () => {
    const fwd = (forwarding: Observation): Event => ({ forwarding });
    it.each<[string, Event[], (string | undefined)[]]>([
      ['fall failed checks make an answering NAT unhealthy, without the sensor or the peers', ['ok', fwd('fail'), 'ok', fwd('fail')], ['healthy', 'healthy', 'healthy', 'unhealthy']],
      ['one failed check changes nothing', ['ok', fwd('fail'), 'ok', fwd('ok'), fwd('fail')], ['healthy', 'healthy', 'healthy', 'healthy', 'healthy']],
      ['a good check between failures restarts the count', ['ok', fwd('fail'), fwd('ok'), fwd('fail'), 'ok'], ['healthy', 'healthy', 'healthy', 'healthy', 'healthy']],
      ['unsupported (unknown) checks never make it unhealthy', ['ok', fwd('unknown'), fwd('unknown'), fwd('unknown'), 'ok'], ['healthy', 'healthy', 'healthy', 'healthy', 'healthy']],
      ['unknown checks between failures neither count nor reset', ['ok', fwd('fail'), fwd('unknown'), fwd('fail')], ['healthy', 'healthy', 'healthy', 'unhealthy']],
      [
        'rise good checks clear it, fewer do not',
        ['ok', fwd('fail'), fwd('fail'), 'ok', fwd('ok'), fwd('ok'), 'ok', fwd('ok')],
        ['healthy', 'healthy', 'unhealthy', 'unhealthy', 'unhealthy', 'unhealthy', 'unhealthy', 'healthy'],
      ],
      ['a failure while down restarts the rise count', ['ok', fwd('fail'), fwd('fail'), fwd('ok'), fwd('ok'), fwd('fail'), fwd('ok'), fwd('ok')], ['healthy', 'healthy', 'unhealthy', 'unhealthy', 'unhealthy', 'unhealthy', 'unhealthy', 'unhealthy']],
      ['a NAT never judged by the sensor is unhealthy on its own report', [fwd('fail'), fwd('fail')], [undefined, 'unhealthy']],
      [
        'is counted apart from egress: good egress does not clear a forwarding failure',
        ['ok', fwd('fail'), fwd('fail'), { egress: 'ok' }, { egress: 'ok' }, { egress: 'ok' }],
        ['healthy', 'healthy', 'unhealthy', 'unhealthy', 'unhealthy', 'unhealthy'],
      ],
      [
        'nor does good forwarding clear an egress failure',
        ['ok', { egress: 'fail' }, { egress: 'fail' }, fwd('ok'), fwd('ok'), fwd('ok')],
        ['healthy', 'healthy', 'unhealthy', 'unhealthy', 'unhealthy', 'unhealthy'],
      ],
      ['a failure of each, once, is not fall failures of either', ['ok', { egress: 'fail' }, fwd('fail'), 'ok'], ['healthy', 'healthy', 'healthy', 'healthy']],
    ])('%s', (_name, events, expected) => {
      expect(replay(events)).toEqual(expected);
    });

    it('says why the NAT is unhealthy', () => {
      const s = judge(noteForwarding(noteForwarding(step(initialState, 'ok', 0, T), 'fail', T), 'fail', T), T);
      expect(s.why).toContain('MASQUERADE');
    });
  });

  it('ignores peer opinions sent before the failures began', () => {
    let s = step(initialState, 'ok', 2_000, T);
    s = notePeers(s, { verdict: 'fail', sentAt: 2_500 });
    s = step(s, 'fail', 4_000, T);
    s = step(s, 'fail', 6_000, T);
    expect(s.verdict).toBe('unknown');
  });

  it('counts a peer command sent the moment the failures began as confirmation', () => {
    let s = step(initialState, 'ok', 2_000, T);
    s = step(s, 'fail', 4_000, T);
    s = notePeers(s, { verdict: 'fail', sentAt: 4_000 });
    s = step(s, 'fail', 6_000, T);
    expect(s.verdict).toBe('unhealthy');
  });

  it('says a healthy node that keeps answering is answering', () => {
    const s = step(step(initialState, 'ok', 2_000, T), 'ok', 4_000, T);
    expect(s).toMatchObject({ verdict: 'healthy', why: 'answering' });
  });

  it('says a node only its egress check has seen is not probed yet', () => {
    const s = judge(noteEgress(initialState, 'ok', T), T);
    expect(s.verdict).toBeUndefined();
    expect(s.why).toBe('not probed yet');
  });

  it('keeps the newer of two peer opinions', () => {
    const s = notePeers(notePeers(initialState, { verdict: 'ok', sentAt: 5 }), { verdict: 'fail', sentAt: 4 });
    expect(s.peer).toEqual({ verdict: 'ok', sentAt: 5 });
  });
});

describe('a NAT back from down', () => {
  /** A NAT that forwarded, then was judged down (fall failures the peers confirm). */
  const down: Event[] = [{ forwarding: 'ok' }, 'ok', 'fail', { peers: 'fail' }, 'fail'];

  // A NAT that came back was judged healthy on its TCP checks alone and failed back to before any
  // forwarding check ran since its return; the next sweep found it not forwarding.
  it('never-worse: a NAT judged down is no failback target until a forwarding check since its return passed', () => {
    const verdicts = replay([...down, 'ok', 'ok', 'ok', 'ok', { forwarding: 'ok' }]);

    expect(verdicts.slice(down.length - 1)).toEqual(['unhealthy', 'unhealthy', 'unhealthy', 'unknown', 'unknown', 'healthy']);
  });

  it('never-worse: a NAT back from down whose forwarding check fails since its return is never a target, and is down after fall', () => {
    const verdicts = replay([...down, 'ok', 'ok', 'ok', { sweep: { egress: 'ok', forwarding: 'fail' } }, { sweep: { egress: 'ok', forwarding: 'fail' } }]);

    expect(verdicts.slice(-3)).toEqual(['unknown', 'unknown', 'unhealthy']);
  });

  it('does not count a forwarding check that passed before the NAT answered again', () => {
    const verdicts = replay([...down, { forwarding: 'ok' }, 'ok', 'ok', 'ok']);

    expect(verdicts.at(-1)).toBe('unknown');
  });

  it('judges a member without forwarding checks healthy after rise good rounds, as before', () => {
    const verdicts = replay(['ok', 'fail', { peers: 'fail' }, 'fail', 'ok', 'ok', 'ok']);

    expect(verdicts.slice(-3)).toEqual(['unhealthy', 'unhealthy', 'healthy']);
  });

  it('keeps the detection path: a NAT answering TCP but failing its forwarding check fall times is down', () => {
    expect(replay(['ok', { forwarding: 'fail' }, { forwarding: 'fail' }]).at(-1)).toBe('unhealthy');
  });
});

describe('a NAT the memory lost sight of', () => {
  /** A NAT judged healthy and forwarding, as a run saved it at t = 0. */
  const saved: NodeState = { ...initialState, verdict: 'healthy', good: 5, nat: true, forwardingGood: 3, egressGood: 3, forwardingOkAt: -1_000, why: 'answering' };

  it('never-worse: a NAT restored after a cold start is no target until a forwarding check sent since the save passed', () => {
    const restored = restoredState(saved, 0);

    expect(restored.verdict).toBe('unknown');
    expect(replay(['ok', 'ok', { forwarding: 'ok' }], restored)).toEqual(['unknown', 'unknown', 'healthy']);
  });

  it('never-worse: a NAT restored after a cold start whose forwarding fails since is down after fall, never a target', () => {
    expect(replay(['ok', { forwarding: 'fail' }, 'ok', { forwarding: 'fail' }], restoredState(saved, 0))).toEqual(['unknown', 'unknown', 'unknown', 'unhealthy']);
  });

  it('never-worse: a NAT restored after a cold start that fails one TCP round is still no target', () => {
    expect(replay(['fail', 'ok', 'ok', 'ok'], restoredState(saved, 0))).toEqual(['unknown', 'unknown', 'unknown', 'unknown']);
  });

  it('keeps a restored verdict of a member that is no NAT, and of a NAT judged down', () => {
    const web: NodeState = { ...initialState, verdict: 'healthy', good: 5, why: 'answering' };
    const down: NodeState = { ...saved, verdict: 'unhealthy', egressDown: true };

    expect(restoredState(web, 0)).toBe(web);
    expect(restoredState(down, 0)).toBe(down);
  });

  it('hands a restored NAT without ports back to EC2 status checks once a forwarding check since the save passed', () => {
    const portless: NodeState = { ...initialState, nat: true, egressGood: 3, forwardingOkAt: -1_000, why: 'egress and forwarding checks pass again; no TCP ports to probe' };

    const restored = restoredState(portless, 0);

    expect(restored.verdict).toBe('unknown');
    expect(replay([{ egress: 'ok' }], restored)).toEqual([undefined]);
  });

  it('never-worse: a NAT first seen with nothing in memory is no target before a forwarding check passed', () => {
    expect(replay(['ok', 'ok', 'ok', { forwarding: 'ok' }], unverifiedNat(0))).toEqual(['unknown', 'unknown', 'unknown', 'healthy']);
  });
});

describe('verdictsOf', () => {
  it('hands on the verdicts of judged nodes and leaves out nodes never judged', () => {
    const states = new Map<string, NodeState>([
      ['i-0000000000000001a', step(initialState, 'ok', 2_000, T)],
      ['i-0000000000000002b', initialState],
      ['i-0000000000000003c', step(step(initialState, 'fail', 2_000, T), 'fail', 4_000, T)],
    ]);

    expect(verdictsOf(states)).toStrictEqual({ 'i-0000000000000001a': 'healthy', 'i-0000000000000003c': 'unknown' });
  });
});

describe('combining', () => {
  it.each<[Observation[], Observation]>([
    [['ok', 'ok'], 'ok'],
    [['ok', 'fail'], 'fail'],
    [['ok', 'unknown'], 'unknown'],
    [[], 'unknown'],
  ])('ports %j read as %s', (input, expected) => expect(combinePorts(input)).toBe(expected));

  it.each<[Observation[], Observation]>([
    [['fail', 'ok'], 'ok'],
    [['fail', 'unknown'], 'fail'],
    [['unknown'], 'unknown'],
  ])('peers %j read as %s', (input, expected) => expect(combinePeers(input)).toBe(expected));
});
