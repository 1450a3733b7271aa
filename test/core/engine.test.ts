/**
 * The engine's own rules, on an in-memory VPC and the in-memory store: no-op rounds cost no
 * lease, a stale snapshot is looked at again before acting, journal and lease failures never
 * hide the result, and a bug is never swallowed.
 */
import { describe, expect, it } from 'vitest';
import { createEc2Port } from '../../shared/aws/ec2.js';
import { createSsmHostPort } from '../../shared/aws/ssm.js';
import { type EngineDeps, FailoverEngine } from '../../shared/core/engine.js';
import { guardedNotifier } from '../../shared/core/notice.js';
import { RefusedError } from '../../shared/errors.js';
import { manualClock } from '../../sim/clock.js';
import { memoryStore } from '../support/memory-store.js';
import { type VipPair, buildVipPair } from '../../sim/world.js';
import { memoryLog } from '../failover/support/harness.js';

function setup(overrides: Partial<EngineDeps> = {}, pairOptions: Parameters<typeof buildVipPair>[0] = {}) {
  const clock = manualClock();
  const pair: VipPair = buildVipPair({ worldOptions: { clock, assignDelayMs: 0 }, ...pairOptions });
  const clients = pair.world.clients();
  const store = memoryStore();
  const log = memoryLog();
  const deps: EngineDeps = {
    ec2: createEc2Port(clients.ec2, { clock }),
    host: createSsmHostPort(clients.ssm, { clock, comment: 'engine-test' }),
    lease: store,
    journal: store,
    clock,
    log,
    settings: {
      owner: 'engine-test',
      cooldownMs: 60_000,
      failback: { vip: 'manual', eip: 'manual', nat: 'auto', overlay: 'manual' },
      leaseTtlMs: 30_000,
      applyConcurrency: 4,
      verifyIntervalMs: 500,
      verifyTimeoutMs: 5_000,
      journalLimit: 10,
    },
    ...overrides,
  };
  const engine = new FailoverEngine(deps);
  const deadline = () => clock.now() + 30_000;
  pair.world.clearCalls();
  return { ...pair, clock, store, log, deps, engine, deadline };
}

