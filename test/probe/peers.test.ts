import { describe, expect, it } from 'vitest';
import type { HostResult } from '../../shared/core/ports.js';
import { forwardingResult, formatProbeLine } from '../../shared/probe/parse.js';
import { type PeerUnit, planBatches, readBatch } from '../../shared/probe/peers.js';

const id = (n: number) => `i-${n.toString(16).padStart(17, '0')}`;
const pair = (g: number, nat = false): PeerUnit => {
  const nodes = [0, 1].map((k) => ({ id: id(g * 2 + k + 1), group: `g${g}`, ip: `10.0.${g}.${k + 10}`, ports: [443], nat }));
  return { group: `g${g}`, probers: nodes.map((n) => n.id), targets: nodes, egress: nat };
};

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

  it('puts the egress endpoints on one target per batch', () => {
    const [batch] = planBatches([pair(0, true), pair(1, true)], [{ kind: 'egress', host: '192.0.2.1', port: 443 }]);
    expect(batch?.targets.filter((t) => t.egress !== undefined)).toHaveLength(1);
    expect(batch?.natProbers).toHaveLength(4);
  });
});

describe('readBatch', () => {
  const [batch] = planBatches([pair(0), pair(1)], []);
  const out = (prober: string, lines: { id: string; result: 'ok' | 'fail' | 'error' }[]): HostResult => ({
    instanceId: prober,
    status: 'success',
    stderr: '',
    stdout: lines.map((l) => formatProbeLine({ kind: 'check', id: l.id, check: 'tcp', target: '10.0.0.1', port: 443, result: l.result })).join('\n'),
  });

  it('counts only same-group peers, never a node about itself', () => {
    const reading = readBatch(batch!, [
      out(id(1), [{ id: id(1), result: 'fail' }, { id: id(2), result: 'fail' }, { id: id(3), result: 'fail' }]),
    ]);
    expect(Object.fromEntries(reading.opinions)).toEqual({ [id(2)]: 'fail' });
  });

  it('takes no opinion from a prober whose command did not succeed or whose output lacks the target', () => {
    const reading = readBatch(batch!, [
      { instanceId: id(1), status: 'timed-out', stdout: '', stderr: '' },
      out(id(2), []),
    ]);
    expect(Object.fromEntries(reading.opinions)).toEqual({ [id(1)]: 'unknown' });
  });
});

describe('the NAT forwarding-configuration check', () => {
  const fwd = (ipForward: '0' | '1', natRule: 'yes' | 'no' | 'unknown', credit: string) =>
    formatProbeLine({ kind: 'forwarding', id: credit, result: forwardingResult(ipForward, natRule), ipForward, natRule });
  const ran = (prober: string, ...lines: string[]): HostResult => ({ instanceId: prober, status: 'success', stderr: '', stdout: `${lines.join('\n')}\n` });

  it('rides on one target per batch when NAT groups sweep, even with no egress endpoints', () => {
    const [batch] = planBatches([pair(0, true), pair(1, true)], []);

    expect(batch?.targets.filter((t) => t.forwarding === true).map((t) => t.id)).toEqual([id(1)]);
    expect(batch?.forwardingCredit).toBe(id(1));
    expect(batch?.natProbers).toEqual([id(1), id(2), id(3), id(4)]);
    expect(batch?.egressCredit).toBeUndefined();
  });

  it('is left out of batches without a NAT group, and when switched off', () => {
    const [plain] = planBatches([pair(0)], []);
    const [off] = planBatches([pair(0, true)], [], undefined, false);

    expect(plain?.targets.some((t) => t.forwarding !== undefined)).toBe(false);
    expect(plain?.forwardingCredit).toBeUndefined();
    expect(off?.targets.some((t) => t.forwarding !== undefined)).toBe(false);
    expect(off?.forwardingCredit).toBeUndefined();
  });

  it('counts against the check budget of a batch', () => {
    // Two NAT pairs are 2 × (2 targets × 2 checks) = 8 checks, plus 1 for the forwarding check.
    expect(planBatches([pair(0, true), pair(1, true)], [], 9)).toHaveLength(1);
    expect(planBatches([pair(0, true), pair(1, true)], [], 8)).toHaveLength(2);
  });

  it("credits each NAT prober with its own line, and ignores non-NAT probers' lines", () => {
    const [batch] = planBatches([pair(0, true), pair(1)], []);
    const credit = batch!.forwardingCredit!;

    const reading = readBatch(batch!, [
      ran(id(1), fwd('1', 'yes', credit)),
      ran(id(2), fwd('1', 'no', credit)),
      ran(id(3), fwd('0', 'no', credit)),
    ]);

    expect(Object.fromEntries(reading.forwarding)).toEqual({ [id(1)]: 'ok', [id(2)]: 'fail' });
  });

  it('reads no line, a line for another id, a tool that could not tell, or a failed command as unknown', () => {
    const [batch] = planBatches([pair(0, true), pair(1, true)], []);
    const credit = batch!.forwardingCredit!;

    const reading = readBatch(batch!, [
      ran(id(1)),
      ran(id(2), fwd('0', 'no', id(9))),
      ran(id(3), fwd('1', 'unknown', credit)),
      { instanceId: id(4), status: 'failed', stdout: fwd('0', 'no', credit), stderr: '' },
    ]);

    expect(Object.fromEntries(reading.forwarding)).toEqual({ [id(1)]: 'unknown', [id(2)]: 'unknown', [id(3)]: 'unknown' });
  });
});
