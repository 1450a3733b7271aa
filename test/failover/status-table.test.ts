/**
 * The status table for people (scripts/status-table.mjs): it is fed real answers of the status
 * action, taken from the handler over the in-memory VPC, and through scripts/failover.sh.
 */
import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StatusReport } from '../../shared/core/status.js';
import { type DynaliteHandle, startDynalite } from '../../sim/dynalite.js';
import { manualClock } from '../../sim/clock.js';
import { buildNatPair, buildVipPair } from '../../sim/fixtures.js';
import { VpcWorld } from '../../sim/world.js';
import { columns, duration, findStatusReport, formatStatus } from '../../scripts/status-table.mjs';
import { createProbeStateStore } from '../../shared/aws/dynamo.js';
import { initialState } from '../../shared/probe/verdicts.js';
import { harness } from './support/harness.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

describe('the status table', () => {
  let db: DynaliteHandle;
  beforeAll(async () => {
    db = await startDynalite();
  });
  afterAll(async () => {
    await db?.stop();
  });

  /** A VIP pair whose holder was stopped and failed over from 3 minutes before the status. */
  async function afterAMove(): Promise<{ report: StatusReport; a: string; b: string; vip: string }> {
    const clock = manualClock();
    const { world, a, b, vip, group } = buildVipPair({ worldOptions: { clock }, group: 'web' });
    const h = await harness(world, clock, db);
    world.stop(a.instanceId);
    await h.invoke({ action: 'failover', group, reason: 'planned maintenance' });
    clock.advance(180_000);
    const report = (await h.invoke({ action: 'status' })) as StatusReport;
    return { report, a: a.instanceId, b: b.instanceId, vip };
  }

  it('shows each group with its kind, healthy count and where its traffic goes', async () => {
    const { report, b, vip } = await afterAMove();

    const lines = formatStatus(report).split('\n');

    expect(lines).toContain(`web  vip  1/2 healthy  traffic: ${vip} → ${b}`);
  });

  it('lists every member with its state, AZ, priority, health and why, marking the holder', async () => {
    const { report, a, b } = await afterAMove();

    const lines = formatStatus(report).split('\n');

    const row = (id: string) => lines.find((l) => l.includes(id) && !l.includes('→'));
    expect(lines.find((l) => l.includes('MEMBER'))).toMatch(/^ {5}MEMBER +STATE +AZ +PRIORITY +HEALTH +SSM +WHY$/);
    expect(row(a)).toMatch(new RegExp(`^ {5}${a} +stopped +\\S+ +1 +unhealthy +connection-lost +\\S`));
    expect(row(b)).toMatch(new RegExp(`^ {2}\\* {2}${b} +running +\\S+ +2 +healthy +online +\\S`));
  });

  it('gives the last move: when, from and to, outcome, duration, trigger and reason', async () => {
    const { report, a, b } = await afterAMove();

    const text = formatStatus(report);

    expect(text).toMatch(new RegExp(`  last move: \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\dZ \\(3 min ago\\)  ${a} → ${b}  applied in \\S+ (ms|s)  \\[manual\\] planned maintenance`));
  });

  it('shows a hung member as down with the probe’s reason, from the verdicts the probe saved', async () => {
    const clock = manualClock();
    const { world, a } = buildVipPair({ worldOptions: { clock }, group: 'web' });
    const h = await harness(world, clock, db);
    const probed = { ...initialState, verdict: 'unhealthy' as const, bad: 2, why: 'no TCP on 443, confirmed by a peer' };
    await createProbeStateStore(db.client, h.tableName).save({ savedAt: clock.now() - 20_000, runStartedAt: clock.now() - 77_000, states: { [a.instanceId]: probed }, os: {} });

    const report = (await h.invoke({ action: 'status' })) as StatusReport;
    const lines = formatStatus(report).split('\n');

    expect(lines[1]).toMatch(/^health: EC2 and the probes' verdicts of \S+ \S+ \(20\.0 s before\)$/);
    expect(lines.find((l) => l.includes(a.instanceId) && !l.includes('→'))).toMatch(/running +\S+ +1 +unhealthy +online +no TCP on 443, confirmed by a peer$/);
  });

  it('says when health comes from EC2 alone', async () => {
    const clock = manualClock();
    const { world } = buildVipPair({ worldOptions: { clock }, group: 'web' });
    const h = await harness(world, clock, db);

    const text = formatStatus((await h.invoke({ action: 'status' })) as StatusReport);

    expect(text.split('\n')[1]).toBe('health: EC2 state and status checks only (no recent probe verdicts)');
  });

  it('says when a group has never moved', async () => {
    const clock = manualClock();
    const { world } = buildVipPair({ worldOptions: { clock }, group: 'web' });
    const h = await harness(world, clock, db);

    const text = formatStatus((await h.invoke({ action: 'status' })) as StatusReport);

    expect(text).toContain('  last move: none recorded\n');
  });

  it('marks members that joined after the last move as newcomers, and says how to confirm them', async () => {
    const clock = manualClock();
    const { world, a, b, vip, group, subnetId } = buildVipPair({ worldOptions: { clock }, group: 'web' });
    const h = await harness(world, clock, db);
    world.stop(a.instanceId);
    await h.invoke({ action: 'failover', group });
    const n = world.addInstance({ subnet: subnetId, tags: { 'failover:group': group, 'failover:kind': 'vip', 'failover:vip': vip, 'failover:priority': '0' } }).instanceId;

    const report = (await h.invoke({ action: 'status' })) as StatusReport;
    const text = formatStatus(report);

    expect(report.groups[0]).toMatchObject({ newcomers: [n] });
    expect(report.groups[0]?.members.filter((m) => m.newcomer).map((m) => m.instanceId)).toEqual([n]);
    expect(text.split('\n').find((l) => l.includes(n) && !l.includes('newcomers'))).toMatch(new RegExp(`^ {2}\\+ {2}${n} +running`));
    expect(text).toContain(`  newcomers (+): ${n}: not confirmed; run 'failback' on this group to confirm every current member`);
    expect(text.split('\n').find((l) => l.includes(b.instanceId) && !l.includes('→'))).toMatch(/^ {2}\* /);
  });

  it('lists a NAT group by route table, and the problems of a group it refuses', async () => {
    const clock = manualClock();
    const world = new VpcWorld({ clock });
    const nat = buildNatPair({ world, group: 'egress' });
    buildVipPair({ world, group: 'web', tagsB: { 'failover:priority': 'first' } });
    const h = await harness(world, clock, db);

    const text = formatStatus((await h.invoke({ action: 'status' })) as StatusReport);

    expect(text).toContain(`traffic: ${nat.routeTables.a} → ${nat.a.instanceId}, ${nat.routeTables.b} → ${nat.b.instanceId}, ${nat.routeTables.any} → ${nat.a.instanceId}`);
    expect(text).toMatch(/\n {2}problem: i-[0-9a-f]+: tag failover:priority .*'first'/);
  });

  it('lists a nat group\'s NAT gateways as last-resort members with their state, zonal or regional, marking the one that serves', async () => {
    const clock = manualClock();
    const world = new VpcWorld({ clock });
    const nat = buildNatPair({ world, group: 'egress' });
    const zonal = world.addNatGateway({ subnet: nat.publicSubnets.a, tags: { 'failover:group': 'egress' } });
    const regional = world.addNatGateway({ vpc: nat.vpcId, tags: { 'failover:group': 'egress' }, state: 'pending' });
    world.stop(nat.a.instanceId);
    world.stop(nat.b.instanceId);
    const h = await harness(world, clock, db);
    await h.runtime.engine('run-1').run({ intent: { type: 'reconcile' }, trigger: 'schedule', deadline: clock.now() + 30_000 });

    const report = (await h.invoke({ action: 'status', group: 'egress' })) as StatusReport;
    const text = formatStatus(report);

    expect(report.groups[0]?.gateways).toEqual([
      { natGatewayId: zonal, state: 'available', mode: 'zonal', availabilityZone: nat.azs.a },
      { natGatewayId: regional, state: 'pending', mode: 'regional' },
    ]);
    expect(text).toMatch(new RegExp(`\\n {2}\\* +${zonal} +available +${nat.azs.a} +- +serving +- +NAT gateway \\(zonal\\), last resort`));
    expect(text).toMatch(new RegExp(`\\n {5}${regional} +pending +regional +- +not serving +- +NAT gateway \\(regional\\), last resort`));
  });

  it('says a group has no SSM path when the NAT its members reach SSM through is dead, and which member lacks it', async () => {
    const clock = manualClock();
    const world = new VpcWorld({ clock });
    const nat = buildNatPair({ world, group: 'egress' });
    // Two members in the private subnets, whose default routes go to the NAT instances.
    const tags = { 'failover:group': 'app', 'failover:kind': 'vip', 'failover:vip': '10.0.11.100' };
    const x = world.addInstance({ subnet: nat.privateSubnets.a, secondaryIps: ['10.0.11.100'], tags: { ...tags, 'failover:priority': '1' } });
    world.addInstance({ subnet: nat.privateSubnets.a, tags: { ...tags, 'failover:priority': '2' } });
    const h = await harness(world, clock, db);
    world.hang(nat.a.instanceId);

    const report = (await h.invoke({ action: 'status', group: 'app' })) as StatusReport;
    const text = formatStatus(report);

    expect(report.groups[0]?.members.map((m) => m.ssm)).toEqual(['connection-lost', 'connection-lost']);
    expect(text).toMatch(/\n {2}problem: no SSM path: no member's SSM agent is online \(i-\S+ connection-lost, i-\S+ connection-lost\)/);
    expect(text).toMatch(new RegExp(`${x.instanceId} +running +\\S+ +1 +\\S+ +connection-lost `));
  });

  it('says nothing of SSM paths while one member is online', async () => {
    const clock = manualClock();
    const { world, a } = buildVipPair({ worldOptions: { clock }, group: 'web' });
    const h = await harness(world, clock, db);
    world.ssmAgents.linkDown.add(a.instanceId);

    const report = (await h.invoke({ action: 'status' })) as StatusReport;

    expect(report.groups[0]?.members.find((m) => m.instanceId === a.instanceId)?.ssm).toBe('connection-lost');
    expect(report.groups[0]?.problems).toEqual([]);
  });

  it('shows a member SSM does not know as not-registered, and status without SSM when SSM cannot be read', async () => {
    const clock = manualClock();
    const { world, a, b } = buildVipPair({ worldOptions: { clock }, group: 'web' });
    const h = await harness(world, clock, db);
    world.ssmAgents.unregistered.add(a.instanceId);
    const before = (await h.invoke({ action: 'status' })) as StatusReport;
    world.faults.inject({ operation: 'DescribeInstanceInformation', error: 'AccessDeniedException', message: 'not authorized to perform: ssm:DescribeInstanceInformation' });

    const after = (await h.invoke({ action: 'status' })) as StatusReport;

    expect(before.groups[0]?.members.map((m) => [m.instanceId, m.ssm])).toEqual([
      [a.instanceId, 'not-registered'],
      [b.instanceId, 'online'],
    ]);
    expect(after.groups[0]?.members.every((m) => m.ssm === undefined)).toBe(true);
    expect(after.ssmUnread).toContain('AccessDeniedException');
    expect(formatStatus(after)).toContain('\nssm: not read (DescribeInstanceInformation failed (AccessDeniedException)');
    expect(formatStatus(after)).not.toContain(' SSM ');
  });

  it('tells an account without groups how to start', () => {
    expect(formatStatus({ observedAt: '2026-12-01T00:00:00.000Z', groups: [] })).toContain('no groups: tag instances with failover:group and failover:kind');
  });

  it.each<[number, string]>([
    [850, '850 ms'],
    [4_240, '4.2 s'],
    [59_999, '60.0 s'],
    [180_000, '3 min'],
    [7_200_000, '2 h'],
    [7_500_000, '2 h 5 min'],
    [3 * 86_400_000, '3 d'],
  ])('writes %i ms as %j', (ms, text) => {
    expect(duration(ms)).toBe(text);
  });

  it('pads every column but the last to its widest cell', () => {
    expect(columns([['a', 'bbb', 'c'], ['dd', 'e', 'ffff']])).toEqual(['a   bbb  c', 'dd  e    ffff']);
  });

  it('finds the answer after the log lines that serverless invoke local prints first', async () => {
    const { report } = await afterAMove();
    const logs = '{"level":"INFO","message":"failover request"}\nRunning "serverless" from node_modules\n';

    expect(findStatusReport(`${logs}${JSON.stringify(report, null, 2)}\n`)).toEqual(report);
    expect(findStatusReport(JSON.stringify(report))).toEqual(report);
    expect(findStatusReport(`${logs}{\n  "errorMessage": "boom"\n}\n`)).toBeUndefined();
  });

  describe('through scripts/failover.sh', () => {
    let bin: string;
    let answer: string;
    beforeAll(async () => {
      const { report } = await afterAMove();
      answer = JSON.stringify(report, null, 2);
      // A stand-in npx that answers as `serverless invoke` does: the payload, pretty-printed.
      bin = mkdtempSync(join(tmpdir(), 'status-table-'));
      writeFileSync(join(bin, 'answer.json'), answer);
      writeFileSync(join(bin, 'npx'), `#!/usr/bin/env bash\necho '{"level":"INFO","message":"log line"}'\ncat '${join(bin, 'answer.json')}'\n`);
      chmodSync(join(bin, 'npx'), 0o755);
    });
    afterAll(() => rmSync(bin, { recursive: true, force: true }));

    const sh = (args: string[]) =>
      promisify(execFile)('bash', [join(root, 'scripts', 'failover.sh'), ...args], {
        env: { ...process.env, PATH: `${bin}:${dirname(process.execPath)}:${process.env['PATH'] ?? ''}` },
      });

    it('prints the table for status', async () => {
      const { stdout } = await sh(['status']);

      expect(stdout).toBe(formatStatus(JSON.parse(answer) as StatusReport));
    });

    it('prints the answer as it came with --json', async () => {
      const { stdout } = await sh(['status', '--json']);

      expect(stdout).toBe(`{"level":"INFO","message":"log line"}\n${answer}`);
    });

    it('refuses --json for a failover, which answers in JSON anyway', async () => {
      await expect(sh(['failover', 'web', '--json'])).rejects.toMatchObject({ code: 2, stderr: expect.stringMatching(/--json only applies to status/) });
    });
  });
});
