/**
 * Tags are not a master key: on the in-memory VPC, driven by the probe loop as in production, someone
 * allowed to tag an instance tries to take a group's policy or have the controller fence an instance
 * that is not theirs. Nothing moves to the newcomer and nothing is done to the victim, until a
 * person confirms the newcomer with `failback`.
 */
import { describe, expect, it } from 'vitest';
import { createEc2Port } from '../../shared/aws/ec2.js';
import { createSsmHostPort } from '../../shared/aws/ssm.js';
import { FailoverEngine } from '../../shared/core/engine.js';
import type { Intent } from '../../shared/core/decide.js';
import type { NatPair, VipPair } from '../../sim/world.js';
import { probeHarness, quietLog } from '../probe/support/harness.js';

const MINUTE = 57_000;
type Harness = ReturnType<typeof probeHarness>;

/** An engine as the failover function wires it, over the harness's world, store and clock. */
function personEngine(h: Harness): FailoverEngine {
  const { ec2, ssm } = h.world.clients();
  return new FailoverEngine({
    ec2: createEc2Port(ec2, { clock: h.clock }),
    host: createSsmHostPort(ssm, { clock: h.clock }),
    lease: h.store,
    journal: h.store,
    clock: h.clock,
    log: quietLog,
    settings: {
      owner: 'failover:person',
      cooldownMs: 0,
      failback: { vip: 'manual', eip: 'manual', overlay: 'manual', nat: 'auto' },
      leaseTtlMs: 30_000,
      applyConcurrency: 4,
      verifyIntervalMs: 500,
      verifyTimeoutMs: 15_000,
      journalLimit: 20,
    },
  });
}

const manual = (h: Harness, group: string, intent: Intent) =>
  h.clock.drive(personEngine(h).run({ intent, trigger: 'manual', group, deadline: h.clock.now() + 60_000 }));
const status = (h: Harness, group: string) => h.clock.drive(personEngine(h).status(group, h.clock.now() + 60_000));
const fenced = (h: Harness, instanceId: string) =>
  h.world.calls.filter((c) => ['RebootInstances', 'StopInstances', 'StartInstances', 'TerminateInstances'].includes(c.operation) && JSON.stringify(c.input).includes(instanceId));
const movesTo = (h: Harness, instanceId: string) => h.store.entries.filter((e) => e.kind === 'move' && e.to?.split(',').includes(instanceId));

/** Someone's own instance in the group's subnet, tagged into it with `tags`. */
function join(h: Harness, pair: VipPair, tags: Record<string, string>): string {
  return h.world.addInstance({ subnet: pair.subnetId, tags: { 'failover:group': pair.group, 'failover:kind': 'vip', 'failover:vip': pair.vip, ...tags } }).instanceId;
}

