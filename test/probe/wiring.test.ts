/**
 * createProbeLoop as the probe function calls it: the runtime's settings, its EC2/SSM adapters and
 * DynamoDB store, the sensor over Lambda Invoke and metrics over CloudWatch PutMetricData.
 */
import { LambdaClient } from '@aws-sdk/client-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDynamoStore } from '../../shared/aws/dynamo.js';
import { ConfigError } from '../../shared/errors.js';
import { newMemory } from '../../shared/probe/loop.js';
import { createProbeLoop, createProbeRuntime } from '../../shared/probe/wiring.js';
import { type DynaliteHandle, startDynalite } from '../../sim/dynalite.js';
import { manualClock } from '../../sim/clock.js';
import { runtimeFor, testClientConfig } from '../support/harness.js';
import { VpcWorld, buildHaWorld } from '../../sim/world.js';
import { SENSOR_FUNCTION, wiredProbe } from './support/harness.js';

let db: DynaliteHandle;
beforeAll(async () => {
  db = await startDynalite();
});
afterAll(async () => {
  await db.stop();
});


describe('createProbeLoop', () => {
  it('probes every member through the sensor function, with its primary IP and tagged ports', async () => {
    const p = await wiredProbe(db);
    const { a, b } = p.pair;

    const summary = await createProbeLoop(p.runtime, 'probe:req-1', newMemory()).run(p.clock.now() + 10_000);

    expect(summary.rounds).toBeGreaterThanOrEqual(3);
    expect(p.invokes()).toHaveLength(summary.rounds);
    expect(p.invokes()[0]).toMatchObject({ FunctionName: SENSOR_FUNCTION, InvocationType: 'RequestResponse' });
    const [first] = p.sensorRequests();
    expect(first?.timeoutMs).toBe(1_000);
    expect(first?.targets).toEqual(
      expect.arrayContaining([
        { id: a.instanceId, ip: a.privateIp, ports: [443, 8443] },
        { id: b.instanceId, ip: b.privateIp, ports: [443, 8443] },
      ]),
    );
    expect(first?.targets).toHaveLength(2);
  });

  it('writes its metric through the log, in the configured namespace, one value per round', async () => {
    const p = await wiredProbe(db, { VPCF_METRICS_NAMESPACE: 'Test/Failover' });

    const summary = await createProbeLoop(p.runtime, 'probe:req-1', newMemory()).run(p.clock.now() + 10_000);

    expect(p.emf.documents.length).toBeGreaterThan(0);
    const namespaces = p.emf.documents.map((d) => (d['_aws'] as { CloudWatchMetrics: { Namespace: string }[] }).CloudWatchMetrics[0]?.Namespace);
    expect(new Set(namespaces)).toEqual(new Set(['Test/Failover']));
    expect(p.emf.values('GroupsWithoutHealthyMember')).toEqual(Array.from({ length: summary.rounds }, () => 0));
    expect(summary.groups).toEqual({ web: { members: 2, healthy: 2 } });
  });

  it('gives every metric the service and the stage, so stages sharing an account and Region keep series apart', async () => {
    const p = await wiredProbe(db, { VPCF_STAGE: 'prod' });

    await createProbeLoop(p.runtime, 'probe:req-1', newMemory()).run(p.clock.now() + 4_000);

    expect(p.emf.documents.length).toBeGreaterThan(0);
    for (const document of p.emf.documents) {
      expect(document).toMatchObject({ service: 'vpc-failover', stage: 'prod' });
      const sets = (document['_aws'] as { CloudWatchMetrics: { Dimensions: string[][] }[] }).CloudWatchMetrics.flatMap((m) => m.Dimensions);
      for (const set of sets) expect(set.slice(0, 2)).toEqual(['service', 'stage']);
    }
  });

  it('takes the interval, fall and TCP timeout from the runtime config', async () => {
    const p = await wiredProbe(db, { VPCF_PROBE_INTERVAL_MS: '5000', VPCF_PROBE_TCP_TIMEOUT_MS: '2500' });

    const summary = await createProbeLoop(p.runtime, 'probe:req-1', newMemory()).run(p.clock.now() + 20_000);

    // Rounds start every 5 s, and one only starts if its connects can finish before the end.
    expect(summary.rounds).toBe(4);
    expect(p.sensorRequests().map((r) => r.timeoutMs)).toEqual([2_500, 2_500, 2_500, 2_500]);
  });

  it('moves the VIP off a member that stops answering, leasing and journaling in the runtime table', async () => {
    const p = await wiredProbe(db);
    const { a, b, vip } = p.pair;
    const loop = createProbeLoop(p.runtime, 'probe:req-1', newMemory());
    await loop.run(p.clock.now() + 6_000);
    p.world.hang(a.instanceId);

    const summary = await loop.run(p.clock.now() + 30_000);

    expect(p.world.vipHolder(vip)).toBe(b.instanceId);
    expect(summary.moves).toEqual([expect.objectContaining({ group: 'web', from: a.instanceId, to: b.instanceId })]);
    const journal = await createDynamoStore(db.client, p.tableName).recent('web', 10);
    expect(journal).toEqual([expect.objectContaining({ group: 'web', trigger: 'probe', from: a.instanceId, to: b.instanceId })]);
    // The hung holder cannot run the script that drops the address, so the move is at best partial.
    expect(['applied', 'partial']).toContain(journal[0]?.outcome);
    expect(p.emf.values('Moves')).toEqual([1]);
    expect(p.emf.values('DetectionTime')).toHaveLength(1);
  });

  it('refuses to build without VPCF_SENSOR_FUNCTION, naming the key, before calling anything', async () => {
    const clock = manualClock();
    const world = new VpcWorld({ clock });
    buildHaWorld('vip', { world, group: 'web', ports: '443' });
    const { env, clients } = await runtimeFor(world, clock, db);
    const extras = { lambda: new LambdaClient(testClientConfig) };

    const build = () => createProbeRuntime({ env, clients: { ...clients, ...extras }, clock });

    expect(build).toThrow(ConfigError);
    expect(build).toThrow('VPCF_SENSOR_FUNCTION');
    expect(world.count()).toBe(0);
  });
});
