import { describe, expect, it } from 'vitest';
import type { HostResult } from '../../shared/core/ports.js';
import { forwardingResult, formatProbeLine } from '../../shared/probe/parse.js';
import { type PeerBatch, type PeerUnit, type ProbeNode, planBatches, planPeerBatches, readBatch } from '../../shared/probe/peers.js';
import { MAX_PROBE_CHECKS, MAX_SCRIPT_CHECKS, probeBlocksScript } from '../../shared/probe/script.js';

const id = (n: number) => `i-${n.toString(16).padStart(17, '0')}`;
const group = (g: number, size: number, nat = false): PeerUnit => {
  const nodes: ProbeNode[] = Array.from({ length: size }, (_, k) => ({ id: id(g * 10 + k + 1), group: `g${g}`, ip: `10.0.${g}.${k + 10}`, ports: [443], nat }));
  return { group: `g${g}`, probers: nodes, targets: nodes, egress: nat };
};
const pair = (g: number, nat = false): PeerUnit => group(g, 2, nat);
const EGRESS = [
  { kind: 'egress' as const, host: '192.0.2.1', port: 443 },
  { kind: 'egress' as const, host: '192.0.2.2', port: 443 },
];

const self = (prober: string | undefined) => formatProbeLine({ kind: 'self', ...(prober === undefined ? {} : { prober }) });
const tcp = (target: string, result: 'ok' | 'fail' | 'error') => formatProbeLine({ kind: 'check', id: target, check: 'tcp', target: '10.0.0.1', port: 443, result });
const icmp = (target: string, rttMs: number) => formatProbeLine({ kind: 'check', id: target, check: 'icmp', target: '10.0.0.1', result: 'ok', rttMs });
const egressLine = (credit: string, result: 'ok' | 'fail') => formatProbeLine({ kind: 'check', id: credit, check: 'egress', target: '192.0.2.1', port: 443, result });
const fwd = (credit: string, ipForward: '0' | '1', natRule: 'yes' | 'no' | 'unknown') =>
  formatProbeLine({ kind: 'forwarding', id: credit, result: forwardingResult(ipForward, natRule), ipForward, natRule });
const ran = (prober: string, ...lines: string[]): HostResult => ({ instanceId: prober, status: 'success', stderr: '', stdout: `${lines.join('\n')}\n` });

const only = (batches: readonly PeerBatch[]): PeerBatch => {
  expect(batches).toHaveLength(1);
  return batches[0]!;
};

describe('planPeerBatches, one group at a time', () => {
  const withPorts = (unit: PeerUnit, ports: readonly number[]): PeerUnit => {
    const nodes = unit.probers.map((n) => ({ ...n, ports }));
    return { ...unit, probers: nodes, targets: nodes };
  };
  const manyPorts = Array.from({ length: 85 }, (_, i) => 9000 + i);

  it('leaves out a group whose blocks would pass the per-host check budget, naming it and the limit, and plans the others', () => {
    const units = [pair(0), withPorts(group(1, 3), manyPorts), pair(2)];

    const { batches, dropped } = planPeerBatches(units, []);

    expect(dropped).toEqual([{ group: 'g1', reason: expect.stringContaining(`172 checks is more than ${MAX_PROBE_CHECKS}`) }]);
    expect(batches.flatMap((b) => b.probers)).toEqual([id(1), id(2), id(21), id(22)]);
    // And what is left builds: the script that refused for everyone now refuses for no one.
    for (const b of batches) expect(() => probeBlocksScript(b.blocks)).not.toThrow();
  });

  it('leaves out a group with a value no script may carry, and only that group', () => {
    const bad = pair(1);
    const units = [pair(0), { ...bad, targets: [{ ...bad.targets[0]!, ip: '10.0.1.10; reboot' }, bad.targets[1]!] }];

    const { batches, dropped } = planPeerBatches(units, []);

    expect(dropped.map((d) => d.group)).toEqual(['g1']);
    expect(dropped[0]?.reason).toContain('is not an IPv4 address');
    expect(batches.flatMap((b) => b.probers)).toEqual([id(1), id(2)]);
  });

  it('spreads a group too big for one script over several, never splitting a block', () => {
    // 5 members with 20 ports: 4 targets × 21 checks = 84 per block, 420 for the group.
    const big = withPorts(group(0, 5), Array.from({ length: 20 }, (_, i) => 8000 + i));

    const { batches, dropped } = planPeerBatches([big], []);

    expect(dropped).toEqual([]);
    expect(batches.map((b) => b.probers.length)).toEqual([3, 2]);
    for (const b of batches) {
      expect(b.blocks.reduce((n, block) => n + block.targets.length * 21, 0)).toBeLessThanOrEqual(MAX_SCRIPT_CHECKS);
      expect(() => probeBlocksScript(b.blocks)).not.toThrow();
      // Each batch still knows every member's group, to keep same-group opinions only.
      expect(b.groupOf.size).toBe(5);
    }
  });
});

