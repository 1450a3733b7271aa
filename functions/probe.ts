/**
 * Scheduled every minute: probe rounds through the run's window (fast mode) or one round (economy
 * mode), verdicts to the core. Runs outside the VPC, so no guarded NAT lies on its path to the AWS
 * APIs; the run lease keeps runs from overlapping (shared/probe/run-lease.ts), and each run's window
 * comes from its event's time, so a late or repeated run never stretches past its minute.
 */
import middy from '@middy/core';
import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import type { Context } from 'aws-lambda';
import { type ProbeMemory, newMemory } from '../shared/probe/loop.js';
import { exclusively } from '../shared/probe/run-lease.js';
import { runWindow, scheduledTimeOf } from '../shared/probe/schedule.js';
import { type ProbeRuntime, createProbeLoop, createProbeRuntime } from '../shared/probe/wiring.js';
import { budgetOf, clientOptions, createCoreClients, lazy } from '../shared/runtime.js';

/** Kept after the rounds for the last flush, saving the state and releasing leases. */
const SETTLE_MS = 2_500;
const SCHEDULE_MS = 60_000;

/** @param memory node state kept across runs while the execution environment stays warm. */
export function createHandler(runtime: (context: Context) => ProbeRuntime, memory: ProbeMemory = newMemory()) {
  return middy(async (event: unknown, context: Context) => {
    const rt = runtime(context);
    const scheduledAt = scheduledTimeOf(event);
    const budget = budgetOf(context, rt.clock, SETTLE_MS);
    const now = rt.clock.now();
    const { probe } = rt.config;
    const roundMs = probe.intervalMs + probe.tcpTimeoutMs;
    const window = runWindow({ mode: probe.mode, scheduledAt, now, deadline: budget.deadline, runMs: probe.runMs, roundMs, everyMs: SCHEDULE_MS, ...(memory.lastScheduledAt === undefined ? {} : { lastScheduledAt: memory.lastScheduledAt }) });
    if ('skip' in window) {
      rt.log.info('probe run skipped', { reason: window.skip });
      return { skipped: window.skip };
    }
    const owner = `probe:${context.awsRequestId}`;
    const signal = AbortSignal.any([budget.signal, AbortSignal.timeout(Math.max(0, window.until - now))]);
    const lease = { owner, now, expiresAt: now + context.getRemainingTimeInMillis(), signal, settle: budget.settle, clock: rt.clock };
    const summary = await exclusively(rt.runLease, lease, rt.log, () => {
      if (scheduledAt !== undefined) memory.lastScheduledAt = scheduledAt;
      return createProbeLoop(rt, owner, memory).run(window.until, { signal, settle: budget.settle });
    });
    if ('skipped' in summary) return summary;
    const { groups, ...totals } = summary;
    rt.log.info('probe run done', { mode: probe.mode, ...totals, moves: summary.moves.length });
    // One line per group and run: the dashboard's healthy members per group, at no metric's cost.
    for (const [group, { members, healthy }] of Object.entries(groups)) rt.log.info('probe group', { group, members, healthy });
    return summary;
  });
}

// Auto Scaling only here: remediation (`replace`) is the probe's alone.
const clients = () => ({ ...createCoreClients(), autoscaling: new AutoScalingClient(clientOptions) });
export const handler = createHandler(lazy((context: Context) => createProbeRuntime({ env: process.env, clients: clients(), functionArn: context.invokedFunctionArn })));
