import type { Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { createHandler } from '../../functions/sensor.js';
import { loadConfig } from '../../shared/config.js';
import { ConfigError, InputError } from '../../shared/errors.js';

const context = { awsRequestId: 'req-1', getRemainingTimeInMillis: () => 10_000 } as unknown as Context;

describe('sensor function', () => {
  it('probes the requested targets with the requested timeout', async () => {
    const seen: unknown[] = [];
    const handler = createHandler(async (targets, timeoutMs) => {
      seen.push({ targets, timeoutMs });
      return [{ id: 'i-0aaaaaaaaaaaaaaaa', ip: '10.0.1.10', port: 443, result: 'ok', ms: 2 }];
    });
    const request = { targets: [{ id: 'i-0aaaaaaaaaaaaaaaa', ip: '10.0.1.10', ports: [443] }], timeoutMs: 1000 };

    const response = await handler(request, context);

    expect(seen).toEqual([request]);
    expect(response.results).toHaveLength(1);
  });

  it.each([
    ['timeoutMs', { targets: [], timeoutMs: 60_000 }],
    ['targets', { targets: 'i-0aaaaaaaaaaaaaaaa', timeoutMs: 1000 }],
    ['extra', { targets: [], timeoutMs: 1000, extra: true }],
  ])('refuses a request whose envelope has a bad %s, probing nothing', async (field, request) => {
    const probed: unknown[] = [];
    const handler = createHandler(async (targets) => (probed.push(targets), []));
    await expect(handler(request, context)).rejects.toSatisfy((e: unknown) => e instanceof InputError && e.field === field);
    expect(probed).toEqual([]);
  });

  const good = { id: 'i-0aaaaaaaaaaaaaaaa', ip: '10.0.1.10', ports: [443] };
  it.each([
    ['targets.1.ip', 'must be an IPv4 address', { id: 'i-0bbbbbbbbbbbbbbbb', ip: '10.0.1', ports: [443] }],
    ['targets.1.id', 'must be an instance id', { id: 'i-0a; reboot', ip: '10.0.1.1', ports: [443] }],
    ['targets.1.ports', '<=20', { id: 'i-0bbbbbbbbbbbbbbbb', ip: '10.0.1.11', ports: Array.from({ length: 21 }, (_, i) => 8000 + i) }],
    ['targets.1.ports.0', 'must be a TCP port', { id: 'i-0bbbbbbbbbbbbbbbb', ip: '10.0.1.11', ports: [70000] }],
    ['targets.1.extra', 'extra', { ...good, id: 'i-0bbbbbbbbbbbbbbbb', extra: 1 }],
  ])('refuses only the target with a bad %s, naming it, and probes the others', async (field, reason, bad) => {
    const probed: unknown[] = [];
    const handler = createHandler(async (targets) => {
      probed.push(...targets);
      return targets.map((t) => ({ id: t.id, ip: t.ip, port: 443, result: 'ok' as const, ms: 1 }));
    });
    const third = { id: 'i-0cccccccccccccccc', ip: '10.0.1.12', ports: [22, 443] };

    const response = await handler({ targets: [good, bad, third], timeoutMs: 1000 }, context);

    expect(probed).toEqual([good, third]);
    expect(response.results.map((r) => r.id)).toEqual([good.id, third.id]);
    expect(response.refused).toEqual([expect.objectContaining({ index: 1, field })]);
    expect(response.refused?.[0]?.reason).toContain(reason);
  });

  it('refuses the targets past the request’s connection budget, and probes those before it', async () => {
    const handler = createHandler(async (targets) => targets.flatMap((t) => t.ports.map((port) => ({ id: t.id, ip: t.ip, port, result: 'ok' as const, ms: 1 }))));
    // 101 targets of 20 ports: the first 100 fill the 2,000 connections.
    const targets = Array.from({ length: 101 }, (_, i) => ({ id: `i-0${String(i).padStart(16, '0')}`, ip: `10.0.${Math.floor(i / 200)}.${(i % 200) + 1}`, ports: Array.from({ length: 20 }, (_, p) => 8000 + p) }));

    const response = await handler({ targets, timeoutMs: 1000 }, context);

    expect(response.results).toHaveLength(2_000);
    expect(response.refused).toEqual([{ index: 100, id: targets[100]?.id, field: 'targets.100.ports', reason: "past the request's 2000 connections" }]);
  });

  it('answers without `refused` when it refused nothing', async () => {
    const handler = createHandler(async () => []);
    expect(await handler({ targets: [good], timeoutMs: 1000 }, context)).toEqual({ results: [] });
  });
});

describe('probe settings', () => {
  const base = { VPCF_TABLE_NAME: 'vpc-failover-dev' };

  it('defaults to fast mode, 2 s rounds, fall 2, rise 3, a 15 s sweep, no egress check and no sensor fleet', () => {
    expect(loadConfig(base).probe).toEqual({
      mode: 'fast',
      intervalMs: 2000,
      fall: 2,
      rise: 3,
      tcpTimeoutMs: 1000,
      runMs: 57_000,
      sweepMs: 15_000,
      sensorFleet: [],
      egress: [],
      forwardingCheck: true,
      metricsNamespace: 'VpcFailover',
    });
  });

  it('runs one round per scheduled run in economy mode', () => {
    expect(loadConfig({ ...base, VPCF_PROBE_MODE: 'economy' }).probe.mode).toBe('economy');
    expect(() => loadConfig({ ...base, VPCF_PROBE_MODE: 'slow' })).toThrow('VPCF_PROBE_MODE');
  });

  it('reads the sensor fleet as function names, each once', () => {
    expect(loadConfig({ ...base, VPCF_SENSOR_FLEET: 'vpcf-prod-sensorSubnetA,vpcf-prod-sensorSubnetB,vpcf-prod-sensorSubnetA' }).probe.sensorFleet).toEqual([
      'vpcf-prod-sensorSubnetA',
      'vpcf-prod-sensorSubnetB',
    ]);
  });

  it.each(['a b', 'one,,two', 'arn:aws:lambda:us-east-1:123456789012:function:x', 'x,'])('refuses a sensor fleet of %j, naming the key', (value) => {
    expect(() => loadConfig({ ...base, VPCF_SENSOR_FLEET: value })).toThrow('VPCF_SENSOR_FLEET');
  });

  it('turns the NAT forwarding check off on request', () => {
    expect(loadConfig({ ...base, VPCF_NAT_FORWARDING_CHECK: 'off' }).probe.forwardingCheck).toBe(false);
  });

  it('reads egress endpoints as IPv4 address:port pairs', () => {
    expect(loadConfig({ ...base, VPCF_EGRESS_ENDPOINTS: '1.1.1.1:443, 8.8.8.8:53' }).probe.egress).toEqual([
      { kind: 'egress', host: '1.1.1.1', port: 443 },
      { kind: 'egress', host: '8.8.8.8', port: 53 },
    ]);
  });

  it.each([
    ['VPCF_EGRESS_ENDPOINTS', 'one.one.one.one:443'],
    ['VPCF_EGRESS_ENDPOINTS', '[2606:4700::1111]:443'],
    ['VPCF_PROBE_FALL', '0'],
    ['VPCF_PROBE_INTERVAL_MS', 'fast'],
    ['VPCF_SENSOR_FUNCTION', 'my sensor'],
    ['VPCF_NAT_FORWARDING_CHECK', 'false'],
  ])('refuses %s=%s, naming the key', (key, value) => {
    expect(() => loadConfig({ ...base, [key]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ ...base, [key]: value })).toThrow(key);
  });
});
