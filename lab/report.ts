/** What `npm run lab` prints: a short story per trial for people, or one JSON document. */
import type { ScenarioReport, Series, TrialRecord } from './run.js';
import { seconds } from './timeline.js';

/** The settings every figure depends on, carried in the JSON document. */
export interface LabMeta {
  readonly node: string;
  readonly startedAt: string;
  readonly seed: number;
  readonly wallTimeMs: number;
  readonly settings: Readonly<Record<string, number | string>>;
}

/** One scenario: its report as the document; several: a list of them. */
export function jsonDocument(reports: readonly ScenarioReport[], meta: LabMeta): object {
  const strip = (series: Series) => ({ ...series, trials: series.trials.map(({ timeline: _timeline, ...rest }) => rest) });
  const one = (r: ScenarioReport) => ({ ...r, ...strip(r), ...(r.baseline ? { baseline: { ...r.baseline, ...strip(r.baseline) } } : {}) });
  if (reports.length === 1 && reports[0]) return { ...one(reports[0]), lab: meta };
  return { scenarios: reports.map(one), lab: meta };
}

const offset = (record: TrialRecord, at: number | null) => (at === null || record.faultAt === null ? '—' : `+${((at - record.faultAt) / 1000).toFixed(1)} s`);

function trialLine(label: string, record: TrialRecord): string {
  const outage = record.outageMs === null ? '—' : `${seconds(record.outageMs)}${record.recovered ? '' : ' (not over)'}`;
  return `${label.padEnd(28)} ${record.ok ? 'ok   ' : 'WRONG'}  outage ${outage.padEnd(16)} detected ${offset(record, record.detectedAt).padEnd(9)} switch ${offset(record, record.switchAt).padEnd(9)} ${record.outcome}`;
}

/** For people: per trial its outcome and figures, its timeline when there is one trial, then the summary. */
export function textReport(reports: readonly ScenarioReport[], wallTimeMs: number): string {
  const lines: string[] = [];
  for (const report of reports) {
    const parts: [string, Series][] = [[report.scenario, report], ...(report.baseline ? ([[`${report.scenario} vip_monitor.sh`, report.baseline]] as [string, Series][]) : [])];
    for (const [label, series] of parts) {
      for (const record of series.trials) {
        lines.push(trialLine(series.trials.length > 1 ? `${label} #${record.trial}` : label, record));
        if (series.trials.length === 1) lines.push(...record.timeline, '');
      }
    }
  }
  lines.push('', `${'scenario'.padEnd(28)} outcome  outage p50   p99`);
  for (const report of reports) {
    const row = (label: string, s: Series) => `${label.padEnd(28)} ${(s.ok ? 'ok' : 'WRONG').padEnd(8)} ${seconds(s.p50OutageMs ?? undefined).padEnd(12)} ${seconds(s.p99OutageMs ?? undefined)}`;
    lines.push(row(report.scenario, report));
    if (report.baseline) lines.push(row('  vip_monitor.sh (baseline)', report.baseline));
  }
  lines.push('', `wall time ${Math.floor(wallTimeMs / 60_000)} min ${Math.round((wallTimeMs % 60_000) / 1000)} s`);
  return lines.join('\n');
}