describe('FailoverEngine.run', () => {
  it('takes no lease and writes no journal when there is nothing to do', async () => {
    const { engine, store, world, deadline } = setup();

    const [result] = await engine.run({ intent: { type: 'reconcile' }, trigger: 'schedule', deadline: deadline() });

    expect(result?.outcome).toBe('unchanged');
    expect(store.calls).toMatchObject({ tryAcquire: 0, release: 0, record: 0 });
    expect(world.mutations()).toEqual([]);
  });

  it('takes the lease, moves, records the move time and releases', async () => {
    const { engine, store, world, a, b, vip, group, clock, deadline } = setup();
    world.stop(a.instanceId);

    const [result] = await engine.run({ intent: { type: 'reconcile' }, trigger: 'probe', deadline: deadline() });

    expect(result).toMatchObject({ group, kind: 'vip', outcome: 'changed', trigger: 'probe', dryRun: false });
    expect(result?.before).toEqual([expect.objectContaining({ holder: a.instanceId })]);
    expect(result?.after).toEqual([expect.objectContaining({ holder: b.instanceId })]);
    expect(world.vipHolder(vip)).toBe(b.instanceId);
    expect(store.leases.get(group)).toMatchObject({ lastMoveAt: expect.any(Number), releasedAt: clock.now() });
    expect(store.leases.get(group)).not.toHaveProperty('owner');
    expect(store.entries).toEqual([expect.objectContaining({ group, trigger: 'probe', outcome: 'applied', from: a.instanceId, to: b.instanceId })]);
  });

  it('looks again when the lease was released after its snapshot, and does not redo a move someone made meanwhile', async () => {
    const { engine, deps, store, world, a, b, vip, clock, deadline } = setup();
    world.stop(a.instanceId);
    const stale = await engine.observe(deadline());
    // Another decider moves the VIP and releases the lease after our snapshot.
    clock.advance(1_000);
    const other = new FailoverEngine({ ...deps, settings: { ...deps.settings, owner: 'other' } });
    await other.run({ intent: { type: 'reconcile' }, trigger: 'event', deadline: deadline() });
    expect(world.vipHolder(vip)).toBe(b.instanceId);
    world.clearCalls();

    const [result] = await engine.run({ intent: { type: 'reconcile' }, trigger: 'schedule', snapshot: stale, deadline: deadline() });

    expect(result?.outcome).toBe('unchanged');
    expect(world.count('DescribeInstances')).toBe(1);
    expect(world.mutations()).toEqual([]);
    expect(store.entries).toHaveLength(1);
  });

  it('refuses when the group became misconfigured while it waited for the lease', async () => {
    const { engine, store, world, a, b, group, clock, deadline } = setup();
    world.stop(a.instanceId);
    await store.tryAcquire(group, 'someone', 1_000, clock.now());
    // While we wait, someone retags the standby into disagreement.
    const originalSleep = clock.sleep;
    clock.sleep = async (ms) => {
      world.instances.get(b.instanceId)!.tags['failover:vip'] = '10.0.1.200';
      return originalSleep(ms);
    };

    const [result] = await engine.run({ intent: { type: 'reconcile' }, trigger: 'schedule', deadline: deadline() });

    expect(result?.outcome).toBe('refused');
    expect(result?.reason).toContain('misconfigured while waiting');
    expect(world.mutations()).toEqual([]);
  });

  it('still returns the result when the journal cannot be written, and logs it', async () => {
    const { engine, store, world, a, log, deadline } = setup();
    store.record = async () => {
      throw new Error('journal down');
    };
    world.stop(a.instanceId);

    const [result] = await engine.run({ intent: { type: 'reconcile' }, trigger: 'schedule', deadline: deadline() });

    expect(result?.outcome).toBe('changed');
    expect(log.lines).toContainEqual(expect.objectContaining({ level: 'error', message: 'journal write failed' }));
  });

  it('still returns the result when the lease cannot be released, and logs it', async () => {
    const { engine, store, world, a, log, deadline } = setup();
    store.release = async () => {
      throw new Error('dynamodb down');
    };
    world.stop(a.instanceId);

    const [result] = await engine.run({ intent: { type: 'reconcile' }, trigger: 'schedule', deadline: deadline() });

    expect(result?.outcome).toBe('changed');
    expect(log.lines).toContainEqual(expect.objectContaining({ level: 'warn', message: 'lease release failed; it expires on its own' }));
  });

  it('reports the holders from before the move when the world cannot be read afterwards', async () => {
    const { engine, world, a, vip, b, deadline } = setup();
    world.stop(a.instanceId);
    world.faults.inject({ operation: 'DescribeInstances', error: 'UnauthorizedOperation', after: 1 });

    const [result] = await engine.run({ intent: { type: 'reconcile' }, trigger: 'schedule', deadline: deadline() });

    expect(result?.outcome).toBe('changed');
    expect(world.vipHolder(vip)).toBe(b.instanceId);
    expect(result?.after).toEqual(result?.before);
  });

  it('releases the lease and lets a programming error through', async () => {
    const { engine, deps, store, world, a, group, deadline } = setup();
    deps.ec2.apply = async () => {
      throw new TypeError('bug in an adapter');
    };
    world.stop(a.instanceId);

    await expect(engine.run({ intent: { type: 'reconcile' }, trigger: 'schedule', deadline: deadline() })).rejects.toThrow(TypeError);
    expect(store.leases.get(group)?.owner).toBeUndefined();
    expect(store.calls.release).toBe(1);
  });

  it('takes the lease once, not on every call, while a cooldown holds back a due failback', async () => {
    const auto = { 'failover:failback': 'auto' };
    const { engine, store, world, a, b, vip, clock, deadline } = setup({}, { tagsA: auto, tagsB: auto });
    world.impair(a.instanceId);
    await engine.run({ intent: { type: 'reconcile' }, trigger: 'probe', deadline: deadline() });
    expect(world.vipHolder(vip)).toBe(b.instanceId);
    world.setStatus(a.instanceId, { instance: 'ok', system: 'ok' });
    const leasesAfterMove = store.calls.tryAcquire;

    clock.advance(10_000);
    const [first] = await engine.run({ intent: { type: 'reconcile' }, trigger: 'probe', deadline: deadline() });
    clock.advance(10_000);
    const [second] = await engine.run({ intent: { type: 'reconcile' }, trigger: 'probe', deadline: deadline() });

    expect([first?.outcome, second?.outcome]).toEqual(['unchanged', 'unchanged']);
    expect(second?.reason).toContain('cooldown');
    expect(store.calls.tryAcquire).toBe(leasesAfterMove);
    expect(world.vipHolder(vip)).toBe(b.instanceId);
  });

  // Seed 1017 (24 h, +02:30:02): a probe run moved a NAT table off a member it judged down and was
  // killed before its release recorded the move (and before the journal); the next run found the
  // lease lapsed, saw no recent move, and failed the table back 51 s later, inside the cooldown.
  it('no-ping-pong: a lease its holder never released counts as a move, and a failback waits for the cooldown from its end', async () => {
    const auto = { 'failover:failback': 'auto' };
    const { engine, store, world, b, vip, group, clock, deadline } = setup({}, { tagsA: auto, tagsB: auto });
    const [preferredFirst] = await engine.run({ intent: { type: 'reconcile' }, trigger: 'probe', deadline: deadline() });
    expect(preferredFirst?.outcome).toBe('unchanged');
    clock.advance(120_000);
    // A decider takes the lease, moves the VIP to B and is killed before it can release or journal.
    await store.tryAcquire(group, 'killed', 30_000, clock.now());
    world.assignSecondaryIp(b.networkInterfaceId, vip, { os: true });
    const lapsedAt = clock.now() + 30_000;

    clock.advance(50_000);
    const [inCooldown] = await engine.run({ intent: { type: 'reconcile' }, trigger: 'probe', deadline: deadline() });
    const [stillInCooldown] = await engine.run({ intent: { type: 'reconcile' }, trigger: 'probe', deadline: deadline() });
    const recorded = store.leases.get(group)?.lastMoveAt;
    clock.advance(lapsedAt + 60_000 - clock.now());
    const [after] = await engine.run({ intent: { type: 'reconcile' }, trigger: 'probe', deadline: deadline() });

    expect([inCooldown?.outcome, stillInCooldown?.outcome]).toEqual(['unchanged', 'unchanged']);
    expect(stillInCooldown?.reason).toContain('cooldown');
    expect(recorded).toBe(lapsedAt);
    expect(after?.outcome).toBe('changed');
  });

  it('shows the cooldown in a dry run', async () => {
    const { engine, store, world, a, group, clock, deadline } = setup();
    const grant = await store.tryAcquire(group, 'earlier', 30_000, clock.now());
    await store.release(grant!, clock.now(), { movedAt: clock.now() });
    world.impair(a.instanceId);

    const [result] = await engine.run({ intent: { type: 'reconcile' }, trigger: 'manual', dryRun: true, deadline: deadline() });

    expect(result).toMatchObject({ outcome: 'unchanged', dryRun: true });
    expect(result?.reason).toContain('cooldown');
    expect(world.mutations()).toEqual([]);
  });

  it('refuses a group no instance carries', async () => {
    const { engine, deadline } = setup();

    await expect(engine.run({ intent: { type: 'failback' }, trigger: 'manual', group: 'nope', deadline: deadline() })).rejects.toBeInstanceOf(RefusedError);
  });

  it('judges by probe verdicts when the caller has them', async () => {
    const { engine, world, a, b, vip, deadline } = setup();

    const [result] = await engine.run({ intent: { type: 'reconcile' }, trigger: 'probe', probes: { [a.instanceId]: 'unhealthy' }, deadline: deadline() });

    expect(result?.outcome).toBe('changed');
    expect(world.vipHolder(vip)).toBe(b.instanceId);
  });
});

