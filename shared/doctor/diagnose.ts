/**
 * doctor's pure core: facts in, report out. Groups come from the core's own discovery (its
 * problems are reported as it states them); every check then looks at every group.
 */
import { type DiscoveryDefaults, discover } from '../core/groups.js';
import type { Instance } from '../core/model.js';
import { sensorAccessCheck } from './checks/access.js';
import { eipCheck, vipCheck } from './checks/addresses.js';
import { quotaCheck, sourceDestCheck, ssmCheck, stateCheck, tagsCheck, vpcScopeCheck } from './checks/members.js';
import { natEgressCheck, natTablesCheck, sensorRouteCheck } from './checks/routes.js';
import { deepCheck } from './deep.js';
import { deployPlan } from './deploy-plan.js';
import type { DoctorFacts, DoctorReport, GroupReport } from './model.js';
import type { Check, Subject } from './subject.js';

/** In report order. */
const CHECK_ORDER: readonly Check[] = [tagsCheck, vpcScopeCheck, stateCheck, ssmCheck, sourceDestCheck, natTablesCheck, natEgressCheck, vipCheck, eipCheck, quotaCheck, sensorAccessCheck, sensorRouteCheck, deepCheck];

export interface DiagnoseOptions {
  /** Only this group. */
  readonly group?: string;
  /** Only groups with a member in this VPC. */
  readonly vpcId?: string;
  /** Discovery's defaults (cooldown, failback), as the deployment uses them. */
  readonly defaults: Omit<DiscoveryDefaults, 'vpcIds'>;
  /** Print the first deploy's command even when a deployment exists. */
  readonly planDeploy?: boolean;
}

/** The groups as discovery sees them, with and without the deployment's vpcIds. */
export function subjectsOf(facts: DoctorFacts, defaults: Omit<DiscoveryDefaults, 'vpcIds'>): Subject[] {
  const open = discover(facts.snapshot, defaults);
  const scoped = facts.vpcIds ? discover(facts.snapshot, { ...defaults, vpcIds: facts.vpcIds }) : open;
  const byId = new Map(facts.snapshot.instances.map((i) => [i.instanceId, i]));
  const subjects: Subject[] = [];
  for (const group of open.groups) {
    const scopedMis = scoped.misconfigured.find((m) => m.name === group.name);
    const instances = group.members.map((m) => m.instance);
    subjects.push({ name: group.name, kind: group.kind, instances, group, problems: scopedMis?.problems ?? [], scopeProblems: scopedMis?.problems ?? [], vpcId: instances[0]?.vpcId });
  }
  for (const mis of open.misconfigured) {
    const instances = mis.instanceIds.map((id) => byId.get(id)).filter((i): i is Instance => i !== undefined);
    const scopedMis = scoped.misconfigured.find((m) => m.name === mis.name);
    const scopeProblems = (scopedMis?.problems ?? []).filter((p) => !mis.problems.includes(p));
    subjects.push({ name: mis.name, ...(mis.kind ? { kind: mis.kind } : {}), instances, problems: [...mis.problems, ...scopeProblems], scopeProblems, vpcId: instances[0]?.vpcId });
  }
  return subjects.sort((a, b) => a.name.localeCompare(b.name));
}

export function diagnose(facts: DoctorFacts, options: DiagnoseOptions): DoctorReport {
  const all = subjectsOf(facts, options.defaults);
  const chosen = all.filter((s) => (options.group === undefined || s.name === options.group) && (options.vpcId === undefined || s.instances.some((i) => i.vpcId === options.vpcId)));
  const groups: GroupReport[] = chosen.map((subject) => ({
    name: subject.name,
    ...(subject.kind ? { kind: subject.kind } : {}),
    ...(subject.vpcId ? { vpcId: subject.vpcId } : {}),
    findings: CHECK_ORDER.flatMap((check) => check(subject, facts, all)),
  }));
  if (groups.length === 0) {
    const scope = [options.group && `named ${options.group}`, options.vpcId && `in ${options.vpcId}`].filter(Boolean).join(' ');
    groups.push({
      name: '(none)',
      findings: [{ check: 'tags', severity: 'blocker', detail: `no instance in ${facts.region} carries failover:group${scope ? ` ${scope}` : ''}: there is nothing to fail over`, fix: 'tag the members (README, "Tag contract"): aws ec2 create-tags --resources i-… i-… --tags Key=failover:group,Value=web Key=failover:kind,Value=vip Key=failover:vip,Value=10.0.1.100' }],
    });
  }
  const findings = groups.flatMap((g) => g.findings);
  const wantPlan = !facts.deployed || options.planDeploy === true;
  return {
    region: facts.region,
    stage: facts.stage,
    deployed: facts.deployed,
    deep: facts.deep !== undefined,
    ...(facts.sensor ? { sensor: facts.sensor } : {}),
    groups,
    blockers: findings.filter((f) => f.severity === 'blocker').length,
    warnings: findings.filter((f) => f.severity === 'warning').length,
    ...(wantPlan ? { deploy: deployPlan(chosen, facts) } : {}),
  };
}
