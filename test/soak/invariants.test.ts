import { describe, expect, it } from 'vitest';
import { BOUNDS, checkAll, checkAvailability, checkConvergence, checkNeverWorse, checkNoPingPong, checkNothingLost, checkOneHolder, convergenceMs, formatViolation } from '../../soak/invariants.js';
import type { InvocationRec, LeaseRec, MutationRec, Sample, Trace, VerdictRec } from '../../soak/trace.js';

const A = 'i-0000000000000000a';
const B = 'i-0000000000000000b';
const T0 = 1_000_000_000;
const MIN = 60_000;

/** Samples of group `g` every 2 s over [from, to), each shaped by `at`. */
function samples(from: number, to: number, shape: (at: number) => Partial<Sample>): Sample[] {
  const out: Sample[] = [];
  for (let at = from; at < to; at += 2_000) {
    out.push({ at, group: 'g', targets: [A], healthy: [A, B], members: [A, B], osUp: [A], served: true, ...shape(at) });
  }
  return out;
}

/** A quiet hour of a VIP group on A, both members healthy: nothing to say. */
function trace(overrides: Partial<Trace> = {}): Trace {
  return {
    startAt: T0,
    endAt: T0 + 60 * MIN,
    faultsEndAt: T0 + 30 * MIN,
    groups: { g: { kind: 'vip' } },
    invocations: [],
    mutations: [],
    leases: [],
    verdicts: [
      { at: T0, instanceId: A, verdict: 'healthy' },
      { at: T0, instanceId: B, verdict: 'healthy' },
    ],
    samples: samples(T0, T0 + 60 * MIN, () => ({})),
    faults: [],
    journal: [],
    finalStates: { [A]: 'running', [B]: 'running' },
    ...overrides,
  };
}

const probeRun = (id: string, start: number, end?: number): InvocationRec => ({ id, fn: 'probe', owner: `probe:${id}`, start, ...(end === undefined ? {} : { end }) });
const lease = (at: number, owner: string, kind: 'acquire' | 'release' = 'acquire'): LeaseRec => ({ at, group: 'g', owner, kind });
const assign = (at: number, invocation: string, from: string, to: string): MutationRec => ({ at, invocation, operation: 'AssignPrivateIpAddresses', group: 'g', target: to, from, slot: '10.0.1.100', applied: true });
const journaled = (at: number) => ({ group: 'g', at, trigger: 'probe' as const, kind: 'move' as const, reason: 'r', actions: [], outcome: 'applied' as const, durationMs: 1 });

/** A moves to B at `at` by a probe run that held the lease and journaled it. */
function moveToB(at: number, id = 'p1') {
  return {
    invocations: [probeRun(id, at - 5_000, at + 5_000)],
    leases: [lease(at - 1_000, `probe:${id}`), lease(at + 2_000, `probe:${id}`, 'release')],
    mutations: [assign(at, id, A, B)],
    journal: [journaled(at + 1_000)],
  };
}

