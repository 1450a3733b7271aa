import { describe, expect, it } from 'vitest';
import { LEFT_FOR_NEXT_RUN, applyActions, describeAction, isVisible, leftBehindNote, verifyActions } from '../../shared/core/apply.js';
import { createEc2Pacer } from '../../shared/core/pace.js';
import type { Action } from '../../shared/core/model.js';
import type { Ec2Action, Ec2Port, HostPort, HostResult, HostScript, ReadBack, ReadBackQuery } from '../../shared/core/ports.js';
import { AwsCallError, FailoverError } from '../../shared/errors.js';
import { manualClock } from '../../sim/clock.js';

const A = 'i-0000000000000000a';
const B = 'i-0000000000000000b';
const ENI_A = 'eni-000000000000000a';
const ENI_B = 'eni-000000000000000b';
const MAC_B = '02:00:00:00:00:0b';
const MAC_A = '02:00:00:00:00:0a';
const VIP = '10.0.1.100';
const target = (eni: string, instanceId: string) => ({ kind: 'eni', networkInterfaceId: eni, instanceId }) as const;

const sdcB: Action = { type: 'disable-source-dest-check', networkInterfaceId: ENI_B, instanceId: B };
const routeVia = (table: string, eni = ENI_B, id = B): Action => ({ type: 'replace-route', routeTableId: table, destination: { kind: 'ipv4', value: '0.0.0.0/0' }, target: target(eni, id) });
const assignB: Action = { type: 'assign-private-ip', networkInterfaceId: ENI_B, instanceId: B, ip: VIP };
const activateB: Action = { type: 'activate-ip', instanceId: B, macAddress: MAC_B, ip: VIP, prefixLength: 24 };
const deactivateA: Action = { type: 'deactivate-ip', instanceId: A, macAddress: MAC_A, ip: VIP, prefixLength: 24 };

/** An EC2 port that records calls and fails the ones `fail` picks. */
function ec2(fail: (action: Ec2Action, attempt: number) => Error | undefined = () => undefined, views: ReadBack[] = []) {
  const applied: string[] = [];
  const attempts = new Map<string, number>();
  const queries: ReadBackQuery[] = [];
  const port: Ec2Port = {
    observe: async () => {
      throw new Error('not used');
    },
    enrollment: async () => {
      throw new Error('not used');
    },
    apply: async (action) => {
      const key = describeAction(action);
      const attempt = (attempts.get(key) ?? 0) + 1;
      attempts.set(key, attempt);
      const error = fail(action, attempt);
      if (error) throw error;
      applied.push(key);
    },
    readBack: async (query) => {
      queries.push(query);
      const view = views.length > 1 ? views.shift() : views[0];
      if (!view) throw new FailoverError('readback failed', { retriable: true });
      return view;
    },
  };
  return { port, applied, queries };
}

function host(result: (instanceId: string, script: HostScript) => Partial<HostResult> | Error = () => ({ status: 'success' })) {
  const runs: { instanceIds: readonly string[]; script: HostScript }[] = [];
  const port: HostPort = {
    run: async (instanceIds, script) => {
      runs.push({ instanceIds, script });
      const r = result(instanceIds[0]!, script);
      if (r instanceof Error) throw r;
      return [{ instanceId: instanceIds[0]!, status: 'success', stdout: '', stderr: '', ...r }];
    },
    start: async () => {
      throw new Error('apply waits for its host actions: it never starts one without reading it');
    },
    collect: async () => {
      throw new Error('not used');
    },
  };
  return { port, runs };
}

const denied = (operation: string) => new AwsCallError(operation, 'UnauthorizedOperation', 'You are not authorized', { retriable: false });
const options = (clock = manualClock()) => ({ deadline: clock.now() + 30_000, concurrency: 4 });

