/**
 * The roster: who is confirmed as a member. A newcomer (a member the roster does not cover) is
 * never a failback target; it takes traffic over from a failed holder only when no confirmed member
 * is healthy, and the plan says so. decide() takes the roster as input and stays pure.
 */
import { describe, expect, it } from 'vitest';
import { type Intent, decide } from '../../shared/core/decide.js';
import { type Group, discover } from '../../shared/core/groups.js';
import { assessHealth } from '../../shared/core/health.js';
import type { Verdict, WorldSnapshot } from '../../shared/core/model.js';
import { confirmationOf, newcomersOf, rosterFor, sameMembers } from '../../shared/core/roster.js';
import { DEFAULTS, node, route, snapshot, table } from '../support/snapshot.js';

const A = 'i-0000000000000001a';
const B = 'i-0000000000000002b';
const N = 'i-0000000000000003c';
const VIP = '10.0.1.100';

function only(world: WorldSnapshot): Group {
  const { groups, misconfigured } = discover(world, DEFAULTS);
  expect(misconfigured).toEqual([]);
  return groups[0]!;
}

/** A (priority 1) and B (priority 2) confirmed, newcomer N (priority 0); all fail back automatically. */
function trio(holder: 'A' | 'B' | 'N', extra: Record<string, string> = {}) {
  const tags = (p: string) => ({ 'failover:group': 'web', 'failover:kind': 'vip', 'failover:vip': VIP, 'failover:failback': 'auto', 'failover:priority': p, ...extra });
  return snapshot({
    instances: [
      node({ id: A, tags: tags('1'), secondary: holder === 'A' ? [VIP] : [] }),
      node({ id: B, tags: tags('2'), secondary: holder === 'B' ? [VIP] : [] }),
      node({ id: N, tags: tags('0'), secondary: holder === 'N' ? [VIP] : [] }),
    ],
  });
}

function plan(world: WorldSnapshot, roster: readonly string[] | undefined, intent: Intent = { type: 'reconcile' }, probes: Record<string, Verdict> = {}) {
  return decide({ group: only(world), health: assessHealth(world, probes), intent, now: 1_000_000, ...(roster ? { roster } : {}) });
}

describe('decide with a roster', () => {
  it.each<{ name: string; holder: 'A' | 'B' | 'N'; roster?: string[]; intent?: Intent; probes?: Record<string, Verdict>; outcome: string; to?: string; reason: RegExp }>([
    { name: 'never fails back to a newcomer with a better priority', holder: 'A', roster: [A, B], outcome: 'none', reason: new RegExp(`${N} joined after the group's members were confirmed`) },
    { name: 'fails back to the best confirmed member, never the newcomer', holder: 'B', roster: [A, B], outcome: 'change', to: A, reason: new RegExp(`^failback to ${A}$`) },
    { name: 'fails back to the newcomer once it is confirmed', holder: 'A', roster: [A, B, N], outcome: 'change', to: N, reason: new RegExp(`^failback to ${N}$`) },
    { name: 'trusts every member while no roster was ever recorded', holder: 'A', outcome: 'change', to: N, reason: /^failback to/ },
    { name: 'fails over to a confirmed member before a newcomer', holder: 'A', roster: [A, B], probes: { [A]: 'unhealthy' }, outcome: 'change', to: B, reason: new RegExp(`^${A} is unhealthy`) },
    {
      name: 'fails over to a newcomer only when no confirmed member is healthy, and says so',
      holder: 'A',
      roster: [A, B],
      probes: { [A]: 'unhealthy', [B]: 'unhealthy' },
      outcome: 'change',
      to: N,
      reason: new RegExp(`${N} is a newcomer \\(not confirmed\\), taken as the only healthy member`),
    },
    { name: 'moves off a newcomer holding the traffic as soon as a confirmed member is healthy', holder: 'N', roster: [A, B], outcome: 'change', to: A, reason: new RegExp(`^failback to ${A}$`) },
    { name: 'a manual failback goes to the best confirmed member', holder: 'B', roster: [A, B], intent: { type: 'failback' }, outcome: 'change', to: A, reason: new RegExp(`manual failback to ${A}`) },
    { name: 'a manual failback with no confirmed member healthy is refused', holder: 'N', roster: [A], intent: { type: 'failback' }, probes: { [A]: 'unhealthy' }, outcome: 'refused', reason: /no confirmed member is healthy/ },
    { name: 'a manual failover --to a newcomer goes where the person said', holder: 'A', roster: [A, B], intent: { type: 'failover', to: N }, outcome: 'change', to: N, reason: new RegExp(`manual failover to ${N}`) },
  ])('$name', ({ holder, roster, intent, probes, outcome, to, reason }) => {
    const result = plan(trio(holder), roster, intent, probes);

    expect(result.outcome).toBe(outcome);
    expect(result.moves.map((m) => m.to)).toEqual(to ? [to] : []);
    expect(result.reason).toMatch(reason);
  });

  it('gives a newcomer NAT no AZ, even its own, while a confirmed NAT is healthy', () => {
    const nat = (id: string, az: 'a' | 'b') => node({ id, az, sourceDestCheck: false, tags: { 'failover:group': 'nat', 'failover:kind': 'nat' } });
    const world = snapshot({
      instances: [nat(A, 'a'), nat(B, 'b'), nat(N, 'a')],
      routeTables: [table('rtb-a', { NATAZ: 'eu-west-1a' }, [route('0.0.0.0/0', B)]), table('rtb-b', { NATAZ: 'eu-west-1b' }, [route('0.0.0.0/0', B)])],
    });

    const result = plan(world, [A, B], { type: 'reconcile' }, { [A]: 'unhealthy' });

    expect(result.outcome).toBe('none');
    expect(result.reason).toContain(`${N} joined after the group's members were confirmed`);
  });
});