describe('planBatches', () => {
  it.each([
    [1, 1],
    [10, 1],
    [25, 1],
    [26, 2],
    [200, 8],
  ])('packs %i two-node groups into %i SendCommand batches', (groups, batches) => {
    const planned = planBatches(Array.from({ length: groups }, (_, g) => pair(g)), []);

    expect(planned).toHaveLength(batches);
    expect(planned.every((b) => b.probers.length <= 50)).toBe(true);
  });

  it('gives each prober one block, addressed to its primary IP, with its own group peers only', () => {
    const batch = only(planBatches([pair(0), pair(1)], []));

    expect(batch.probers).toEqual([id(1), id(2), id(11), id(12)]);
    expect(batch.blocks.map((b) => [b.proberId, b.proberIp, b.targets.map((t) => t.id)])).toEqual([
      [id(1), '10.0.0.10', [id(2)]],
      [id(2), '10.0.0.11', [id(1)]],
      [id(11), '10.0.1.10', [id(12)]],
      [id(12), '10.0.1.11', [id(11)]],
    ]);
  });

  it('gives each prober of a three-node group its two peers', () => {
    const batch = only(planBatches([group(0, 3)], []));

    expect(batch.blocks.map((b) => b.targets.map((t) => t.id))).toEqual([[id(2), id(3)], [id(1), id(3)], [id(1), id(2)]]);
  });

  it('leaves out a prober with nothing to check (a lone target it may not probe itself)', () => {
    const [a, b] = pair(0).targets;
    const batch = only(planBatches([{ group: 'g0', probers: [a!, b!], targets: [a!], egress: false }], []));

    expect(batch.probers).toEqual([id(2)]);
  });

  it.each([
    ['egress endpoints and the forwarding check', EGRESS, true, { egress: EGRESS, forwarding: true }],
    ['egress endpoints only, forwarding switched off', EGRESS, false, { egress: EGRESS }],
    ['the forwarding check only, no endpoints', [], true, { forwarding: true }],
    ['nothing of its own, both off', [], false, {}],
  ] as const)("puts a NAT prober's own checks in its own block: %s", (_, egress, forwarding, expected) => {
    const batch = only(planBatches([pair(0, true)], egress, undefined, forwarding));

    for (const block of batch.blocks) expect({ egress: block.egress, forwarding: block.forwarding }).toEqual({ egress: undefined, forwarding: undefined, ...expected });
    expect(batch.natProbers).toEqual(Object.keys(expected).length > 0 ? [id(1), id(2)] : []);
  });

  it('gives non-NAT probers no egress or forwarding check, even in a batch with NAT groups', () => {
    const batch = only(planBatches([pair(0, true), pair(1)], EGRESS));

    expect(batch.blocks.filter((b) => b.egress !== undefined || b.forwarding !== undefined).map((b) => b.proberId)).toEqual([id(1), id(2)]);
  });

  it('counts the checks of every block against the batch budget', () => {
    // A NAT pair: 2 blocks × (1 peer × 2 checks + 2 egress + 1 forwarding) = 10 checks.
    expect(planBatches([pair(0, true), pair(1, true)], EGRESS, 20)).toHaveLength(1);
    expect(planBatches([pair(0, true), pair(1, true)], EGRESS, 19)).toHaveLength(2);
  });

  it(`keeps 25 NAT pairs with three endpoints in one batch within ${MAX_SCRIPT_CHECKS} checks, and builds its script`, () => {
    const three = [...EGRESS, { kind: 'egress' as const, host: '192.0.2.3', port: 443 }];
    const batch = only(planBatches(Array.from({ length: 25 }, (_, g) => pair(g, true)), three));

    expect(batch.probers).toHaveLength(50);
    expect(() => probeBlocksScript(batch.blocks)).not.toThrow();
  });
});

