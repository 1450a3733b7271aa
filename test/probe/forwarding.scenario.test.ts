/**
 * The NAT forwarding-configuration check on the in-memory VPC: the probe loop, the real core and
 * adapters, and the world's probe-script handler answering each NAT's check from its configuration.
 * Both NATs answer on their ports and reach out themselves (egress ok) throughout; only what the
 * forwarding check reads changes.
 */
import { describe, expect, it } from 'vitest';
import type { ProbeSettings } from '../../shared/probe/loop.js';
import type { NatPair } from '../../sim/world.js';
import { probeHarness } from './support/harness.js';

const MINUTE = 57_000;
const EGRESS = [{ kind: 'egress' as const, host: '192.0.2.10', port: 443 }];

function natHarness(settings: Partial<ProbeSettings> = {}, options: { persist?: boolean; cooldownMs?: number } = {}) {
  const h = probeHarness({ kind: 'nat', settings: { egress: EGRESS, sweepMs: 10_000, ...settings }, ...options });
  const pair = h.pairs[0];
  if (pair?.kind !== 'nat') throw new Error('fixture: expected a NAT pair');
  const nat = pair as NatPair;
  const routedTo = (table: string) => h.world.routeTarget(table, '0.0.0.0/0')?.instanceId;
  const tables = () => ({ a: routedTo(nat.routeTables.a), b: routedTo(nat.routeTables.b), any: routedTo(nat.routeTables.any) });
  return { h, a: nat.a.instanceId, b: nat.b.instanceId, tables };
}

