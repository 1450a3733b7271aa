/**
 * VpcWorld: a stateful in-memory VPC served through real SDK v3 clients (EC2, SSM, Auto Scaling):
 * a middleware at the front of each client's stack answers every command from the world, so the
 * command classes, their inputs and the error shapes are the SDK's own. Adapters talk to it
 * exactly as they would to AWS; scenario tests change it directly (stop, hang, impair) and assert
 * on it (who holds the VIP, where a route points, which addresses the OS has up).
 *
 * Time comes from the injected clock, so with `vi.useFakeTimers()` a test controls when an
 * address move becomes visible and when an SSM invocation finishes.
 *
 * Two seams let something outside mirror or drive the world (the lab, `npm run lab`): `onChange`
 * reports address moves, route changes and instance state changes as they happen, and the
 * `ssm.executor` option runs SSM scripts for real instead of interpreting them.
 */
import {
  AssignPrivateIpAddressesCommand,
  AssociateAddressCommand,
  CreateRouteCommand,
  DeleteRouteCommand,
  DescribeAddressesCommand,
  DescribeInstanceStatusCommand,
  DescribeInstancesCommand,
  DescribeNatGatewaysCommand,
  DescribeNetworkInterfacesCommand,
  DescribeRouteTablesCommand,
  DescribeSpotInstanceRequestsCommand,
  DescribeSubnetsCommand,
  DisassociateAddressCommand,
  EC2Client,
  ModifyInstanceAttributeCommand,
  ModifyNetworkInterfaceAttributeCommand,
  RebootInstancesCommand,
  ReplaceRouteCommand,
  StartInstancesCommand,
  StopInstancesCommand,
  TerminateInstancesCommand,
  UnassignPrivateIpAddressesCommand,
} from '@aws-sdk/client-ec2';
import { AutoScalingClient, CompleteLifecycleActionCommand, TerminateInstanceInAutoScalingGroupCommand } from '@aws-sdk/client-auto-scaling';
import { DescribeInstanceInformationCommand, GetCommandInvocationCommand, ListCommandInvocationsCommand, SSMClient, SendCommandCommand } from '@aws-sdk/client-ssm';
import { completeLifecycleAction, startLifecycleAction, terminateInstanceInAutoScalingGroup } from './autoscaling.js';
import type { StartLifecycleActionOptions } from './autoscaling.js';
import type { InvocationRec, LifecycleActionRec, VpcWorldOptions } from './core.js';
import * as ec2 from './ec2.js';
import type { WorldService } from './errors.js';
import { serviceError, timeoutError } from './errors.js';
import { WorldModel } from './model.js';
import { type NatGatewayOptions, addNatGateway, describeNatGateways, setNatGatewayState } from './nat-gateways.js';
import { describeInstanceInformation } from './ssm-agents.js';
import { describeSpotInstanceRequests } from './spot.js';
import { Ec2Throttle } from './throttle.js';
import { deliverInvocation, getCommandInvocation, listCommandInvocations, sendCommand, vipScriptHandler } from './ssm.js';
import type { RegisteredHandler, ScriptHandler, ScriptMatcher } from './ssm.js';

export type { CheckStatus, VpcWorldOptions, WorldClock } from './core.js';
export type { WorldChange, WorldListener } from './changes.js';
export type { AddInstanceOptions, EniInfo, InstanceInfo, InterfaceOptions, RouteSpec, RouteTargetSpec } from './model.js';
export type { OsHandle, ScriptContext, ScriptExecutor, ScriptHandler, ScriptMatcher, ScriptOutcome } from './ssm.js';
export type { StartLifecycleActionOptions } from './autoscaling.js';
export { VpcWorldUnsupportedError, serviceError } from './errors.js';
export { vipScriptHandler } from './ssm.js';
export { EC2_DEFAULT_BUCKETS, type BucketName, type BucketSettings } from './throttle.js';

/** One request the world served (or refused). */
export interface WorldCall {
  readonly service: WorldService;
  /** The API name, e.g. `ReplaceRoute`. */
  readonly operation: string;
  readonly input: Readonly<Record<string, unknown>>;
  /** World clock (epoch ms) when it arrived. */
  readonly at: number;
  /** The error name it was rejected with, if it was. */
  error?: string;
  /** The world carried it out (even if an injected fault then failed it: a lost answer). */
  applied?: boolean;
}

/** Told of each request before and after the world serves it (`VpcWorld.onCall`). */
export type CallListener = (call: WorldCall, phase: 'before' | 'after') => void;