describe('the soak invariants', () => {
  it('find nothing to say about a quiet hour', () => {
    expect(checkAll(trace())).toEqual([]);
  });

  describe('one-holder', () => {
    const failAt = T0 + 10 * MIN;
    const judgedDown: VerdictRec[] = [
      { at: T0, instanceId: A, verdict: 'healthy' },
      { at: T0, instanceId: B, verdict: 'healthy' },
      { at: failAt, instanceId: A, verdict: 'unhealthy' },
    ];

    it('flags a VIP left on a member judged unhealthy past the bound while the other is healthy', () => {
      const stuck = samples(T0, T0 + 60 * MIN, (at) => (at >= failAt ? { healthy: [B], served: false, osUp: [] } : {}));

      const violations = checkOneHolder(trace({ verdicts: judgedDown, samples: stuck }));

      expect(violations.map((v) => v.invariant)).toEqual(['one-holder']);
      // Samples every 2 s: the step that ends at a sample counts towards it.
      expect(violations[0]?.at).toBeGreaterThanOrEqual(failAt + BOUNDS.oneHolderMs - 2_000);
      expect(violations[0]?.at).toBeLessThanOrEqual(failAt + BOUNDS.oneHolderMs + 2_000);
    });

    it('passes a VIP that left the member judged unhealthy within the bound', () => {
      const moved = samples(T0, T0 + 60 * MIN, (at) => (at >= failAt + 20_000 ? { targets: [B], healthy: [B], osUp: [B] } : at >= failAt ? { healthy: [B], served: false, osUp: [] } : {}));

      expect(checkOneHolder(trace({ verdicts: judgedDown, samples: moved }))).toEqual([]);
    });

    it('does not count the time EC2 refused calls', () => {
      const stuck = samples(T0, T0 + 60 * MIN, (at) => (at >= failAt && at < failAt + 5 * MIN ? { healthy: [B], served: false, osUp: [] } : {}));
      const throttled = [{ id: 0, kind: 'ec2-throttle', start: failAt - 1_000, end: failAt + 5 * MIN }];
      const back = [...judgedDown, { at: failAt + 5 * MIN, instanceId: A, verdict: 'healthy' }];

      expect(checkOneHolder(trace({ verdicts: back, samples: stuck, faults: throttled }))).toEqual([]);
    });

    it('flags a VIP up in two reachable OSes past the bound', () => {
      const split = samples(T0, T0 + 60 * MIN, (at) => (at >= failAt && at < failAt + 3 * MIN ? { osUp: [A, B] } : {}));

      const violations = checkOneHolder(trace({ samples: split }));

      expect(violations).toHaveLength(1);
      expect(formatViolation(violations[0]!, T0)).toMatch(/^\[one-holder\] \+00:11:0\d g: split brain: the VIP of g is up in .* and /);
    });
  });

  describe('never-worse', () => {
    it('passes a move to a healthy member under the lease', () => {
      expect(checkNeverWorse(trace(moveToB(T0 + 10 * MIN)))).toEqual([]);
    });

    it('flags a move to a member that had been down for the bound', () => {
      const at = T0 + 10 * MIN;
      const bDown = samples(T0, T0 + 60 * MIN, (t) => (t >= at - 2 * MIN && t < at + MIN ? { healthy: [A] } : {}));

      const violations = checkNeverWorse(trace({ ...moveToB(at), samples: bDown }));

      expect(violations.map((v) => v.message)).toEqual([expect.stringContaining(`at ${B}, down for the last ${BOUNDS.neverWorseMs / 1000} s`)]);
    });

    it('flags a move made while another decider held the lease', () => {
      const at = T0 + 10 * MIN;
      const move = moveToB(at);
      const stolen = [...move.leases, lease(at - 500, 'on-event:e1')];

      const violations = checkNeverWorse(trace({ ...move, leases: stolen }));

      expect(violations.map((v) => v.message)).toEqual([`AssignPrivateIpAddresses by probe:p1 while the lease of g was held by on-event:e1`]);
    });

    it('flags a move made after its own lease was released', () => {
      const at = T0 + 10 * MIN;
      const move = moveToB(at);

      const violations = checkNeverWorse(trace({ ...move, leases: [lease(at - 2_000, 'probe:p1'), lease(at - 1_000, 'probe:p1', 'release')] }));

      expect(violations).toHaveLength(1);
    });
  });

  describe('no-ping-pong', () => {
    const first = T0 + 10 * MIN;
    const backAgain = (gapMs: number) => {
      const there = moveToB(first);
      const back = moveToB(first + gapMs, 'p2');
      return {
        invocations: [...there.invocations, ...back.invocations],
        leases: [...there.leases, ...back.leases],
        mutations: [...there.mutations, assign(first + gapMs, 'p2', B, A)],
        journal: [...there.journal, ...back.journal],
      };
    };

    it('flags a move back within the cooldown away from a healthy member', () => {
      expect(checkNoPingPong(trace(backAgain(BOUNDS.cooldownMs - 10_000))).map((v) => v.invariant)).toEqual(['no-ping-pong']);
    });

    it('passes a move back after the cooldown', () => {
      expect(checkNoPingPong(trace(backAgain(BOUNDS.cooldownMs + 10_000)))).toEqual([]);
    });

    it('passes a move within the cooldown away from a member that failed', () => {
      const gap = BOUNDS.cooldownMs - 10_000;
      const bFailed = samples(T0, T0 + 60 * MIN, (t) => (t >= first + gap - 10_000 ? { healthy: [A] } : {}));

      expect(checkNoPingPong(trace({ ...backAgain(gap), samples: bFailed }))).toEqual([]);
    });

    // Seeds 1003 and 1006 (24 h): on-event evacuated a holder 1 s after someone stopped it, inside
    // the cooldown of the probe's move; the probe had not judged it yet, EC2 had (stopping).
    it('passes a move within the cooldown away from a member being stopped, before any probe judged it', () => {
      const gap = BOUNDS.cooldownMs - 10_000;
      const stopped = [{ id: 9, kind: 'node-stop', start: first + gap - 1_000, end: first + gap + 5 * MIN, target: B }];
      const otherStopped = [{ id: 9, kind: 'node-stop', start: first + gap - 1_000, end: first + gap + 5 * MIN, target: A }];

      expect(checkNoPingPong(trace({ ...backAgain(gap), faults: stopped }))).toEqual([]);
      expect(checkNoPingPong(trace({ ...backAgain(gap), faults: otherStopped })).map((v) => v.invariant)).toEqual(['no-ping-pong']);
    });

    // Seed 8124 (24 h, +02:42:39): a NAT's table failed back to nat-0/b, then someone removed b's
    // failover:group tag 28 s later; the probe moved the table off b, which had left the group.
    it('passes a move within the cooldown away from a member a person took out of the group', () => {
      const gap = BOUNDS.cooldownMs - 10_000;
      const untag = (untagged: string) => [{ id: 9, kind: 'tag-edit', start: first + gap - 1_000, end: first + gap + 5 * MIN, target: 'g', untagged }];

      expect(checkNoPingPong(trace({ ...backAgain(gap), faults: untag(B) }))).toEqual([]);
      expect(checkNoPingPong(trace({ ...backAgain(gap), faults: untag(A) })).map((v) => v.invariant)).toEqual(['no-ping-pong']);
    });

    // Seed 1021 (24 h, +19:18:05): both Elastic IP members on flapping links; one probe run moved
    // the address four times in 30 s, each time away from the member it had just judged down, and
    // the four decisions were counted as one move away from both, one of them healthy at the first.
    it('counts each decision of one probe run as its own move, each judged on its own', () => {
      const at = first + 17_000;
      const flapping = {
        invocations: [probeRun('p1', first - 5_000, first + 5_000), probeRun('p2', at - 5_000, at + 30_000)],
        leases: [lease(first - 1, 'probe:p1'), lease(first + 1, 'probe:p1', 'release'), lease(at - 1, 'probe:p2'), lease(at + 1, 'probe:p2', 'release'), lease(at + 9_999, 'probe:p2'), lease(at + 10_001, 'probe:p2', 'release')],
        mutations: [assign(first, 'p1', A, B), assign(at, 'p2', B, A), assign(at + 10_000, 'p2', A, B)],
        verdicts: [
          { at: T0, instanceId: A, verdict: 'healthy' },
          { at: T0, instanceId: B, verdict: 'healthy' },
          { at: first - 2_000, instanceId: A, verdict: 'unhealthy' },
          { at: first + 5_000, instanceId: A, verdict: 'healthy' },
          { at: at - 2_000, instanceId: B, verdict: 'unhealthy' },
          { at: at + 5_000, instanceId: A, verdict: 'unhealthy' },
        ],
        journal: [journaled(first + 1_000), journaled(at + 1_000), journaled(at + 10_001)],
      };

      expect(checkNoPingPong(trace(flapping))).toEqual([]);
    });
  });

  describe('nothing-lost', () => {
    it('flags a move its invocation did not journal', () => {
      const violations = checkNothingLost(trace({ ...moveToB(T0 + 10 * MIN), journal: [] }));

      expect(violations.map((v) => v.message)).toEqual([`p1 changed g (AssignPrivateIpAddresses on ${B}) and journaled nothing`]);
    });

    it('excuses an invocation that was killed before it could journal', () => {
      const move = moveToB(T0 + 10 * MIN);
      const killed = [{ ...move.invocations[0]!, killed: 'fault' as const }];

      expect(checkNothingLost(trace({ ...move, invocations: killed, journal: [] }))).toEqual([]);
    });

    it('flags a remediation stop that was neither started again nor given up', () => {
      const at = T0 + 10 * MIN;
      const stop: MutationRec = { at, invocation: 'p1', operation: 'StopInstances', group: 'g', target: A, from: undefined, slot: undefined, applied: true };
      const run = { invocations: [probeRun('p1', at - 1_000, at + 1_000)], mutations: [stop], journal: [journaled(at)] };

      expect(checkNothingLost(trace({ ...run, finalStates: { [A]: 'stopped', [B]: 'running' } })).map((v) => v.invariant)).toEqual(['nothing-lost']);
      expect(checkNothingLost(trace({ ...run, finalStates: { [A]: 'running', [B]: 'running' } }))).toEqual([]);
    });

    // Seed 9023: a forced stop that failed was counted as a give-up, and the member left stopped passed.
    it('counts a journaled give-up, and not a failed step, as the end of a remediation stop', () => {
      const at = T0 + 10 * MIN;
      const stop: MutationRec = { at, invocation: 'p1', operation: 'StopInstances', group: 'g', target: A, from: undefined, slot: undefined, applied: true };
      const run = { invocations: [probeRun('p1', at - 1_000, at + 1_000)], mutations: [stop], finalStates: { [A]: 'stopped', [B]: 'running' } };
      const remediation = (step?: 'force-stop') => ({ group: 'g', at: at + 300_000, trigger: 'probe' as const, kind: 'remediation' as const, from: A, reason: 'r', actions: [], outcome: 'failed' as const, durationMs: 1, ...(step ? { step } : {}) });

      expect(checkNothingLost(trace({ ...run, journal: [journaled(at), remediation('force-stop')] })).map((v) => v.invariant)).toEqual(['nothing-lost']);
      expect(checkNothingLost(trace({ ...run, journal: [journaled(at), remediation()] }))).toEqual([]);
    });
  });

  describe('convergence', () => {
    it('measures from the last fault to the first sample after which all stays right', () => {
      const end = T0 + 30 * MIN;
      const late = samples(T0, T0 + 60 * MIN, (at) => (at < end + 90_000 ? { healthy: [B], served: false, osUp: [] } : {}));

      expect(convergenceMs(trace({ samples: late }))).toBe(90_000);
      expect(checkConvergence(trace({ samples: late }))).toEqual([]);
    });

    it('flags a world that stays wrong past the bound', () => {
      const end = T0 + 30 * MIN;
      const slow = samples(T0, T0 + 60 * MIN, (at) => (at < end + BOUNDS.convergenceMs + 60_000 ? { osUp: [A, B] } : {}));

      expect(checkConvergence(trace({ samples: slow })).map((v) => v.invariant)).toEqual(['convergence']);
    });

    it('flags a world that never gets right', () => {
      const never = samples(T0, T0 + 60 * MIN, (at) => (at >= T0 + 20 * MIN ? { targets: [undefined], served: false } : {}));

      expect(checkConvergence(trace({ samples: never })).map((v) => v.message)).toEqual([expect.stringMatching(/^not converged 1800 s after the last fault/)]);
    });
  });

  describe('availability', () => {
    it('flags a group served less than the bound while a member was healthy', () => {
      const poor = samples(T0, T0 + 60 * MIN, (at) => (at >= T0 + 10 * MIN && at < T0 + 15 * MIN ? { served: false } : {}));

      expect(checkAvailability(trace({ samples: poor })).map((v) => v.invariant)).toEqual(['availability']);
    });

    it('does not count the time no member was healthy', () => {
      const dead = samples(T0, T0 + 60 * MIN, (at) => (at >= T0 + 10 * MIN && at < T0 + 25 * MIN ? { served: false, healthy: [], osUp: [] } : {}));

      expect(checkAvailability(trace({ samples: dead }))).toEqual([]);
    });
  });
});
