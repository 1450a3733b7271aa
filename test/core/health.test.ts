import { describe, expect, it } from 'vitest';
import { assessHealth } from '../../shared/core/health.js';
import type { InstanceState, StatusChecks, Verdict } from '../../shared/core/model.js';
import { node, snapshot } from '../support/snapshot.js';

const ID = 'i-0000000000000001a';

function assess(state: InstanceState, checks: StatusChecks | undefined, probe?: Verdict) {
  const statusChecks: Record<string, StatusChecks> = checks === undefined ? {} : { [ID]: checks };
  const world = { ...snapshot({ instances: [node({ id: ID, state })] }), statusChecks };
  return assessHealth(world, probe === undefined ? {} : { [ID]: probe })[ID];
}

describe('assessHealth', () => {
  it.each([
    ['stopped', 'ok', 'healthy', 'unhealthy', true, 'instance is stopped'],
    ['stopping', undefined, undefined, 'unhealthy', true, 'instance is stopping'],
    ['terminated', undefined, undefined, 'unhealthy', true, 'instance is terminated'],
    ['pending', undefined, undefined, 'unhealthy', true, 'instance is pending'],
    ['running', 'impaired', 'healthy', 'unhealthy', false, 'EC2 status checks impaired'],
    ['running', 'ok', 'unhealthy', 'unhealthy', false, 'health probes failed'],
    ['running', 'initializing', 'unhealthy', 'unhealthy', false, 'health probes failed'],
    ['running', 'initializing', 'healthy', 'unknown', false, 'EC2 status checks initializing'],
    ['running', undefined, undefined, 'unknown', false, 'EC2 status checks unknown'],
    ['running', 'ok', 'unknown', 'unknown', false, 'health probes inconclusive'],
    ['running', 'ok', 'healthy', 'healthy', false, 'running, status ok, probes ok'],
    ['running', 'ok', undefined, 'healthy', false, 'running, status ok'],
  ] as const)('state %s, checks %s, probe %s: %s (gone %s)', (state, checks, probe, verdict, gone, why) => {
    expect(assess(state, checks, probe)).toEqual({ verdict, gone, why });
  });

  it('judges every observed instance and no other', () => {
    const world = snapshot({ instances: [node({ id: ID }), node({ id: 'i-0000000000000002b', az: 'b' })] });

    const health = assessHealth(world, { 'i-00000000000000ffff': 'unhealthy' });

    expect(Object.keys(health).sort()).toEqual([ID, 'i-0000000000000002b']);
  });
});
