/**
 * Address ownership: a tag on an instance is a claim, not an authority. Anyone who may tag an
 * instance can write any VIP or allocation ID into `failover:vip` / `failover:eip`, so before a
 * group is moved discovery checks that the address is the group's to move:
 *
 * - an Elastic IP is used only when it carries `failover:group=<group>` itself;
 * - a VIP or Elastic IP held by an ENI or instance outside the group is never taken (claiming an
 *   address that nobody holds stays allowed);
 * - two groups that claim one address are both refused.
 *
 * A group refused here is told to people (`notify`): it is what an attempt to take someone else's
 * address looks like.
 */
import type { AddressHolder, ElasticIp, GroupKind, Instance, Subnet, WorldSnapshot } from './model.js';
import { TAG } from './tags.js';

/** The parts of a discovered group that ownership reads (structurally, a `Group`). */
export type Claimant =
  | { readonly name: string; readonly kind: 'vip'; readonly vip: string; readonly subnet: Subnet; readonly members: readonly { readonly instance: Instance }[] }
  | { readonly name: string; readonly kind: 'eip'; readonly allocationId: string; readonly address: ElasticIp; readonly members: readonly { readonly instance: Instance }[] }
  | { readonly name: string; readonly kind: Exclude<GroupKind, 'vip' | 'eip'>; readonly members: readonly { readonly instance: Instance }[] };

/** A group refused for an address it does not own (a `MisconfiguredGroup` that must be told). */
export interface OwnershipRefusal {
  readonly name: string;
  readonly kind: GroupKind;
  readonly instanceIds: readonly string[];
  readonly problems: readonly string[];
  readonly notify: true;
}

const NEVER_TAKEN = 'an address held outside the group is never taken';

/**
 * What the group claims: a key that two groups claiming the same address share, and the address in
 * words. Route groups claim no address; their key is their own name, which no other group has.
 */
function claimOf(group: Claimant): { key: string; words: string } {
  if (group.kind === 'vip') return { key: `vip ${group.subnet.vpcId} ${group.vip}`, words: `VIP ${group.vip} in ${group.subnet.vpcId}` };
  if (group.kind === 'eip') return { key: `eip ${group.allocationId}`, words: `Elastic IP ${group.allocationId}` };
  return { key: `group ${group.name}`, words: `group ${group.name}` };
}

/** The member instances and every ENI attached to them. */
function membership(group: Claimant): { instances: ReadonlySet<string>; enis: ReadonlySet<string> } {
  const instances = new Set(group.members.map((m) => m.instance.instanceId));
  const enis = new Set(group.members.flatMap((m) => m.instance.networkInterfaces.map((eni) => eni.networkInterfaceId)));
  return { instances, enis };
}

/** An ENI in words: `eni-… (instance i-…; interface type branch; 'aws-K8S-…'; managed by AWS)`. */
function describeHolder(holder: AddressHolder, address: string): string {
  const facts = [
    holder.instanceId ? `instance ${holder.instanceId}` : 'attached to no instance',
    `interface type ${holder.interfaceType || 'unknown'}`,
    ...(holder.description ? [`'${holder.description}'`] : []),
    ...(holder.requesterManaged ? ['managed by an AWS service'] : []),
    ...(holder.privateIps.some((ip) => ip.address === address && ip.primary) ? ['its primary address'] : []),
  ];
  return `${holder.networkInterfaceId} (${facts.join('; ')})`;
}

function vipProblems(group: Extract<Claimant, { kind: 'vip' }>, world: WorldSnapshot): string[] {
  const inside = membership(group);
  return world.addressHolders
    .filter((h) => h.vpcId === group.subnet.vpcId && h.privateIps.some((ip) => ip.address === group.vip))
    .filter((h) => !inside.enis.has(h.networkInterfaceId) && !inside.instances.has(h.instanceId ?? ''))
    .map(
      (h) =>
        `VIP ${group.vip} is held by ${describeHolder(h, group.vip)}, outside ${group.name}: ${NEVER_TAKEN}; ` +
        `if ${group.name} should have it, unassign it from ${h.networkInterfaceId} first, else give ${TAG.vip} an address nobody holds`,
    );
}

function eipProblems(group: Extract<Claimant, { kind: 'eip' }>): string[] {
  const { address, name } = group;
  const which = `Elastic IP ${address.allocationId} (${address.publicIp})`;
  const problems: string[] = [];
  const owner = address.tags[TAG.group]?.trim();
  if (owner === undefined || owner === '') {
    problems.push(
      `${which} does not carry the tag ${TAG.group}=${name}: an Elastic IP is used only by the group its own tag names; ` +
        `if it belongs to ${name}, tag the address itself ${TAG.group}=${name}`,
    );
  } else if (owner !== name) {
    problems.push(
      `${which} is tagged ${TAG.group}=${owner}, not ${name}: an Elastic IP is used only by the group its own tag names; ` +
        `fix ${TAG.eip} on ${name}'s instances, or the address's ${TAG.group} tag if it really belongs to ${name}`,
    );
  }
  const association = address.association;
  if (association) {
    const inside = membership(group);
    const held = inside.enis.has(association.networkInterfaceId ?? '') || inside.instances.has(association.instanceId ?? '');
    if (!held) {
      // EC2 names the ENI for any association in a VPC; the instance and private IP when there are.
      const { networkInterfaceId: eni, instanceId: instance, privateIp } = association;
      const facts = [...(eni && instance ? [`instance ${instance}`] : []), ...(privateIp ? [`private IP ${privateIp}`] : [])];
      const holder = `${eni ?? instance ?? 'an unknown holder'}${facts.length > 0 ? ` (${facts.join('; ')})` : ''}`;
      problems.push(
        `${which} is associated with ${holder}, outside ${name}: ${NEVER_TAKEN}; ` +
          `if ${name} should have it, disassociate it first (association ${association.associationId})`,
      );
    }
  }
  return problems;
}

/**
 * Splits discovered groups into those that own what they claim and those refused for an address
 * they do not own (the other claimants named in the order given). Pure; `world.addressHolders`
 * must cover every VIP the groups claim.
 */
export function enforceOwnership<G extends Claimant>(groups: readonly G[], world: WorldSnapshot): { kept: G[]; refused: OwnershipRefusal[] } {
  const claims = new Map<string, string[]>();
  for (const group of groups) {
    const { key } = claimOf(group);
    claims.set(key, [...(claims.get(key) ?? []), group.name]);
  }
  const kept: G[] = [];
  const refused: OwnershipRefusal[] = [];
  for (const group of groups) {
    const problems = group.kind === 'vip' ? vipProblems(group, world) : group.kind === 'eip' ? eipProblems(group) : [];
    const { key, words } = claimOf(group);
    const others = claims.get(key)?.filter((n) => n !== group.name) ?? [];
    if (others.length > 0) problems.push(`${words} is also claimed by group ${others.join(', ')}: two groups never share an address; give each group its own`);
    if (problems.length === 0) kept.push(group);
    else refused.push({ name: group.name, kind: group.kind, instanceIds: group.members.map((m) => m.instance.instanceId).sort(), problems, notify: true });
  }
  return { kept, refused };
}
