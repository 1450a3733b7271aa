/** What `npm run lab` prints: the JSON contract of `--json`, and the summary people read. */
import { describe, expect, it } from 'vitest';
import { jsonDocument, textReport } from '../../lab/report.js';
import type { ScenarioReport, TrialRecord } from '../../lab/run.js';

const trial = (n: number, outageMs: number, ok = true): TrialRecord => ({
  trial: n,
  ok,
  outcome: ok ? 'the VIP moved' : 'the VIP stayed',
  faultAt: 1_000,
  detectedAt: 4_000,
  switchAt: 4_100,
  outageMs,
  recovered: true,
  phasesMs: { judgedDown: 3_000 },
  timeline: ['    +0.00 s  FAULT: web-a hangs'],
});

const report: ScenarioReport = {
  scenario: 'vip-silent',
  summary: 'the holder hangs',
  ok: true,
  trials: [trial(1, 5_000), trial(2, 6_000)],
  p50OutageMs: 5_000,
  p99OutageMs: 6_000,
  baseline: { name: 'vip_monitor.sh', ok: true, trials: [trial(1, 7_000)], p50OutageMs: 7_000, p99OutageMs: 7_000 },
};
const meta = { node: 'v24', startedAt: '2026-01-01T00:00:00.000Z', seed: 7, wallTimeMs: 60_000, settings: { assignDelayMs: 1_000 } };

describe('the JSON document', () => {
  it('is the scenario itself for one scenario: per trial the moments and the outage, p50 and p99, the baseline alongside', () => {
    const doc = jsonDocument([report], meta) as Record<string, unknown>;

    expect(doc).toMatchObject({ scenario: 'vip-silent', p50OutageMs: 5_000, p99OutageMs: 6_000, lab: meta, baseline: { name: 'vip_monitor.sh', p50OutageMs: 7_000 } });
    expect((doc['trials'] as unknown[])[0]).toEqual({ trial: 1, ok: true, outcome: 'the VIP moved', faultAt: 1_000, detectedAt: 4_000, switchAt: 4_100, outageMs: 5_000, recovered: true, phasesMs: { judgedDown: 3_000 } });
    expect(JSON.stringify(doc)).not.toContain('timeline');
  });

  it('lists the scenarios when there are several', () => {
    const doc = jsonDocument([report, { ...report, scenario: 'nat-dead', baseline: undefined }], meta) as Record<string, unknown>;

    expect((doc['scenarios'] as { scenario: string }[]).map((s) => s.scenario)).toEqual(['vip-silent', 'nat-dead']);
  });
});

describe('the text report', () => {
  it('tells one trial with its timeline, and ends with the summary and the wall time', () => {
    const text = textReport([{ ...report, trials: [trial(1, 5_000, false)], ok: false }], 125_000);

    expect(text).toContain('vip-silent                   WRONG  outage 5.0 s');
    expect(text).toContain('    +0.00 s  FAULT: web-a hangs');
    expect(text).toMatch(/vip-silent\s+WRONG\s+5\.0 s\s+6\.0 s/);
    expect(text).toMatch(/vip_monitor\.sh \(baseline\)\s+ok\s+7\.0 s/);
    expect(text).toContain('wall time 2 min 5 s');
  });
});
