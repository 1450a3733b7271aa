/**
 * Fault injection over the in-memory VPC, shared by the scenario tests, the lab and the soak
 * (`npm run soak`): each fault is plain data (a `Fault`), `FaultPlane.inject` applies it to the
 * world and returns how to take it back. What the world itself cannot hold (a killed Lambda, a lost
 * event, a throttled DynamoDB) is kept here as state that the harness's own seams consult:
 * `dynamoFault()` for the store's client, `eventFate()` for an EventBridge delivery.
 */
import { InternalServerError, ProvisionedThroughputExceededException } from '@aws-sdk/client-dynamodb';
import { rebootInstances, startInstances, stopInstances, terminateInstances } from './ec2.js';
import type { Clock } from '../shared/core/ports.js';
import type { ProbeWorld } from './probe-handler.js';
import { prng } from './prng.js';
import type { FaultHandle, VpcWorld } from './world.js';

/** EC2 calls the core makes, for the API faults. */
export const EC2_READS = ['DescribeInstances', 'DescribeInstanceStatus', 'DescribeRouteTables', 'DescribeAddresses', 'DescribeSubnets', 'DescribeNetworkInterfaces'] as const;
export const EC2_MUTATIONS = [
  'AssignPrivateIpAddresses',
  'UnassignPrivateIpAddresses',
  'AssociateAddress',
  'DisassociateAddress',
  'CreateRoute',
  'ReplaceRoute',
  'ModifyNetworkInterfaceAttribute',
  'ModifyInstanceAttribute',
  'RebootInstances',
  'StopInstances',
  'StartInstances',
  'TerminateInstances',
] as const;

/** A fault on one instance. */
export type NodeFault =
  /** The OS stops answering (network and SSM); EC2 still reports it running and ok. */
  | { readonly kind: 'node-hang' }
  /** The kernel panics: hung and its instance check impaired; it comes back as from a reboot, without the addresses added by hand. */
  | { readonly kind: 'node-crash' }
  /** Stopped (by someone else): the state-change events follow; it is started again when the fault ends. */
  | { readonly kind: 'node-stop' }
  /** Terminated: gone for good; when the fault ends the harness launches a replacement with the same tags. */
  | { readonly kind: 'node-terminate' }
  /** Rebooted by someone else: down for the world's rebootMs, back without the addresses added by hand. */
  | { readonly kind: 'node-reboot' }
  /** A NAT instance answers but forwards nothing (its egress checks fail). */
  | { readonly kind: 'nat-no-forward' }
  /** A share of the probes to (and through) the instance is lost. */
  | { readonly kind: 'link-loss'; readonly rate: number }
  /** The link goes down and up every `periodMs`. */
  | { readonly kind: 'link-flap'; readonly periodMs: number }
  /** SSM delivers to the instance `delayMs` late. */
  | { readonly kind: 'ssm-delay'; readonly delayMs: number }
  /** SSM cannot deliver to the instance (DeliveryTimedOut at the command's timeout). */
  | { readonly kind: 'ssm-undelivered' }
  /** Scripts on the instance run past their executionTimeout (ExecutionTimedOut). */
  | { readonly kind: 'ssm-timeout' };

/** A fault of a service, for a while. `rate`: the share of calls it hits. */
export type ServiceFault =
  | { readonly kind: 'ec2-throttle'; readonly rate: number }
  | { readonly kind: 'ec2-5xx'; readonly rate: number }
  | { readonly kind: 'ec2-timeout'; readonly rate: number }
  /** Describe* shows an address move `lagMs` later than usual (eventual consistency). */
  | { readonly kind: 'ec2-lag'; readonly lagMs: number }
  /** A mutation is carried out, then its answer is lost (a timeout or a 500 after the change). */
  | { readonly kind: 'ec2-lost-answer'; readonly rate: number }
  | { readonly kind: 'dynamo-throttle'; readonly rate: number }
  | { readonly kind: 'dynamo-unavailable' }
  | { readonly kind: 'event-loss'; readonly rate: number }
  | { readonly kind: 'event-duplicate'; readonly rate: number }
  /** Deliveries are late by up to `maxMs` each, so they also arrive out of order. */
  | { readonly kind: 'event-late'; readonly maxMs: number };

export type Fault = (NodeFault & { readonly instanceId: string }) | ServiceFault;
export type FaultKind = Fault['kind'];

/** How one event delivery goes: one entry per delivery with its delay (none: lost, two: duplicated). */
export type EventFate = readonly number[];

export interface FaultPlaneOptions {
  readonly world: VpcWorld;
  /** The probe handler's state (NAT forwarding); without it `nat-no-forward` only breaks the data plane. */
  readonly probes?: ProbeWorld;
  readonly clock: Clock;
}

interface Active {
  readonly fault: Fault;
  readonly random: () => number;
}

/** Applies faults to a world and keeps what its seams need to know about the ones in force. */
export class FaultPlane {
  /** Instances whose links lose a share of packets, by instance. */
  private readonly loss = new Map<string, number[]>();
  private readonly active = new Set<Active>();
  readonly world: VpcWorld;
  private readonly probes: ProbeWorld | undefined;
  private readonly clock: Clock;