export interface FaultSpec {
  /** The API name, e.g. `ReplaceRoute`, `SendCommand`. */
  readonly operation: string;
  /** An AWS error code (`RequestLimitExceeded`, `InternalError`, ...) or `timeout` (an error named TimeoutError). */
  readonly error: string;
  /** How many calls fail; unlimited by default. */
  readonly times?: number;
  /** Let this many matching calls succeed first. */
  readonly after?: number;
  /** Only calls whose input matches count. */
  readonly match?: (input: Record<string, unknown>) => boolean;
  readonly message?: string;
  /** Carry the call out, then fail anyway: a response lost after the change was made. */
  readonly applyThenFail?: boolean;
}

export interface FaultHandle {
  /** How many calls this fault has failed so far. */
  readonly fired: number;
  remove(): void;
}

interface ActiveFault {
  readonly spec: FaultSpec;
  seen: number;
  fired: number;
}

/** Injected failures, checked before the world serves a call. */
export class FaultInjector {
  private faults: ActiveFault[] = [];

  inject(spec: FaultSpec): FaultHandle {
    const fault: ActiveFault = { spec, seen: 0, fired: 0 };
    this.faults.push(fault);
    return {
      get fired() {
        return fault.fired;
      },
      remove: () => {
        this.faults = this.faults.filter((candidate) => candidate !== fault);
      },
    };
  }

  clear(): void {
    this.faults = [];
  }

  /** The fault that fires for this call, if any (consuming one of its `times`). */
  take(operation: string, input: Record<string, unknown>): FaultSpec | undefined {
    for (const fault of this.faults) {
      const { spec } = fault;
      if (spec.operation !== operation || (spec.match && !spec.match(input))) continue;
      fault.seen += 1;
      if (fault.seen <= (spec.after ?? 0)) continue;
      if (fault.fired >= (spec.times ?? Number.POSITIVE_INFINITY)) continue;
      fault.fired += 1;
      return spec;
    }
    return undefined;
  }
}

/** A command the world has no handler for. Never caught as an AWS error. */
export class VpcWorldUnhandledCommandError extends Error {
  constructor(service: WorldService, operation: string) {
    super(`VpcWorld has no handler for ${service} ${operation}: add one to sim/world.ts or do not call it`);
    this.name = 'VpcWorldUnhandledCommandError';
  }
}

export interface WorldClients {
  readonly ec2: EC2Client;
  readonly ssm: SSMClient;
  readonly autoscaling: AutoScalingClient;
}

type Handler = (world: VpcWorld, input: never) => object;
interface Route {
  readonly operation: string;
  readonly handler: Handler;
}

/** Binds a handler to an operation; the command class only checks that the handler takes that command's input. */
function route<I>(_command: new (input: I) => unknown, operation: string, handler: (world: VpcWorld, input: I) => object): Route {
  return { operation, handler: handler as unknown as Handler };
}

const ROUTES: Readonly<Record<WorldService, readonly Route[]>> = {
  ec2: [
    route(DescribeInstancesCommand, 'DescribeInstances', ec2.describeInstances),
    route(DescribeInstanceStatusCommand, 'DescribeInstanceStatus', ec2.describeInstanceStatus),
    route(DescribeRouteTablesCommand, 'DescribeRouteTables', ec2.describeRouteTables),
    route(DescribeAddressesCommand, 'DescribeAddresses', ec2.describeAddresses),
    route(DescribeSubnetsCommand, 'DescribeSubnets', ec2.describeSubnets),
    route(DescribeNetworkInterfacesCommand, 'DescribeNetworkInterfaces', ec2.describeNetworkInterfaces),
    route(DescribeNatGatewaysCommand, 'DescribeNatGateways', describeNatGateways),
    route(AssignPrivateIpAddressesCommand, 'AssignPrivateIpAddresses', ec2.assignPrivateIpAddresses),
    route(UnassignPrivateIpAddressesCommand, 'UnassignPrivateIpAddresses', ec2.unassignPrivateIpAddresses),
    route(AssociateAddressCommand, 'AssociateAddress', ec2.associateAddress),
    route(DisassociateAddressCommand, 'DisassociateAddress', ec2.disassociateAddress),
    route(CreateRouteCommand, 'CreateRoute', ec2.createRoute),
    route(ReplaceRouteCommand, 'ReplaceRoute', ec2.replaceRoute),
    route(DeleteRouteCommand, 'DeleteRoute', ec2.deleteRoute),
    route(ModifyNetworkInterfaceAttributeCommand, 'ModifyNetworkInterfaceAttribute', ec2.modifyNetworkInterfaceAttribute),
    route(ModifyInstanceAttributeCommand, 'ModifyInstanceAttribute', ec2.modifyInstanceAttribute),
    route(RebootInstancesCommand, 'RebootInstances', ec2.rebootInstances),
    route(StopInstancesCommand, 'StopInstances', ec2.stopInstances),
    route(StartInstancesCommand, 'StartInstances', ec2.startInstances),
    route(TerminateInstancesCommand, 'TerminateInstances', ec2.terminateInstances),
    route(DescribeSpotInstanceRequestsCommand, 'DescribeSpotInstanceRequests', describeSpotInstanceRequests),
  ],
  ssm: [
    route(SendCommandCommand, 'SendCommand', sendCommand),
    route(GetCommandInvocationCommand, 'GetCommandInvocation', getCommandInvocation),
    route(ListCommandInvocationsCommand, 'ListCommandInvocations', listCommandInvocations),
    route(DescribeInstanceInformationCommand, 'DescribeInstanceInformation', describeInstanceInformation),
  ],
  autoscaling: [
    route(CompleteLifecycleActionCommand, 'CompleteLifecycleAction', completeLifecycleAction),
    route(TerminateInstanceInAutoScalingGroupCommand, 'TerminateInstanceInAutoScalingGroup', terminateInstanceInAutoScalingGroup),
  ],
};

