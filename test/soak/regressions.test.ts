/**
 * Bugs the soak (`npm run soak`) found, one test each, named after the invariant they broke, each
 * reproduced from the seed that found it. All are fixed; a test that turns red is the bug back.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decide } from '../../shared/core/decide.js';
import { discover } from '../../shared/core/groups.js';
import { assessHealth } from '../../shared/core/health.js';
import { type DynaliteHandle, startDynalite } from '../../sim/dynalite.js';
import type { NatPair, VipPair } from '../../sim/world.js';
import { convergenceMs } from '../../soak/invariants.js';
import { runSoak } from '../../soak/run.js';
import type { ScheduledFault } from '../../soak/schedule.js';
import { probeHarness } from '../probe/support/harness.js';
import { DEFAULTS, node, route, snapshot, table } from '../support/snapshot.js';

const START = Date.UTC(2026, 0, 1);
const A = 'i-0000000000000001a';
const B = 'i-0000000000000002b';

let db: DynaliteHandle;
beforeAll(async () => {
  db = await startDynalite('vpcf-soak-regressions');
});
afterAll(async () => {
  await db.stop();
});

describe('soak regressions', () => {
  // Seed 1, 2 simulated hours (npm run soak -- --hours 2 --seed 1), shrunk to 3 of its 43 faults
  // (npm run soak -- --hours 2 --seed 1 --only 0,2,3 --no-shrink: ec2-throttle 58 % for 295 s,
  // node-crash vip-0/b, node-hang overlay-0/a). EC2 throttling made the move
  // of overlay-0 partial (one table moved off the hung holder, the other call throttled); 13 s
  // later, in the cooldown that move started, the same probe run "repaired" the split by pointing
  // the moved table back at the hung holder: groupHolder breaks the 1-1 tie by priority alone, and
  // the cooldown turns the holder's failure into a keep, whose target the repair then converges on.
  it('never-worse: a split overlay group in its cooldown is never repaired towards the member judged unhealthy', () => {
    const tags = (p: string) => ({ 'failover:group': 'db', 'failover:kind': 'overlay', 'failover:overlay-ip': '192.168.100.1/32', 'failover:priority': p });
    const ov = { 'failover:overlay': 'db' };
    const world = snapshot({
      instances: [node({ id: A, tags: tags('1'), sourceDestCheck: false }), node({ id: B, az: 'b', tags: tags('2'), sourceDestCheck: false })],
      routeTables: [table('rtb-1', ov, [route('192.168.100.1/32', A)]), table('rtb-2', ov, [route('192.168.100.1/32', B)])],
    });
    const { groups } = discover(world, DEFAULTS);
    const now = 1_000_000;

    const plan = decide({ group: groups[0]!, health: assessHealth(world, { [A]: 'unhealthy', [B]: 'healthy' }), intent: { type: 'reconcile' }, now, lastMoveAt: now - 13_000 });

    const towardA = plan.actions.filter((a) => 'target' in a && 'instanceId' in a.target && a.target.instanceId === A);
    expect(towardA).toEqual([]);
  });

  // Seed 501, 6 simulated hours (npm run soak -- --hours 6 --seed 501 --no-shrink, +03:29:38 and
  // +02:23:18 before the status-check fix of the harness): nat-0/b on a link losing 29 % of its
  // probes was judged healthy again, the AZ-b table failed back to it (NAT failback is automatic),
  // it was judged unhealthy 4 s later, and the table stayed on it for the whole cooldown (60 s,
  // over the 33 s bound) while nat-0/a was healthy: decide keeps an unhealthy holder in the
  // cooldown, where the no-ping-pong rule exempts a move away from a member that failed.
  it('one-holder: a holder judged unhealthy is left within the cooldown when another member is healthy', () => {
    const VIP = '10.0.1.100';
    const tags = (priority: string) => ({ 'failover:group': 'web', 'failover:kind': 'vip', 'failover:vip': VIP, 'failover:priority': priority });
    const world = snapshot({ instances: [node({ id: A, tags: tags('1'), secondary: [VIP] }), node({ id: B, tags: tags('2') })] });
    const { groups } = discover(world, DEFAULTS);
    const now = 1_000_000;

    const plan = decide({ group: groups[0]!, health: assessHealth(world, { [A]: 'unhealthy', [B]: 'healthy' }), intent: { type: 'reconcile' }, now, lastMoveAt: now - 10_000 });

    expect(plan.moves).toEqual([expect.objectContaining({ from: A, to: B })]);
  });

  // Seed 504, 6 simulated hours (npm run soak -- --hours 6 --seed 504 --no-shrink, +04:40:02):
  // overlay-0/a was rebooted by someone else, judged down, and stopped by its stop-start
  // remediation while DynamoDB throttled 46 % of the calls; the journal write of the stop failed
  // (logged, not retried), and since a stop-start is carried on from the journal alone, no later
  // run ever started it: it stayed stopped to the end, the group down to one member for good.
  it('nothing-lost: a remediation stop whose journal write is throttled is still started again', async () => {
    const h = probeHarness({ tags: { 'failover:remediate': 'stop-start' }, cooldownMs: 0 });
    const { a } = h.pairs[0] as VipPair;
    const record = h.store.record.bind(h.store);
    let throttled = 0;
    h.store.record = async (entry, options) => {
      if (entry.kind === 'remediation' && entry.step === 'stop' && throttled === 0) {
        throttled += 1;
        throw Object.assign(new Error('The level of configured provisioned throughput for the table was exceeded'), { name: 'ProvisionedThroughputExceededException' });
      }
      return record(entry, options);
    };
    await h.run(10_000);
    h.world.hang(a.instanceId);

    await h.run(57_000);
    for (let run = 0; run < 10 && h.world.instances.get(a.instanceId)?.state !== 'running'; run++) {
      await h.clock.drive(h.clock.sleep(3_000));
      await h.run(57_000);
    }

    expect(throttled).toBe(1);
    expect(h.world.instances.get(a.instanceId)?.state).toBe('running');
  });

  // Seed 507, 6 simulated hours (npm run soak -- --hours 6 --seed 507 --no-shrink, +01:18:03):
  // nat-0/a was rebooted by someone else, the tables moved to nat-0/b, and 41 s later the next probe
  // run failed them back to nat-0/a, inside the 60 s cooldown: DynamoDB throttled 79 % of the calls,
  // the lease release that carries the move's time (lastMoveAt) failed, and a new invocation knows
  // the cooldown from the lease item alone.
  it('no-ping-pong: a move whose lease release fails still starts the cooldown for the next run', async () => {
    const h = probeHarness({ kind: 'nat', cooldownMs: 60_000 });
    const { a } = h.pairs[0] as NatPair;
    await h.run(10_000);
    const release = h.store.release.bind(h.store);
    let failed = 0;
    h.store.release = async (grant, now, movedAt, options) => {
      if (movedAt !== undefined && failed === 0) {
        failed += 1;
        throw Object.assign(new Error('Rate of requests exceeds the allowed throughput'), { name: 'ThrottlingException' });
      }
      return release(grant, now, movedAt, options);
    };
    h.world.hang(a.instanceId);
    await h.run(20_000);
    const movedAt = h.world.calls.find((c) => c.operation === 'ReplaceRoute')?.at ?? Number.NaN;

    h.world.unhang(a.instanceId);
    await h.run(20_000);
    await h.run(20_000);

    const back = h.world.calls.filter((c) => c.operation === 'ReplaceRoute' && c.input['NetworkInterfaceId'] === a.networkInterfaceId);
    expect(failed).toBe(1);
    expect(back.map((c) => c.at - movedAt).filter((gap) => gap < 60_000)).toEqual([]);
  });

  // Seed 506, 6 simulated hours (npm run soak -- --hours 6 --seed 506 --no-shrink, +05:09:47): a
  // person asked for a failover of overlay-0 57 s after the probe had judged its standby down (hung),
  // and the failover function moved both tables onto it: it decides from EC2's view alone (a hung
  // instance still passes its status checks), without the probe's verdicts it has in the table.
  it('never-worse: a manual failover does not move traffic onto a member the probe judged down', { timeout: 120_000 }, async () => {
    const schedule: ScheduledFault[] = [
      // The Elastic IP group: no remediation, which would stop the hung standby first.
      { id: 0, at: 600_000, durationMs: 600_000, seed: 1, fault: { kind: 'node-hang', node: 'eip-0/b' } },
      { id: 1, at: 720_000, durationMs: 0, seed: 2, fault: { kind: 'manual-failover', group: 'eip-0' } },
    ];

    const { violations } = await runSoak({ seed: 506, hours: 0.5, schedule, db });

    expect(violations.filter((v) => v.invariant === 'never-worse')).toEqual([]);
  });

  // Seed 505, 6 simulated hours (npm run soak -- --hours 6 --seed 505 --no-shrink, +02:00:12):
  // nat-0/a crashed, the tables moved to nat-0/b; while it was down its forwarding broke. 10 s
  // after it came back, its TCP checks passed, it was judged healthy, and the automatic NAT
  // failback pointed its AZ's table at it before any forwarding check had run since its return; the
  // next sweep found it not forwarding, and the cooldown kept the table on it (one-holder follows).
  it('never-worse: a NAT is not failed back to before its forwarding check passed again', { timeout: 120_000 }, async () => {
    const schedule: ScheduledFault[] = [
      { id: 0, at: 600_000, durationMs: 300_000, seed: 1, fault: { kind: 'node-crash', node: 'nat-0/a' } },
      { id: 1, at: 720_000, durationMs: 480_000, seed: 2, fault: { kind: 'nat-no-forward', node: 'nat-0/a' } },
    ];

    const { violations } = await runSoak({ seed: 1, hours: 0.5, schedule, db });

    expect(violations.filter((v) => v.invariant === 'never-worse')).toEqual([]);
  });

  // Seed 1023, 24 simulated hours (npm run soak -- --hours 24 --seed 1023 --no-shrink, +06:46:02):
  // DynamoDB was down while the probe started cold, so it began with nothing in memory; it judged
  // nat-0/a, which had stopped forwarding, healthy at its first TCP answer and failed a table back
  // to it before any forwarding check. (Seed 1018 lost the verdict another way: the run that
  // judged it was killed before it saved; test/probe/forwarding.scenario.test.ts has both.)
  it('never-worse: a NAT first seen after a cold start is not failed back to before a forwarding check', { timeout: 120_000 }, async () => {
    const schedule: ScheduledFault[] = [
      { id: 0, at: 600_000, durationMs: 120_000, seed: 1, fault: { kind: 'node-hang', node: 'nat-0/a' } },
      { id: 1, at: 660_000, durationMs: 250_000, seed: 2, fault: { kind: 'dynamo-unavailable' } },
      { id: 2, at: 720_000, durationMs: 600_000, seed: 3, fault: { kind: 'nat-no-forward', node: 'nat-0/a' } },
      { id: 3, at: 870_000, durationMs: 0, seed: 4, fault: { kind: 'cold-start' } },
    ];

    const { violations } = await runSoak({ seed: 1, hours: 0.5, schedule, db });

    expect(violations.filter((v) => v.invariant === 'never-worse')).toEqual([]);
  });

  // Seed 1014, 24 simulated hours (+22:11:00): someone stopped the NAT holding the tables, and
  // on-event moved them onto the other NAT, which the probe had judged down (hung, EC2 checks ok):
  // the event path decided from EC2's view alone. Here with the Elastic IP group (no remediation).
  it('never-worse: an event does not move traffic onto a member the probe judged down', { timeout: 120_000 }, async () => {
    const schedule: ScheduledFault[] = [
      { id: 0, at: 600_000, durationMs: 600_000, seed: 1, fault: { kind: 'node-hang', node: 'eip-0/b' } },
      { id: 1, at: 720_000, durationMs: 300_000, seed: 2, fault: { kind: 'node-stop', node: 'eip-0/a' } },
    ];

    const { trace, violations } = await runSoak({ seed: 1, hours: 0.5, schedule, db });

    const hung = trace.samples.find((x) => x.group === 'eip-0')?.members[1];
    const ontoHung = trace.mutations.filter((m) => m.applied && m.group === 'eip-0' && m.target === hung && m.at < START + 1_200_000);
    expect(ontoHung).toEqual([]);
    expect(violations).toEqual([]);
  });

  // Seed 3012, 24 simulated hours (npm run soak -- --hours 24 --seed 3012 --no-shrink): a
  // node-terminate of eip-0/b 15 minutes before the end was cut to 7 s by the quiet stretch, and
  // ended while EC2 was still shutting the instance down (terminateMs 10 s). The harness launched
  // a replacement only for an instance already `terminated`, so none came, and the group never
  // got its second member back. A harness bug: the replacement now waits for the termination.
  it('convergence: a member terminated by a fault shorter than the termination itself is still replaced', { timeout: 120_000 }, async () => {
    const schedule: ScheduledFault[] = [{ id: 0, at: 600_000, durationMs: 7_000, seed: 1, fault: { kind: 'node-terminate', node: 'eip-0/b' } }];

    const { violations, trace } = await runSoak({ seed: 3012, hours: 0.5, schedule, db });

    expect(violations.filter((v) => v.invariant === 'convergence')).toEqual([]);
    expect(trace.samples.at(-1)?.members).toHaveLength(2);
    expect(Object.values(trace.finalStates).filter((state) => state === 'terminated')).toHaveLength(1);
  });

  // Seed 5021, 24 simulated hours (npm run soak -- --hours 24 --seed 5021 --no-shrink): a
  // node-stop of overlay-0/b cut to 2 s by the quiet stretch ended while the instance was still
  // stopping (stopMs 10 s); the harness started only an instance already stopped, so it stayed
  // stopped. The same harness fault as seed 3012's, for stops.
  it('convergence: a member stopped by a fault shorter than the stop itself is started again', { timeout: 120_000 }, async () => {
    const schedule: ScheduledFault[] = [{ id: 0, at: 600_000, durationMs: 2_000, seed: 1, fault: { kind: 'node-stop', node: 'overlay-0/b' } }];

    const { violations, trace } = await runSoak({ seed: 5021, hours: 0.5, schedule, db });

    expect(violations.filter((v) => v.invariant === 'convergence')).toEqual([]);
    expect(Object.values(trace.finalStates).filter((state) => state !== 'running')).toEqual([]);
  });

  // Seed 6109, 24 simulated hours (npm run soak -- --hours 24 --seed 6109 --no-shrink, +15:41:55):
  // overlay-0's standby hung; the probe judged it down 6 s later, but saved its verdicts only at
  // the end of that one-minute run. A person asked for a failover 54 s after the verdict, before
  // the save: the failover function read the verdicts of the run before, in which the standby was
  // still healthy, and moved both routes onto it. The probe now saves as soon as a verdict changes.
  // Here with the Elastic IP group, as for seed 506: no remediation stops the hung standby first.
  it('never-worse: a manual failover in the minute a standby was judged down does not move onto it', { timeout: 120_000 }, async () => {
    const schedule: ScheduledFault[] = [
      // Just before a run starts (each minute, 0 to 3 s late): judged early in that run, whose save
      // at its end comes after the person's failover, 61 s after the hang.
      { id: 0, at: 656_000, durationMs: 300_000, seed: 1, fault: { kind: 'node-hang', node: 'eip-0/b' } },
      { id: 1, at: 717_000, durationMs: 0, seed: 2, fault: { kind: 'manual-failover', group: 'eip-0' } },
    ];

    const { trace, violations } = await runSoak({ seed: 6109, hours: 0.5, schedule, db });

    const hung = trace.samples.find((x) => x.group === 'eip-0')?.members[1];
    const judgedAt = trace.verdicts.find((v) => v.instanceId === hung && v.verdict === 'unhealthy' && v.at >= START + 656_000)?.at;
    expect(judgedAt).toBeLessThan(START + 717_000);
    expect(trace.mutations.filter((m) => m.applied && m.group === 'eip-0' && m.target === hung)).toEqual([]);
    expect(violations.filter((v) => v.invariant === 'never-worse')).toEqual([]);
  });

  // Seed 8003, 24 simulated hours (npm run soak -- --hours 24 --seed 8003 --no-shrink, +23:44:43):
  // overlay-0's standby crashed 17 s before the faults ended. Remediation stopped it; a crashed OS
  // does not shut down, so the stop hung until remediation forced it 300 s later, as designed, and
  // the world converged 318 s after the last fault: over the 300 s bound, which did not allow for
  // the force-stop delay. The bound (an invariant's, not the product's) is now that delay plus two minutes.
  it('convergence: a member crashed as the faults end is stopped, forced and started within the bound', { timeout: 120_000 }, async () => {
    const schedule: ScheduledFault[] = [{ id: 0, at: 600_000, durationMs: 17_000, seed: 1, fault: { kind: 'node-crash', node: 'overlay-0/a' } }];

    const { violations, trace } = await runSoak({ seed: 8003, hours: 0.5, schedule, db });

    const crashed = trace.samples.find((x) => x.group === 'overlay-0')?.members[0];
    const forced = trace.journal.filter((e) => e.kind === 'remediation' && e.from === crashed && e.step === 'force-stop');
    expect(forced).toHaveLength(1);
    expect(convergenceMs(trace)).toBeGreaterThan(300_000);
    expect(violations.filter((v) => v.invariant === 'convergence')).toEqual([]);
  });

  // Seed 7133, 24 simulated hours (npm run soak -- --hours 24 --seed 7133 --no-shrink, +18:13:56):
  // eip-0's holder was stopped; the on-event invocation that took the lease was killed holding it,
  // and the probe could move only when the lease expired, 59 s after the stop. The kill was a
  // fault, but its record said when it was drawn, 11 minutes before, so one-holder counted the
  // lease's wait as undisturbed time (34 s against 33 s). A kill now counts from when it lands.
  it('one-holder: a kill counts as a disturbance from when it lands, not when it was drawn', { timeout: 120_000 }, async () => {
    const schedule: ScheduledFault[] = [
      { id: 0, at: 60_000, durationMs: 0, seed: 1, fault: { kind: 'lambda-kill', fn: 'on-event', atCall: 15, applied: true } },
      { id: 1, at: 900_000, durationMs: 229_000, seed: 2, fault: { kind: 'node-stop', node: 'eip-0/a' } },
    ];

    const { violations, trace } = await runSoak({ seed: 7133, hours: 0.5, schedule, db });

    const killed = trace.invocations.find((i) => i.fn === 'on-event' && i.killed === 'fault');
    const kill = trace.faults.find((f) => f.kind === 'lambda-kill');
    expect(killed?.start).toBeGreaterThanOrEqual(START + 900_000);
    expect(kill?.start).toBeGreaterThanOrEqual(killed?.start ?? Number.POSITIVE_INFINITY);
    expect(violations.filter((v) => v.invariant === 'one-holder')).toEqual([]);
  });

  // Seed 9023, 24 simulated hours (npm run soak -- --hours 24 --seed 9023 --no-shrink, +03:59:40):
  // remediation forced the stop of a hung member 300 s after stopping it; EC2 carried the force out
  // but its answer was lost (InternalError). The failed force closed the stop-start, so nothing
  // started the member again: it stayed stopped for 20 hours. A failed force now leaves it open.
  it('convergence: a member whose forced stop went through with its answer lost is started again', { timeout: 120_000 }, async () => {
    const schedule: ScheduledFault[] = [
      { id: 0, at: 600_000, durationMs: 60_000, seed: 1, fault: { kind: 'node-hang', node: 'overlay-0/b' } },
      // Every EC2 answer lost around the force, which comes about 300 s after the stop.
      { id: 1, at: 880_000, durationMs: 60_000, seed: 2, fault: { kind: 'ec2-lost-answer', rate: 1 } },
    ];

    const { violations, trace } = await runSoak({ seed: 9023, hours: 0.5, schedule, db });

    const hung = trace.samples.find((x) => x.group === 'overlay-0')?.members[1] ?? '';
    const forces = trace.journal.filter((e) => e.kind === 'remediation' && e.from === hung && e.step === 'force-stop');
    expect(forces.some((e) => e.outcome === 'failed')).toBe(true);
    expect(trace.finalStates[hung]).toBe('running');
    expect(violations.filter((v) => v.invariant === 'convergence')).toEqual([]);
  });

  // The same class one step earlier: EC2 carries the remediation's first stop out and loses its
  // answer. The journal said the stop failed, so no run carried the stop-start on, and the hung
  // member stayed stopping for good. A failed stop of a node seen stopping or stopped since is now
  // carried on: forced, then started.
  it('convergence: a member whose first stop went through with its answer lost is forced and started again', { timeout: 120_000 }, async () => {
    const schedule: ScheduledFault[] = [
      { id: 0, at: 600_000, durationMs: 60_000, seed: 1, fault: { kind: 'node-hang', node: 'overlay-0/b' } },
      // Every EC2 answer lost around the stop, which comes once the probe judged the member down.
      { id: 1, at: 600_000, durationMs: 120_000, seed: 2, fault: { kind: 'ec2-lost-answer', rate: 1 } },
    ];

    const { violations, trace } = await runSoak({ seed: 9023, hours: 0.5, schedule, db });

    const hung = trace.samples.find((x) => x.group === 'overlay-0')?.members[1] ?? '';
    const steps = trace.journal.filter((e) => e.kind === 'remediation' && e.from === hung).map((e) => `${e.step}:${e.outcome}`);
    expect(steps).toContain('stop:failed');
    expect(trace.finalStates[hung]).toBe('running');
    expect(violations.filter((v) => v.invariant === 'convergence')).toEqual([]);
  });
});
