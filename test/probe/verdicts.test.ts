import { describe, expect, it } from 'vitest';
import { type NodeState, type Observation, combinePeers, combinePorts, initialState, judge, noteEgress, notePeers, step } from '../../shared/probe/verdicts.js';

const T = { fall: 2, rise: 3 };
type Event = Observation | { peers: Observation } | { egress: Observation };

/** Replays sensor rounds (one every 2 s) and peer/egress reports; returns the verdict after each event. */
function replay(events: readonly Event[], start: NodeState = initialState): (string | undefined)[] {
  let s = start;
  let t = 0;
  return events.map((e) => {
    if (typeof e === 'string') {
      t += 2_000;
      s = step(s, e, t, T);
    } else if ('peers' in e) {
      s = judge(notePeers(s, { verdict: e.peers, sentAt: t + 1_000 }), T);
    } else {
      s = judge(noteEgress(s, e.egress, T), T);
    }
    return s.verdict;
  });
}

describe('verdicts', () => {
  it.each<[string, Event[], (string | undefined)[]]>([
    ['a node never judged is healthy at its first good round', ['ok'], ['healthy']],
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
  ])('%s', (_name, events, expected) => {
    expect(replay(events)).toEqual(expected);
  });

  it('ignores peer opinions sent before the failures began', () => {
    let s = step(initialState, 'ok', 2_000, T);
    s = notePeers(s, { verdict: 'fail', sentAt: 2_500 });
    s = step(s, 'fail', 4_000, T);
    s = step(s, 'fail', 6_000, T);
    expect(s.verdict).toBe('unknown');
  });

  it('keeps the newer of two peer opinions', () => {
    const s = notePeers(notePeers(initialState, { verdict: 'ok', sentAt: 5 }), { verdict: 'fail', sentAt: 4 });
    expect(s.peer).toEqual({ verdict: 'ok', sentAt: 5 });
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