const READ_ONLY = /^(Describe|Get|List)/;

/** The part of an SDK v3 client's middleware stack that `serveFrom` uses. */
export interface Servable {
  readonly middlewareStack: {
    add(
      middleware: (next: unknown, context: { readonly commandName?: string }) => (args: { readonly input: object }) => Promise<{ output: unknown; response: unknown }>,
      options: { readonly step: 'initialize'; readonly priority: 'high'; readonly name: string },
    ): void;
  };
}

/**
 * Answers every command of `client` with `serve` before the SDK serializes, signs or sends
 * anything: nothing leaves the process, and the caller still gets the SDK's output and errors.
 */
export function serveFrom(client: Servable, serve: (commandName: string, input: Record<string, unknown>) => Promise<unknown>): void {
  client.middlewareStack.add(
    (_next, context) => async (args) => ({ output: await serve(context.commandName ?? 'UnknownCommand', args.input as Record<string, unknown>), response: {} }),
    { step: 'initialize', priority: 'high', name: 'vpcWorldServe' },
  );
}

const BUILT_IN_HANDLERS: readonly RegisteredHandler[] = [{ matcher: /ip addr (replace|add|del) /, handler: vipScriptHandler }];

const DEFAULT_MESSAGES: Readonly<Record<string, string>> = {
  RequestLimitExceeded: 'Request limit exceeded.',
  InternalError: 'An internal error has occurred.',
  Unavailable: 'The server is overloaded and can not handle the request.',
  ThrottlingException: 'Rate exceeded',
  Throttling: 'Rate exceeded',
};

let successCounter = 0;

export class VpcWorld extends WorldModel {
  readonly faults = new FaultInjector();
  /** EC2's request-rate buckets (sim/throttle.ts); off until `throttle.enable()`. */
  readonly throttle = new Ec2Throttle(() => this.now());
  /** Every request, in arrival order. */
  readonly calls: WorldCall[] = [];
  /** SSM scripts that no handler recognised (their invocations failed with exit 127). */
  readonly unmatchedScripts: { readonly instanceId: string; readonly commandId: string; readonly script: string }[] = [];
  private readonly scriptHandlers: RegisteredHandler[] = [];
  private cachedClients: WorldClients | undefined;
  private readonly callListeners = new Set<CallListener>();

  constructor(options: VpcWorldOptions = {}) {
    super(options);
  }

  /** Creates a NAT gateway: zonal in `subnet`, or regional in `vpc`; available unless told otherwise. */
  addNatGateway(options: NatGatewayOptions): string {
    return addNatGateway(this, options);
  }

  /** Moves a NAT gateway to a state: `failed` or `deleted` blackholes the routes to it. */
  setNatGatewayState(id: string, state: 'pending' | 'available' | 'deleting' | 'deleted' | 'failed'): void {
    setNatGatewayState(this, id, state);
  }

