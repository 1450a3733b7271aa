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
import { type Runtime, clientOptions, createCoreClients, createRuntime, deadlineOf, lazy } from '../shared/runtime.js';

/** The core, plus Auto Scaling to finish lifecycle actions. */
export type OnEventRuntime = Runtime & { readonly lifecycle: LifecyclePort };

export function createHandler(runtime: () => OnEventRuntime) {
  return middy(async (event: unknown, context: Context): Promise<EventResult> => {
    const rt = runtime();
    const deps = { engine: rt.engine(`on-event:${context.awsRequestId}`), ec2: rt.ec2Port, lifecycle: rt.lifecycle, clock: rt.clock, log: rt.log };
    return handleEvent(event, deps, deadlineOf(context, rt.clock));
  });
}

export const handler = createHandler(
  lazy(() => ({
    ...createRuntime({ env: process.env, clients: createCoreClients() }),
    lifecycle: createLifecyclePort(new AutoScalingClient(clientOptions)),
  })),
);
