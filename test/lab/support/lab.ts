/** Helpers for the lab's namespace specs: a fabric over a fresh simulated VPC, and one-shot requests through it. */
import { Fabric, type FabricEvent, INTERNET_NS } from '../../../lab/fabric.js';
import { startAgent } from '../../../lab/agents.js';
import { type NamespaceSet, runWithInput } from '../../../lab/netns.js';
import { type LabGroup, type LabTopology, buildLabTopology } from '../../../lab/topology.js';
import { type VpcWorldOptions, VpcWorld } from '../../../sim/world.js';

export interface FabricLab {
  readonly world: VpcWorld;
  readonly topology: LabTopology;
  readonly fabric: Fabric;
  readonly events: FabricEvent[];
}

/** Builds the groups' VPC in `namespaces`, with every member's service and the echo server running. */
export async function buildFabric(namespaces: NamespaceSet, groups: readonly LabGroup[], options: VpcWorldOptions = {}): Promise<FabricLab> {
  const world = new VpcWorld({ pageSize: 1000, ...options });
  const topology = buildLabTopology(world, groups);
  const events: FabricEvent[] = [];
  const fabric = await Fabric.build(topology, namespaces, { onEvent: (event) => events.push(event) });
  const services = topology.hosts.filter((h) => h.member).map((h) => startAgent(namespaces, h.name, { role: 'serve', name: h.name, port: topology.servicePort }, 120));
  await Promise.all([...services, startAgent(namespaces, INTERNET_NS, { role: 'echo', port: topology.internet.echoPort }, 120)]);
  return { world, topology, fabric, events };
}

/** One TCP request from a namespace: the first line of the answer, or undefined when none came within a second. */
export async function ask(namespaces: NamespaceSet, from: string, ip: string, port: number, send = ''): Promise<string | undefined> {
  const result = await runWithInput('ip', ['netns', 'exec', namespaces.ns(from), 'nc', '-w', '1', ip, String(port)], send, 5_000);
  const line = result.stdout.split('\n')[0]?.trim() ?? '';
  return line === '' ? undefined : line;
}

/** Resolves once `events` holds one that matches, or rejects after `timeoutMs`. */
export async function eventually<T>(find: () => T | undefined, timeoutMs = 5_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const found = find();
    if (found !== undefined) return found;
    if (Date.now() > until) throw new Error(`not seen within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
