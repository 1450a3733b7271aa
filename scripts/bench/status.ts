/**
 * AWS calls made by one `status` invocation for 1, 10 and 100 groups: the read is batched,
 * so the count must not grow with the number of groups (the SSM agents' read: one call per 50 members).
 */
import type { Context } from 'aws-lambda';
import { createHandler } from '../../functions/failover.js';
import type { Log } from '../../shared/core/engine.js';
import { createRuntime } from '../../shared/runtime.js';
import { withProbeVerdicts } from '../../shared/failover-wiring.js';
import { createProbeStateStore } from '../../shared/aws/dynamo.js';
import { createSsmAgentPort } from '../../shared/aws/ssm.js';
import { startDynalite } from '../../sim/dynalite.js';
import { manualClock } from '../../sim/clock.js';
import { VpcWorld, buildHaWorld } from '../../sim/world.js';

const quiet: Log = { debug() {}, info() {}, warn() {}, error() {} };
const KINDS = ['vip', 'eip', 'nat', 'overlay'] as const;

export async function run(): Promise<string> {
  const dynamo = await startDynalite('bench-status');
  let dynamoCalls = 0;
  dynamo.client.middlewareStack.add((next) => (args) => {
    dynamoCalls++;
    return next(args);
  });
  const rows: string[] = [];
  try {
    for (const groups of [1, 10, 100]) {
      const clock = manualClock();
      // Real EC2 pages hold up to 1000 instances; the world's default of 3 exists to test pagination.
      const world = new VpcWorld({ clock, pageSize: 1000 });
      for (let i = 0; i < groups; i++) buildHaWorld(KINDS[i % KINDS.length] ?? 'vip', { world, group: `g${i}` });
      const runtime = createRuntime({ env: { VPCF_TABLE_NAME: dynamo.tableName }, clients: { ...world.clients(), dynamodb: dynamo.client }, clock, log: quiet });
      const handler = createHandler(() => withProbeVerdicts(runtime, createProbeStateStore(dynamo.client, dynamo.tableName), { agents: createSsmAgentPort(world.clients().ssm) }));
      const context = { awsRequestId: 'bench', getRemainingTimeInMillis: () => 30_000 } as unknown as Context;

      world.clearCalls();
      dynamoCalls = 0;
      const report = (await handler({ action: 'status' }, context)) as { groups: readonly unknown[] };
      const byOp = new Map<string, number>();
      for (const call of world.calls) byOp.set(call.operation, (byOp.get(call.operation) ?? 0) + 1);
      const ops = [...byOp].sort().map(([op, n]) => `${op} ${n}`).join(', ');
      rows.push(`| ${groups} | ${report.groups.length} | ${world.calls.length} | ${dynamoCalls} | ${world.calls.length + dynamoCalls} | ${ops} |`);
    }
  } finally {
    await dynamo.stop();
  }
  return [
    '## status: AWS calls per invocation',
    '',
    'Groups cycle through vip, eip, nat and overlay (two members each). EC2 and SSM calls counted in the in-memory world, DynamoDB calls on a real dynalite.',
    '',
    '| groups | reported | EC2 + SSM calls | DynamoDB calls | total | EC2 + SSM calls by operation |',
    '|---:|---:|---:|---:|---:|---|',
    ...rows,
  ].join('\n');
}
