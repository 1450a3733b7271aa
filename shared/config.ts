/**
 * Configuration, parsed once at cold start from the environment into a frozen object.
 * Every key this project reads starts with VPCF_; an unknown VPCF_ key or an empty value is an error
 * that names the key, so a typo in serverless.yml fails loudly instead of being ignored.
 */
import * as z from 'zod/mini';
import { MAX_EGRESS_ENDPOINTS } from './core/limits.js';
import { isRegionName } from './core/tag-rules.js';
import { isIpv4, isPort } from './core/validate.js';
import { ConfigError } from './errors.js';
import { safeParse } from './input.js';

/** An outside endpoint a NAT must reach through itself. */
export interface EgressEndpoint {
  readonly kind: 'egress';
  readonly host: string;
  readonly port: number;
}

/** A whole number in a string, within [min, max], or `fallback` when the key is absent. */
const whole = (fallback: number, min: number, max: number, message = 'must be a whole number') =>
  z._default(z.pipe(z.pipe(z.string().check(z.regex(/^\d+$/, message)), z.transform(Number)), z.int().check(z.minimum(min), z.maximum(max))), fallback);
const seconds = (fallback: number, max: number) => whole(fallback, 0, max, 'must be a whole number of seconds');
const policy = (fallback: 'auto' | 'manual') => z._default(z.enum(['auto', 'manual']), fallback);