  constructor(options: FaultPlaneOptions) {
    this.world = options.world;
    this.probes = options.probes;
    this.clock = options.clock;
    this.world.onScript(
      (context) => this.has('ssm-timeout', context.instanceId),
      () => ({ timedOut: true, exitCode: -1, stderr: 'killed at the executionTimeout (injected)' }),
    );
  }

  /** The share of probes to `instanceId` that are lost now (0 when its links are fine). */
  readonly linkLoss = (instanceId: string): number => {
    const rates = this.loss.get(instanceId) ?? [];
    return 1 - rates.reduce((kept, rate) => kept * (1 - rate), 1);
  };

  /** Whether a node fault of `kind` is in force on the instance. */
  has(kind: NodeFault['kind'], instanceId: string): boolean {
    return [...this.active].some(({ fault }) => fault.kind === kind && 'instanceId' in fault && fault.instanceId === instanceId);
  }

  /** The faults in force. */
  current(): Fault[] {
    return [...this.active].map(({ fault }) => fault);
  }

  /**
   * Applies `fault`; `seed` draws its own randomness (which calls it hits), so a fault hits the same
   * calls whichever other faults run beside it. Returns what ends it.
   */
  inject(fault: Fault, seed: number): () => void {
    const entry: Active = { fault, random: prng(seed) };
    this.active.add(entry);
    const undo = this.apply(fault, entry.random);
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      this.active.delete(entry);
      undo();
    };
  }

  /** The error a DynamoDB call fails with now, if one of the store's faults hits it. */
  dynamoFault(operation: string): Error | undefined {
    for (const { fault, random } of this.active) {
      if (fault.kind === 'dynamo-unavailable') return dynamoError('unavailable', operation);
      if (fault.kind === 'dynamo-throttle' && random() < fault.rate) return dynamoError('throttle', operation);
    }
    return undefined;
  }

  /** How an event emitted now is delivered, given `baseMs` (EventBridge's usual delay). */
  eventFate(baseMs: number): EventFate {
    let deliveries: number[] = [baseMs];
    for (const { fault, random } of this.active) {
      if (fault.kind === 'event-loss' && random() < fault.rate) return [];
      if (fault.kind === 'event-duplicate' && random() < fault.rate) deliveries = [...deliveries, baseMs + Math.floor(random() * 5_000)];
      if (fault.kind === 'event-late') deliveries = deliveries.map((ms) => ms + Math.floor(random() * fault.maxMs));
    }
    return deliveries;
  }

  private apply(fault: Fault, random: () => number): () => void {
    switch (fault.kind) {
      case 'node-hang':
      case 'node-crash':
      case 'node-stop':
      case 'node-terminate':
      case 'node-reboot':
        return this.node(fault);
      case 'nat-no-forward': {
        this.probes?.notForwarding.add(fault.instanceId);
        return () => void (this.has('nat-no-forward', fault.instanceId) || this.probes?.notForwarding.delete(fault.instanceId));
      }
      case 'link-loss':
        return this.addLoss(fault.instanceId, fault.rate);
      case 'link-flap':
        return this.flap(fault.instanceId, fault.periodMs);
      case 'ssm-delay': {
        const { ssmDelayMs } = this.world.impairments;
        ssmDelayMs.set(fault.instanceId, Math.max(ssmDelayMs.get(fault.instanceId) ?? 0, fault.delayMs));
        return () => void ssmDelayMs.delete(fault.instanceId);
      }
      case 'ssm-undelivered': {
        this.world.impairments.ssmUndeliverable.add(fault.instanceId);
        return () => void (this.has('ssm-undelivered', fault.instanceId) || this.world.impairments.ssmUndeliverable.delete(fault.instanceId));
      }
      case 'ssm-timeout':
        return () => undefined;
      case 'ec2-throttle':
        return this.api(EC2_ALL, 'RequestLimitExceeded', fault.rate, random);
      case 'ec2-5xx':
        return this.api(EC2_ALL, random() < 0.5 ? 'InternalError' : 'Unavailable', fault.rate, random);
      case 'ec2-timeout':
        return this.api(EC2_ALL, 'timeout', fault.rate, random);
      case 'ec2-lost-answer':
        return this.api(EC2_MUTATIONS, random() < 0.5 ? 'timeout' : 'InternalError', fault.rate, random, true);
      case 'ec2-lag': {
        const { impairments } = this.world;
        impairments.describeLagMs = Math.max(impairments.describeLagMs, fault.lagMs);
        return () => {
          impairments.describeLagMs = Math.max(0, ...this.current().map((f) => (f.kind === 'ec2-lag' ? f.lagMs : 0)));
        };
      }
      case 'dynamo-throttle':
      case 'dynamo-unavailable':
      case 'event-loss':
      case 'event-duplicate':
      case 'event-late':
        // Consulted by the harness's seams while the fault is active.
        return () => undefined;
    }
  }

  private node(fault: Extract<Fault, { instanceId: string }>): () => void {
    const { world } = this;
    const id = fault.instanceId;
    const instance = world.instances.get(id);
    if (!instance || instance.state === 'terminated') return () => undefined;
    const ids = { InstanceIds: [id] };
    // A stopped (or stopping, or pending) instance has no OS to hang or crash: a start boots a fresh one.
    if ((fault.kind === 'node-hang' || fault.kind === 'node-crash') && instance.state !== 'running') return () => undefined;
    switch (fault.kind) {
      case 'node-hang':
        world.hang(id);
        return () => {
          if (world.instances.get(id)?.state === 'running' && !this.has('node-hang', id) && !this.has('node-crash', id)) world.unhang(id);
        };
      case 'node-crash': {
        world.hang(id);
        world.impair(id, 'instance');
        // A reboot (remediation's, say) clears the crash: the OS is back and its status check passes again.
        const rebooted = world.onChange((change) => {
          if (change.kind === 'reboot' && change.instanceId === id && change.phase === 'up') world.setStatus(id, { instance: 'ok' });
        });
        return () => {
          rebooted();
          const rec = world.instances.get(id);
          if (rec?.state !== 'running' || this.has('node-crash', id)) return;
          // The kernel is back, so its reachability check passes again, even when a hang still holds
          // the OS (a hang leaves the check ok): a check left impaired would bar the member from every
          // move for good, as no later reboot clears it (seed 12008).
          if (rec.instanceCheck === 'impaired') world.setStatus(id, { instance: 'ok' });
          if (!rec.hung) return;
          // It comes back as from a reboot: only what DHCP gives it; a hang still in force holds the fresh OS.
          world.bootOs(rec);
          if (this.has('node-hang', id)) return;
          world.unhang(id);
          world.emitChange({ kind: 'reboot', instanceId: id, phase: 'up' });
        };
      }
      case 'node-stop':
        if (instance.state !== 'running' && instance.state !== 'pending') return () => undefined;
        stopInstances(world, { ...ids, Force: true });
        world.emitChange({ kind: 'instance-state', instanceId: id, from: 'running', to: 'stopping' });
        return () => {
          const start = () => {
            startInstances(world, ids);
            world.emitChange({ kind: 'instance-state', instanceId: id, from: 'stopped', to: 'pending' });
          };
          const state = world.instances.get(id)?.state;
          if (state === 'stopped') return start();
          // A fault shorter than the stop itself: the instance is started once EC2 has stopped it.
          if (state !== 'stopping') return;
          const off = world.onChange((change) => {
            if (change.kind !== 'instance-state' || change.instanceId !== id || change.to !== 'stopped') return;
            off();
            start();
          });
        };
      case 'node-terminate':
        terminateInstances(world, ids);
        world.emitChange({ kind: 'instance-state', instanceId: id, from: instance.state, to: 'shutting-down' });
        return () => undefined;
      case 'node-reboot':
        if (instance.state !== 'running') return () => undefined;
        rebootInstances(world, ids);
        return () => undefined;
      default:
        return () => undefined;
    }
  }

  private addLoss(id: string, rate: number): () => void {
    const rates = this.loss.get(id) ?? [];
    rates.push(rate);
    this.loss.set(id, rates);
    return () => {
      const index = rates.indexOf(rate);
      if (index >= 0) rates.splice(index, 1);
    };
  }

  private flap(id: string, periodMs: number): () => void {
    let on = true;
    let down: (() => void) | undefined;
    const loop = async () => {
      while (on) {
        down = this.addLoss(id, 1);
        await this.clock.sleep(periodMs);
        down();
        down = undefined;
        if (!on) return;
        await this.clock.sleep(periodMs);
      }
    };
    void loop();
    return () => {
      on = false;
      down?.();
    };
  }

  private api(operations: readonly string[], error: string, rate: number, random: () => number, applyThenFail = false): () => void {
    const handles: FaultHandle[] = operations.map((operation) =>
      this.world.faults.inject({ operation, error, match: () => random() < rate, ...(applyThenFail ? { applyThenFail } : {}) }),
    );
    return () => handles.forEach((handle) => handle.remove());
  }
}

const EC2_ALL: readonly string[] = [...EC2_READS, ...EC2_MUTATIONS];

function dynamoError(kind: 'throttle' | 'unavailable', operation: string): Error {
  const $metadata = { httpStatusCode: kind === 'throttle' ? 400 : 500, attempts: 1, totalRetryDelay: 0 };
  if (kind === 'throttle') {
    return new ProvisionedThroughputExceededException({ message: `${operation}: the level of configured provisioned throughput for the table was exceeded (injected)`, $metadata });
  }
  return new InternalServerError({ message: `${operation}: internal server error (injected)`, $metadata });
}

/** Which faults are about one instance. */
export const isNodeFault = (fault: Fault): fault is Extract<Fault, { instanceId: string }> => 'instanceId' in fault;
