/**
 * One read of everything doctor checks: the core's own observe (the same snapshot discovery
 * sees, with the ENIs that hold a watched VIP: doctor does not read them again), then the extra reads, in two concurrent rounds. SSM registration that cannot be read is
 * reported as such; any other failed read fails doctor with the AWS error, never a guess.
 */
import type { Instance } from '../core/model.js';
import type { CallOptions, Clock, Ec2Port, HostPort } from '../core/ports.js';
import { TAG } from '../core/tags.js';
import { isIpv4 } from '../core/validate.js';
import { deepScript, parseDeep } from './deep.js';
import { AwsCallError } from '../errors.js';
import type { DeepResult, DoctorFacts, OptionalRead, SensorPlacement } from './model.js';
import type { DoctorReadsPort } from './ports.js';

/** The stack's function names: `<service>-<stage>-<function>` (serverless.yml). */
export const functionName = (stage: string, fn: 'failover' | 'sensor') => `vpc-failover-${stage}-${fn}`;

export interface GatherInput {
  readonly region: string;
  readonly stage: string;
  readonly ec2: Ec2Port;
  readonly reads: DoctorReadsPort;
  /** Where the sensor runs, given on the command line: wins over the deployed function's. */
  readonly sensor?: Omit<SensorPlacement, 'source'>;
  /** The deployment's vpcIds, given on the command line: wins over the deployed function's. */
  readonly vpcIds?: readonly string[];
  /**
   * Inside the deployed function: it is the deployment, its config says the VPCs and the sensor's
   * name. Absent (the command line): the stage's functions are looked up by name.
   */
  readonly deployment?: { readonly vpcIds?: readonly string[]; readonly sensorFunction?: string };
  /** With --deep: SSM Run Command on the members, and the clock its deadline is set by. */
  readonly deep?: {
    readonly host: HostPort;
    readonly clock: Clock;
    readonly timeoutMs: number;
    /** Only the members of this group, or in this VPC (doctor's --group, --vpc). */
    readonly group?: string;
    readonly vpcId?: string;
  };
}

