/**
 * Scheduled every minute: probe rounds until shortly before the next run (reserved concurrency 1
 * keeps runs from overlapping), verdicts to the core. Runs outside the VPC, so no guarded NAT lies
 * on its path to the AWS APIs.
 */
import middy from '@middy/core';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { LambdaClient } from '@aws-sdk/client-lambda';
import type { Context } from 'aws-lambda';
import { type ProbeMemory, newMemory } from '../shared/probe/loop.js';
import { type ProbeRuntime, createProbeLoop, createProbeRuntime } from '../shared/probe/wiring.js';
import { clientOptions, createCoreClients, deadlineOf, lazy, sensorClientOptions } from '../shared/runtime.js';

/** @param memory node state kept across runs while the execution environment stays warm. */
export function createHandler(runtime: () => ProbeRuntime, memory: ProbeMemory = newMemory()) {
  return middy(async (_event: unknown, context: Context) => {
    const rt = runtime();
    const until = Math.min(deadlineOf(context, rt.clock), rt.clock.now() + rt.config.probe.runMs);
    const loop = createProbeLoop(rt, `probe:${context.awsRequestId}`, memory);
    const summary = await loop.run(until);
    rt.log.info('probe run done', { ...summary, moves: summary.moves.length });
    return summary;
  });
}

export const handler = createHandler(
  lazy(() =>
    createProbeRuntime({
      env: process.env,
      clients: { ...createCoreClients(), lambda: new LambdaClient(sensorClientOptions), cloudwatch: new CloudWatchClient(clientOptions) },
    }),
  ),
);