describe('NAT forwarding-configuration check', () => {
  it('moves the tables of a NAT whose MASQUERADE rule vanished to the healthy NAT', async () => {
    const { h, a, b, tables } = natHarness();
    expect(tables()).toEqual({ a, b, any: a });

    await h.run(MINUTE, (round) => {
      if (round.index === 2) h.probes.natConfig(a, { ipForward: true, natRule: 'no' });
    });

    expect(tables()).toEqual({ a: b, b, any: b });
    expect(h.rounds.flatMap((r) => r.moves)).toEqual([expect.objectContaining({ group: 'nat-0', from: a, to: b })]);
    expect(h.memory.states.get(a)).toMatchObject({ verdict: 'unhealthy', forwardingDown: true, egressDown: false });
  });

  it('moves them when ip_forward is turned off, even with no egress endpoints configured', async () => {
    const { h, a, b, tables } = natHarness({ egress: [] });

    await h.run(MINUTE, (round) => {
      if (round.index === 2) h.probes.natConfig(a, { ipForward: false, natRule: 'yes' });
    });

    expect(tables()).toEqual({ a: b, b, any: b });
  });

  // A NAT crashed, its tables moved, and its forwarding broke while it was down; once it answered
  // again its TCP checks made it healthy, and the automatic failback pointed its AZ's table at it
  // before any forwarding check had run since its return.
  it('never-worse: a NAT is not failed back to before its forwarding check passed again', async () => {
    const { h, a, b, tables } = natHarness({ sweepMs: 30_000 });
    await h.run(10_000);
    h.world.hang(a);
    h.probes.natConfig(a, { ipForward: false, natRule: 'yes' });
    await h.run(MINUTE);
    await h.run(MINUTE);
    expect(tables()).toEqual({ a: b, b, any: b });

    // It comes back while SSM is throttled: its TCP checks pass `rise` times, and no forwarding
    // check runs on it until SSM answers again.
    const ssm = h.world.faults.inject({ operation: 'SendCommand', error: 'ThrottlingException' });
    h.world.unhang(a);
    await h.run(MINUTE);
    ssm.remove();
    await h.run(MINUTE);

    const eniA = (h.pairs[0] as NatPair).a.networkInterfaceId;
    const failbacks = h.world.calls.filter((c) => c.operation === 'ReplaceRoute' && c.input['NetworkInterfaceId'] === eniA);
    expect(failbacks).toEqual([]);
    expect(tables()).toEqual({ a: b, b, any: b });
  });

  it('fails a NAT back once it answers again and its forwarding check passed since', async () => {
    const { h, a, b, tables } = natHarness({ sweepMs: 30_000 });
    await h.run(10_000);
    h.world.hang(a);
    await h.run(MINUTE);
    await h.run(MINUTE);
    expect(tables()).toEqual({ a: b, b, any: b });

    h.world.unhang(a);
    await h.run(MINUTE);
    await h.run(MINUTE);

    // Its own AZ's table comes back; the `any` table has no preference between them and stays.
    expect(tables()).toEqual({ a, b, any: b });
  });

  /**
   * B is down and its table moved to A; B comes back, forwarding, and waits out the cooldown for its
   * failback. The run that saw it then stop forwarding never saved (it was killed).
   */
  async function failbackDueAfterLostRun(persist: boolean) {
    const nat = natHarness({}, { persist, cooldownMs: 120_000 });
    const { h, a, b, tables } = nat;
    await h.run(10_000);
    h.world.hang(b);
    await h.run(30_000);
    h.world.unhang(b);
    await h.run(MINUTE);
    expect(tables()).toEqual({ a, b: a, any: a });
    expect(h.memory.states.get(b)?.verdict).toBe('healthy');
    h.probes.natConfig(b, { ipForward: false, natRule: 'yes' });
    await h.clock.drive(h.clock.sleep(40_000));
    const eniB = (h.pairs[0] as NatPair).b.networkInterfaceId;
    const failbacks = () => h.world.calls.filter((c) => c.operation === 'ReplaceRoute' && c.input['NetworkInterfaceId'] === eniB);
    return { ...nat, failbacks };
  }

  // Seed 1018 (24 h, +23:19:02): a NAT stopped forwarding a minute after the probe last saved its
  // state; the run that judged it down was killed before it saved, and the next run, restored from
  // the older copy, failed a table back to it at its first round on its TCP answer alone.
  it('never-worse: a NAT restored healthy after a cold start is no target until a forwarding check since the save passed', async () => {
    const { h, a, b, tables, failbacks } = await failbackDueAfterLostRun(true);

    await h.run(20_000, undefined, { cold: true });

    expect(failbacks()).toEqual([]);
    expect(tables()).toEqual({ a, b: a, any: a });
    expect(h.memory.states.get(b)).toMatchObject({ verdict: 'unhealthy', forwardingDown: true });
  });

  // Seed 1023 (24 h, +06:46:02): DynamoDB was down for two runs, so the stored state was too old
  // to restore; the new environment judged the NAT that had stopped forwarding healthy at its first
  // TCP answer and failed a table back to it, before any forwarding check.
  it('never-worse: a NAT first seen with nothing in memory is no target before a forwarding check passed', async () => {
    const { h, a, b, tables, failbacks } = await failbackDueAfterLostRun(false);

    await h.run(20_000, undefined, { cold: true });

    expect(failbacks()).toEqual([]);
    expect(tables()).toEqual({ a, b: a, any: a });
    expect(h.memory.states.get(b)).toMatchObject({ verdict: 'unhealthy', forwardingDown: true });
  });

  // Seed 14017 (24 h, +14:18:34): a NAT's group tag was removed while the tables were on the other
  // NAT; it stopped forwarding while outside the group, where nothing probed it. Once tagged again,
  // the memory's copy from before (healthy, forwarding) made it a failback target at once.
  /**
   * A's tables moved to B; A came back healthy and waits out the cooldown for its failback. Then its
   * group tag is removed and, outside the group where nothing probes it, it stops forwarding.
   */
  async function natLeftTheGroup() {
    const nat = natHarness({ sweepMs: 30_000 }, { cooldownMs: 600_000 });
    const { h, a, b, tables } = nat;
    await h.run(10_000);
    h.world.hang(a);
    await h.run(MINUTE);
    h.world.unhang(a);
    await h.run(MINUTE);
    await h.run(MINUTE);
    expect(h.memory.states.get(a)?.verdict).toBe('healthy');
    expect(tables()).toEqual({ a: b, b, any: b });
    const tags = (h.world.instances.get(a) as { tags: Record<string, string | undefined> }).tags;
    const group = tags['failover:group'];
    delete tags['failover:group'];
    await h.run(MINUTE);
    h.probes.natConfig(a, { ipForward: false, natRule: 'yes' });
    for (let i = 0; i < 8; i += 1) await h.run(MINUTE);
    const eniA = (h.pairs[0] as NatPair).a.networkInterfaceId;
    const before = h.world.calls.length;
    const failbacks = () => h.world.calls.slice(before).filter((c) => c.operation === 'ReplaceRoute' && c.input['NetworkInterfaceId'] === eniA);
    const retag = () => void (tags['failover:group'] = group);
    return { ...nat, failbacks, retag };
  }

  // Seed 14017 (24 h, +14:18:34): a NAT's group tag was removed while it waited for its failback,
  // and it stopped forwarding while outside the group. Tagged again, it was failed back to at once:
  // on the memory's copy from before it left, or, seen first by a snapshot taken within a round, on
  // EC2 status alone.
  it('never-worse: a NAT that left the group and came back is no target before a forwarding check passed', async () => {
    const { h, a, b, tables, failbacks, retag } = await natLeftTheGroup();

    retag();
    await h.run(MINUTE);

    expect(failbacks()).toEqual([]);
    expect(tables()).toEqual({ a: b, b, any: b });
    expect(h.memory.states.get(a)).toMatchObject({ verdict: 'unhealthy', forwardingDown: true });
  });

  it('never-worse: a NAT tagged again in the middle of a run is no target before a round probed it', async () => {
    const { h, a, b, tables, failbacks, retag } = await natLeftTheGroup();

    await h.run(MINUTE, (round) => {
      if (round.index === 0) retag();
    });

    expect(failbacks()).toEqual([]);
    expect(tables()).toEqual({ a: b, b, any: b });
    expect(h.memory.states.get(a)).toMatchObject({ verdict: 'unknown', unverifiedSince: expect.any(Number) });
  });

  it('fails a NAT back after a cold start once its forwarding check passed', async () => {
    const { h, a, b, tables } = natHarness({}, { persist: true, cooldownMs: 0 });
    await h.run(10_000);
    h.world.hang(b);
    await h.run(30_000);
    h.world.unhang(b);

    await h.run(30_000, undefined, { cold: true });

    expect(tables()).toEqual({ a, b, any: a });
  });

  it('judges NATs on TCP alone after a cold start when no forwarding check is configured', async () => {
    const { h, a, b, tables } = natHarness({ egress: [], forwardingCheck: false }, { persist: true, cooldownMs: 0 });
    await h.run(10_000);
    h.world.hang(b);
    await h.run(30_000);
    h.world.unhang(b);
    await h.run(10_000, undefined, { cold: true });

    await h.run(30_000, undefined, { cold: true });

    expect(tables()).toEqual({ a, b, any: a });
    expect(h.memory.states.get(b)?.verdict).toBe('healthy');
  });

  it('never moves a NAT because its tools cannot tell, over several minutes', async () => {
    const { h, a, b, tables } = natHarness();
    h.probes.natConfig(a, { ipForward: true, natRule: 'unsupported' });

    for (let minute = 0; minute < 3; minute += 1) await h.run(MINUTE);

    expect(h.probes.forwardingRuns.filter((prober) => prober === a).length).toBeGreaterThan(3);
    expect(tables()).toEqual({ a, b, any: a });
    expect(h.world.mutations().filter((c) => c.service === 'ec2')).toEqual([]);
    expect(h.memory.states.get(a)).toMatchObject({ verdict: 'healthy', forwardingDown: false, forwardingBad: 0 });
  });

  it('keeps the tables when the check is switched off, whatever it would read', async () => {
    const { h, a, b, tables } = natHarness({ forwardingCheck: false });
    h.probes.natConfig(a, { ipForward: true, natRule: 'no' });

    await h.run(MINUTE);

    expect(h.probes.forwardingRuns).toEqual([]);
    expect(tables()).toEqual({ a, b, any: a });
  });

  it('ignores a single failed check', async () => {
    const { h, a, b, tables } = natHarness();
    let failing = false;
    let mostFailures = 0;

    await h.run(MINUTE, () => {
      mostFailures = Math.max(mostFailures, h.memory.states.get(a)?.forwardingBad ?? 0);
      // Fails exactly one forwarding check on A, then A is fine again.
      const ran = h.probes.forwardingRuns.filter((p) => p === a).length;
      if (ran === 1 && !failing) {
        failing = true;
        h.probes.natConfig(a, { ipForward: true, natRule: 'no' });
      } else if (ran >= 2 && failing) {
        h.probes.natConfig(a, { ipForward: true, natRule: 'yes' });
      }
    });

    expect(mostFailures).toBe(1);
    expect(tables()).toEqual({ a, b, any: a });
  });
});
