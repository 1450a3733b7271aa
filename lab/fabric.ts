/**
 * The lab's data plane: network namespaces wired as a VPC, kept in step with the simulated EC2.
 *
 * Each instance is a namespace with one veth per ENI (`eth<device index>`, the ENI's MAC, its
 * primary address and subnet prefix, a default route to the subnet's router address). The other
 * end of every veth sits in one "router" namespace that plays the VPC router: it answers ARP for
 * everything (proxy_arp), delivers each address only to the ENI that holds it in EC2, and routes
 * by each subnet's route table (lab/router.ts). An "internet" namespace behind it holds the echo
 * server; it has routes back to the public subnets only, so, as with an internet gateway, only
 * instances with public addresses get answers (a NAT that forwards without masquerading gets none).
 *
 * The fabric follows the world through `onChange`: an address move re-points the router's /32
 * when EC2 makes it effective, a route change re-points the table, a state change re-renders the
 * tables (routes to a stopped instance turn blackhole).
 */
import type { WorldChange } from '../sim/world.js';
import { isIpv4, isMac, parseCidr, subnetRouterIp } from '../shared/core/validate.js';
import { LabError } from './errors.js';
import type { NamespaceSet } from './netns.js';
import { type Port, type Uplink, hopOf, hostRoute, noHost, portRule, renderRouter, tableOfSubnet, tableRoute, tableRouteDeleted } from './router.js';
import type { Host, LabTopology } from './topology.js';

export const ROUTER = 'router';
export const INTERNET_NS = 'internet';

/** What the data plane did, for the timeline. */
export type FabricEvent =
  /** The VPC now delivers `ip` to this instance's ENI (or to nothing). */
  | { readonly kind: 'address'; readonly at: number; readonly ip: string; readonly instanceId: string | undefined }
  /** A route table's route now goes there. */
  | { readonly kind: 'route'; readonly at: number; readonly routeTableId: string; readonly destination: string; readonly via: string }
  | { readonly kind: 'link'; readonly at: number; readonly instanceId: string; readonly up: boolean }
  /** The instance's OS went away for a reboot (`down`), or is back up (`up`). */
  | { readonly kind: 'reboot'; readonly at: number; readonly instanceId: string; readonly phase: 'down' | 'up' }
  /** The fabric could not follow a change: the lab no longer mirrors EC2. */
  | { readonly kind: 'error'; readonly at: number; readonly message: string };

/** The first usable address of a subnet, which the VPC router answers on (x.x.x.1). */
export function routerAddress(cidr: string): string {
  const ip = subnetRouterIp(cidr);
  if (ip === undefined) throw new LabError(`bad subnet CIDR '${cidr}'`);
  return ip;
}

/** The router's MAC on port k: locally administered, never an ENI's (those start 02:00). */
const routerMac = (k: number): string => `02:fe:00:00:${Math.floor(k / 256).toString(16).padStart(2, '0')}:${(k % 256).toString(16).padStart(2, '0')}`;

interface Wire {
  readonly host: Host;
  readonly device: string;
  readonly port: Port;
  readonly prefix: number;
  readonly gateway: string;
}

export interface FabricOptions {
  readonly onEvent?: (event: FabricEvent) => void;
  readonly now?: () => number;
}

export class Fabric {
  private readonly wires: Wire[] = [];
  private readonly ports = new Map<string, Port>();
  private readonly tables = new Map<string, number>();
  private readonly uplink: Uplink;
  private readonly timers = new Set<NodeJS.Timeout>();
  private queue: Promise<void> = Promise.resolve();
  private unsubscribe: () => void = () => undefined;
  private closed = false;

  private constructor(
    readonly topology: LabTopology,
    readonly namespaces: NamespaceSet,
    private readonly options: FabricOptions,
  ) {
    checkTopology(topology);
    this.uplink = { dev: 'igw', gateway: topology.internet.internetIp };
    let k = 0;
    for (const host of topology.hosts) {
      host.enis.forEach((eni, index) => {
        const subnet = topology.world.subnet(eni.subnetId);
        const prefix = parseCidr(subnet.cidr)?.prefixLength ?? 24;
        const port: Port = { eniId: eni.networkInterfaceId, dev: `p${k}`, ip: eni.privateIp, mac: eni.macAddress };
        this.wires.push({ host, device: `eth${eni.deviceIndex ?? index}`, port, prefix, gateway: routerAddress(subnet.cidr) });
        this.ports.set(port.eniId, port);
        // Routes name a NAT gateway by its ID: they reach the gateway's ENI.
        if (host.natGatewayId !== undefined) this.ports.set(host.natGatewayId, port);
        k += 1;
      });
    }
    [...topology.world.routeTables.keys()].forEach((id, index) => this.tables.set(id, 100 + index));
  }