describe('applyActions', () => {
  it('turns source/dest check off before any route switch', async () => {
    const clock = manualClock();
    const e = ec2();

    const reports = await applyActions([routeVia('rtb-1'), routeVia('rtb-2'), sdcB], { ec2: e.port, host: host().port, clock }, options(clock));

    expect(e.applied[0]).toBe(describeAction(sdcB));
    expect(e.applied.slice(1).sort()).toEqual([describeAction(routeVia('rtb-1')), describeAction(routeVia('rtb-2'))].sort());
    expect(reports.map((r) => r.status)).toEqual(['applied', 'applied', 'applied']);
  });

  it('skips routes to an ENI whose source/dest check could not be turned off, and still switches the others', async () => {
    const clock = manualClock();
    const e = ec2((action) => (action.type === 'disable-source-dest-check' ? denied('ModifyNetworkInterfaceAttribute') : undefined));
    const toA = routeVia('rtb-3', ENI_A, A);

    const reports = await applyActions([sdcB, routeVia('rtb-1'), toA], { ec2: e.port, host: host().port, clock }, options(clock));

    expect(reports).toEqual([
      { summary: describeAction(sdcB), status: 'failed', error: expect.stringContaining('UnauthorizedOperation') },
      { summary: describeAction(routeVia('rtb-1')), status: 'skipped', error: `source/dest check on ${ENI_B} is still on` },
      { summary: describeAction(toA), status: 'applied' },
    ]);
    expect(e.applied).toEqual([describeAction(toA)]);
  });

  it('brings the address up only after it was assigned, and skips it when the assignment failed', async () => {
    const clock = manualClock();
    const h = host();
    const e = ec2(() => denied('AssignPrivateIpAddresses'));

    const reports = await applyActions([assignB, activateB], { ec2: e.port, host: h.port, clock }, options(clock));

    expect(reports.map((r) => r.status)).toEqual(['failed', 'skipped']);
    expect(reports[1]?.error).toBe('the address was not assigned');
    expect(h.runs).toEqual([]);
  });

  it('runs the activation script on the new holder once the address is assigned', async () => {
    const clock = manualClock();
    const h = host();

    const reports = await applyActions([assignB, activateB], { ec2: ec2().port, host: h.port, clock }, options(clock));

    expect(reports.map((r) => r.status)).toEqual(['applied', 'applied']);
    expect(h.runs).toEqual([{ instanceIds: [B], script: expect.objectContaining({ name: 'activate-ip' }) }]);
  });

  it('takes the address down on the old holder as best effort: a failure is reported, not thrown', async () => {
    const clock = manualClock();
    const h = host((id) => (id === A ? { status: 'undeliverable', stderr: '  instance not connected \n' } : { status: 'success' }));

    const reports = await applyActions([assignB, activateB, deactivateA], { ec2: ec2().port, host: h.port, clock }, options(clock));

    expect(reports.map((r) => r.status)).toEqual(['applied', 'applied', 'failed']);
    expect(reports[2]?.error).toBe('undeliverable: instance not connected');
  });

  it('reports a host port error as a failed action', async () => {
    const clock = manualClock();
    const h = host(() => new AwsCallError('SendCommand', 'InvalidInstanceId', 'not managed'));

    const reports = await applyActions([deactivateA], { ec2: ec2().port, host: h.port, clock }, options(clock));

    expect(reports).toEqual([{ summary: describeAction(deactivateA), status: 'failed', error: expect.stringContaining('InvalidInstanceId') }]);
  });

  it('retries a throttled switch and reports every retry', async () => {
    const clock = manualClock();
    const e = ec2((_a, attempt) => (attempt < 3 ? new AwsCallError('ReplaceRoute', 'RequestLimitExceeded', 'slow down', { retriable: true }) : undefined));
    const retries: number[] = [];

    const reports = await applyActions([routeVia('rtb-1')], { ec2: e.port, host: host().port, clock }, { ...options(clock), onRetry: (_s, _e, attempt) => retries.push(attempt) });

    expect(reports[0]?.status).toBe('applied');
    expect(retries).toEqual([1, 2]);
  });

  it('lets a programming error through instead of reporting it as an AWS failure', async () => {
    const clock = manualClock();
    const e = ec2(() => new TypeError('bug'));

    await expect(applyActions([routeVia('rtb-1')], { ec2: e.port, host: host().port, clock }, options(clock))).rejects.toThrow(TypeError);
  });
});