/** Built on first use: a cold start should not pay for building validators before it needs them. */
const buildSchema = () =>
  z.strictObject({
    VPCF_TABLE_NAME: z.string().check(z.regex(/^[A-Za-z0-9_.-]{3,255}$/, 'must be a DynamoDB table name')),
    VPCF_COOLDOWN_SECONDS: seconds(60, 3600),
    VPCF_FAILBACK: policy('manual'),
    VPCF_NAT_FAILBACK: policy('auto'),
    VPCF_LEASE_TTL_SECONDS: seconds(30, 900),
    VPCF_VERIFY_TIMEOUT_SECONDS: seconds(15, 300),
    VPCF_APPLY_CONCURRENCY: whole(4, 1, 20),
    VPCF_PROBE_INTERVAL_MS: whole(2_000, 500, 30_000),
    VPCF_PROBE_FALL: whole(2, 1, 10),
    VPCF_PROBE_RISE: whole(3, 1, 10),
    VPCF_PROBE_TCP_TIMEOUT_MS: whole(1_000, 100, 5_000),
    VPCF_PROBE_RUN_SECONDS: whole(57, 10, 890),
    VPCF_SSM_SWEEP_SECONDS: whole(15, 2, 3600),
    VPCF_SENSOR_FUNCTION: z.optional(
      z.string().check(z.regex(/^(arn:[a-z-]+:lambda:[a-z0-9-]+:\d{12}:function:)?[A-Za-z0-9_-]{1,64}(:[A-Za-z0-9_$-]+)?$/, 'must be a Lambda function name or ARN')),
    ),
    // The sensor fleet (the sensorFleet param): function names, comma-separated.
    VPCF_SENSOR_FLEET: z.optional(
      z.pipe(
        z.string().check(z.regex(/^[A-Za-z0-9_-]{1,64}(,[A-Za-z0-9_-]{1,64})*$/, 'must be comma-separated Lambda function names')),
        z.transform((raw: string) => raw.split(',')),
      ),
    ),
    VPCF_EGRESS_ENDPOINTS: z.optional(
      z.pipe(
        z.string(),
        z.transform((raw: string, ctx): EgressEndpoint[] => {
          const endpoints = raw.split(',').map((e) => e.trim());
          const parsed = endpoints.map((e) => /^(\d{1,3}(?:\.\d{1,3}){3}):(\d{1,5})$/.exec(e));
          if (parsed.some((m) => !m || !isIpv4(m[1] ?? '') || !isPort(Number(m[2])))) {
            ctx.issues.push({ code: 'custom', input: raw, message: "must be comma-separated IPv4 'address:port' pairs (IPv6 and names are not probed)" });
            return z.NEVER;
          }
          // Each endpoint is a check in every NAT prober's block: discovery counts on this bound.
          if (parsed.length > MAX_EGRESS_ENDPOINTS) {
            ctx.issues.push({ code: 'custom', input: raw, message: `must list at most ${MAX_EGRESS_ENDPOINTS} endpoints, got ${parsed.length}` });
            return z.NEVER;
          }
          return parsed.map((m) => ({ kind: 'egress' as const, host: m?.[1] ?? '', port: Number(m?.[2]) }));
        }),
      ),
    ),
    VPCF_NAT_FORWARDING_CHECK: z._default(z.enum(['on', 'off']), 'on'),
    VPCF_PROBE_MODE: z._default(z.enum(['fast', 'economy']), 'fast'),
    // A topic name (completed with the function's own account and region) or a topic ARN; absent: no notices.
    VPCF_NOTIFY_TOPIC: z.optional(
      z.string().check(z.regex(/^(arn:[a-z-]+:sns:[a-z0-9-]+:\d{12}:)?[A-Za-z0-9_-]{1,256}(\.fifo)?$/, 'must be an SNS topic name or ARN')),
    ),
    VPCF_REMEDIATE_INTERVAL_SECONDS: seconds(900, 86_400),
    VPCF_VPC_IDS: z.optional(
      z.pipe(
        z.string().check(z.regex(/^vpc-[0-9a-f]{8,17}(,vpc-[0-9a-f]{8,17})*$/, "must be comma-separated VPC IDs (vpc-…), as the vpcIds param")),
        z.transform((raw: string) => raw.split(',')),
      ),
    ),
    VPCF_STAGE: z._default(z.string().check(z.regex(/^[A-Za-z0-9-]{1,64}$/, 'must be a stage name (letters, digits, dashes)')), 'dev'),
    VPCF_METRICS_NAMESPACE: z._default(z.string().check(z.regex(/^[A-Za-z0-9_./#:-]{1,255}$/, 'must be a CloudWatch namespace')), 'VpcFailover'),
});

let schema: ReturnType<typeof buildSchema> | undefined;

export type RawConfig = z.infer<ReturnType<typeof buildSchema>>;

export interface Config {
  readonly tableName: string;
  /** The Region the function runs in (Lambda's AWS_REGION); absent in local runs without it. NATAZ values are checked against it. */
  readonly region?: string;
  /** The VPCs this deployment may change; absent: not limited (local runs, tests). */
  readonly vpcIds?: readonly string[];
  /** The deployment's stage, in notices. */
  readonly stage: string;
  /** The SNS topic for notices (a name or an ARN), when notices are on. */
  readonly notifyTopic?: string;
  readonly metricsNamespace: string;
  /** At most one remediation per instance in this long (failover:remediate). */
  readonly remediateIntervalMs: number;
  readonly cooldownMs: number;
  readonly failback: { readonly vip: 'auto' | 'manual'; readonly eip: 'auto' | 'manual'; readonly overlay: 'auto' | 'manual'; readonly nat: 'auto' | 'manual' };
  readonly leaseTtlMs: number;
  readonly verifyTimeoutMs: number;
  readonly applyConcurrency: number;
  readonly probe: ProbeConfig;
}

/** Settings of the `probe` function (the loop's tuning lives in shared/probe/loop.ts). */
export interface ProbeConfig {
  /** `fast`: rounds every `intervalMs` through each run; `economy`: one round per scheduled run. */
  readonly mode: 'fast' | 'economy';
  readonly intervalMs: number;
  readonly fall: number;
  readonly rise: number;
  readonly tcpTimeoutMs: number;
  /** How long one run keeps probing: less than the schedule's minute, so runs never overlap. */
  readonly runMs: number;
  readonly sweepMs: number;
  /** The sensor's name or ARN; only the probe function needs it. */
  readonly sensorFunction?: string;
  /** The sensor fleet's function names (shared/probe/sensors.ts); empty: the main sensor alone. */
  readonly sensorFleet: readonly string[];
  /** Outside endpoints a NAT must reach; empty disables the forwarding check. */
  readonly egress: readonly EgressEndpoint[];
  /** Whether NATs check their own ip_forward and MASQUERADE/SNAT rule (off for NATs that translate elsewhere). */
  readonly forwardingCheck: boolean;
  readonly metricsNamespace: string;
}

/** Reads only the VPCF_ keys of `env`; throws ConfigError naming the first bad key. */
export function loadConfig(env: Readonly<Record<string, string | undefined>>): Config {
  const ours = Object.fromEntries(Object.entries(env).filter(([key]) => key.startsWith('VPCF_')));
  for (const [key, value] of Object.entries(ours)) {
    if (value === undefined || value.trim() === '') throw new ConfigError(`${key} is set but empty`, { context: { key } });
  }
  const parsed = safeParse((schema ??= buildSchema()), ours);
  if (!parsed.success) {
    const [issue] = parsed.error.issues;
    const key = issue?.code === 'unrecognized_keys' ? issue.keys.join(', ') : String(issue?.path[0] ?? 'environment');
    const why = issue?.code === 'unrecognized_keys' ? 'is not a setting of vpc-failover' : issue?.code === 'invalid_type' ? 'is required' : issue?.message;
    throw new ConfigError(`${key} ${why}`, { context: { key }, cause: parsed.error });
  }
  const c = parsed.data;
  const region = env['AWS_REGION'];
  if (region !== undefined && !isRegionName(region)) throw new ConfigError(`AWS_REGION must be a Region name (us-east-1), got '${region}'`, { context: { key: 'AWS_REGION' } });
  return Object.freeze({
    tableName: c.VPCF_TABLE_NAME,
    ...(region === undefined ? {} : { region }),
    ...(c.VPCF_VPC_IDS === undefined ? {} : { vpcIds: Object.freeze(c.VPCF_VPC_IDS) }),
    stage: c.VPCF_STAGE,
    ...(c.VPCF_NOTIFY_TOPIC === undefined ? {} : { notifyTopic: c.VPCF_NOTIFY_TOPIC }),
    metricsNamespace: c.VPCF_METRICS_NAMESPACE,
    remediateIntervalMs: c.VPCF_REMEDIATE_INTERVAL_SECONDS * 1000,
    cooldownMs: c.VPCF_COOLDOWN_SECONDS * 1000,
    failback: Object.freeze({ vip: c.VPCF_FAILBACK, eip: c.VPCF_FAILBACK, overlay: c.VPCF_FAILBACK, nat: c.VPCF_NAT_FAILBACK }),
    leaseTtlMs: c.VPCF_LEASE_TTL_SECONDS * 1000,
    verifyTimeoutMs: c.VPCF_VERIFY_TIMEOUT_SECONDS * 1000,
    applyConcurrency: c.VPCF_APPLY_CONCURRENCY,
    probe: Object.freeze({
      mode: c.VPCF_PROBE_MODE,
      intervalMs: c.VPCF_PROBE_INTERVAL_MS,
      fall: c.VPCF_PROBE_FALL,
      rise: c.VPCF_PROBE_RISE,
      tcpTimeoutMs: c.VPCF_PROBE_TCP_TIMEOUT_MS,
      runMs: c.VPCF_PROBE_RUN_SECONDS * 1000,
      sweepMs: c.VPCF_SSM_SWEEP_SECONDS * 1000,
      ...(c.VPCF_SENSOR_FUNCTION === undefined ? {} : { sensorFunction: c.VPCF_SENSOR_FUNCTION }),
      sensorFleet: Object.freeze([...new Set(c.VPCF_SENSOR_FLEET ?? [])]),
      egress: Object.freeze((c.VPCF_EGRESS_ENDPOINTS ?? []).map((e) => Object.freeze(e))),
      forwardingCheck: c.VPCF_NAT_FORWARDING_CHECK === 'on',
      metricsNamespace: c.VPCF_METRICS_NAMESPACE,
    }),
  });
}