describe('readBatch', () => {
  const batch = only(planBatches([pair(0), pair(1)], []));

  it.each([
    ['its own peer failed', [self(id(1)), tcp(id(2), 'fail')], { [id(2)]: 'fail' }],
    ['its own peer answered', [self(id(1)), tcp(id(2), 'ok')], { [id(2)]: 'ok' }],
    ['it also printed a line about another group', [self(id(1)), tcp(id(2), 'ok'), tcp(id(11), 'fail')], { [id(2)]: 'ok' }],
    ['it printed a line about itself', [self(id(1)), tcp(id(1), 'fail'), tcp(id(2), 'ok')], { [id(2)]: 'ok' }],
    ['the check errored', [self(id(1)), tcp(id(2), 'error')], { [id(2)]: 'unknown' }],
    ['its output lacks the peer (cut short)', [self(id(1))], { [id(2)]: 'unknown' }],
    ['the host found no block of its own', [self(undefined), tcp(id(2), 'fail')], { [id(2)]: 'unknown' }],
    ["the host ran another prober's block", [self(id(2)), tcp(id(2), 'fail')], { [id(2)]: 'unknown' }],
    ['the output says nothing of whose block it ran', [tcp(id(2), 'fail')], { [id(2)]: 'unknown' }],
    ['the output names two blocks', [self(id(1)), self(id(2)), tcp(id(2), 'fail')], { [id(2)]: 'unknown' }],
  ] as const)('reads prober 1 when %s', (_, lines, expected) => {
    const reading = readBatch(batch, [ran(id(1), ...lines)]);

    expect(Object.fromEntries(reading.opinions)).toEqual(expected);
  });

  it('lists the probers that did not identify themselves, and only those', () => {
    const reading = readBatch(batch, [ran(id(1), self(id(1)), tcp(id(2), 'ok')), ran(id(2), self(undefined)), ran(id(11), self(id(12)))]);

    expect(reading.unidentified).toEqual([id(2), id(11)]);
  });

  it('takes no opinion from a prober whose command did not succeed, nor from an instance with no block', () => {
    const reading = readBatch(batch, [
      { instanceId: id(1), status: 'timed-out', stdout: '', stderr: '' },
      { instanceId: id(11), status: 'failed', stdout: `${self(id(11))}\n${tcp(id(12), 'fail')}\n`, stderr: '' },
      ran(id(99), self(id(99)), tcp(id(2), 'fail')),
    ]);

    expect(Object.fromEntries(reading.opinions)).toEqual({});
    expect(reading.unidentified).toEqual([]);
  });

  it("combines the probers' opinions of a target: any answer wins", () => {
    const three = only(planBatches([group(0, 3)], []));

    const reading = readBatch(three, [ran(id(1), self(id(1)), tcp(id(2), 'fail'), tcp(id(3), 'fail')), ran(id(2), self(id(2)), tcp(id(3), 'ok'))]);

    // Prober 2 said nothing of node 1, and node 3 did not run: node 1 has no evidence either way.
    expect(Object.fromEntries(reading.opinions)).toEqual({ [id(1)]: 'unknown', [id(2)]: 'fail', [id(3)]: 'ok' });
  });

  it("collects the peers' round-trip times per target", () => {
    const reading = readBatch(batch, [ran(id(1), self(id(1)), icmp(id(2), 0.4), tcp(id(2), 'ok')), ran(id(12), self(id(12)), icmp(id(11), 0.7), tcp(id(11), 'ok'))]);

    expect(Object.fromEntries(reading.rttMs)).toEqual({ [id(2)]: [0.4], [id(11)]: [0.7] });
  });
});

describe("readBatch: a NAT prober's own checks", () => {
  const batch = only(planBatches([pair(0, true), pair(1)], EGRESS));

  it.each([
    ['forwards and is set up to', [self(id(1)), egressLine(id(1), 'ok'), fwd(id(1), '1', 'yes')], 'ok', 'ok'],
    ['reaches out but does not masquerade', [self(id(1)), egressLine(id(1), 'ok'), fwd(id(1), '1', 'no')], 'ok', 'fail'],
    ['cannot reach out, ip_forward off', [self(id(1)), egressLine(id(1), 'fail'), fwd(id(1), '0', 'yes')], 'fail', 'fail'],
    ['has no tool to read its ruleset', [self(id(1)), fwd(id(1), '1', 'unknown')], 'unknown', 'unknown'],
    ['printed lines credited to another instance', [self(id(1)), egressLine(id(2), 'fail'), fwd(id(2), '0', 'no')], 'unknown', 'unknown'],
    ['did not find its own block', [self(undefined), egressLine(id(1), 'fail'), fwd(id(1), '0', 'no')], 'unknown', 'unknown'],
  ] as const)('reads egress and forwarding of a NAT prober that %s', (_, lines, egress, forwarding) => {
    const reading = readBatch(batch, [ran(id(1), ...lines)]);

    expect(reading.egress.get(id(1))).toBe(egress);
    expect(reading.forwarding.get(id(1))).toBe(forwarding);
  });

  it('reads no egress or forwarding for a non-NAT prober, whatever it printed', () => {
    const reading = readBatch(batch, [ran(id(11), self(id(11)), egressLine(id(11), 'fail'), fwd(id(11), '0', 'no'))]);

    expect(reading.egress.size + reading.forwarding.size).toBe(0);
  });

  it('reads nothing from a failed command', () => {
    const reading = readBatch(batch, [{ instanceId: id(1), status: 'failed', stdout: `${self(id(1))}\n${fwd(id(1), '0', 'no')}\n`, stderr: '' }]);

    expect(reading.forwarding.size).toBe(0);
  });
});