describe('applyActions: pacing to EC2\'s request bucket', () => {
  const throttle = () => new AwsCallError('ReplaceRoute', 'RequestLimitExceeded', 'Request limit exceeded.', { retriable: true });
  const routes = (n: number) => Array.from({ length: n }, (_, i) => routeVia(`rtb-${String(i).padStart(3, '0')}`));
  const serial = (clock: ReturnType<typeof manualClock>, deadlineMs = 30_000) => ({ deadline: clock.now() + deadlineMs, concurrency: 1 });

  it('spends the burst at once, then one call per refill interval', async () => {
    const clock = manualClock(0);
    const e = ec2();

    const reports = await applyActions(routes(52), { ec2: e.port, host: host().port, clock, pacer: createEc2Pacer(0) }, serial(clock));

    expect(reports.every((r) => r.status === 'applied')).toBe(true);
    expect(clock.sleeps).toEqual([200, 200]);
  });

  it('shares one bucket across applies through the pacer it is given', async () => {
    const clock = manualClock(0);
    const pacer = createEc2Pacer(0);
    await applyActions(routes(50), { ec2: ec2().port, host: host().port, clock, pacer }, serial(clock));

    await applyActions([routeVia('rtb-next')], { ec2: ec2().port, host: host().port, clock, pacer }, serial(clock));

    expect(clock.sleeps).toEqual([200]);
  });

  it('leaves for the next run what the bucket does not let start before the deadline, and says so', async () => {
    const clock = manualClock(0);
    const e = ec2();

    const reports = await applyActions(routes(53), { ec2: e.port, host: host().port, clock, pacer: createEc2Pacer(0) }, serial(clock, 300));

    expect(reports.filter((r) => r.status === 'applied')).toHaveLength(51);
    expect(reports.slice(51)).toEqual([
      { summary: describeAction(routeVia('rtb-051')), status: 'skipped', error: LEFT_FOR_NEXT_RUN },
      { summary: describeAction(routeVia('rtb-052')), status: 'skipped', error: LEFT_FOR_NEXT_RUN },
    ]);
    expect(leftBehindNote(routes(53).slice(51))).toEqual(['left for the next run, the deadline came first: 2 route tables (rtb-051, rtb-052)']);
  });

  it('retries RequestLimitExceeded past the usual attempts while the deadline allows, and slows the next calls to the refill rate', async () => {
    const clock = manualClock(0, 0.5);
    const attemptsAt: number[] = [];
    const e = ec2((action, attempt) => {
      attemptsAt.push(clock.now());
      return action.type === 'replace-route' && action.routeTableId === 'rtb-000' && attempt <= 10 ? throttle() : undefined;
    });
    const retries: number[] = [];

    const reports = await applyActions(routes(2), { ec2: e.port, host: host().port, clock, pacer: createEc2Pacer(0) }, { ...serial(clock), onRetry: (_s, _e, attempt) => retries.push(attempt) });

    expect(reports.map((r) => r.status)).toEqual(['applied', 'applied']);
    expect(retries).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    // After each throttle the bucket counts as empty: no retry starts sooner than one refill interval (200 ms) later.
    const throttled = attemptsAt.slice(0, 11);
    const gaps = throttled.slice(1).map((at, i) => at - (throttled[i] ?? 0));
    expect(gaps).toHaveLength(10);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(200);
  });

  it('leaves for the next run a call EC2 keeps refusing until the deadline', async () => {
    const clock = manualClock(0, 0.5);
    const e = ec2(() => throttle());

    const [report] = await applyActions([routeVia('rtb-1')], { ec2: e.port, host: host().port, clock, pacer: createEc2Pacer(0) }, serial(clock, 5_000));

    expect(report).toEqual({ summary: describeAction(routeVia('rtb-1')), status: 'skipped', error: LEFT_FOR_NEXT_RUN });
    expect(clock.now()).toBeLessThan(5_000);
  });
});

describe('describeAction', () => {
  it.each([
    [assignB, `assign ${VIP} to ${ENI_B} (${B})`],
    [activateB, `bring ${VIP} up on ${B}`],
    [deactivateA, `take ${VIP} down on ${A}`],
    [{ type: 'associate-address', allocationId: 'eipalloc-1', target: target(ENI_B, B) } as Action, `associate eipalloc-1 with ${ENI_B} (${B})`],
    [{ type: 'create-route', routeTableId: 'rtb-1', destination: { kind: 'ipv4', value: '100.64.0.1/32' }, target: target(ENI_B, B) } as Action, `create 100.64.0.1/32 in rtb-1 via ${ENI_B} (${B})`],
    [routeVia('rtb-1'), `replace 0.0.0.0/0 in rtb-1 via ${ENI_B} (${B})`],
    [sdcB, `disable source/dest check on ${ENI_B} (${B})`],
  ])('describes %j', (action, text) => {
    expect(describeAction(action)).toBe(text);
  });
});

