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
    ['targets.0.ip', { targets: [{ id: 'i-0aaaaaaaaaaaaaaaa', ip: '10.0.1', ports: [443] }], timeoutMs: 1000 }],
    ['timeoutMs', { targets: [], timeoutMs: 60_000 }],
    ['targets.0.id', { targets: [{ id: 'i-0a; reboot', ip: '10.0.1.1', ports: [443] }], timeoutMs: 1000 }],
  ])('refuses a request with a bad %s', async (field, request) => {
    const handler = createHandler(async () => []);
    await expect(handler(request, context)).rejects.toSatisfy((e: unknown) => e instanceof InputError && e.field === field);
  });
});

describe('probe settings', () => {
  const base = { VPCF_TABLE_NAME: 'vpc-failover-dev' };

  it('defaults to fast mode, 2 s rounds, fall 2, rise 3, a 15 s sweep and no egress check', () => {
    expect(loadConfig(base).probe).toEqual({
      mode: 'fast',
      intervalMs: 2000,
      fall: 2,
      rise: 3,
      tcpTimeoutMs: 1000,
      runMs: 57_000,
      sweepMs: 15_000,
      egress: [],
      forwardingCheck: true,
      metricsNamespace: 'VpcFailover',
    });
  });

  it('runs one round per scheduled run in economy mode', () => {
    expect(loadConfig({ ...base, VPCF_PROBE_MODE: 'economy' }).probe.mode).toBe('economy');
    expect(() => loadConfig({ ...base, VPCF_PROBE_MODE: 'slow' })).toThrow('VPCF_PROBE_MODE');
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