describe('attack: join a group and take its policy', () => {
  it('a newcomer tagged failover:failback=auto and failover:priority=0 makes the group misconfigured; the VIP never moves to it', async () => {
    const h = probeHarness();
    const pair = h.pairs[0] as VipPair;
    await h.run(10_000);
    const n = join(h, pair, { 'failover:ports': '443', 'failover:failback': 'auto', 'failover:priority': '0' });

    await h.run(MINUTE);
    h.world.hang(pair.a.instanceId);
    await h.run(MINUTE);

    expect(h.world.vipHolder(pair.vip)).toBe(pair.a.instanceId);
    expect(movesTo(h, n)).toEqual([]);
    const report = await status(h, pair.group);
    expect(report.groups[0]?.problems).toEqual([
      `tag failover:failback is on ${n} but not on ${[pair.a.instanceId, pair.b.instanceId].sort().join(', ')}: a policy tag must carry the same value on every member`,
    ]);
  });

  it('a newcomer with the group\'s own policy tags and priority 0 is never the failback target until a person runs failback, then it is', async () => {
    const h = probeHarness({ tags: { 'failover:failback': 'auto' }, cooldownMs: 0 });
    const pair = h.pairs[0] as VipPair;
    const [a, b] = [pair.a.instanceId, pair.b.instanceId];
    await h.run(10_000);
    // The group never moved: its roster was recorded at the controller's first look.
    expect(h.store.leases.get(pair.group)?.roster).toEqual([a, b].sort());
    const n = join(h, pair, { 'failover:ports': '443', 'failover:failback': 'auto', 'failover:priority': '0' });

    await h.run(MINUTE);
    expect(h.world.vipHolder(pair.vip)).toBe(a);
    expect((await status(h, pair.group)).groups[0]).toMatchObject({ newcomers: [n], problems: [] });

    h.world.hang(a);
    await h.run(MINUTE);
    expect(h.world.vipHolder(pair.vip)).toBe(b);
    h.world.unhang(a);
    await h.run(MINUTE);
    await h.run(MINUTE);
    expect(h.world.vipHolder(pair.vip)).toBe(a);
    expect(movesTo(h, n)).toEqual([]);
    expect(h.store.entries.filter((e) => e.kind === 'move').map((e) => e.newcomers)).toEqual([[n], [n]]);

    const [result] = await manual(h, pair.group, { type: 'failback' });

    expect(result).toMatchObject({ outcome: 'changed', plan: { moves: [{ from: a, to: n }] } });
    expect(result?.reason).toContain(`confirmed members: ${[a, b, n].sort().join(', ')}`);
    expect(h.world.vipHolder(pair.vip)).toBe(n);
    expect(h.store.leases.get(pair.group)?.roster).toEqual([a, b, n].sort());
    expect((await status(h, pair.group)).groups[0]?.newcomers).toBeUndefined();
  });

  it('a manual failover --to a newcomer confirms it, and nothing else', async () => {
    const h = probeHarness({ tags: { 'failover:failback': 'auto' }, cooldownMs: 0 });
    const pair = h.pairs[0] as VipPair;
    await h.run(10_000);
    const n = join(h, pair, { 'failover:ports': '443', 'failover:failback': 'auto', 'failover:priority': '0' });
    const m = join(h, pair, { 'failover:ports': '443', 'failover:failback': 'auto', 'failover:priority': '0' });

    const [result] = await manual(h, pair.group, { type: 'failover', to: n });

    expect(result?.outcome).toBe('changed');
    expect(h.world.vipHolder(pair.vip)).toBe(n);
    expect(h.store.leases.get(pair.group)?.roster).toEqual([pair.a.instanceId, pair.b.instanceId, n].sort());
    expect((await status(h, pair.group)).groups[0]?.newcomers).toEqual([m]);
  });

  it("a newcomer NAT in a failed NAT's AZ never gets that AZ's default route; the confirmed NAT takes it", async () => {
    const h = probeHarness({ kind: 'nat', cooldownMs: 0 });
    const pair = h.pairs[0] as NatPair;
    await h.run(10_000);
    const n = h.world.addInstance({ subnet: pair.publicSubnets.a, sourceDestCheck: false, tags: { 'failover:group': pair.group, 'failover:kind': 'nat', 'failover:ports': '443' } }).instanceId;

    h.world.terminate(pair.a.instanceId);
    await h.run(MINUTE);
    await h.run(MINUTE);

    expect(h.world.routeTarget(pair.routeTables.a, '0.0.0.0/0')?.networkInterfaceId).toBe(pair.b.networkInterfaceId);
    expect(h.world.routeTarget(pair.routeTables.any, '0.0.0.0/0')?.networkInterfaceId).toBe(pair.b.networkInterfaceId);
    expect(movesTo(h, n)).toEqual([]);
  });
});

describe("attack: reboot or stop someone else's instance", () => {
  it('an instance tagged into a group with closed ports and failover:remediate=stop-start is never remediated', async () => {
    const h = probeHarness({ tags: { 'failover:remediate': 'stop-start' }, cooldownMs: 0 });
    const pair = h.pairs[0] as VipPair;
    await h.run(10_000);
    const victim = join(h, pair, { 'failover:ports': '443', 'failover:remediate': 'stop-start', 'failover:priority': '5' });
    h.world.hang(victim);

    for (let run = 0; run < 3; run++) await h.run(MINUTE);

    expect(h.memory.states.get(victim)?.verdict).toBe('unhealthy');
    expect(fenced(h, victim)).toEqual([]);
    expect(h.store.entries.filter((e) => e.kind === 'remediation')).toEqual([]);
    expect(h.world.instances.get(victim)?.state).toBe('running');
  });

  it('a confirmed member in the same group and state is remediated (the control)', async () => {
    const h = probeHarness({ tags: { 'failover:remediate': 'reboot' }, cooldownMs: 0 });
    const pair = h.pairs[0] as VipPair;
    await h.run(10_000);
    h.world.hang(pair.b.instanceId);

    await h.run(MINUTE);

    expect(fenced(h, pair.b.instanceId).map((c) => c.operation)).toEqual(['RebootInstances']);
  });

  it('an instance tagged failover:remediate=stop-start into a group without it makes the group misconfigured: no one is fenced', async () => {
    const h = probeHarness();
    const pair = h.pairs[0] as VipPair;
    await h.run(10_000);
    const victim = join(h, pair, { 'failover:ports': '443', 'failover:remediate': 'stop-start' });
    h.world.hang(victim);

    for (let run = 0; run < 2; run++) await h.run(MINUTE);

    expect(fenced(h, victim)).toEqual([]);
    expect((await status(h, pair.group)).groups[0]?.problems).toEqual([
      `tag failover:remediate is on ${victim} but not on ${[pair.a.instanceId, pair.b.instanceId].sort().join(', ')}: a policy tag must carry the same value on every member`,
    ]);
  });
});
