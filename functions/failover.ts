/**
 * Manual invoke: status, forced failover (or its dry-run plan), failback, doctor (read-only), drill.
 * Status shows the probe's last verdicts (from the state table) beside EC2's view, when recent, and
 * SSM's view of each member; failover and failback take the same recent verdicts as health input.
 */
import middy from '@middy/core';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { Context } from 'aws-lambda';
import * as z from 'zod/mini';
import { type FailoverRuntime, createFailoverRuntime } from '../shared/failover-wiring.js';
import { MAX_BACK_AFTER_SECONDS, drillAction } from '../shared/drill-action.js';
import { parseInput } from '../shared/input.js';
import { budgetOf, clientOptions, createCoreClients, lazy } from '../shared/runtime.js';
import { isInstanceId } from '../shared/core/validate.js';

const group = z.string().check(z.regex(/^[A-Za-z0-9_.:-]{1,64}$/, 'must be a group name (1 to 64 of A-Z a-z 0-9 _ . : -)'));
const instanceId = z.string().check(z.refine(isInstanceId, 'must be an instance ID (i-…)'));
const common = { group, dryRun: z.optional(z.boolean()), reason: z.optional(z.string().check(z.minLength(1), z.maxLength(500))) };

export const FailoverPayload = z.discriminatedUnion('action', [
  z.strictObject({ action: z.literal('status'), group: z.optional(group) }),
  z.strictObject({ action: z.literal('failover'), ...common, to: z.optional(instanceId), from: z.optional(instanceId) }),
  z.strictObject({ action: z.literal('failback'), ...common }),
  z.strictObject({ action: z.literal('doctor'), group: z.optional(group), vpc: z.optional(z.string().check(z.regex(/^vpc-[0-9a-f]{8,17}$/, 'must be a VPC ID (vpc-…)'))) }),
  z.strictObject({ action: z.literal('drill'), group, backAfterSeconds: z.optional(z.int().check(z.minimum(0), z.maximum(MAX_BACK_AFTER_SECONDS))), stay: z.optional(z.boolean()) }),
]);
export type FailoverPayload = z.infer<typeof FailoverPayload>;

export function createHandler(runtime: (context: Context) => FailoverRuntime) {
  return middy(async (event: unknown, context: Context) => {
    const rt = runtime(context);
    const payload = parseInput(FailoverPayload, event);
    const engine = rt.engine(`failover:${context.awsRequestId}`);
    const budget = budgetOf(context, rt.clock);
    const { deadline, signal, settle } = budget;
    if (payload.action === 'doctor') return rt.doctor(payload, { signal });
    if (payload.action === 'status') {
      const probes = await rt.probeVerdicts({ signal });
      return engine.status(payload.group, deadline, { signal, ...(probes ? { probes } : {}), ...(rt.agents ? { agents: rt.agents } : {}) });
    }
    if (payload.action === 'drill') return drillAction(rt, payload, `drill:${context.awsRequestId}`, budget);

    const { from, to } = payload.action === 'failover' ? payload : {};
    // The probe's fresh verdicts are health input, as for status: a hung member passes EC2's checks.
    const probes = await rt.probeVerdicts({ signal });
    const [result] = await engine.run({
      ...(probes ? { probes: probes.verdicts, probeReasons: probes.reasons } : {}),
      intent: payload.action === 'failback' ? { type: 'failback' } : { type: 'failover', ...(from ? { from } : {}), ...(to ? { to } : {}) },
      trigger: 'manual',
      group: payload.group,
      dryRun: payload.dryRun ?? false,
      ...(payload.reason ? { reason: payload.reason } : {}),
      deadline,
      signal,
      settle,
    });
    rt.log.info('manual request done', { request: payload, outcome: result?.outcome, reason: result?.reason });
    return result;
  });
}

export const handler = createHandler(lazy((context: Context) => createFailoverRuntime({ env: process.env, clients: createCoreClients(), functionArn: context.invokedFunctionArn }, new CloudWatchClient(clientOptions))));
