import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../shared/config.js';
import { ConfigError } from '../../shared/errors.js';

const TABLE = { VPCF_TABLE_NAME: 'vpc-failover-dev' };

/** The ConfigError loadConfig throws for `env`. */
function refusal(env: Record<string, string | undefined>): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('loadConfig accepted the environment');
}

describe('loadConfig', () => {
  it('fills the documented defaults from the table name alone', () => {
    const config = loadConfig(TABLE);

    expect(config).toMatchObject({
      tableName: 'vpc-failover-dev',
      cooldownMs: 60_000,
      failback: { vip: 'manual', eip: 'manual', overlay: 'manual', nat: 'auto' },
      leaseTtlMs: 30_000,
      verifyTimeoutMs: 15_000,
      applyConcurrency: 4,
    });
  });

  it('reads seconds as milliseconds and the failback policies per kind', () => {
    const config = loadConfig({
      ...TABLE,
      VPCF_COOLDOWN_SECONDS: '120',
      VPCF_LEASE_TTL_SECONDS: '45',
      VPCF_VERIFY_TIMEOUT_SECONDS: '0',
      VPCF_FAILBACK: 'auto',
      VPCF_NAT_FAILBACK: 'manual',
      VPCF_APPLY_CONCURRENCY: '8',
    });

    expect(config).toMatchObject({
      cooldownMs: 120_000,
      leaseTtlMs: 45_000,
      verifyTimeoutMs: 0,
      applyConcurrency: 8,
      failback: { vip: 'auto', eip: 'auto', overlay: 'auto', nat: 'manual' },
    });
  });

  it('ignores variables that are not its own', () => {
    expect(() => loadConfig({ ...TABLE, PATH: '/usr/bin', AWS_REGION: 'eu-west-1', VPCFX: '' })).not.toThrow();
  });

  it('returns a frozen object, nested parts included', () => {
    const config = loadConfig(TABLE);

    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.failback)).toBe(true);
    expect(() => {
      (config as { cooldownMs: number }).cooldownMs = 0;
    }).toThrow(TypeError);
  });

  it('names an unknown VPCF_ key (a typo is an error, not a silent default)', () => {
    const error = refusal({ ...TABLE, VPCF_COOLDOWN: '30' });

    expect(error.context['key']).toBe('VPCF_COOLDOWN');
    expect(error.message).toBe('VPCF_COOLDOWN is not a setting of vpc-failover');
  });

  it.each(['', '   '])('names a key that is set but empty (%j)', (value) => {
    const error = refusal({ ...TABLE, VPCF_FAILBACK: value });

    expect(error.context['key']).toBe('VPCF_FAILBACK');
    expect(error.message).toContain('empty');
  });

  it('names a missing table name as required', () => {
    const error = refusal({ VPCF_COOLDOWN_SECONDS: '10' });

    expect(error.context['key']).toBe('VPCF_TABLE_NAME');
    expect(error.message).toBe('VPCF_TABLE_NAME is required');
  });

  it('reads the deployment\'s VPCs from a comma-separated list, and leaves them out when unset', () => {
    expect(loadConfig({ ...TABLE, VPCF_VPC_IDS: 'vpc-0123456789abcdef0,vpc-89abcdef' }).vpcIds).toEqual(['vpc-0123456789abcdef0', 'vpc-89abcdef']);
    expect(loadConfig(TABLE)).not.toHaveProperty('vpcIds');
  });

  it.each(['vpc-SET-vpcIds', 'vpc-0123456789abcdef0, vpc-89abcdef', 'vpc-0123456789abcdef0,', 'subnet-0123456789abcdef0'])(
    'refuses VPCF_VPC_IDS %j, pointing at the vpcIds param',
    (value) => {
      const error = refusal({ ...TABLE, VPCF_VPC_IDS: value });

      expect(error.context['key']).toBe('VPCF_VPC_IDS');
      expect(error.message).toContain('vpcIds param');
    },
  );

  it.each([
    ['VPCF_COOLDOWN_SECONDS', 'ten'],
    ['VPCF_COOLDOWN_SECONDS', '-1'],
    ['VPCF_COOLDOWN_SECONDS', '1.5'],
    ['VPCF_COOLDOWN_SECONDS', '3601'],
    ['VPCF_LEASE_TTL_SECONDS', '1e3'],
    ['VPCF_VERIFY_TIMEOUT_SECONDS', '301'],
    ['VPCF_APPLY_CONCURRENCY', '0'],
    ['VPCF_APPLY_CONCURRENCY', '21'],
    ['VPCF_FAILBACK', 'sometimes'],
    ['VPCF_NAT_FAILBACK', 'AUTO'],
    ['VPCF_TABLE_NAME', 'a b'],
    ['VPCF_TABLE_NAME', 'ab'],
  ])('names %s when its value is %j', (key, value) => {
    const error = refusal({ ...TABLE, [key]: value });

    expect(error).toBeInstanceOf(ConfigError);
    expect(error.context['key']).toBe(key);
    expect(error.message.startsWith(`${key} `)).toBe(true);
    expect(error.cause).toBeDefined();
  });
});