describe('FailoverEngine.status', () => {
  it('shows probe verdicts and the members of a misconfigured group, without priorities it could not read', async () => {
    const { engine, a, b, group, deadline } = setup({}, { tagsB: { 'failover:priority': 'high' } });

    const report = await engine.status(undefined, deadline(), { probes: { verdicts: { [a.instanceId]: 'healthy' }, reasons: {}, savedAt: 1_700_000_000_000 } });

    expect(report.groups).toEqual([
      expect.objectContaining({
        group,
        kind: 'vip',
        holders: [],
        problems: [expect.stringContaining("must be a non-negative integer, got 'high'")],
        members: expect.arrayContaining([
          { instanceId: a.instanceId, state: 'running', availabilityZone: expect.any(String), health: 'healthy', why: 'running, status ok, probes ok' },
          expect.objectContaining({ instanceId: b.instanceId }),
        ]),
      }),
    ]);
    expect(report.groups[0]).not.toHaveProperty('policy');
    expect(report.probedAt).toBe('2023-11-14T22:13:20.000Z');
  });

  it('shows a hung member as down with the probe’s reason, though its EC2 checks pass', async () => {
    const { engine, a, deadline } = setup();

    const report = await engine.status(undefined, deadline(), { probes: { verdicts: { [a.instanceId]: 'unhealthy' }, reasons: { [a.instanceId]: 'no TCP on 443' }, savedAt: 0 } });

    expect(report.groups[0]?.members).toContainEqual(expect.objectContaining({ instanceId: a.instanceId, state: 'running', health: 'unhealthy', why: 'no TCP on 443' }));
  });

  it('names a group whose VPC the probe found no sensor for, and no other', async () => {
    const { engine, group, deadline } = setup();

    const named = await engine.status(undefined, deadline(), { probes: { verdicts: {}, reasons: {}, savedAt: 0, uncovered: [group] } });
    const other = await engine.status(undefined, deadline(), { probes: { verdicts: {}, reasons: {}, savedAt: 0, uncovered: ['another-group'] } });

    expect(named.groups[0]?.problems).toEqual([expect.stringMatching(/^no sensor in its VPC: its members are not probed by TCP/)]);
    expect(other.groups[0]?.problems).toEqual([]);
  });

  it('says when status has no probe verdicts', async () => {
    const { engine, deadline } = setup();

    expect(await engine.status(undefined, deadline())).not.toHaveProperty('probedAt');
  });
});


