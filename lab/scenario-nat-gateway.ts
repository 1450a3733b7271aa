/**
 * The `nat-gateway` scenario: a NAT gateway tagged `failover:group=egress` (available, zonal, in
 * public subnet a) is the NAT group's last resort. A namespace plays it: the router sends a table
 * whose 0.0.0.0/0 names the gateway to the gateway's ENI, and the namespace masquerades to the
 * lab's internet as a NAT gateway does. Both NAT instances die: EC2 stops them at once, with no
 * shutdown (their links go down with the `stopping`), as a host failure does. The AZ-a client must
 * reach the echo server through the gateway (target: within 10 s), then, once nat-a is started
 * again and the cooldown has passed, through nat-a again.
 *
 * Both hung instead (links down, EC2 silent), the probe judges them `unknown` and nothing moves:
 * a node is judged down only when its peers confirm, and here every peer is down too
 * (docs/probing.md: a move waits for the sensor and EC2, or an event, never for a guess).
 *
 * The members carry `failover:cooldown=20`: the production 60 s would only add 40 s of waiting to
 * every run (the `failback` scenario already shows the 60 s default at work).
 */
import { GROUPS, type NatSide } from './topology.js';
import { LabError } from './errors.js';
import { LABELS, type Trial } from './trial.js';

/** The group's `failover:cooldown` in this scenario. */
export const NAT_GATEWAY_COOLDOWN_SECONDS = 20;
/** How long nat-a stays away after the tables moved to the gateway. */
const RESTORE_AFTER_MS = 5_000;
/** The longest wait for the gateway to carry the AZ-a client. */
const GATEWAY_LIMIT_MS = 45_000;
const STEADY = 10;
const SWITCH_ROUTE = ['ReplaceRoute', 'CreateRoute'];

const natOf = (t: Trial): NatSide & { gateway: NonNullable<NatSide['gateway']> } => {
  const nat = t.topology.nat;
  if (!nat?.gateway) throw new LabError('the nat-gateway scenario needs the nat group with its gateway');
  return { ...nat, gateway: nat.gateway };
};

const faultAt = (t: Trial): number => t.marks.get('fault') ?? Number.POSITIVE_INFINITY;
const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** When the AZ-a client was first answered through `by` after `since`. */
const firstAnsweredBy = (t: Trial, by: string, since: number): number | undefined => t.samples(LABELS.natA).find((s) => s.at >= since && s.ok && s.by === by)?.at;

async function inject(t: Trial): Promise<void> {
  const { a, b } = natOf(t);
  const fabric = t.fabric;
  if (!fabric) throw new LabError('the nat-gateway scenario needs the fabric');
  await Promise.all([a, b].map((n) => fabric.stop(n.instanceId, 0, (ms) => t.sleep(ms))));
  const onGateway = await t.waitFor(() => t.answeredBy(LABELS.natA, 'natgw', STEADY, faultAt(t)), GATEWAY_LIMIT_MS);
  if (!onGateway) return;
  await t.sleep(RESTORE_AFTER_MS);
  // Started again: running with its checks passing, its links up; the probe must judge it healthy (rise) first.
  t.world.start(a.instanceId, { status: 'ok' });
  await fabric.setLinks(a.instanceId, true);
  t.mark('restored', t.now());
  t.timeline.add(t.now(), 'fault', 'nat-a is started again: running, links up (nat-b stays stopped)');
}

async function check(t: Trial): Promise<{ ok: boolean; outcome: string }> {
  const { a, routeTables, gateway } = natOf(t);
  const at = faultAt(t);
  const toGateway = t.ec2Mutations(at).filter((c) => SWITCH_ROUTE.includes(c.operation) && c.input['NatGatewayId'] === gateway.natGatewayId && !c.error);
  const throughGateway = firstAnsweredBy(t, 'natgw', at);
  if (toGateway.length === 0 || throughGateway === undefined) {
    return { ok: false, outcome: `with both NAT instances down, ${toGateway.length} route(s) moved to ${gateway.natGatewayId} and the AZ-a client ${throughGateway === undefined ? 'never reached the echo server through it' : 'reached it'}` };
  }
  const movedAt = toGateway[0]?.at ?? at;
  const restored = t.marks.get('restored');
  if (restored === undefined) return { ok: false, outcome: 'the AZ-a client never settled on the gateway, so nat-a was not brought back' };
  const back = t.ec2Mutations(restored).filter((c) => SWITCH_ROUTE.includes(c.operation) && c.input['RouteTableId'] === routeTables.a && c.input['NetworkInterfaceId'] === a.networkInterfaceId);
  const routeA = t.world.routeTarget(routeTables.a, '0.0.0.0/0');
  if (routeA?.instanceId !== a.instanceId || back.length === 0) return { ok: false, outcome: `after nat-a came back, the AZ-a table points at ${routeA?.natGatewayId ?? t.nameOf(routeA?.instanceId)}, not nat-a` };
  const backAt = back[0]?.at ?? 0;
  const cooldown = NAT_GATEWAY_COOLDOWN_SECONDS * 1000;
  if (backAt - movedAt < cooldown) return { ok: false, outcome: `the AZ-a table left the gateway ${secs(backAt - movedAt)} after moving to it, inside the ${NAT_GATEWAY_COOLDOWN_SECONDS} s cooldown` };
  if (!t.answeredBy(LABELS.natA, 'nat-a', STEADY, restored)) return { ok: false, outcome: 'the AZ-a table points at nat-a again, but the AZ-a client does not reach the echo server through it' };
  return {
    ok: true,
    outcome:
      `both NATs down: ${toGateway.length} table(s) to ${gateway.natGatewayId}, the AZ-a client through the gateway ${secs(throughGateway - at)} after the fault (target 10 s); ` +
      `nat-a back: the AZ-a table on nat-a ${secs(backAt - movedAt)} after the move to the gateway (cooldown ${NAT_GATEWAY_COOLDOWN_SECONDS} s), the client through nat-a ${secs((firstAnsweredBy(t, 'nat-a', restored) ?? backAt) - restored)} after nat-a came back`,
  };
}

/** The parts of the lab's Scenario this one defines (lab/scenarios.ts lists it). */
export const NAT_GATEWAY_SCENARIO = {
  name: 'nat-gateway',
  summary: `both NAT instances die: the NAT gateway tagged for ${GROUPS.nat} carries the AZ-a client; back to nat-a after it recovers and the cooldown passes`,
  inDefault: true,
  groups: ['nat', 'nat-gateway'],
  memberTags: { 'failover:cooldown': String(NAT_GATEWAY_COOLDOWN_SECONDS) },
  baseline: false,
  jitterMs: 2_000,
  limitMs: 150_000,
  tailMs: 2_000,
  measure: LABELS.natA,
  describe: () => 'nat-a and nat-b are stopped by EC2 at once, no shutdown: links down with the stopping',
  inject,
  settled: (t: Trial) => {
    const restored = t.marks.get('restored');
    return restored !== undefined && t.answeredBy(LABELS.natA, 'nat-a', STEADY, restored);
  },
  check,
  figures: (t: Trial) => {
    const { a, b } = natOf(t);
    const at = faultAt(t);
    const judged = [a, b].map((n) => t.firstNote(n.instanceId, 'unhealthy', at)?.at).filter((x): x is number => x !== undefined);
    return {
      faultAt: at,
      detectedAt: judged.length > 0 ? Math.min(...judged) : undefined,
      switchAt: t.ec2Mutations(at).find((c) => SWITCH_ROUTE.includes(c.operation))?.at,
      subject: a.instanceId,
    };
  },
} as const;