describe('rosterFor, newcomersOf, confirmationOf', () => {
  const group = (asgN?: string) => {
    const tags = (p: string, asg?: string) => ({ 'failover:group': 'web', 'failover:kind': 'vip', 'failover:vip': VIP, 'failover:priority': p, ...(asg ? { 'aws:autoscaling:groupName': asg } : {}) });
    return only(snapshot({ instances: [node({ id: A, tags: tags('1', 'web-asg'), secondary: [VIP] }), node({ id: B, tags: tags('2') }), node({ id: N, tags: tags('0', asgN) })] }));
  };

  it.each<[string, string[] | undefined, ReturnType<typeof confirmationOf>, string | undefined, string[]]>([
    ['takes every member, and their Auto Scaling groups, when none was stored', undefined, { kind: 'none' }, undefined, [A, B, N, 'asg:web-asg'].sort()],
    ['keeps the stored roster (with a confirmed member\'s Auto Scaling group), dropping members that left', [A, B, 'i-00000000000000099'], { kind: 'none' }, undefined, ['asg:web-asg', A, B]],
    ['covers an instance Auto Scaling launched into a confirmed group', [A, 'asg:web-asg'], { kind: 'none' }, 'web-asg', ['asg:web-asg', A, N]],
    ['never covers an instance of another Auto Scaling group', [A, 'asg:web-asg'], { kind: 'none' }, 'other-asg', ['asg:web-asg', A]],
    ['adds what a failover --to confirms', [A, B], { kind: 'one', instanceId: N }, undefined, ['asg:web-asg', A, B, N]],
    ['confirms every current member on a failback', [A], { kind: 'all' }, undefined, [A, B, N, 'asg:web-asg'].sort()],
  ])('%s', (_name, stored, confirmation, asgN, expected) => {
    expect(rosterFor(group(asgN), stored, confirmation)).toEqual(expected);
  });

  it('names the members the roster does not cover, and none while there is no roster', () => {
    expect(newcomersOf(group(), [A, B])).toEqual([N]);
    expect(newcomersOf(group('web-asg'), [A, 'asg:web-asg'])).toEqual([B]);
    expect(newcomersOf(group(), undefined)).toEqual([]);
  });

  it.each<[Intent, 'manual' | 'probe' | 'event', string]>([
    [{ type: 'failback' }, 'manual', 'all'],
    [{ type: 'failover', to: N }, 'manual', 'one'],
    [{ type: 'failover', from: A }, 'manual', 'none'],
    [{ type: 'reconcile' }, 'manual', 'none'],
    [{ type: 'failback' }, 'probe', 'none'],
    [{ type: 'evacuate', instanceId: A }, 'event', 'none'],
  ])('only a person confirms: %j from %s confirms %s', (intent, trigger, kind) => {
    expect(confirmationOf(intent, trigger).kind).toBe(kind);
  });

  it('compares rosters as sets, an absent one equal to nothing', () => {
    expect(sameMembers([A, B], [B, A])).toBe(true);
    expect(sameMembers([A, B], [A])).toBe(false);
    expect(sameMembers([], undefined)).toBe(false);
  });
});
