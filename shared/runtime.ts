/**
 * Wiring shared by the functions that can move traffic: config, the core's adapters and a fresh
 * engine per invocation, built once per cold start (at the first invocation, never at import, so a
 * bad setting is an invocation error with a message, not a hung import) from the SDK clients the
 * function passes in. Each function constructs only the clients it uses (functions/*.ts).
 */
import { Logger } from '@aws-lambda-powertools/logger';
import type { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EC2Client } from '@aws-sdk/client-ec2';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { SNSClient } from '@aws-sdk/client-sns';
import { SSMClient } from '@aws-sdk/client-ssm';
import type { Context } from 'aws-lambda';
import { createDynamoStore } from './aws/dynamo.js';
import { createEc2Port } from './aws/ec2.js';
import { createEmfMetrics } from './aws/emf.js';
import { createLambdaSensor } from './aws/lambda-sensor.js';
import { createRemediationPort } from './aws/remediation.js';
import { createSnsNotifier, topicArnOf } from './aws/sns.js';
import { createSsmHostPort } from './aws/ssm.js';
import { type Config, loadConfig } from './config.js';
import { type EngineDeps, FailoverEngine, type Log } from './core/engine.js';
import { guardedNotifier } from './core/notice.js';
import { createEc2Pacer } from './core/pace.js';
import { DEFAULT_REMEDIATION } from './core/remediate.js';
import type { Clock, DataPlanePort, Ec2Port, HostPort, JournalPort, LeasePort, MetricsPort, NotifierPort } from './core/ports.js';
import { systemClock } from './core/ports.js';
import { sensorDataPlane } from './probe/data-plane.js';
import type { SensorPort } from './probe/ports.js';

/**
 * The SDK clients of the failover core. Every function that can move traffic has the first three;
 * with `sns` it tells people about moves, with `lambda` it asks the sensor whether a moved VIP answers,
 * with `autoscaling` it can remediate with `replace` (the probe).
 */
export interface CoreClients {
  readonly ec2: EC2Client;
  readonly ssm: SSMClient;
  readonly dynamodb: DynamoDBClient;
  readonly sns?: SNSClient;
  readonly lambda?: LambdaClient;
  readonly autoscaling?: AutoScalingClient;
}

export interface Runtime {
  readonly config: Config;
  readonly clock: Clock;
  readonly log: Log;
  /** SSM Run Command on instances (also what the probe loop's peer probes go through). */
  readonly host: HostPort;
  /** The engine's EC2 port, for the event path's enrollment check and launch preparation. */
  readonly ec2Port: Ec2Port;
  /** The lease and journal table. */
  readonly store: LeasePort & JournalPort;
  /** Metrics through the log (EMF). */
  readonly metrics: MetricsPort;
  /** The in-VPC sensor, when one is configured. */
  readonly sensor?: SensorPort;
  /** A fresh engine per invocation: the lease owner is the request ID. */
  engine(owner: string): FailoverEngine;
  /** What `engine(owner)` is built from, for callers that build on the engine (a drill). */
  engineDeps(owner: string): EngineDeps;
}

/** SDK retries stay short: the core retries throttling itself, against the invocation's deadline. */
export const clientOptions = { maxAttempts: 2, requestHandler: { connectionTimeout: 1_000, requestTimeout: 5_000 } } as const;
/**
 * The sensor answers within its connect timeout (up to 5 s) plus a VPC cold start; a retry would
 * only land in the next round's slot, so there is none.
 */
export const sensorClientOptions = { maxAttempts: 1, requestHandler: { connectionTimeout: 1_000, requestTimeout: 10_000 } } as const;

/** The core's clients, as a function builds them at its first invocation. */
export function createCoreClients(): Required<Omit<CoreClients, 'autoscaling'>> {
  return {
    ec2: new EC2Client(clientOptions),
    ssm: new SSMClient(clientOptions),
    dynamodb: new DynamoDBClient(clientOptions),
    sns: new SNSClient(clientOptions),
    lambda: new LambdaClient(sensorClientOptions),
  };
}

/** A refused notice is said again at most once an hour per group. */
const NOTICE_QUIET_MS = 3_600_000;

export interface RuntimeOptions {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly clients: CoreClients;
  readonly clock?: Clock;
  readonly log?: Log;
  /** The function's own ARN (the Lambda context's), to complete a topic name into an ARN. */
  readonly functionArn?: string;
  /** Where EMF lines go; the function's stdout by default. */
  readonly writeMetrics?: (line: string) => void;
}