  private now(): number {
    return (this.options.now ?? Date.now)();
  }

  private emit(event: FabricEvent): void {
    this.options.onEvent?.(event);
  }

  /** Builds every namespace and link for the topology, then follows the world. */
  static async build(topology: LabTopology, namespaces: NamespaceSet, options: FabricOptions = {}): Promise<Fabric> {
    const fabric = new Fabric(topology, namespaces, options);
    await fabric.wire();
    fabric.unsubscribe = topology.world.onChange((change) => fabric.follow(change));
    return fabric;
  }

  /** The lab host (namespace) of an instance, if it has one. */
  hostOf(instanceId: string): Host | undefined {
    return this.topology.hosts.find((h) => h.instanceId === instanceId);
  }

  /** The real namespace name of an instance (for SSM), if it has one. */
  namespaceOf(instanceId: string): string | undefined {
    const host = this.hostOf(instanceId);
    return host ? this.namespaces.ns(host.name) : undefined;
  }

  private async wire(): Promise<void> {
    const { namespaces, topology } = this;
    const { world, internet } = topology;
    await namespaces.addNamespace(ROUTER);
    await namespaces.addNamespace(INTERNET_NS);
    for (const host of topology.hosts) await namespaces.addNamespace(host.name);

    // Before any port exists, so each inherits it: answer ARP for whatever is routed elsewhere.
    await namespaces.mustExec(ROUTER, [
      'sysctl', '-q', '-w',
      'net.ipv4.ip_forward=1',
      'net.ipv4.conf.all.rp_filter=0', 'net.ipv4.conf.default.rp_filter=0',
      'net.ipv4.conf.all.send_redirects=0', 'net.ipv4.conf.default.send_redirects=0',
      'net.ipv4.conf.default.proxy_arp=1',
    ]);
    const gateways = [...new Set(this.wires.map((w) => w.gateway))];
    await namespaces.ipBatch(ROUTER, [
      ...this.wires.map((w, k) => `link add ${w.port.dev} address ${routerMac(k)} type veth peer name ${w.device} address ${w.port.mac} netns ${namespaces.ns(w.host.name)}`),
      `link add ${this.uplink.dev} type veth peer name eth0 netns ${namespaces.ns(INTERNET_NS)}`,
      `addr add ${internet.routerIp}/30 dev ${this.uplink.dev}`,
      ...gateways.map((gw) => `addr add ${gw}/32 dev lo`),
      ...this.wires.map((w) => `link set ${w.port.dev} up`),
      `link set ${this.uplink.dev} up`,
    ]);

    // Proxy ARP replies wait up to 0.8 s by default (proxy_delay); the VPC answers at once.
    await namespaces.mustExec(ROUTER, ['sysctl', '-q', '-w', ...this.wires.map((w) => `net.ipv4.neigh.${w.port.dev}.proxy_delay=0`)]);
    for (const host of topology.hosts) await this.wireHost(host);

    const publicSubnets = [...world.subnets.values()].filter((subnet) => {
      const rtb = tableOfSubnet(world, subnet.id);
      return rtb !== undefined && world.routeTable(rtb).routes.some((r) => r.destination === '0.0.0.0/0' && hopOf(world, r, this.ports).kind === 'internet');
    });
    await namespaces.ipBatch(INTERNET_NS, [
      `addr add ${internet.internetIp}/30 dev eth0`,
      'link set eth0 up',
      ...internet.echoAddresses.map((a) => `addr add ${a}/32 dev lo`),
      ...publicSubnets.map((s) => `route add ${s.cidr} via ${internet.routerIp} dev eth0`),
    ]);

    await namespaces.ipBatch(ROUTER, [
      ...this.wires.flatMap((w, k) => {
        const rtb = tableOfSubnet(world, world.eni(w.port.eniId).subnetId);
        const table = rtb === undefined ? undefined : this.tables.get(rtb);
        return table === undefined ? [] : [portRule(w.port, table, 1000 + k)];
      }),
      ...renderRouter(world, this.ports, this.tables, this.uplink),
    ]);
  }

