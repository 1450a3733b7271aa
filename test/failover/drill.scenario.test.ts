/**
 * Drills on the in-memory VPC, in simulated time: preflight refuses with every reason, a healthy
 * pair moves out and back with figures the sensor measured, and a failed leg puts the group back.
 */
import { describe, expect, it } from 'vitest';
import { createEc2Port } from '../../shared/aws/ec2.js';
import { createSsmHostPort } from '../../shared/aws/ssm.js';
import { type DrillRequest, runDrill } from '../../shared/core/drill.js';
import { drillOutageMs } from '../../shared/core/drill-record.js';
import type { EngineDeps } from '../../shared/core/engine.js';
import type { DataPlanePort, Notice } from '../../shared/core/ports.js';
import { AwsCallError } from '../../shared/errors.js';
import type { ProbeVerdicts } from '../../shared/core/status.js';
import { addressDataPlane } from '../../sim/sensor.js';
import { simClock } from '../../sim/sim-clock.js';
import { VpcWorld, buildVipPair } from '../../sim/world.js';
import { type MemoryLog, memoryLog } from '../support/harness.js';
import { memoryStore } from '../support/memory-store.js';

function setup(options: { firing?: string[]; verdicts?: 'healthy' | 'standby-down' | 'none'; sensorDown?: boolean } = {}) {
  const clock = simClock();
  const world = new VpcWorld({ clock, pageSize: 1000, assignDelayMs: 300, ssm: { executionDelayMs: 400 } });
  const pair = buildVipPair({ world, ports: '443' });
  const { ec2, ssm } = world.clients();
  const store = memoryStore();
  const notices: Notice[] = [];
  const log: MemoryLog = memoryLog();
  // Every EC2 call takes 80 ms of simulated time, as a call from Lambda to the regional endpoint does.
  const port = createEc2Port(ec2, { clock });
  const slow = <A extends unknown[], T>(f: (...args: A) => Promise<T>) => async (...args: A) => (await clock.sleep(80), f(...args));
  const engine: EngineDeps = {
    ec2: { observe: slow(port.observe), enrollment: slow(port.enrollment), apply: slow(port.apply), readBack: slow(port.readBack) },
    host: createSsmHostPort(ssm, { clock }),
    lease: store,
    journal: store,
    clock,
    log,
    notifier: { notify: async (n) => void notices.push(n) },
    settings: {
      owner: 'failover:drill-1',
      cooldownMs: 60_000,
      failback: { vip: 'manual', eip: 'manual', overlay: 'manual', nat: 'auto' },
      leaseTtlMs: 30_000,
      applyConcurrency: 4,
      verifyIntervalMs: 500,
      verifyTimeoutMs: 15_000,
      journalLimit: 20,
      noticePrefix: 'vpc-failover test',
    },
  };
  const address = addressDataPlane(world, clock);
  const sensor: DataPlanePort = options.sensorDown ? { reach: () => Promise.reject(new AwsCallError('Invoke', 'ResourceNotFoundException', 'no sensor function')) } : address;
  const mode = options.verdicts ?? 'healthy';
  const probes = async (): Promise<ProbeVerdicts | undefined> =>
    mode === 'none' ? undefined : { verdicts: { [pair.a.instanceId]: 'healthy', [pair.b.instanceId]: mode === 'healthy' ? 'healthy' : 'unhealthy' }, reasons: { [pair.b.instanceId]: 'no TCP on 443 from the VPC' }, savedAt: clock.now() };
  const prefixes: string[] = [];
  const alarms = {
    firing: async (prefix: string) => {
      prefixes.push(prefix);
      return options.firing ?? [];
    },
  };
  const drill = (request: Partial<DrillRequest> = {}) =>
    clock.drive(runDrill({ engine: { ...engine, dataPlane: sensor }, probes, alarms, alarmPrefix: 'vpc-failover-test-', sensor }, { group: pair.group, deadline: clock.now() + 290_000, ...request }));
  return { clock, world, pair, store, notices, log, prefixes, drill };
}