  /**
   * Real SDK clients (the world's region, dummy credentials) whose `send` the world serves.
   * The same three on every call. Commands the world does not model reject with
   * VpcWorldUnhandledCommandError.
   */
  clients(): WorldClients {
    if (this.cachedClients) return this.cachedClients;
    const config = { region: this.options.region, credentials: { accessKeyId: 'AKIAVPCWORLD00000000', secretAccessKey: 'vpc-world-not-a-secret' } };
    const clients: WorldClients = { ec2: new EC2Client(config), ssm: new SSMClient(config), autoscaling: new AutoScalingClient(config) };
    // Per client instance, so several worlds (and other clients) coexist in one process.
    for (const service of ['ec2', 'ssm', 'autoscaling'] as const) {
      serveFrom(clients[service], (operation, input) => this.dispatch(service, operation, input));
    }
    this.cachedClients = clients;
    return clients;
  }

  /** Interprets SSM scripts that match; newer handlers are tried first, then the built-in VIP scripts. Returns an unregister function. */
  onScript(matcher: ScriptMatcher, handler: ScriptHandler): () => void {
    const registered: RegisteredHandler = { matcher, handler };
    this.scriptHandlers.unshift(registered);
    return () => {
      const index = this.scriptHandlers.indexOf(registered);
      if (index >= 0) this.scriptHandlers.splice(index, 1);
    };
  }

  /** Raises a lifecycle action as an ASG would; returns its token. */
  startLifecycleAction(options: StartLifecycleActionOptions): string {
    this.instance(options.instanceId);
    return startLifecycleAction(this, options);
  }

  // ---- the call log ----

  /** How many requests reached the world, for one operation or all. */
  count(operation?: string): number {
    return operation === undefined ? this.calls.length : this.calls.filter((call) => call.operation === operation).length;
  }

  /** The inputs of every call to one operation, in order. */
  inputs(operation: string): Readonly<Record<string, unknown>>[] {
    return this.calls.filter((call) => call.operation === operation).map((call) => call.input);
  }

  /** Calls that may change something (anything but Describe*, Get*, List*), whether they succeeded or not. */
  mutations(): WorldCall[] {
    return this.calls.filter((call) => !READ_ONLY.test(call.operation));
  }

  /** Forgets the call log (e.g. after a test's own setup calls). */
  clearCalls(): void {
    this.calls.length = 0;
  }

  // ---- assertions: the truth, not what a lagging Describe* shows ----

  /** The instance whose ENI holds the private address (secondary or primary), if any. */
  vipHolder(ip: string): string | undefined {
    this.settle();
    const eniId = this.secondaryHolder(ip, 'truth') ?? this.primaryOwner(ip)?.id;
    return eniId === undefined ? undefined : this.enis.get(eniId)?.attachment?.instanceId;
  }

  /** The ENI holding the private address, if any. */
  ipHolderEni(ip: string): string | undefined {
    return this.secondaryHolder(ip, 'truth') ?? this.primaryOwner(ip)?.id;
  }

  /** Where the route for `destination` points and its state, or undefined if there is none. */
  routeTarget(
    routeTableId: string,
    destination: string,
  ): { networkInterfaceId?: string; instanceId?: string; gatewayId?: string; natGatewayId?: string; state: 'active' | 'blackhole' } | undefined {
    this.settle();
    const found = this.routeTable(routeTableId).routes.find((candidate) => candidate.destination === destination);
    if (!found) return undefined;
    const state = this.routeState(found);
    const target = found.target;
    if (target.kind === 'gateway') return { gatewayId: target.gatewayId, state };
    if (target.kind === 'nat-gateway') return { natGatewayId: target.natGatewayId, state };
    const instanceId = this.enis.get(target.networkInterfaceId)?.attachment?.instanceId;
    return { networkInterfaceId: target.networkInterfaceId, ...(instanceId === undefined ? {} : { instanceId }), state };
  }

  /** Where the Elastic IP is associated, or undefined. */
  eipHolder(allocationId: string): { networkInterfaceId: string; privateIp: string; instanceId?: string } | undefined {
    this.settle();
    const association = this.eip(allocationId).association;
    if (!association) return undefined;
    const instanceId = this.enis.get(association.networkInterfaceId)?.attachment?.instanceId;
    return { networkInterfaceId: association.networkInterfaceId, privateIp: association.privateIp, ...(instanceId === undefined ? {} : { instanceId }) };
  }

  /** Every address the instance's OS has up, on any interface (`ip -4 addr`), sorted. */
  osIps(instanceId: string): string[] {
    this.settle();
    const ips = new Set<string>();
    for (const addresses of this.instance(instanceId).os.values()) for (const ip of addresses.keys()) ips.add(ip);
    return [...ips].sort();
  }

