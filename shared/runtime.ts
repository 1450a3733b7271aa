/**
 * Wiring shared by the functions that can move traffic: config, the core's adapters and a fresh
 * engine per invocation, built once per cold start from the SDK clients the function passes in.
 * Each function constructs only the clients it uses (functions/*.ts), so each bundle carries only
 * those. Nothing here runs at import: a bad setting is an invocation error with a message, not a
 * hung import.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EC2Client } from '@aws-sdk/client-ec2';
import { SSMClient } from '@aws-sdk/client-ssm';
import type { Context } from 'aws-lambda';
import { createDynamoStore } from './aws/dynamo.js';
import { createEc2Port } from './aws/ec2.js';
import { createSsmHostPort } from './aws/ssm.js';
import { type Config, loadConfig } from './config.js';
import { FailoverEngine, type Log } from './core/engine.js';
import { type Clock, type Ec2Port, type HostPort, type JournalPort, type LeasePort, systemClock } from './core/ports.js';

/** The SDK clients of the failover core: every function that can move traffic has these three. */
export interface CoreClients {
  readonly ec2: EC2Client;
  readonly ssm: SSMClient;
  readonly dynamodb: DynamoDBClient;
}

export interface Runtime {
  readonly config: Config;
  readonly clock: Clock;
  readonly log: Log;
  /** SSM Run Command on instances (also what the probe loop's peer probes go through). */
  readonly host: HostPort;
  /** The engine's EC2 port, for the event path's launch preparation (source/dest check). */
  readonly ec2Port: Ec2Port;
  /** The lease and journal table. */
  readonly store: LeasePort & JournalPort;
  /** A fresh engine per invocation: the lease owner is the request ID. */
  engine(owner: string): FailoverEngine;
}

/** SDK retries stay short: the core retries throttling itself, against the invocation's deadline. */
export const clientOptions = { maxAttempts: 2, requestHandler: { connectionTimeout: 1_000, requestTimeout: 5_000 } } as const;
/**
 * The sensor answers within its connect timeout (up to 5 s) plus a VPC cold start; a retry would
 * only land in the next round's slot, so there is none.
 */
export const sensorClientOptions = { maxAttempts: 1, requestHandler: { connectionTimeout: 1_000, requestTimeout: 10_000 } } as const;

/** The core's clients, as a function builds them at its first invocation. */
export function createCoreClients(): CoreClients {
  return { ec2: new EC2Client(clientOptions), ssm: new SSMClient(clientOptions), dynamodb: new DynamoDBClient(clientOptions) };
}

export function createRuntime(options: { env: Readonly<Record<string, string | undefined>>; clients: CoreClients; clock?: Clock; log?: Log }): Runtime {
  const config = loadConfig(options.env);
  const { clients } = options;
  const clock = options.clock ?? systemClock;
  const log = options.log ?? new Logger({ serviceName: 'vpc-failover' });
  const ec2 = createEc2Port(clients.ec2, { clock });
  const host = createSsmHostPort(clients.ssm, { clock, comment: 'vpc-failover' });
  const store = createDynamoStore(clients.dynamodb, config.tableName, { clock });
  return Object.freeze({
    config,
    clock,
    log,
    host,
    ec2Port: ec2,
    store,
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
