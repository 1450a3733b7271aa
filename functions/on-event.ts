/**
 * EventBridge target: EC2 state changes, Spot interruption warnings, rebalance recommendations and
 * Auto Scaling lifecycle actions, each turned into an engine run (trigger `event`) for the
 * instance's group. Runs outside the VPC: it only talks to AWS APIs.
 */
import middy from '@middy/core';
import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import type { Context } from 'aws-lambda';
import { type LifecyclePort, createLifecyclePort } from '../shared/aws/autoscaling.js';
import { type EventResult, handleEvent } from '../shared/events/handle.js';
import { type Runtime, budgetOf, clientOptions, createCoreClients, createRuntime, lazy } from '../shared/runtime.js';

/** The core, plus Auto Scaling to finish lifecycle actions. */
export type OnEventRuntime = Runtime & { readonly lifecycle: LifecyclePort };

export function createHandler(runtime: (context: Context) => OnEventRuntime) {
  return middy(async (event: unknown, context: Context): Promise<EventResult> => {
    const rt = runtime(context);
    const deps = { engine: rt.engine(`on-event:${context.awsRequestId}`), ec2: rt.ec2Port, lifecycle: rt.lifecycle, clock: rt.clock, log: rt.log };
    const { deadline, signal, settle } = budgetOf(context, rt.clock);
    return handleEvent(event, deps, deadline, { signal, settle });
  });
}

export const handler = createHandler(
  lazy((context: Context) => ({
    ...createRuntime({ env: process.env, clients: createCoreClients(), functionArn: context.invokedFunctionArn }),
    lifecycle: createLifecyclePort(new AutoScalingClient(clientOptions)),
  })),
);
