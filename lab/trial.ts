/**
 * One trial's lab: the simulated world, its namespaces, the member services, the clients, and
 * either the controller (probe schedule + EventBridge to on-event) or the classic vip_monitor.sh.
 * Scenarios drive it (faults, restores) and read it (samples, marks, EC2 calls); `close()` takes
 * it all down again, also after a failure half-way through the build.
 */
import { randomUUID } from 'node:crypto';
import { CreateTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { tableDefinition } from '../shared/aws/dynamo.js';
import type { Log } from '../shared/core/engine.js';
import type { NodeState } from '../shared/probe/verdicts.js';
import { VpcWorld, type WorldCall } from '../sim/world.js';
import { type ClientLog, startAgent, startClient } from './agents.js';
import { vipMonitor } from './baseline.js';
import { type LabClock, labClock } from './clock.js';
import { type Controller, probeSchedule, wireController } from './controller.js';
import { LabError } from './errors.js';
import { type EventBridge, eventBridge } from './events.js';
import { Fabric, INTERNET_NS } from './fabric.js';
import { NamespaceSet } from './netns.js';
import { type SensorProcess, startSensor } from './sensor.js';
import { type ScriptRun, namespaceExecutor } from './ssm-exec.js';
import type { Sample } from './stats.js';
import { Timeline } from './timeline.js';
import { type LabGroup, type LabSensor, type LabTopology, buildLabTopology } from './topology.js';

/**
 * How long a secondary address move takes to become effective (Describe* and the data plane).
 * AWS documents the remap as asynchronous and publishes no figure: this is an assumption, the
 * simulator's default, and every VIP outage below includes it once.
 */
export const ASSIGN_DELAY_MS = 1_000;
/**
 * How long a RebootInstances takes until the OS answers again. An assumption: AWS publishes no
 * figure, and a hung OS that does not shut down cleanly is hard-rebooted only after "a few
 * minutes" (the API reference), so a real fence of a hung node takes longer than here.
 */
export const REBOOT_MS = 10_000;
/** EventBridge's delivery of a state change; AWS says "near real time" and publishes no figure. */
export const EVENT_DELAY_MS = 500;
/** A client request every 100 ms; one that is not answered within this counts as failed. */
export const REQUEST_INTERVAL_MS = 100;
export const REQUEST_TIMEOUT_MS = 800;
/** Every process of the lab dies by then whatever happens (the longest scenario runs 10 minutes). */
const LIFETIME_SECONDS = 1_200;

/** What a long run (the `chaos` scenario) changes in a trial. */
export interface TrialOptions {
  /** Tags on every member, beyond the fixtures'. */
  readonly memberTags?: Readonly<Record<string, string>>;
  /** How long the lab's processes may live (default 20 minutes). */
  readonly lifetimeSeconds?: number;
  /** Wraps the controller once it is wired: a recorder sees each invocation. */
  readonly wrapController?: (controller: Controller) => Controller;
  /** Decides each event's deliveries (delays in ms) from EventBridge's usual delay: none, one, or more. */
  readonly eventFate?: (baseMs: number) => readonly number[];
}

export type Mode = 'controller' | 'baseline';

export interface TrialEnv {
  readonly dynamodb: DynamoDBClient;
  readonly random: () => number;
  readonly log: Log;
  readonly progress: (line: string) => void;
}

/** Client labels: the VIP client, and one NAT client per private subnet. */
export const LABELS = { vip: 'vip', natA: 'egress-a', natB: 'egress-b', natC: 'egress-c', vip2: 'vip2' } as const;

/** What the probe concluded about a node, and when. */
export interface ProbeNote {
  readonly at: number;
  readonly id: string;
  readonly what: 'healthy' | 'unhealthy' | 'unknown' | 'sensor-fail' | 'peers-fail' | 'forwarding-fail' | 'behind-fail';
  /** For `peers-fail`: when the SSM command that found it was sent. */
  readonly sentAt?: number;
}

let tables = 0;

export class Trial {
  readonly clock: LabClock;
  readonly timeline = new Timeline();
  readonly world: VpcWorld;
  readonly topology: LabTopology;
  readonly namespaces = new NamespaceSet();
  /** Named moments (epoch ms), the first of each: `fault`, `links-down`, `restored`, `event:<state>`, `takeover`, … */
  readonly marks = new Map<string, number>();
  /** Every EMF document the functions wrote (parsed), with when they wrote it. */
  readonly metrics: { readonly at: number; readonly doc: Readonly<Record<string, unknown>> }[] = [];
  readonly scriptRuns: ScriptRun[] = [];
  readonly nodeStates = new Map<string, NodeState>();
  /** Verdict changes, failure streaks and the peers' findings, in order. */
  readonly probeLog: ProbeNote[] = [];
  /** What broke in the lab itself (the data plane, a background task): the trial's outcome cannot count. */
  readonly labErrors: string[] = [];
  /** When the data plane took up an address move or a route change. */
  readonly vpcChanges: number[] = [];
  readonly clients = new Map<string, ClientLog>();
  fabric: Fabric | undefined;
  controller: Controller | undefined;
  /** The DynamoDB table of this trial's controller (the lease and the journal), once started. */
  tableName: string | undefined;
  private readonly lifetimeSeconds: number;
  bridge: EventBridge | undefined;
  private readonly waiters = new Set<() => void>();
  private readonly background: Promise<unknown>[] = [];

  constructor(
    readonly mode: Mode,
    groups: readonly LabGroup[],
    private readonly env: TrialEnv,
    memberTags: Readonly<Record<string, string>> = {},
    private readonly options: TrialOptions = {},
  ) {
    this.lifetimeSeconds = options.lifetimeSeconds ?? LIFETIME_SECONDS;
    this.clock = labClock(env.random);
    this.world = new VpcWorld({
      pageSize: 1000,
      assignDelayMs: ASSIGN_DELAY_MS,
      lifecycle: { rebootMs: REBOOT_MS },
      ssm: { executor: (id, script, limits) => this.executor(id, script, limits) },
    });
    this.topology = buildLabTopology(this.world, groups, { ...memberTags, ...options.memberTags });
  }

  private readonly executor = namespaceExecutor(
    (instanceId) => this.fabric?.namespaceOf(instanceId),
    (run) => {
      this.scriptRuns.push(run);
      if (run.kind === 'activate-ip' || run.kind === 'deactivate-ip') {
        this.timeline.add(run.endedAt, 'os', `SSM ${run.kind} on ${this.nameOf(run.instanceId)}: exit ${run.exitCode}`);
      }
      this.notify();
    },
  );

  /** The lab name of an instance (web-a, nat-b, …), or its ID. */
  nameOf(instanceId: string | undefined): string {
    if (instanceId === undefined) return 'nothing';
    return this.topology.hosts.find((h) => h.instanceId === instanceId)?.name ?? instanceId;
  }

  /** Records a moment once (the first time counts). */
  mark(name: string, at: number): void {
    if (!this.marks.has(name)) this.marks.set(name, at);
    this.notify();
  }

  /** Real time: the controller's clock runs past every deadline once the trial ends. */
  now(): number {
    return Date.now();
  }

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
  }

  /** Wakes `waitFor`: called whenever a sample, a mark or a script run came in. */
  notify(): void {
    for (const wake of [...this.waiters]) wake();
  }

  /** Resolves true once `condition` holds (checked at every notification), false after `timeoutMs`. */
  waitFor(condition: () => boolean, timeoutMs: number): Promise<boolean> {
    if (condition()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = (value: boolean) => {
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve(value);
      };
      const check = () => {
        if (condition()) done(true);
      };
      const timer = setTimeout(() => done(condition()), timeoutMs);
      this.waiters.add(check);
    });
  }

  /** The requests one client sent, in order. */
  samples(label: string): Sample[] {
    return this.clients.get(label)?.of(label) ?? [];
  }

  /** Whether the last `count` requests of `label` sent after `since` were all answered by `by`. */
  answeredBy(label: string, by: string, count: number, since: number): boolean {
    const recent = this.samples(label).filter((s) => s.at >= since).slice(-count);
    return recent.length === count && recent.every((s) => s.ok && s.by === by);
  }

  /** EC2 calls that may change something, from `since` on. */
  ec2Mutations(since = 0): WorldCall[] {
    return this.world.mutations().filter((c) => c.service === 'ec2' && c.at >= since);
  }

  /** The instance's link down with no event and no SSM delivery: a hang, as seen from the VPC. */
  async hang(instanceId: string): Promise<void> {
    this.world.hang(instanceId);
    await this.fabric?.setLinks(instanceId, false);
  }

  async unhang(instanceId: string): Promise<void> {
    await this.fabric?.setLinks(instanceId, true);
    this.world.unhang(instanceId);
  }

  /** The addresses the instance's OS has up (`ip -4 addr`), read from its namespace. */
  async osAddresses(instanceId: string): Promise<string[]> {
    const host = this.fabric?.hostOf(instanceId);
    if (!host) return [];
    const out = await this.namespaces.exec(host.name, ['ip', '-4', '-o', 'addr', 'show']);
    return [...out.stdout.matchAll(/ inet ([0-9.]+)\//g)].map((m) => m[1] ?? '');
  }

  /** Builds everything and starts the clients and the controller (or the monitor). */
  async start(): Promise<void> {
    const { namespaces, topology, timeline, env } = this;
    this.fabric = await Fabric.build(topology, namespaces, {
      onEvent: (event) => {
        if (event.kind === 'error') this.labErrors.push(`the data plane lost track of EC2: ${event.message}`);
        if (event.kind === 'address') {
          timeline.add(event.at, 'vpc', `VPC delivers ${event.ip} to ${this.nameOf(event.instanceId)}`);
          this.vpcChanges.push(event.at);
        }
        if (event.kind === 'route') {
          timeline.add(event.at, 'vpc', `VPC routes ${event.destination} of ${event.routeTableId} via ${this.nameOf(event.via)}`);
          this.vpcChanges.push(event.at);
        }
        if (event.kind === 'reboot' && event.phase === 'up') {
          timeline.add(event.at, 'os', `${this.nameOf(event.instanceId)}: back from the reboot, with its primary address only`);
          this.mark('rebooted', event.at);
        }
        if (event.kind === 'link') {
          timeline.add(event.at, 'vpc', `${this.nameOf(event.instanceId)}: links ${event.up ? 'up' : 'down'}`);
          if (!event.up) this.mark('links-down', event.at);
        }
        this.notify();
      },
    });
    this.world.onChange((change) => {
      const at = this.now();
      if (change.kind === 'secondary-ip') timeline.add(at, 'ec2', `EC2 assigns ${change.ip} to ${this.nameOf(this.world.enis.get(change.to ?? '')?.attachment?.instanceId)}`);
      if (change.kind === 'route') timeline.add(at, 'ec2', `EC2 ${change.routeTableId} ${change.destination} → ${change.target?.kind === 'eni' ? this.nameOf(this.world.enis.get(change.target.networkInterfaceId)?.attachment?.instanceId) : (change.target?.kind ?? 'deleted')}`);
      if (change.kind === 'instance-state') timeline.add(at, 'ec2', `EC2 ${this.nameOf(change.instanceId)} ${change.from} → ${change.to}`);
      if (change.kind === 'reboot' && change.phase === 'down') timeline.add(at, 'ec2', `EC2 reboots ${this.nameOf(change.instanceId)}`);
      this.notify();
    });
    const { echoAddresses, echoPort } = topology.internet;
    // The sensors (tsx processes) take longest to start: they come up while the services do.
    const sensors = this.mode === 'controller' ? Promise.all(topology.sensors.map(async (s) => [s, await startSensor(namespaces, s.host, this.lifetimeSeconds)] as const)) : undefined;
    sensors?.catch(() => undefined);
    const services = topology.hosts.filter((h) => h.member).map((h) => startAgent(namespaces, h.name, { role: 'serve', name: h.name, port: topology.servicePort }, this.lifetimeSeconds));
    await Promise.all([...services, startAgent(namespaces, INTERNET_NS, { role: 'echo', port: echoPort }, this.lifetimeSeconds)]);
    await this.startClients(echoAddresses[0] ?? '', echoPort);
    if (sensors) await this.startController(await sensors, echoAddresses.map((a) => `${a}:${echoPort}`));
    else this.startMonitor();
    env.progress('lab up');
  }

  private async startClients(echo: string, echoPort: number): Promise<void> {
    const { topology, namespaces } = this;
    const common = { role: 'client', intervalMs: REQUEST_INTERVAL_MS, timeoutMs: REQUEST_TIMEOUT_MS } as const;
    const natName = new Map(topology.hosts.filter((h) => h.nat).map((h) => [h.enis[0]?.privateIp ?? '', h.name]));
    const start = async (label: string, host: string, target: { host: string; port: number; send?: string }) => {
      const log = await startClient(namespaces, host, { ...common, targets: [{ label, ...target }] }, this.lifetimeSeconds, () => this.notify());
      this.clients.set(label, {
        samples: log.samples,
        // The echo server answers with the address it saw: the NAT that carried the request.
        of: (l) => log.of(l).map((s) => (s.by === undefined ? s : { ...s, by: natName.get(s.by.split(' ')[0] ?? '') ?? s.by })),
      });
    };
    const starts: Promise<void>[] = [];
    if (topology.vip) starts.push(start(LABELS.vip, 'web-client', { host: topology.vip.vip, port: topology.servicePort }));
    if (topology.vip2) starts.push(start(LABELS.vip2, 'web2-client', { host: topology.vip2.vip, port: topology.servicePort }));
    if (topology.nat) {
      const echoTarget = { host: echo, port: echoPort, send: 'ping\n' };
      starts.push(start(LABELS.natA, 'client-a', echoTarget), start(LABELS.natB, 'client-b', echoTarget), start(LABELS.natC, 'client-c', echoTarget));
    }
    await Promise.all(starts);
  }

  private async startController(sensors: readonly (readonly [LabSensor, SensorProcess])[], egress: readonly string[]): Promise<void> {
    const { env, clock, world, timeline } = this;
    const main = sensors.find(([s]) => s.main)?.[1];
    if (!main) throw new LabError('the lab has no main sensor');
    const fleet = new Map(sensors.filter(([s]) => !s.main).map(([s, p]) => [s.functionName, p]));
    // What GetFunctionConfiguration says of each sensor: the VPC and subnet of its ENI.
    const placements = new Map(sensors.map(([s]) => [s.functionName, { vpcId: world.subnet(s.eni.subnetId).vpcId, subnetIds: [s.eni.subnetId] }]));
    const tableName = `vpc-failover-lab-${process.pid}-${(tables += 1)}`;
    await env.dynamodb.send(new CreateTableCommand(tableDefinition(tableName)));
    this.tableName = tableName;
    const wired = wireController({
      world,
      dynamodb: env.dynamodb,
      tableName,
      sensor: main,
      fleet,
      placements,
      clock,
      log: env.log,
      egress,
      onMetrics: (line) => this.metrics.push({ at: this.now(), doc: JSON.parse(line) as Record<string, unknown> }),
      onNodeState: (id, before, after) => this.noteState(id, before, after),
    });
    const controller = this.options.wrapController?.(wired) ?? wired;
    this.controller = controller;
    this.bridge = eventBridge(world, (event) => controller.deliver(event), {
      delayMs: EVENT_DELAY_MS,
      ...(this.options.eventFate ? { fate: this.options.eventFate } : {}),
      clock,
      newId: randomUUID,
      onDelivered: (d) => {
        const result = d.result as { action?: string; groups?: { outcome: string }[] } | undefined;
        const outcome = d.error ?? `${result?.action ?? '?'} ${result?.groups?.map((g) => g.outcome).join(',') ?? ''}`.trim();
        timeline.add(d.sentAt, 'event', `EventBridge delivers ${d.event.detail.state} of ${this.nameOf(d.event.detail['instance-id'])} to on-event`);
        timeline.add(d.doneAt, 'decision', `on-event: ${outcome}`);
        this.mark(`event:${d.event.detail.state}`, d.sentAt);
      },
    });
    this.watch('the probe schedule', probeSchedule(controller, clock));
  }

  private noteState(id: string, before: NodeState | undefined, after: NodeState): void {
    this.nodeStates.set(id, after);
    const at = this.now();
    const name = this.nameOf(id);
    const note = (entry: ProbeNote) => this.probeLog.push(entry);
    if (after.verdict !== before?.verdict && after.verdict !== undefined) {
      this.timeline.add(at, 'probe', `probe: ${name} ${after.verdict} (${after.why})`);
      note({ at, id, what: after.verdict });
    }
    if (after.failingSince !== undefined && before?.failingSince === undefined) {
      this.timeline.add(after.failingSince, 'probe', `probe: a sensor round fails for ${name} (the round's start)`);
      note({ at: after.failingSince, id, what: 'sensor-fail' });
    }
    if (after.forwardingBad > 0 && (before?.forwardingBad ?? 0) === 0) {
      this.timeline.add(at, 'probe', `probe: ${name}'s own forwarding check fails (ip_forward off or no MASQUERADE/SNAT rule)`);
      note({ at, id, what: 'forwarding-fail' });
    }
    if (after.behind?.since !== undefined && before?.behind?.since === undefined) {
      this.timeline.add(after.behind.since, 'probe', `probe: a sensor behind ${name} does not get out (the round's start)`);
      note({ at: after.behind.since, id, what: 'behind-fail' });
    }
    if (after.peer?.verdict === 'fail' && (before?.peer?.verdict !== 'fail' || before.peer.sentAt !== after.peer.sentAt)) {
      this.timeline.add(at, 'probe', `probe: peers over SSM find ${name} down (command sent ${((at - after.peer.sentAt) / 1000).toFixed(2)} s earlier)`);
      note({ at, id, what: 'peers-fail', sentAt: after.peer.sentAt });
    }
    this.notify();
  }

  /** The first probe note about `id` of kind `what` at or after `since`. */
  firstNote(id: string, what: ProbeNote['what'], since: number): ProbeNote | undefined {
    return this.probeLog.find((n) => n.id === id && n.what === what && n.at >= since);
  }

  private startMonitor(): void {
    const vip = this.topology.vip;
    if (!vip) throw new LabError('the vip_monitor.sh baseline needs the vip group');
    const { timeline } = this;
    this.watch(
      'vip_monitor.sh',
      vipMonitor(
        {
          ec2: this.world.clients().ec2,
          namespaces: this.namespaces,
          standby: { host: 'web-b', networkInterfaceId: vip.b.networkInterfaceId, device: 'eth0' },
          holderIp: vip.a.privateIp,
          vip: vip.vip,
          prefixLength: 24,
          clock: this.clock,
        },
        (event) => {
          if (event.kind === 'heartbeat') {
            if (event.ok) this.mark('heartbeat', event.at);
            else timeline.add(event.at, 'probe', 'vip_monitor.sh: no reply to ping -c 3 -W 1');
          }
          if (event.kind === 'takeover') this.mark('takeover', event.at);
          if (event.kind === 'os-up') {
            timeline.add(event.at, 'os', `vip_monitor.sh: ip addr add on web-b: ${event.ok ? 'ok' : 'failed'}`);
            if (event.ok) this.mark('monitor-os-up', event.at);
          }
          this.notify();
        },
      ),
    );
  }

  /** Keeps a background task to wait for at the end; its failure is a lab error, reported at once. */
  private watch(what: string, work: Promise<unknown>): void {
    this.background.push(
      work.catch((error: unknown) => {
        this.labErrors.push(`${what} failed: ${error instanceof Error ? error.message : String(error)}`);
        this.env.progress(`${what} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
        this.notify();
      }),
    );
  }

  /** Ends the controller's time, waits for what runs in the background, removes every namespace and process. */
  async close(): Promise<void> {
    this.clock.end();
    this.notify();
    const failures: string[] = [];
    const settle = async (what: string, work: Promise<unknown> | undefined) => {
      await work?.catch((error: unknown) => failures.push(`${what}: ${error instanceof Error ? error.message : String(error)}`));
    };
    await settle('background', Promise.all(this.background));
    await settle('events', this.bridge?.close());
    await settle('fabric', this.fabric?.close());
    await settle('namespaces', this.namespaces.destroy());
    if (failures.length > 0) throw new LabError(`teardown: ${failures.join('; ')}`);
  }
}

