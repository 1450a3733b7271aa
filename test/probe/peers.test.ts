import { describe, expect, it } from 'vitest';
import type { HostResult } from '../../shared/core/ports.js';
import { formatProbeLine } from '../../shared/probe/parse.js';
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