describe('FailoverEngine: the OS side of a VIP', () => {
  const report = (ids: Record<string, boolean>, vip: string, at: number) => Object.fromEntries(Object.entries(ids).map(([id, up]) => [id, { at, addresses: { [vip]: up } }]));

  it('brings the VIP back up in the holder’s OS without moving it, and journals the repair', async () => {
    const { engine, store, world, a, vip, group, clock, deadline } = setup();
    world.instances.get(a.instanceId)!.os.forEach((addresses) => addresses.delete(vip));

    const [result] = await engine.run({ intent: { type: 'reconcile' }, trigger: 'probe', os: report({ [a.instanceId]: false }, vip, clock.now()), deadline: deadline() });

    expect(result?.outcome).toBe('changed');
    expect(world.osIps(a.instanceId)).toContain(vip);
    expect(world.vipHolder(vip)).toBe(a.instanceId);
    expect(world.mutations().map((c) => c.operation)).toEqual(['SendCommand']);
    expect(store.entries).toEqual([expect.objectContaining({ group, kind: 'repair', to: a.instanceId, outcome: 'applied' })]);
  });

  it('does not start a cooldown for a repair', async () => {
    const { engine, store, world, a, vip, group, clock, deadline } = setup();

    await engine.run({ intent: { type: 'reconcile' }, trigger: 'probe', os: report({ [a.instanceId]: false }, vip, clock.now()), deadline: deadline() });

    expect(store.leases.get(group)?.lastMoveAt).toBeUndefined();
    expect(world.osIps(a.instanceId)).toContain(vip);
  });

  it('takes the VIP down on a member that still has it up but does not hold it (a split brain in the OS)', async () => {
    const { engine, world, a, b, vip, clock, deadline } = setup();
    world.instances.get(b.instanceId)!.os.forEach((addresses) => addresses.set(vip, 32));

    const [result] = await engine.run({ intent: { type: 'reconcile' }, trigger: 'probe', os: report({ [a.instanceId]: true, [b.instanceId]: true }, vip, clock.now()), deadline: deadline() });

    expect(result?.outcome).toBe('changed');
    expect(world.osIps(b.instanceId)).not.toContain(vip);
    expect(world.osIps(a.instanceId)).toContain(vip);
  });

  it('ignores a report made before the group last moved', async () => {
    const { engine, store, world, a, vip, group, clock, deadline } = setup();
    const grant = await store.tryAcquire(group, 'earlier', 30_000, clock.now());
    await store.release(grant!, clock.now(), { movedAt: clock.now() });

    const [result] = await engine.run({ intent: { type: 'reconcile' }, trigger: 'probe', os: report({ [a.instanceId]: false }, vip, clock.now() - 1), deadline: deadline() });

    expect(result?.outcome).toBe('unchanged');
    expect(world.mutations()).toEqual([]);
  });

  it('counts a failed activation as not done and tries it again on the next round', async () => {
    const { engine, world, a, b, vip, deadline } = setup();
    world.stop(a.instanceId);
    const failure = world.faults.inject({ operation: 'SendCommand', error: 'InternalServerError', times: 1 });

    const [first] = await engine.run({ intent: { type: 'reconcile' }, trigger: 'probe', deadline: deadline() });
    expect(first?.outcome).toBe('partial');
    expect(failure.fired).toBe(1);
    expect(world.vipHolder(vip)).toBe(b.instanceId);
    expect(world.osIps(b.instanceId)).not.toContain(vip);

    const [second] = await engine.run({ intent: { type: 'reconcile' }, trigger: 'probe', deadline: deadline() });

    expect(second?.outcome).toBe('changed');
    expect(second?.plan?.repairs).toEqual([expect.objectContaining({ instanceId: b.instanceId, change: 'bring-up' })]);
    expect(world.osIps(b.instanceId)).toContain(vip);
  });
});

