/**
 * Egress checked from behind each NAT, on the in-memory VPC: the probe loop, the real core and
 * adapters, a sensor in each AZ's private subnet (a and b) whose connects to the outside answer iff
 * its subnet's route leads through a NAT that forwards. The NATs' own SSM checks are swept only
 * every 10 minutes here, so whatever moves a table in these runs was seen from behind.
 */
import { ReplaceRouteCommand } from '@aws-sdk/client-ec2';
import { describe, expect, it } from 'vitest';
import type { ProbeSettings } from '../../shared/probe/loop.js';
import type { NatPair } from '../../sim/world.js';
import { probeHarness } from './support/harness.js';

const MINUTE = 57_000;
const EGRESS = [{ kind: 'egress' as const, host: '192.0.2.10', port: 443 }, { kind: 'egress' as const, host: '192.0.2.11', port: 443 }];

function natHarness(options: { egressSensors?: boolean; settings?: Partial<ProbeSettings>; lossRate?: number; seed?: number } = {}) {
  const h = probeHarness({
    kind: 'nat',
    egressSensors: options.egressSensors ?? true,
    settings: { egress: EGRESS, sweepMs: 600_000, ...options.settings },
    ...(options.lossRate === undefined ? {} : { lossRate: options.lossRate }),
    ...(options.seed === undefined ? {} : { seed: options.seed }),
  });
  const nat = h.pairs[0] as NatPair;
  const routedTo = (table: string) => h.world.routeTarget(table, '0.0.0.0/0')?.instanceId;
  const tables = () => ({ a: routedTo(nat.routeTables.a), b: routedTo(nat.routeTables.b), any: routedTo(nat.routeTables.any) });
  const sensor = (az: 'a' | 'b') => {
    const s = h.egressSensors.get(az);
    if (!s) throw new Error(`fixture: no egress sensor in ${az}`);
    return s;
  };
  /** Points a table's default route elsewhere through the EC2 API, as someone other than the probe would. */
  const pointAt = (table: string, eni: string) =>
    h.world.clients().ec2.send(new ReplaceRouteCommand({ RouteTableId: table, DestinationCidrBlock: '0.0.0.0/0', NetworkInterfaceId: eni }));
  return { h, nat, a: nat.a.instanceId, b: nat.b.instanceId, tables, sensor, pointAt };
}

