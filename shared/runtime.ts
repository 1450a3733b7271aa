/**
 * Wiring: config, SDK clients and adapters, built once per cold start (at the first invocation,
 * never at import, so a bad setting is an invocation error with a message, not a hung import).
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EC2Client } from '@aws-sdk/client-ec2';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { SSMClient } from '@aws-sdk/client-ssm';
import type { Context } from 'aws-lambda';
import { type LifecyclePort, createLifecyclePort } from './aws/autoscaling.js';
import { createDynamoStore } from './aws/dynamo.js';
import { createEc2Port } from './aws/ec2.js';
import { createSsmHostPort } from './aws/ssm.js';
import { type Config, loadConfig } from './config.js';
import { FailoverEngine, type Log } from './core/engine.js';
import { type Clock, type Ec2Port, type HostPort, systemClock } from './core/ports.js';

export interface Clients {
  readonly ec2: EC2Client;
  readonly ssm: SSMClient;
  readonly dynamodb: DynamoDBClient;
  readonly autoscaling: AutoScalingClient;
  /** The probe function's: invoking the sensor, publishing metrics. Built on first use when absent. */
  readonly lambda?: LambdaClient;
  readonly cloudwatch?: CloudWatchClient;
}

export interface Runtime {
  readonly config: Config;
  readonly clients: Clients;
  readonly clock: Clock;
  readonly log: Log;
  /** SSM Run Command on instances (also what the probe loop's peer probes go through). */
  readonly host: HostPort;
  /** A fresh engine per invocation: the lease owner is the request ID. */
  engine(owner: string): FailoverEngine;
  /** The engine's EC2 port, for the event path's launch preparation (source/dest check). */
  readonly ec2Port: Ec2Port;
  /** Finishes Auto Scaling lifecycle actions (the event path). */
  readonly lifecycle: LifecyclePort;
}

/** SDK retries stay short: the core retries throttling itself, against the invocation's deadline. */
export const clientOptions = { maxAttempts: 2, requestHandler: { connectionTimeout: 1_000, requestTimeout: 5_000 } } as const;
/**
 * The sensor answers within its connect timeout (up to 5 s) plus a VPC cold start; a retry would
 * only land in the next round's slot, so there is none.
 */
export const sensorClientOptions = { maxAttempts: 1, requestHandler: { connectionTimeout: 1_000, requestTimeout: 10_000 } } as const;

export function createClients(): Clients {
  return {
    ec2: new EC2Client(clientOptions),
    ssm: new SSMClient(clientOptions),
    dynamodb: new DynamoDBClient(clientOptions),
    autoscaling: new AutoScalingClient(clientOptions),
    lambda: new LambdaClient(sensorClientOptions),
    cloudwatch: new CloudWatchClient(clientOptions),
  };
}

export function createRuntime(options: { env: Readonly<Record<string, string | undefined>>; clients?: Clients; clock?: Clock; log?: Log }): Runtime {
  const config = loadConfig(options.env);
  const clients = options.clients ?? createClients();
  const clock = options.clock ?? systemClock;
  const log = options.log ?? new Logger({ serviceName: 'vpc-failover' });
  const ec2 = createEc2Port(clients.ec2, { clock });
  const host = createSsmHostPort(clients.ssm, { clock, comment: 'vpc-failover' });
  const store = createDynamoStore(clients.dynamodb, config.tableName, { clock });
  return Object.freeze({
    config,
    clients,
    clock,
    log,
    host,
    ec2Port: ec2,
    lifecycle: createLifecyclePort(clients.autoscaling),
    engine: (owner: string) =>
      new FailoverEngine({
        ec2,
        host,
        lease: store,
        journal: store,
        clock,
        log,
        settings: {
          owner,
          cooldownMs: config.cooldownMs,
          failback: config.failback,
          leaseTtlMs: config.leaseTtlMs,
          applyConcurrency: config.applyConcurrency,
          verifyIntervalMs: 500,
          verifyTimeoutMs: config.verifyTimeoutMs,
          journalLimit: 20,
        },
      }),
  });
}

/** Builds the runtime on first use and keeps it for the life of the execution environment. */
export function lazy<T>(build: () => T): () => T {
  let value: T | undefined;
  return () => (value ??= build());
}

/** The time by which an invocation must be done, leaving a margin to report. */
export function deadlineOf(context: Pick<Context, 'getRemainingTimeInMillis'>, clock: Clock, marginMs = 1_500): number {
  return clock.now() + Math.max(0, context.getRemainingTimeInMillis() - marginMs);
}
