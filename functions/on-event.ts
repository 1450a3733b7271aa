/**
 * EventBridge target: EC2 state changes, Spot interruption warnings, rebalance recommendations and
 * Auto Scaling lifecycle actions, each turned into an engine run (trigger `event`) for the
 * instance's group. Runs outside the VPC: it only talks to AWS APIs.
 */
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { type EventResult, handleEvent } from '../shared/events/handle.js';
import { type Runtime, createRuntime, deadlineOf, lazy } from '../shared/runtime.js';

export function createHandler(runtime: () => Runtime) {
  return middy(async (event: unknown, context: Context): Promise<EventResult> => {
    const rt = runtime();
    const deps = { engine: rt.engine(`on-event:${context.awsRequestId}`), ec2: rt.ec2Port, lifecycle: rt.lifecycle, clock: rt.clock, log: rt.log };
    return handleEvent(event, deps, deadlineOf(context, rt.clock));
  });
}

export const handler = createHandler(lazy(() => createRuntime({ env: process.env })));
