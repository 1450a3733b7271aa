/**
 * EventBridge target: EC2 state changes, Spot interruption warnings, rebalance recommendations and
 * Auto Scaling lifecycle actions, each turned into an engine run (trigger `event`) for the
 * instance's group, on the probe's recent verdicts as well as EC2's view. Runs outside the VPC: it
 * only talks to AWS APIs.
 */
import middy from '@middy/core';
import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import type { Context } from 'aws-lambda';
import { type EventResult, handleEvent } from '../shared/events/handle.js';
import { type OnEventRuntime, createOnEventRuntime } from '../shared/events/wiring.js';
import { budgetOf, clientOptions, createCoreClients, lazy } from '../shared/runtime.js';

export type { OnEventRuntime } from '../shared/events/wiring.js';

export function createHandler(runtime: (context: Context) => OnEventRuntime) {
  return middy(async (event: unknown, context: Context): Promise<EventResult> => {
    const rt = runtime(context);
    const deps = {
      engine: rt.engine(`on-event:${context.awsRequestId}`),
      ec2: rt.ec2Port,
      lifecycle: rt.lifecycle,
      clock: rt.clock,
      log: rt.log,
      ...(rt.probeVerdicts ? { probes: rt.probeVerdicts } : {}),
    };
    const { deadline, signal, settle } = budgetOf(context, rt.clock);
    return handleEvent(event, deps, deadline, { signal, settle });
  });
}

export const handler = createHandler(
  lazy((context: Context) => createOnEventRuntime({ env: process.env, clients: createCoreClients(), functionArn: context.invokedFunctionArn }, new AutoScalingClient(clientOptions))),
);
