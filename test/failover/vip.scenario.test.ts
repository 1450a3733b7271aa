/**
 * Manual invocations of the `failover` function on a VIP pair: what the operator asks for is what
 * the VPC ends up with (EC2 and the instances' OS), and the journal says so.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GroupResult, StatusReport } from '../../shared/core/engine.js';
import { RefusedError } from '../../shared/errors.js';
import { type DynaliteHandle, startDynalite } from '../../sim/dynalite.js';
import { type ManualClock, manualClock } from '../../sim/clock.js';
import { buildEipPair, buildVipPair, type VipPair } from '../../sim/world.js';
import { type Harness, harness } from './support/harness.js';

let db: DynaliteHandle;
beforeAll(async () => {
  db = await startDynalite();
});
afterAll(async () => {
  await db?.stop();
});

async function setup(options: Parameters<typeof buildVipPair>[0] = {}): Promise<{ pair: VipPair; clock: ManualClock; h: Harness }> {
  const clock = manualClock();
  const pair = buildVipPair({ worldOptions: { clock }, ...options });
  const h = await harness(pair.world, clock, db);
  pair.world.clearCalls();
  return { pair, clock, h };
}

describe('failover function: vip group', () => {
  it('moves the VIP to the standby ENI and brings it up in its OS when the holder is stopped', async () => {
    const { pair, h } = await setup();
    const { world, a, b, vip, group } = pair;
    world.stop(a.instanceId);

    const result = (await h.invoke({ action: 'failover', group })) as GroupResult;

    expect(result.outcome).toBe('changed');
    expect(world.vipHolder(vip)).toBe(b.instanceId);
    expect(world.ipHolderEni(vip)).toBe(b.networkInterfaceId);
    expect(world.osIps(b.instanceId)).toContain(vip);
    expect(world.count('AssignPrivateIpAddresses')).toBe(1);
    expect(world.inputs('AssignPrivateIpAddresses')[0]).toMatchObject({ NetworkInterfaceId: b.networkInterfaceId, PrivateIpAddresses: [vip], AllowReassignment: true });
    const [entry] = await h.journal(group);
    expect(entry).toMatchObject({ group, trigger: 'manual', outcome: 'applied', from: a.instanceId, to: b.instanceId });
  });

  it('sends no command to a hung old holder: the switch is complete at once, and its OS is left to the convergence', async () => {
    const { pair, clock, h } = await setup();
    const { world, a, b, vip, group } = pair;
    world.impair(a.instanceId);
    world.hang(a.instanceId);
    const started = clock.now();

    const result = (await h.invoke({ action: 'failover', group })) as GroupResult;

    expect(world.vipHolder(vip)).toBe(b.instanceId);
    expect(world.osIps(b.instanceId)).toContain(vip);
    expect(result.outcome).toBe('changed');
    expect(result.actions.map((r) => r.summary)).not.toContainEqual(expect.stringMatching(/^take/));
    // A command to the hung node would wait out its 8 s cap before the run could end.
    expect(clock.now() - started).toBeLessThan(8_000);
  });

  it('moves the VIP away from an impaired holder without a command to it (judged down, it would only time out)', async () => {
    const { pair, h } = await setup();
    const { world, a, b, vip, group } = pair;
    world.impair(a.instanceId);

    const result = (await h.invoke({ action: 'failover', group, reason: 'status checks failing' })) as GroupResult;

    expect(result.outcome).toBe('changed');
    expect(result.reason).toContain('status checks failing');
    expect(world.vipHolder(vip)).toBe(b.instanceId);
    expect(world.osIps(b.instanceId)).toContain(vip);
    expect(world.osIps(a.instanceId)).toContain(vip);
  });

  it('moves a healthy holder on request when the standby is healthy (planned maintenance)', async () => {
    const { pair, h } = await setup();
    const { world, a, b, vip, group } = pair;

    const result = (await h.invoke({ action: 'failover', group, from: a.instanceId })) as GroupResult;

    expect(result.outcome).toBe('changed');
    expect(world.vipHolder(vip)).toBe(b.instanceId);
    expect(world.osIps(a.instanceId)).not.toContain(vip);
    expect(result.after).toEqual([expect.objectContaining({ scope: vip, holder: b.instanceId, broken: false })]);
  });

  it('does nothing for from= an instance that does not hold the VIP', async () => {
    const { pair, h } = await setup();
    const { world, a, b, vip, group } = pair;

    const result = (await h.invoke({ action: 'failover', group, from: b.instanceId })) as GroupResult;

    expect(result.outcome).toBe('unchanged');
    expect(world.vipHolder(vip)).toBe(a.instanceId);
    expect(world.mutations()).toEqual([]);
  });

  it('moves onto the forced target `to`', async () => {
    const { pair, h } = await setup();
    const { world, b, vip, group } = pair;

    const result = (await h.invoke({ action: 'failover', group, to: b.instanceId })) as GroupResult;

    expect(result.outcome).toBe('changed');
    expect(world.vipHolder(vip)).toBe(b.instanceId);
    expect(world.osIps(b.instanceId)).toContain(vip);
  });

  it('refuses a forced target that is not healthy and changes nothing', async () => {
    const { pair, h } = await setup();
    const { world, a, b, vip, group } = pair;
    world.impair(b.instanceId);

    const result = (await h.invoke({ action: 'failover', group, to: b.instanceId })) as GroupResult;

    expect(result.outcome).toBe('refused');
    expect(result.reason).toContain('not healthy');
    expect(world.vipHolder(vip)).toBe(a.instanceId);
    expect(world.mutations()).toEqual([]);
  });

  it('refuses a forced target that is not a member of the group', async () => {
    const { pair, h } = await setup();
    const other = pair.world.addInstance({ subnet: pair.subnetId });

    const result = (await h.invoke({ action: 'failover', group: pair.group, to: other.instanceId })) as GroupResult;

    expect(result.outcome).toBe('refused');
    expect(result.reason).toContain('not a member');
    expect(pair.world.mutations()).toEqual([]);
  });

  it('returns the plan of a dry run and changes nothing', async () => {
    const { pair, h } = await setup();
    const { world, a, b, vip, group } = pair;
    world.stop(a.instanceId);

    const result = (await h.invoke({ action: 'failover', group, dryRun: true })) as GroupResult;

    expect(result.dryRun).toBe(true);
    expect(result.outcome).toBe('unchanged');
    expect(result.reason).toMatch(/^dry run: /);
    expect(result.plan?.outcome).toBe('change');
    expect(result.plan?.actions).toContainEqual(expect.objectContaining({ type: 'assign-private-ip', networkInterfaceId: b.networkInterfaceId, ip: vip }));
    expect(world.mutations()).toEqual([]);
    expect(world.vipHolder(vip)).toBe(a.instanceId);
    expect(await h.journal(group)).toEqual([]);
  });

  it('fails back to the preferred node once it is healthy again', async () => {
    const { pair, clock, h } = await setup();
    const { world, a, b, vip, group } = pair;
    world.stop(a.instanceId);
    await h.invoke({ action: 'failover', group });
    expect(world.vipHolder(vip)).toBe(b.instanceId);
    world.start(a.instanceId, { status: 'ok' });
    clock.advance(120_000);

    const result = (await h.invoke({ action: 'failback', group })) as GroupResult;

    expect(result.outcome).toBe('changed');
    expect(world.vipHolder(vip)).toBe(a.instanceId);
    expect(world.osIps(a.instanceId)).toContain(vip);
    expect(world.osIps(b.instanceId)).not.toContain(vip);
    const entries = await h.journal(group);
    expect(entries.map((e) => [e.from, e.to])).toEqual([
      [b.instanceId, a.instanceId],
      [a.instanceId, b.instanceId],
    ]);
  });

  it('keeps the VIP on the preferred node when failback is asked for and it already holds it', async () => {
    const { pair, h } = await setup();

    const result = (await h.invoke({ action: 'failback', group: pair.group })) as GroupResult;

    expect(result.outcome).toBe('unchanged');
    expect(pair.world.mutations()).toEqual([]);
  });

  it('refuses when no member is healthy, and changes nothing', async () => {
    const { pair, h } = await setup();
    const { world, a, b, vip, group } = pair;
    world.impair(a.instanceId);
    world.impair(b.instanceId);

    const result = (await h.invoke({ action: 'failover', group })) as GroupResult;

    expect(result.outcome).toBe('refused');
    expect(result.reason).toContain('no other member is healthy');
    expect(world.mutations()).toEqual([]);
    expect(world.vipHolder(vip)).toBe(a.instanceId);
  });

  it('rejects a group no instance carries with a RefusedError', async () => {
    const { pair, h } = await setup();

    await expect(h.invoke({ action: 'failover', group: 'no-such-group' })).rejects.toBeInstanceOf(RefusedError);
    expect(pair.world.mutations()).toEqual([]);
  });
});

describe('failover function: status', () => {
  it('reports every group with members, holders, problems and the journal', async () => {
    const clock = manualClock();
    const vipPair = buildVipPair({ worldOptions: { clock } });
    const eipPair = buildEipPair({ world: vipPair.world });
    const world = vipPair.world;
    const h = await harness(world, clock, db);
    world.stop(vipPair.a.instanceId);
    await h.invoke({ action: 'failover', group: vipPair.group });
    world.clearCalls();

    const report = (await h.invoke({ action: 'status' })) as StatusReport;

    expect(world.mutations()).toEqual([]);
    expect(report.groups.map((g) => g.group).sort()).toEqual([eipPair.group, vipPair.group].sort());
    const vip = report.groups.find((g) => g.group === vipPair.group);
    expect(vip).toMatchObject({
      kind: 'vip',
      problems: [],
      holders: [{ scope: vipPair.vip, holder: vipPair.b.instanceId, broken: false }],
      lastMoveAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });
    expect(vip?.members).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ instanceId: vipPair.a.instanceId, state: 'stopped', health: 'unhealthy', priority: 1 }),
        expect.objectContaining({ instanceId: vipPair.b.instanceId, state: 'running', health: 'healthy', priority: 2 }),
      ]),
    );
    expect(vip?.journal).toEqual([expect.objectContaining({ outcome: 'applied', from: vipPair.a.instanceId, to: vipPair.b.instanceId })]);
    const eip = report.groups.find((g) => g.group === eipPair.group);
    expect(eip).toMatchObject({ kind: 'eip', problems: [], journal: [], holders: [{ scope: eipPair.allocationId, holder: eipPair.a.instanceId }] });
    expect(eip?.lastMoveAt).toBeUndefined();
  });

  it('reports one group when asked for one', async () => {
    const clock = manualClock();
    const vipPair = buildVipPair({ worldOptions: { clock } });
    buildEipPair({ world: vipPair.world });
    const h = await harness(vipPair.world, clock, db);

    const report = (await h.invoke({ action: 'status', group: vipPair.group })) as StatusReport;

    expect(report.groups.map((g) => g.group)).toEqual([vipPair.group]);
    expect(report.observedAt).toBe(new Date(clock.now()).toISOString());
  });

  it('refuses status for a group that does not exist', async () => {
    const clock = manualClock();
    const pair = buildVipPair({ worldOptions: { clock } });
    const h = await harness(pair.world, clock, db);

    await expect(h.invoke({ action: 'status', group: 'missing' })).rejects.toThrow(/no group named 'missing'/);
  });
});