/** --deep: one command per running member, naming the other running members of its group as peers. */
async function runDeep(instances: readonly Instance[], deep: NonNullable<GatherInput['deep']>, options: CallOptions): Promise<Record<string, DeepResult>> {
  const live = instances.filter(
    (i) => i.state === 'running' && i.tags[TAG.group] !== undefined && (deep.group === undefined || i.tags[TAG.group] === deep.group) && (deep.vpcId === undefined || i.vpcId === deep.vpcId),
  );
  const deadline = deep.clock.now() + deep.timeoutMs;
  const results = await Promise.all(
    live.map(async (instance): Promise<[string, DeepResult]> => {
      const peers = live.filter((p) => p.instanceId !== instance.instanceId && p.tags[TAG.group] === instance.tags[TAG.group] && isIpv4(p.privateIp)).map((p) => p.privateIp);
      try {
        const [result] = await deep.host.run([instance.instanceId], deepScript(peers), deadline, options);
        return [instance.instanceId, result ? parseDeep(result, peers) : { status: 'no-answer', why: 'no result' }];
      } catch (error) {
        return [instance.instanceId, { status: 'no-answer', why: (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? '' }];
      }
    }),
  );
  return Object.fromEntries(results);
}

const splitIds = (raw: string | undefined) => (raw === undefined || raw.trim() === '' ? undefined : raw.split(',').map((v) => v.trim()));

async function deploymentOf(input: GatherInput, options: CallOptions): Promise<{ deployed: boolean; vpcIds?: readonly string[]; sensor?: SensorPlacement }> {
  let deployed = input.deployment !== undefined;
  let vpcIds = input.deployment?.vpcIds;
  let sensorFunction = input.deployment?.sensorFunction;
  if (!input.deployment) {
    const own = await input.reads.lambdaFunction(functionName(input.stage, 'failover'), options);
    deployed = own.found;
    if (own.found) {
      vpcIds = splitIds(own.environment['VPCF_VPC_IDS']);
      sensorFunction = own.environment['VPCF_SENSOR_FUNCTION'] ?? functionName(input.stage, 'sensor');
    }
  }
  let sensor: SensorPlacement | undefined;
  if (input.sensor) sensor = { ...input.sensor, source: 'given' };
  else if (sensorFunction !== undefined) {
    const fn = await input.reads.lambdaFunction(sensorFunction, options);
    if (fn.found && fn.subnetIds.length > 0) sensor = { subnetIds: fn.subnetIds, securityGroupIds: fn.securityGroupIds, source: 'deployed' };
  }
  const chosenVpcs = input.vpcIds ?? vpcIds;
  return { deployed, ...(chosenVpcs ? { vpcIds: chosenVpcs } : {}), ...(sensor ? { sensor } : {}) };
}

export async function gatherFacts(input: GatherInput, options: CallOptions = {}): Promise<DoctorFacts> {
  const { reads } = input;
  const [snapshot, instances, deployment] = await Promise.all([input.ec2.observe(options), reads.instances(options), deploymentOf(input, options)]);
  const memberVpcs = [...new Set(snapshot.instances.map((i) => i.vpcId).filter((v) => v !== ''))];
  const sensorSubnetIds = deployment.sensor?.subnetIds ?? [];
  const firstSubnets = await reads.subnets({ vpcIds: memberVpcs, subnetIds: sensorSubnetIds }, options);
  const vpcs = [...new Set([...memberVpcs, ...firstSubnets.filter((s) => sensorSubnetIds.includes(s.subnetId)).map((s) => s.vpcId)])];
  const extraVpcs = vpcs.filter((v) => !memberVpcs.includes(v));
  const sgIds = [...new Set([...Object.values(instances).flatMap((i) => Object.values(i.eniSecurityGroups).flat()), ...(deployment.sensor?.securityGroupIds ?? [])])];
  const running = snapshot.instances.filter((i) => i.state === 'running').map((i) => i.instanceId);
  const unread: Partial<Record<OptionalRead, string>> = {};
  /** A read whose failure leaves its checks at "not read" (an AWS error only: a bug still throws). */
  const optional = <T>(name: OptionalRead, read: Promise<T>, empty: T): Promise<T> =>
    read.catch((error: unknown) => {
      if (!(error instanceof AwsCallError)) throw error;
      unread[name] = error.message.split('\n')[0] ?? '';
      return empty;
    });
  const [routeTables, networkAcls, securityGroups, ipv4PerInterface, moreSubnets, ssm] = await Promise.all([
    reads.routeTables(vpcs, options),
    optional('networkAcls', reads.networkAcls(vpcs, options), []),
    optional('securityGroups', reads.securityGroups(sgIds, options), []),
    optional('instanceTypes', reads.ipv4PerInterface([...new Set(Object.values(instances).map((i) => i.instanceType))], options), {}),
    extraVpcs.length > 0 ? reads.subnets({ vpcIds: extraVpcs, subnetIds: [] }, options) : Promise.resolve([]),
    reads.pingStatus(running, options).then(
      (pingStatus) => ({ ok: true as const, pingStatus }),
      (error: unknown) => ({ ok: false as const, error: (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? '' }),
    ),
  ]);
  const subnets = new Map([...firstSubnets, ...moreSubnets].map((s) => [s.subnetId, s]));
  return {
    region: input.region,
    stage: input.stage,
    snapshot,
    instances,
    ssm,
    securityGroups,
    networkAcls,
    routeTables,
    subnets: [...subnets.values()],
    ipv4PerInterface,
    deployed: deployment.deployed,
    ...(deployment.vpcIds ? { vpcIds: deployment.vpcIds } : {}),
    ...(deployment.sensor ? { sensor: deployment.sensor } : {}),
    ...(Object.keys(unread).length > 0 ? { unread } : {}),
    ...(input.deep ? { deep: await runDeep(snapshot.instances, input.deep, options) } : {}),
  };
}