describe('egress checked from behind each NAT', () => {
  it('moves the tables off a NAT that drops forwarded packets while it answers and its own checks pass', async () => {
    const { h, a, b, tables } = natHarness();
    expect(tables()).toEqual({ a, b, any: a });

    await h.run(MINUTE, (round) => {
      if (round.index === 3) h.probes.dropsForwarded.add(a);
    });

    expect(tables()).toEqual({ a: b, b, any: b });
    expect(h.rounds.flatMap((r) => r.moves)).toEqual([expect.objectContaining({ group: 'nat-0', from: a, to: b })]);
    expect(h.memory.states.get(a)).toMatchObject({ verdict: 'unhealthy', behind: { down: true }, egressDown: false, forwardingDown: false });
    expect(h.memory.states.get(a)?.why).toMatch(/traffic from behind it does not get out/);
  });

  it('without sensors behind the NATs, the same fault is never caught', async () => {
    const { h, a, b, tables } = natHarness({ egressSensors: false });

    await h.run(MINUTE, (round) => {
      if (round.index === 3) h.probes.dropsForwarded.add(a);
    });

    expect(tables()).toEqual({ a, b, any: a });
  });

  it('catches a NAT whose MASQUERADE rule vanished before any sweep of its own', async () => {
    const { h, a, b, tables } = natHarness();

    await h.run(MINUTE, (round) => {
      if (round.index === 3) h.probes.natConfig(a, { ipForward: true, natRule: 'no' });
    });

    expect(tables()).toEqual({ a: b, b, any: b });
    expect(h.memory.states.get(a)).toMatchObject({ behind: { down: true }, forwardingDown: false });
  });

  it('blames no NAT when no sensor gets out, whatever the NATs\' own checks say (the endpoints, or the sensors\' path, are at fault)', async () => {
    const { h, a, b, tables, sensor } = natHarness();

    await h.run(MINUTE, (round) => {
      if (round.index === 3) {
        sensor('a').endpointsDown = true;
        sensor('b').endpointsDown = true;
      }
    });

    expect(tables()).toEqual({ a, b, any: a });
    expect(h.memory.states.get(a)?.verdict).toBe('healthy');
    expect(h.memory.states.get(b)?.verdict).toBe('healthy');
  });

  it('credits a failure to the NAT the route targets at the time of the check: one that just became the target is not blamed on the one before', async () => {
    const { h, nat, a, b, tables, pointAt } = natHarness();
    let worstForA = 0;
    // Mid-run, someone else (an operator, the on-event path) points AZ a at nat-b, which drops
    // forwarded packets; the probe's snapshot, read at the start of the run, still says nat-a.
    await h.run(MINUTE, (round) => {
      if (round.index === 5) {
        h.probes.dropsForwarded.add(b);
        void pointAt(nat.routeTables.a, nat.b.networkInterfaceId);
      }
      worstForA = Math.max(worstForA, h.memory.states.get(a)?.behind?.bad ?? 0);
    });

    expect(worstForA).toBe(0);
    expect(h.memory.states.get(a)?.verdict).toBe('healthy');
    // nat-b is the one behind which nothing gets out, proven by AZ a's sensor once the core put
    // AZ a back on its own NAT: every table ends on nat-a.
    expect(h.memory.states.get(b)).toMatchObject({ verdict: 'unhealthy', behind: { down: true } });
    expect(tables()).toEqual({ a, b: a, any: a });
  });

  it('holds a NAT marked not forwarding for the hold, then lets it take its AZ back, and catches it again if it still drops', async () => {
    const { h, a, b, tables } = natHarness({ settings: { egressHoldMs: 90_000 } });
    await h.run(MINUTE, (round) => {
      if (round.index === 3) h.probes.dropsForwarded.add(a);
    });
    expect(tables()).toEqual({ a: b, b, any: b });

    await h.run(MINUTE);
    expect(h.memory.states.get(a)?.verdict).toBe('unhealthy');
    await h.run(MINUTE);
    await h.run(MINUTE);

    const moves = h.rounds.flatMap((r) => r.moves);
    // Back to nat-a after the hold (automatic NAT failback), then away again: never more than that.
    expect(moves.filter((m) => m.to === a).length).toBeGreaterThanOrEqual(1);
    expect(moves.filter((m) => m.from === a).length).toBe(moves.filter((m) => m.to === a).length + 1);
    expect(tables().a).toBe(b);
  });

  it('gives a NAT that was down, not just dropping, its AZ back once it answers and its own checks pass, as before the sensors', async () => {
    const { h, a, b, tables } = natHarness({ settings: { sweepMs: 15_000 } });
    await h.run(10_000);
    h.world.hang(a);
    await h.run(MINUTE);
    expect(tables()).toEqual({ a: b, b, any: b });

    h.world.unhang(a);
    await h.run(MINUTE);
    await h.run(MINUTE);

    expect(h.memory.states.get(a)).toMatchObject({ verdict: 'healthy', behind: { down: false } });
    expect(tables()).toEqual({ a, b, any: b });
  });

  it('with 1 % loss on every sensor connect, moves nothing in ten minutes', async () => {
    const { h, a, b, tables } = natHarness({ lossRate: 0.01, seed: 7 });
    for (let i = 0; i < 10; i += 1) await h.run(MINUTE);
    expect(tables()).toEqual({ a, b, any: a });
    expect(h.rounds.flatMap((r) => r.moves)).toEqual([]);
  });
});