  /** A host's side: addresses, default route, what its OS already has up; NATs forward and masquerade. */
  private async wireHost(host: Host): Promise<void> {
    const { namespaces, topology } = this;
    await namespaces.mustExec(host.name, [
      'sysctl', '-q', '-w',
      `net.ipv4.ip_forward=${host.nat ? 1 : 0}`,
      // A NAT forwards back out of the interface it received on; a redirect would only confuse the router.
      'net.ipv4.conf.all.send_redirects=0', 'net.ipv4.conf.default.send_redirects=0',
    ]);
    const wires = this.wires.filter((w) => w.host === host);
    const os = host.instanceId === undefined ? undefined : topology.world.instance(host.instanceId).os;
    await namespaces.ipBatch(host.name, [
      ...wires.map((w) => `addr add ${w.port.ip}/${w.prefix} dev ${w.device}`),
      ...wires.flatMap((w) => [...(os?.get(w.port.mac) ?? new Map<string, number>())].filter(([ip]) => ip !== w.port.ip).map(([ip, prefix]) => `addr add ${ip}/${prefix} dev ${w.device}`)),
      ...wires.map((w) => `link set ${w.device} up`),
      ...this.defaultRoute(host),
    ]);
    if (host.nat) {
      await namespaces.nft(host.name, masqueradeRuleset(wires[0]?.device ?? 'eth0'));
    }
  }

  private defaultRoute(host: Host): string[] {
    const primary = this.wires.find((w) => w.host === host);
    return primary ? [`route replace default via ${primary.gateway} dev ${primary.device}`] : [];
  }

  /**
   * Takes every link of the instance down (its NIC gone: nothing reaches it, it reaches nothing),
   * or brings them back with its default route.
   */
  async setLinks(instanceId: string, up: boolean): Promise<void> {
    const host = this.hostOf(instanceId);
    if (!host) throw new LabError(`no namespace for ${instanceId}`);
    const wires = this.wires.filter((w) => w.host === host);
    await this.namespaces.ipBatch(host.name, [...wires.map((w) => `link set ${w.device} ${up ? 'up' : 'down'}`), ...(up ? this.defaultRoute(host) : [])]);
    this.emit({ kind: 'link', at: this.now(), instanceId, up });
  }

  /** Puts a NAT's masquerade rule back (after a fault removed it), as its AMI set it up. */
  async restoreNat(instanceId: string): Promise<void> {
    const host = this.hostOf(instanceId);
    if (!host?.nat) throw new LabError(`no NAT namespace for ${instanceId}`);
    const device = this.wires.find((w) => w.host === host)?.device ?? 'eth0';
    await this.namespaces.nft(host.name, masqueradeRuleset(device));
  }

  /**
   * Stops the instance as EC2 does: `stopping` at once (EventBridge picks the state changes up from
   * the world), its links down once the OS has shut down, then `stopped`.
   */
  async stop(instanceId: string, shutdownDelayMs: number, sleep: (ms: number) => Promise<void>): Promise<void> {
    const { world } = this.topology;
    world.setState(instanceId, 'stopping');
    await sleep(shutdownDelayMs);
    if (this.closed) return;
    await this.setLinks(instanceId, false);
    world.stop(instanceId);
  }

  /** Stops following the world; pending changes are dropped. The namespaces belong to the caller. */
  async close(): Promise<void> {
    this.closed = true;
    this.unsubscribe();
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    await this.queue;
  }

  /** Router commands run in order, one batch at a time, so a later change never lands first. */
  private enqueue(lines: readonly string[], after: () => void): void {
    this.later(async () => {
      await this.namespaces.ipBatch(ROUTER, lines);
      after();
    });
  }

  /** Runs `task` after every change already queued; a failure is reported, never thrown. */
  private later(task: () => Promise<void>): void {
    this.queue = this.queue.then(async () => {
      if (this.closed) return;
      try {
        await task();
      } catch (error) {
        this.emit({ kind: 'error', at: this.now(), message: error instanceof Error ? error.message : String(error) });
      }
    });
  }

  /**
   * A reboot as the instance sees it: its NICs go away with the OS; it comes back with only the
   * primary addresses (DHCP), so whatever was added by hand, a VIP included, is gone.
   */
  private reboot(instanceId: string, phase: 'down' | 'up'): void {
    const host = this.hostOf(instanceId);
    if (!host) return;
    this.later(async () => {
      if (phase === 'down') {
        await this.setLinks(instanceId, false);
      } else {
        const wires = this.wires.filter((w) => w.host === host);
        await this.namespaces.ipBatch(host.name, [
          ...wires.flatMap((w) => [`addr flush dev ${w.device}`, `addr add ${w.port.ip}/${w.prefix} dev ${w.device}`]),
        ]);
        await this.setLinks(instanceId, true);
      }
      this.emit({ kind: 'reboot', at: this.now(), instanceId, phase });
    });
  }