const view = (parts: Partial<ReadBack>): ReadBack => ({ interfaces: {}, routeTables: [], addresses: [], ...parts });
const rtb = (eni: string, state: 'active' | 'blackhole' = 'active') => ({
  routeTableId: 'rtb-1',
  vpcId: 'vpc-1',
  tags: {},
  routes: [{ destination: { kind: 'ipv4' as const, value: '0.0.0.0/0' }, state, target: { kind: 'eni', networkInterfaceId: eni } as const }],
});

describe('isVisible', () => {
  it('sees an assignment when the ENI lists the address', () => {
    expect(isVisible(assignB, view({ interfaces: { [ENI_B]: ['10.0.1.11', VIP] } }))).toBe(true);
    expect(isVisible(assignB, view({ interfaces: { [ENI_A]: [VIP] } }))).toBe(false);
  });

  it('sees an association only on the target ENI', () => {
    const associate: Action = { type: 'associate-address', allocationId: 'eipalloc-1', target: target(ENI_B, B) };
    expect(isVisible(associate, view({ addresses: [{ allocationId: 'eipalloc-1', publicIp: '203.0.113.10', tags: {}, association: { associationId: 'x', networkInterfaceId: ENI_B } }] }))).toBe(true);
    expect(isVisible(associate, view({ addresses: [{ allocationId: 'eipalloc-1', publicIp: '203.0.113.10', tags: {} }] }))).toBe(false);
  });

  it('sees a route only when it is active and points at the target ENI', () => {
    expect(isVisible(routeVia('rtb-1'), view({ routeTables: [rtb(ENI_B)] }))).toBe(true);
    expect(isVisible(routeVia('rtb-1'), view({ routeTables: [rtb(ENI_B, 'blackhole')] }))).toBe(false);
    expect(isVisible(routeVia('rtb-1'), view({ routeTables: [rtb(ENI_A)] }))).toBe(false);
  });

  it('does not read back host actions or prerequisites', () => {
    expect(isVisible(activateB, view({}))).toBe(true);
    expect(isVisible(sdcB, view({}))).toBe(true);
  });
});

describe('verifyActions', () => {
  it('polls until the change shows, sleeping the interval between readbacks', async () => {
    const clock = manualClock();
    const e = ec2(undefined, [view({ interfaces: { [ENI_B]: [] } }), view({ interfaces: { [ENI_B]: [] } }), view({ interfaces: { [ENI_B]: [VIP] } })]);

    const result = await verifyActions([assignB, activateB], { ec2: e.port, clock }, { deadline: clock.now() + 10_000, intervalMs: 500 });

    expect(result).toEqual({ verified: true, pending: [], readBacks: 3 });
    expect(clock.sleeps).toEqual([500, 500]);
    expect(e.queries[0]).toEqual({ networkInterfaceIds: [ENI_B], routeTableIds: [], allocationIds: [] });
  });

  it('keeps polling through a failed readback', async () => {
    const clock = manualClock();
    let calls = 0;
    const e = ec2();
    e.port.readBack = async () => {
      calls++;
      if (calls === 1) throw new FailoverError('throttled', { retriable: true });
      return view({ routeTables: [rtb(ENI_B)] });
    };

    const result = await verifyActions([routeVia('rtb-1')], { ec2: e.port, clock }, { deadline: clock.now() + 10_000, intervalMs: 500 });

    expect(result).toEqual({ verified: true, pending: [], readBacks: 2 });
  });

  it('gives up at the deadline and names what is still not visible', async () => {
    const clock = manualClock();
    const e = ec2(undefined, [view({ routeTables: [rtb(ENI_A)] })]);

    const result = await verifyActions([routeVia('rtb-1')], { ec2: e.port, clock }, { deadline: clock.now() + 2_000, intervalMs: 500 });

    expect(result.verified).toBe(false);
    expect(result.pending).toEqual([describeAction(routeVia('rtb-1'))]);
    expect(clock.sleeps).toEqual([500, 500, 500, 500]);
  });

  it('reads nothing back when nothing visible was applied', async () => {
    const clock = manualClock();
    const e = ec2();

    const result = await verifyActions([activateB, sdcB], { ec2: e.port, clock }, { deadline: clock.now() + 2_000, intervalMs: 500 });

    expect(result).toEqual({ verified: true, pending: [], readBacks: 0 });
    expect(e.queries).toEqual([]);
  });
});
