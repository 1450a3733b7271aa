/**
 * Configuration, parsed once at cold start from the environment into a frozen object.
 * Every key this project reads starts with VPCF_; an unknown VPCF_ key or an empty value is an error
 * that names the key, so a typo in serverless.yml fails loudly instead of being ignored.
 */
import { z } from 'zod';
import { ConfigError } from './errors.js';

const seconds = (fallback: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, 'must be a whole number of seconds')
    .transform(Number)
    .pipe(z.number().int().min(0).max(max))
    .default(fallback);
const policy = (fallback: 'auto' | 'manual') => z.enum(['auto', 'manual']).default(fallback);
const whole = (fallback: number, min: number, max: number) =>
  z.string().regex(/^\d+$/, 'must be a whole number').transform(Number).pipe(z.number().int().min(min).max(max)).default(fallback);

const schema = z
  .object({
    VPCF_TABLE_NAME: z.string().regex(/^[A-Za-z0-9_.-]{3,255}$/, 'must be a DynamoDB table name'),
    VPCF_COOLDOWN_SECONDS: seconds(60, 3600),
    VPCF_FAILBACK: policy('manual'),
    VPCF_NAT_FAILBACK: policy('auto'),
    VPCF_LEASE_TTL_SECONDS: seconds(30, 900),
    VPCF_VERIFY_TIMEOUT_SECONDS: seconds(15, 300),
    VPCF_APPLY_CONCURRENCY: whole(4, 1, 20),
  })
  .strict();

export type RawConfig = z.infer<typeof schema>;

export interface Config {
  readonly tableName: string;
  readonly cooldownMs: number;
  readonly failback: { readonly vip: 'auto' | 'manual'; readonly eip: 'auto' | 'manual'; readonly overlay: 'auto' | 'manual'; readonly nat: 'auto' | 'manual' };
  readonly leaseTtlMs: number;
  readonly verifyTimeoutMs: number;
  readonly applyConcurrency: number;
}

/** Reads only the VPCF_ keys of `env`; throws ConfigError naming the first bad key. */
export function loadConfig(env: Readonly<Record<string, string | undefined>>): Config {
  const ours = Object.fromEntries(Object.entries(env).filter(([key]) => key.startsWith('VPCF_')));
  for (const [key, value] of Object.entries(ours)) {
    if (value === undefined || value.trim() === '') throw new ConfigError(`${key} is set but empty`, { context: { key } });
  }
  const parsed = schema.safeParse(ours);
  if (!parsed.success) {
    const [issue] = parsed.error.issues;
    const key = issue?.code === 'unrecognized_keys' ? issue.keys.join(', ') : String(issue?.path[0] ?? 'environment');
    const why = issue?.code === 'unrecognized_keys' ? 'is not a setting of vpc-failover' : issue?.code === 'invalid_type' ? 'is required' : issue?.message;
    throw new ConfigError(`${key} ${why}`, { context: { key }, cause: parsed.error });
  }
  const c = parsed.data;
  return Object.freeze({
    tableName: c.VPCF_TABLE_NAME,
    cooldownMs: c.VPCF_COOLDOWN_SECONDS * 1000,
    failback: Object.freeze({ vip: c.VPCF_FAILBACK, eip: c.VPCF_FAILBACK, overlay: c.VPCF_FAILBACK, nat: c.VPCF_NAT_FAILBACK }),
    leaseTtlMs: c.VPCF_LEASE_TTL_SECONDS * 1000,
    verifyTimeoutMs: c.VPCF_VERIFY_TIMEOUT_SECONDS * 1000,
    applyConcurrency: c.VPCF_APPLY_CONCURRENCY,
  });
}