export function createRuntime(options: RuntimeOptions): Runtime {
  const config = loadConfig(options.env);
  const { clients } = options;
  const clock = options.clock ?? systemClock;
  const log = options.log ?? new Logger({ serviceName: 'vpc-failover' });
  const ec2 = createEc2Port(clients.ec2, { clock });
  const host = createSsmHostPort(clients.ssm, { clock, comment: 'vpc-failover' });
  const store = createDynamoStore(clients.dynamodb, config.tableName, { clock });
  const metrics = createEmfMetrics({ namespace: config.metricsNamespace, serviceName: 'vpc-failover', stage: config.stage, log, ...(options.writeMetrics ? { write: options.writeMetrics } : {}) });
  const sensor = config.probe.sensorFunction !== undefined && clients.lambda ? createLambdaSensor(clients.lambda, config.probe.sensorFunction) : undefined;
  const dataPlane: DataPlanePort | undefined = sensor ? sensorDataPlane(sensor, config.probe.tcpTimeoutMs) : undefined;
  const notifier = createNotifier(config, clients, options.functionArn, { clock, log, metrics });
  const remediation = clients.autoscaling ? createRemediationPort({ ec2: clients.ec2, autoscaling: clients.autoscaling }) : undefined;
  // One per execution environment: its runs spend the same account bucket one after another.
  const pacer = createEc2Pacer(clock.now());
  const engineDeps = (owner: string): EngineDeps => ({
    ec2,
    host,
    lease: store,
    journal: store,
    clock,
    log,
    metrics,
    pacer,
    ...(dataPlane ? { dataPlane } : {}),
    ...(notifier ? { notifier } : {}),
    ...(remediation ? { remediation } : {}),
    settings: {
      owner,
      cooldownMs: config.cooldownMs,
      failback: config.failback,
      ...(config.vpcIds ? { vpcIds: config.vpcIds } : {}),
      ...(config.region ? { region: config.region } : {}),
      leaseTtlMs: config.leaseTtlMs,
      applyConcurrency: config.applyConcurrency,
      verifyIntervalMs: 500,
      verifyTimeoutMs: config.verifyTimeoutMs,
      journalLimit: 20,
      noticePrefix: `vpc-failover ${config.stage}`,
      remediation: { ...DEFAULT_REMEDIATION, intervalMs: config.remediateIntervalMs },
    },
  });

  return Object.freeze({
    config,
    clock,
    log,
    host,
    ec2Port: ec2,
    store,
    metrics,
    ...(sensor ? { sensor } : {}),
    engine: (owner: string) => new FailoverEngine(engineDeps(owner)),
    engineDeps,
  });
}

function createNotifier(config: Config, clients: CoreClients, functionArn: string | undefined, deps: { clock: Clock; log: Log; metrics: MetricsPort }): NotifierPort | undefined {
  if (config.notifyTopic === undefined || !clients.sns) return undefined;
  const topicArn = topicArnOf(config.notifyTopic, functionArn);
  if (topicArn === undefined) {
    deps.log.warn('notices are off: VPCF_NOTIFY_TOPIC is a topic name and this function has no ARN to complete it (serverless invoke local?)', { topic: config.notifyTopic });
    return undefined;
  }
  return guardedNotifier(createSnsNotifier(clients.sns, topicArn), {
    clock: deps.clock,
    log: deps.log,
    quietMs: NOTICE_QUIET_MS,
    onFailure: () =>
      void deps.metrics.put([{ name: 'NotificationFailures', unit: 'Count', dimensions: {}, value: 1, timestamp: deps.clock.now() }]).catch(() => undefined),
  });
}

/** Builds on first use and keeps the result for the life of the execution environment. */
export function lazy<A extends unknown[], T>(build: (...args: A) => T): (...args: A) => T {
  let value: T | undefined;
  return (...args: A) => (value ??= build(...args));
}

/** An invocation's time: the work stops at `deadline`, and what must follow it at `settle`. */
export interface Budget {
  /** Epoch ms (the injected clock's) by which the work is done. */
  readonly deadline: number;
  /** Aborts the work's AWS calls at `deadline`. */
  readonly signal: AbortSignal;
  /** Aborts what follows the work (journal, lease release, notices, the last flush) a margin before Lambda would stop. */
  readonly settle: AbortSignal;
}

/**
 * Splits the Lambda's remaining time: `settleMs` for what follows the work, and `marginMs` kept
 * from the timeout itself, since a function that times out loses its warm state and may leave a
 * lease held until it expires.
 */
export function budgetOf(context: Pick<Context, 'getRemainingTimeInMillis'>, clock: Clock, settleMs = 2_000, marginMs = 500): Budget {
  const remaining = Math.max(0, context.getRemainingTimeInMillis() - marginMs);
  const work = Math.max(0, remaining - settleMs);
  return { deadline: clock.now() + work, signal: AbortSignal.timeout(work), settle: AbortSignal.timeout(remaining) };
}