  private follow(change: WorldChange): void {
    const { world } = this.topology;
    switch (change.kind) {
      case 'secondary-ip': {
        const port = change.to === undefined ? undefined : this.ports.get(change.to);
        const apply = () => {
          const instanceId = change.to === undefined ? undefined : world.enis.get(change.to)?.attachment?.instanceId;
          this.enqueue(port ? hostRoute(change.ip, port) : noHost(change.ip), () => this.emit({ kind: 'address', at: this.now(), ip: change.ip, instanceId }));
        };
        // The remap is asynchronous in EC2: the VPC delivers to the new ENI once it is effective.
        const delay = Math.max(0, change.effectiveAt - world.now());
        if (delay === 0) {
          apply();
          return;
        }
        const timer = setTimeout(() => {
          this.timers.delete(timer);
          apply();
        }, delay);
        this.timers.add(timer);
        return;
      }
      case 'route': {
        const table = this.tables.get(change.routeTableId);
        if (table === undefined) return;
        const route = world.routeTable(change.routeTableId).routes.find((r) => r.destination === change.destination);
        const hop = route ? hopOf(world, route, this.ports) : undefined;
        const line = hop ? tableRoute(table, change.destination, hop, this.uplink) : tableRouteDeleted(table, change.destination);
        const via = hop?.kind === 'port' ? (world.enis.get(hop.port.eniId)?.attachment?.instanceId ?? hop.port.eniId) : (hop?.kind ?? 'deleted');
        this.enqueue([line], () => this.emit({ kind: 'route', at: this.now(), routeTableId: change.routeTableId, destination: change.destination, via }));
        return;
      }
      case 'reboot':
        this.reboot(change.instanceId, change.phase);
        return;
      case 'instance-state': {
        // Routes to the instance's ENIs turn blackhole (or active again) with its state.
        const lines = [...this.tables].flatMap(([rtbId, table]) => world.routeTable(rtbId).routes.map((r) => tableRoute(table, r.destination, hopOf(world, r, this.ports), this.uplink)));
        this.enqueue(lines, () => undefined);
        return;
      }
    }
  }
}

const HOST_NAME = /^[a-z][a-z0-9-]{0,20}$/;

/**
 * Every value the fabric puts in an `ip` line, checked first: an address, MAC, CIDR or name that
 * is not exactly what it claims to be would otherwise split into more arguments.
 * @throws LabError naming the value.
 */
export function checkTopology(topology: LabTopology): void {
  const bad = (what: string, value: unknown): never => {
    throw new LabError(`refusing to wire the lab: ${what} '${String(value)}'`, { context: { field: what } });
  };
  const { internet, world } = topology;
  for (const ip of [internet.routerIp, internet.internetIp, ...internet.echoAddresses]) if (!isIpv4(ip)) bad('address', ip);
  for (const subnet of world.subnets.values()) if (!parseCidr(subnet.cidr)) bad('subnet CIDR', subnet.cidr);
  for (const host of topology.hosts) {
    if (!HOST_NAME.test(host.name)) bad('host name', host.name);
    for (const eni of host.enis) {
      if (!isIpv4(eni.privateIp)) bad('address', eni.privateIp);
      if (!isMac(eni.macAddress)) bad('MAC', eni.macAddress);
    }
    const os = host.instanceId === undefined ? undefined : world.instances.get(host.instanceId)?.os;
    for (const addresses of os?.values() ?? []) for (const [ip, prefix] of addresses) if (!isIpv4(ip) || !Number.isInteger(prefix) || prefix < 1 || prefix > 32) bad('OS address', `${ip}/${prefix}`);
  }
}

/** A NAT instance's translation, as fck-nat-style AMIs set it up: masquerade what leaves `device`. */
export function masqueradeRuleset(device: string): string {
  if (!/^[a-z][a-z0-9]{0,14}$/.test(device)) throw new LabError(`bad device name '${device}'`);
  return `table ip vpcf {\n chain postrouting {\n  type nat hook postrouting priority srcnat;\n  oifname "${device}" masquerade\n }\n}`;
}