describe('drill', () => {
  it('moves a healthy VIP pair to the standby and back, with the figures the sensor measured on each leg', async () => {
    const { pair, world, store, notices, log, drill, clock } = setup();
    const started = clock.now();

    const report = await drill({ backAfterMs: 60_000 });

    expect(report.outcome).toBe('done');
    expect(world.vipHolder(pair.vip)).toBe(pair.a.instanceId);
    expect(world.osIps(pair.a.instanceId)).toContain(pair.vip);
    expect(report.legs.map((l) => [l.leg, l.from, l.to, l.outcome])).toEqual([
      ['out', pair.a.instanceId, pair.b.instanceId, 'changed'],
      ['back', pair.b.instanceId, pair.a.instanceId, 'changed'],
    ]);
    for (const leg of report.legs) {
      expect(leg.switchMs).toBeGreaterThanOrEqual(0);
      // The address answers from the new holder only once EC2 delivers it there and its OS has it up.
      expect(leg.answeredMs).toBeGreaterThan(leg.switchMs ?? Infinity);
      expect(leg.maxGapMs).toBeGreaterThan(0);
      expect(leg.checks?.failed).toBeGreaterThan(0);
    }
    // The whole drill stayed on the standby for the time asked for.
    expect(clock.now() - started).toBeGreaterThanOrEqual(60_000);
    const entry = store.entries.find((e) => e.kind === 'drill');
    expect(entry).toMatchObject({ group: pair.group, kind: 'drill', outcome: 'applied', from: pair.a.instanceId, to: pair.b.instanceId, legs: report.legs });
    expect(store.entries.filter((e) => e.kind === 'move')).toHaveLength(2);
    expect(notices.at(-1)?.subject).toMatch(/^vpc-failover test: vip-pair drill done, longest gap \d+\.\d s$/);
    expect(log.lines.find((l) => l.message === 'drill')?.extra[0]).toMatchObject({ group: pair.group, result: 'done', outageMs: drillOutageMs(report.legs) });
    console.info(`drill figures (simulated time): ${report.summary}`);
  });

  it('stays on the standby when told to', async () => {
    const { pair, world, drill } = setup();

    const report = await drill({ stay: true });

    expect(report.outcome).toBe('stayed');
    expect(report.legs).toHaveLength(1);
    expect(world.vipHolder(pair.vip)).toBe(pair.b.instanceId);
  });

  it('refuses a drill on a group whose standby the probes judge unhealthy, and moves nothing', async () => {
    const { pair, world, store, drill } = setup({ verdicts: 'standby-down' });

    const report = await drill();

    expect(report.outcome).toBe('refused');
    expect(report.refusals).toContainEqual(`${pair.b.instanceId} is not healthy: no TCP on 443 from the VPC`);
    expect(world.count('AssignPrivateIpAddresses')).toBe(0);
    expect(store.entries).toHaveLength(0);
  });

  it('refuses while an alarm of this deployment is in ALARM, naming it, and asks only for this deployment’s alarms', async () => {
    const { prefixes, drill, world } = setup({ firing: ['vpc-failover-test-move-failed'] });

    const report = await drill();

    expect(report.outcome).toBe('refused');
    expect(report.refusals).toEqual(['alarm vpc-failover-test-move-failed is in ALARM']);
    expect(prefixes).toEqual(['vpc-failover-test-']);
    expect(world.count('AssignPrivateIpAddresses')).toBe(0);
  });

  it('refuses when the probe has no recent verdicts', async () => {
    const { drill } = setup({ verdicts: 'none' });

    const report = await drill();

    expect(report.refusals).toContainEqual(expect.stringMatching(/probe has saved no recent verdicts/));
  });

  it('refuses while another decider holds the group’s lease', async () => {
    const { pair, store, drill, clock } = setup();
    await store.tryAcquire(pair.group, 'probe:run-9', 30_000, clock.now());

    const report = await drill();

    expect(report.outcome).toBe('refused');
    expect(report.refusals).toEqual(["the group's lease is held: another decider is working on it"]);
  });

  it('refuses during the group’s cooldown after a move, and says until when', async () => {
    const { pair, store, drill, clock, world } = setup();
    const grant = await store.tryAcquire(pair.group, 'probe:run-9', 30_000, clock.now());
    if (!grant) throw new Error('no grant');
    await store.release(grant, clock.now(), { movedAt: clock.now() - 10_000 });

    const report = await drill();

    expect(report.outcome).toBe('refused');
    expect(report.refusals).toEqual([expect.stringMatching(/^the group is in its cooldown until \d{4}-.*Z \(it last moved at /)]);
    expect(world.count('AssignPrivateIpAddresses')).toBe(0);
  });

  it('gives every reason at once', async () => {
    const { drill } = setup({ verdicts: 'standby-down', firing: ['vpc-failover-test-no-healthy-member'] });

    const report = await drill();

    expect(report.refusals).toHaveLength(2);
  });

  it('stops when the move out fails, says so, and leaves the group where it started', async () => {
    const { pair, world, store, notices, drill } = setup();
    world.faults.inject({ operation: 'AssignPrivateIpAddresses', error: 'UnauthorizedOperation' });

    const report = await drill();

    expect(report.outcome).toBe('aborted');
    expect(report.summary).toMatch(new RegExp(`^aborted: the move out ended (failed|partial): .*UnauthorizedOperation.*; the group is on ${pair.a.instanceId}, where it started$`));
    expect(world.vipHolder(pair.vip)).toBe(pair.a.instanceId);
    expect(store.entries.find((e) => e.kind === 'drill')).toMatchObject({ outcome: 'failed' });
    expect(notices.at(-1)?.subject).toMatch(/drill aborted/);
  });

  it('says so and puts the group back when the sensor cannot check the address at all, rather than report no outage', async () => {
    const { pair, world, drill } = setup({ sensorDown: true });

    const report = await drill();

    expect(report.outcome).toBe('aborted');
    // The engine's own check of the moved VIP goes through the same sensor: the move itself is partial.
    expect(report.summary).toMatch(new RegExp(`^aborted: the move out ended partial: .*could not check that ${pair.vip.replaceAll('.', '\\.')} answers on 443; put back on ${pair.a.instanceId} \\(partial: .*\\)$`));
    expect(world.vipHolder(pair.vip)).toBe(pair.a.instanceId);
  });

  it('puts the group back when the move out switched but the address never answered on the standby', async () => {
    const { pair, world, drill } = setup();
    // B's OS never brings the VIP up: EC2 moved it, nothing answers there.
    world.onScript((ctx) => ctx.instanceId === pair.b.instanceId && /ip addr (?:replace|add) /.test(ctx.script), () => ({ exitCode: 2, stderr: 'RTNETLINK answers: Operation not permitted' }));

    const report = await drill();

    expect(report.outcome).toBe('aborted');
    expect(report.legs.map((l) => l.leg)).toEqual(['out', 'put-back']);
    expect(report.summary).toMatch(new RegExp(`^aborted: the move out ended partial: .*; put back on ${pair.a.instanceId}$`));
    expect(world.vipHolder(pair.vip)).toBe(pair.a.instanceId);
  });
});