describe('FailoverEngine: the data plane after a move', () => {
  it('calls a move changed only once the new holder answers on the group’s ports from inside the VPC', async () => {
    const reached: unknown[] = [];
    const { engine, world, a, b, vip, deadline } = setup({ dataPlane: { reach: async (target) => (reached.push(target), 'ok') } }, { ports: '443,8443' });
    world.stop(a.instanceId);

    const [result] = await engine.run({ intent: { type: 'reconcile' }, trigger: 'probe', deadline: deadline() });

    expect(result?.outcome).toBe('changed');
    expect(reached).toEqual([{ id: b.instanceId, ip: vip, ports: [443, 8443] }]);
  });

  it('reports a move whose VIP does not answer as partial, saying so', async () => {
    const { engine, world, a, vip, deadline } = setup({ dataPlane: { reach: async () => 'fail' } }, { ports: '443' });
    world.stop(a.instanceId);

    const [result] = await engine.run({ intent: { type: 'reconcile' }, trigger: 'probe', deadline: deadline() });

    expect(result?.outcome).toBe('partial');
    expect(result?.reason).toContain(`${vip} does not answer on 443 from inside the VPC`);
  });

  it('does not check a group without probe ports', async () => {
    let asked = 0;
    const { engine, world, a, deadline } = setup({ dataPlane: { reach: async () => (asked++, 'fail') } });
    world.stop(a.instanceId);

    const [result] = await engine.run({ intent: { type: 'reconcile' }, trigger: 'probe', deadline: deadline() });

    expect(result?.outcome).toBe('changed');
    expect(asked).toBe(0);
  });
});