  /** The OS view per interface MAC, addresses as `ip/prefix`. */
  osView(instanceId: string): Record<string, string[]> {
    this.settle();
    const view: Record<string, string[]> = {};
    for (const [mac, addresses] of this.instance(instanceId).os) view[mac] = [...addresses.entries()].map(([ip, prefix]) => `${ip}/${prefix}`).sort();
    return view;
  }

  /** The source/destination check of the instance's primary ENI. */
  sourceDestCheck(instanceId: string): boolean {
    const primary = this.primaryEni(this.instance(instanceId).id);
    if (!primary) throw new Error(`VpcWorld.sourceDestCheck: ${instanceId} has no primary interface`);
    return primary.sourceDestCheck;
  }

  /** CONTINUE or ABANDON once completed (by a call or the heartbeat timeout), undefined while pending. */
  lifecycleResult(token: string): 'CONTINUE' | 'ABANDON' | undefined {
    return this.lifecycleAction(token).completed?.result;
  }

  lifecycleAction(token: string): Readonly<LifecycleActionRec> {
    this.settle();
    const action = this.lifecycleActions.get(token);
    if (!action) throw new Error(`VpcWorld: no lifecycle action ${token}`);
    return action;
  }

  /** Whether a probe or SSM could reach the instance: running and not hung. */
  isReachable(instanceId: string): boolean {
    return this.reachable(instanceId);
  }

  // ---- serving requests ----

  protected override deliver(invocation: InvocationRec, now: number): void {
    deliverInvocation(
      this,
      invocation,
      now,
      [...this.scriptHandlers, ...BUILT_IN_HANDLERS],
      (unmatched) => this.unmatchedScripts.push({ instanceId: unmatched.instanceId, commandId: unmatched.commandId, script: unmatched.commands.join('\n') }),
      this.options.ssm.executor,
    );
  }

  /**
   * Tells `listener` of every request: `before` it is carried out (the world as the caller found
   * it) and `after` (applied or refused), synchronously, in the caller's async context, so a
   * recorder can tell which invocation made it. Returns the unsubscribe function.
   */
  onCall(listener: CallListener): () => void {
    this.callListeners.add(listener);
    return () => void this.callListeners.delete(listener);
  }

  /**
   * Serves one command as the world's own clients do: for clients built elsewhere (one per
   * simulated execution environment, say) that put their own seam in front of the world.
   */
  serve(service: WorldService, commandName: string, input: Record<string, unknown> | undefined): Promise<unknown> {
    return this.dispatch(service, commandName, input);
  }

  private async dispatch(service: WorldService, commandName: string, rawInput: Record<string, unknown> | undefined): Promise<unknown> {
    const operation = commandName.replace(/Command$/, '');
    const served = ROUTES[service].find((candidate) => candidate.operation === operation);
    const input = structuredClone(rawInput ?? {});
    const call: WorldCall = { service, operation, input, at: this.now() };
    this.calls.push(call);
    for (const listener of this.callListeners) listener(call, 'before');
    try {
      if (!served) throw new VpcWorldUnhandledCommandError(service, operation);
      this.settle();
      const fault = this.faults.take(operation, input);
      const failure = (spec: FaultSpec): Error =>
        spec.error === 'timeout' ? timeoutError(operation) : serviceError(service, spec.error, spec.message ?? DEFAULT_MESSAGES[spec.error] ?? `${spec.error} (injected by VpcWorld)`);
      if (fault && !fault.applyThenFail) throw failure(fault);
      if (service === 'ec2' && !this.throttle.admit(operation)) throw serviceError(service, 'RequestLimitExceeded', DEFAULT_MESSAGES['RequestLimitExceeded'] ?? 'Request limit exceeded.');
      const output = served.handler(this, structuredClone(input) as never);
      call.applied = true;
      if (fault) throw failure(fault);
      successCounter += 1;
      return {
        ...structuredClone(output),
        $metadata: { httpStatusCode: 200, requestId: `00000000-0000-4000-9000-${successCounter.toString(16).padStart(12, '0')}`, attempts: 1, totalRetryDelay: 0 },
      };
    } catch (error) {
      call.error = error instanceof Error ? error.name : String(error);
      throw error;
    } finally {
      for (const listener of this.callListeners) listener(call, 'after');
    }
  }
}

export { buildEipPair, buildHaWorld, buildNatPair, buildOverlayPair, buildVipPair } from './fixtures.js';
export type { EipPair, HaFixtureOptions, HaPair, NatPair, OverlayPair, VipPair } from './fixtures.js';
