/**
 * One group as doctor checks it: discovery's verdict (the group, or its problems as discovery
 * words them) and the member instances, which doctor checks even when the tags are wrong.
 */
import type { Group } from '../core/groups.js';
import type { GroupKind, Instance } from '../core/model.js';
import type { DoctorFacts, Finding } from './model.js';

export interface Subject {
  readonly name: string;
  readonly kind?: GroupKind;
  readonly instances: readonly Instance[];
  /** The group, when discovery could build it. */
  readonly group?: Group;
  /** Discovery's problems, as it states them (empty for a group it built). */
  readonly problems: readonly string[];
  /** Discovery's problems that only the deployment's vpcIds add. */
  readonly scopeProblems: readonly string[];
  readonly vpcId?: string;
}

/** A check: its findings on one group, or none where it does not apply. */
export type Check = (subject: Subject, facts: DoctorFacts, all: readonly Subject[]) => Finding[];

export const running = (subject: Subject): Instance[] => subject.instances.filter((i) => i.state === 'running');

/** The ENI traffic goes to: the group's member ENI, else the primary. */
export function memberEni(subject: Subject, instance: Instance) {
  const member = subject.group?.members.find((m) => m.instance.instanceId === instance.instanceId);
  return member?.eni ?? instance.networkInterfaces.find((e) => e.deviceIndex === 0) ?? instance.networkInterfaces[0];
}

/** The TCP ports the probe uses for a member (its failover:ports). */
export function portsOf(subject: Subject, instanceId: string): readonly number[] {
  return subject.group?.members.find((m) => m.instance.instanceId === instanceId)?.ports ?? [];
}

export const ok = (check: Finding['check'], detail: string): Finding => ({ check, severity: 'ok', detail });
