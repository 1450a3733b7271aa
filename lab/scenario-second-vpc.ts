/**
 * The `vip2-silent` scenario: `vip-silent` in a second VPC. A second VIP group (`web2`) lives in a
 * VPC of its own, peered with nothing, so the main sensor (in the first VPC) cannot reach it; the
 * sensor fleet's sensor in that VPC (`sensor-v2`) probes it, as a deployment with `vpcIds` naming
 * two VPCs and a `sensorFleet` subnet in the second one does. Its holder hangs; the VIP must move
 * to web2-b, and the first VPC's group must not move at all.
 */
import { LabError } from './errors.js';
import type { Scenario } from './scenarios.js';
import { GROUPS, type VipSide } from './topology.js';
import { LABELS, type Trial } from './trial.js';

const STEADY = 10;
const SWITCH_VIP = ['AssignPrivateIpAddresses'];

const vip2Of = (t: Trial): VipSide => {
  const vip2 = t.topology.vip2;
  if (!vip2) throw new LabError('the vip2-silent scenario needs the second VPC');
  return vip2;
};
const faultAt = (t: Trial): number => t.marks.get('fault') ?? Number.POSITIVE_INFINITY;

export const SECOND_VPC_SCENARIO: Scenario = {
  name: 'vip2-silent',
  summary: "a VIP holder in a second VPC, reached only by that VPC's sensor, hangs: the VIP moves there, the first VPC's group stays",
  inDefault: false,
  groups: ['vip', 'vip2'],
  baseline: false,
  jitterMs: 4_000,
  limitMs: 30_000,
  tailMs: 2_000,
  measure: LABELS.vip2,
  describe: () => 'web2-a hangs: its links go down, EC2 says nothing',
  inject: (t) => t.hang(vip2Of(t).a.instanceId),
  settled: (t) => t.answeredBy(LABELS.vip2, 'web2-b', STEADY, faultAt(t)),
  async check(t) {
    const { a, b, vip } = vip2Of(t);
    const holder = t.world.vipHolder(vip);
    const moves = t.ec2Mutations(faultAt(t)).filter((c) => SWITCH_VIP.includes(c.operation));
    const first = t.topology.vip;
    if (holder !== b.instanceId) return { ok: false, outcome: `the second VPC's VIP is still on ${t.nameOf(holder)}, not web2-b` };
    if (!t.answeredBy(LABELS.vip2, 'web2-b', STEADY, faultAt(t))) return { ok: false, outcome: "the VIP is on web2-b in EC2, but the client does not get web2-b's answers" };
    if (moves.length !== 1) return { ok: false, outcome: `EC2 moved a VIP ${moves.length} times` };
    if (first && t.world.vipHolder(first.vip) !== first.a.instanceId) return { ok: false, outcome: `the first VPC's group ${GROUPS.vip} moved too` };
    return { ok: true, outcome: `the VIP moved from web2-a (${a.instanceId}) to web2-b (${b.instanceId}) in the second VPC, probed by its own sensor; ${GROUPS.vip} stayed` };
  },
  figures: (t) => {
    const { a } = vip2Of(t);
    const at = faultAt(t);
    return { faultAt: at, detectedAt: t.firstNote(a.instanceId, 'unhealthy', at)?.at, switchAt: t.ec2Mutations(at).find((c) => SWITCH_VIP.includes(c.operation))?.at, subject: a.instanceId };
  },
};
