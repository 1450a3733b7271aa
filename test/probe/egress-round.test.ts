/** One round of egress checks: every sensor asked at once, and each answer credited as the routes stood during the check. */
import { describe, expect, it } from 'vitest';
import type { RouteTable, WorldSnapshot } from '../../shared/core/model.js';
import { egressRound } from '../../shared/probe/egress-round.js';
import type { SensorPort, SensorRequest } from '../../shared/probe/ports.js';
import type { EgressSite } from '../../shared/probe/sensors.js';
import { quietLog } from './support/harness.js';

const NATS = [{ id: 'i-0aaaaaaaaaaaaaaa1', enis: ['eni-a'] }, { id: 'i-0bbbbbbbbbbbbbbb2', enis: ['eni-b'] }];
const ENDPOINTS = [{ kind: 'egress' as const, host: '192.0.2.10', port: 443 }];

const table = (subnet: string, eni: string): RouteTable => ({
  routeTableId: `rtb-${subnet}`,
  vpcId: 'vpc-1',
  tags: { NATAZ: 'any' },
  subnetIds: [subnet],
  routes: [{ destination: { kind: 'ipv4', value: '0.0.0.0/0' }, target: { kind: 'eni', networkInterfaceId: eni }, state: 'active' }],
});
const world = (observedAt: number, routes: Record<string, string>): WorldSnapshot =>
  ({ observedAt, instances: [], statusChecks: {}, routeTables: Object.entries(routes).map(([s, e]) => table(s, e)), addresses: [], subnets: [], addressHolders: [] }) as WorldSnapshot;

function sensor(ok: boolean): SensorPort & { requests: SensorRequest[] } {
  const requests: SensorRequest[] = [];
  return {
    requests,
    probe: async (request) => {
      requests.push(request);
      return { results: request.targets.map((t) => ({ id: t.id, ip: t.ip, port: t.ports[0] ?? 0, result: ok ? ('ok' as const) : ('fail' as const), ms: 1 })) };
    },
  };
}
const site = (name: string, subnetId: string, port: SensorPort): EgressSite => ({ name, port, vpcId: 'vpc-1', subnetId });

describe('egressRound', () => {
  it('asks each sensor for the endpoints, and credits each answer to the NAT its subnet routes to', async () => {
    const a = sensor(false);
    const b = sensor(true);
    let observes = 0;
    const readings = await egressRound(
      { sites: [site('sa', 'subnet-a', a), site('sb', 'subnet-b', b)], endpoints: ENDPOINTS, timeoutMs: 1000, world: world(0, { 'subnet-a': 'eni-a', 'subnet-b': 'eni-b' }), nats: NATS, startedAt: 10, call: {}, observe: async () => ((observes += 1), world(11, { 'subnet-a': 'eni-a', 'subnet-b': 'eni-b' })) },
      quietLog,
    );

    expect(a.requests).toEqual([{ targets: [{ id: 'egress-0', ip: '192.0.2.10', ports: [443] }], timeoutMs: 1000 }]);
    expect(readings).toEqual([
      { site: 'sa', observation: 'fail', credit: { kind: 'member', id: 'i-0aaaaaaaaaaaaaaa1', routeTableId: 'rtb-subnet-a' } },
      { site: 'sb', observation: 'ok', credit: { kind: 'member', id: 'i-0bbbbbbbbbbbbbbb2', routeTableId: 'rtb-subnet-b' } },
    ]);
    // A failure, and a snapshot older than the round: one fresh look.
    expect(observes).toBe(1);
  });

  it('reads the routes again only for a failure, and only when the snapshot is older than the round', async () => {
    let observes = 0;
    const observe = async () => ((observes += 1), undefined);
    const base = { endpoints: ENDPOINTS, timeoutMs: 1000, nats: NATS, call: {}, observe };
    await egressRound({ ...base, sites: [site('sa', 'subnet-a', sensor(true))], world: world(0, { 'subnet-a': 'eni-a' }), startedAt: 10 }, quietLog);
    await egressRound({ ...base, sites: [site('sa', 'subnet-a', sensor(false))], world: world(10, { 'subnet-a': 'eni-a' }), startedAt: 10 }, quietLog);

    expect(observes).toBe(0);
  });

  it('credits a failure to nobody when the route moved during the check, or could not be read again', async () => {
    const base = { sites: [site('sa', 'subnet-a', sensor(false))], endpoints: ENDPOINTS, timeoutMs: 1000, world: world(0, { 'subnet-a': 'eni-a' }), nats: NATS, startedAt: 10, call: {} };

    const moved = await egressRound({ ...base, observe: async () => world(11, { 'subnet-a': 'eni-b' }) }, quietLog);
    const unread = await egressRound({ ...base, observe: async () => world(0, { 'subnet-a': 'eni-a' }) }, quietLog);

    expect(moved[0]?.credit).toEqual({ kind: 'none', path: 'the route changed during the check' });
    expect(unread[0]?.credit).toEqual({ kind: 'none', path: 'the route could not be read again after the check' });
  });

  it('makes a sensor that cannot be asked unknown, and asks nobody without endpoints', async () => {
    const broken: SensorPort = { probe: async () => Promise.reject(new Error('boom')) };
    const base = { timeoutMs: 1000, world: world(10, { 'subnet-a': 'eni-a' }), nats: NATS, startedAt: 10, call: {}, observe: async () => undefined };

    const failed = await egressRound({ ...base, sites: [site('sa', 'subnet-a', broken)], endpoints: ENDPOINTS }, quietLog);
    const none = await egressRound({ ...base, sites: [site('sa', 'subnet-a', sensor(true))], endpoints: [] }, quietLog);

    expect(failed.map((r) => r.observation)).toEqual(['unknown']);
    expect(none).toEqual([]);
  });
});
