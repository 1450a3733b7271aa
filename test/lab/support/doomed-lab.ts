/**
 * A lab that gets killed: builds a VIP fabric with its services, prints its namespace prefix and the
 * token its processes carry, then waits for SIGKILL (test/lab/cleanup.netns.test.ts).
 */
import { randomBytes } from 'node:crypto';
import { startAgent } from '../../../lab/agents.js';
import { Fabric } from '../../../lab/fabric.js';
import { NamespaceSet } from '../../../lab/netns.js';
import { buildLabTopology } from '../../../lab/topology.js';
import { VpcWorld } from '../../../sim/world.js';

async function main(): Promise<void> {
  const token = `doomed-${randomBytes(4).toString('hex')}`;
  const namespaces = new NamespaceSet();
  const topology = buildLabTopology(new VpcWorld(), ['vip']);
  await Fabric.build(topology, namespaces);
  await startAgent(namespaces, 'web-a', { role: 'serve', name: token, port: topology.servicePort }, 600);
  process.stdout.write(`${JSON.stringify({ prefix: namespaces.prefix, token })}\n`);
  setInterval(() => undefined, 60_000);
}

if (import.meta.main) void main();