describe('FailoverEngine: notices', () => {
  function told() {
    const notices: import('../../shared/core/ports.js').Notice[] = [];
    return { notices, notifier: { notify: async (n: (typeof notices)[number]) => void notices.push(n) } };
  }

  it('tells of a move, with the journal key', async () => {
    const { notices, notifier } = told();
    const { engine, world, a, b, group, deadline } = setup({ notifier, settings: { ...setup().deps.settings, noticePrefix: 'vpc-failover prod' } });
    world.stop(a.instanceId);

    const [result] = await engine.run({ intent: { type: 'reconcile' }, trigger: 'event', deadline: deadline() });

    expect(notices).toHaveLength(1);
    expect(notices[0]?.subject).toMatch(new RegExp(`^vpc-failover prod: ${group} moved i-0000000… → i-0000000… \\(event: `));
    expect(notices[0]?.message).toContain(`From: ${a.instanceId}`);
    expect(notices[0]?.message).toContain(`To: ${b.instanceId}`);
    expect(notices[0]?.message).toContain(`Journal: ${result?.journalKey}`);
  });

  it('tells of an automatic decision that could not move, and says nothing of a manual refusal, a dry run or a no-op', async () => {
    const { notices, notifier } = told();
    const { engine, world, a, b, deadline } = setup({ notifier });
    world.impair(a.instanceId);
    world.impair(b.instanceId);

    await engine.run({ intent: { type: 'reconcile' }, trigger: 'probe', deadline: deadline() });
    await engine.run({ intent: { type: 'failover' }, trigger: 'manual', deadline: deadline() });
    await engine.run({ intent: { type: 'failover' }, trigger: 'manual', dryRun: true, deadline: deadline() });

    expect(notices.map((n) => [n.outcome, n.trigger])).toEqual([['refused', 'probe']]);
  });

  it('tells of a group refused for an address held outside it, once an hour however often it runs, and moves nothing', async () => {
    const { notices, notifier } = told();
    const { deps, world, subnetId, vip, group, clock, log, deadline } = setup();
    const pod = world.addNetworkInterface({ subnet: subnetId, interfaceType: 'branch', description: 'aws-k8s-branch-eni' });
    world.assignSecondaryIp(pod.networkInterfaceId, vip);
    world.clearCalls();
    const guarded = guardedNotifier(notifier, { clock, log, quietMs: 3_600_000 });
    const engineTold = new FailoverEngine({ ...deps, notifier: guarded });

    const [first] = await engineTold.run({ intent: { type: 'reconcile' }, trigger: 'probe', deadline: deadline() });
    clock.advance(60_000);
    await engineTold.run({ intent: { type: 'reconcile' }, trigger: 'probe', deadline: deadline() });
    await engineTold.run({ intent: { type: 'failover' }, trigger: 'manual', group, deadline: deadline() });
    clock.advance(3_600_000);
    await engineTold.run({ intent: { type: 'reconcile' }, trigger: 'probe', deadline: deadline() });

    expect(first).toMatchObject({ group, outcome: 'refused', notify: true, reason: expect.stringContaining(`VIP ${vip} is held by ${pod.networkInterfaceId} (attached to no instance; interface type branch; 'aws-k8s-branch-eni')`) });
    expect(notices.map((n) => [n.outcome, n.trigger])).toEqual([['refused', 'probe'], ['refused', 'probe']]);
    expect(notices[0]?.subject).toMatch(new RegExp(`^vpc-failover: ${group} cannot move \\(probe: misconfigured, never moved: VIP ${vip.replaceAll('.', '\\.')} is held by`));
    expect(world.ipHolderEni(vip)).toBe(pod.networkInterfaceId);
    expect(world.mutations()).toEqual([]);
  });
});

describe('FailoverEngine: a lease taken ahead', () => {
  it('uses a lease the caller took while it observed, without taking another', async () => {
    const { engine, store, world, a, b, vip, group, deadline } = setup();
    world.setState(a.instanceId, 'stopping');
    const grant = await engine.lease(group, deadline());

    const [result] = await engine.run({ intent: { type: 'evacuate', instanceId: a.instanceId }, trigger: 'event', grant, deadline: deadline() });

    expect(result?.outcome).toBe('changed');
    expect(world.vipHolder(vip)).toBe(b.instanceId);
    expect(store.calls.tryAcquire).toBe(1);
    expect(store.leases.get(group)?.owner).toBeUndefined();
  });

  it('releases a lease taken ahead when nothing needs to change', async () => {
    const { engine, store, b, group, deadline } = setup();
    const grant = await engine.lease(group, deadline());

    const [result] = await engine.run({ intent: { type: 'evacuate', instanceId: b.instanceId }, trigger: 'event', grant, deadline: deadline() });

    expect(result?.outcome).toBe('unchanged');
    expect(store.leases.get(group)?.owner).toBeUndefined();
    expect(store.leases.get(group)?.lastMoveAt).toBeUndefined();
  });
});
