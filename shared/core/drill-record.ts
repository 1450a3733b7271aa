/** How a drill is recorded and told: its journal entry, its notice, and its figures in words. */
import type { GroupKind } from './model.js';
import { MAX_SUBJECT } from './notice.js';
import type { DrillLeg, JournalEntry, Notice } from './ports.js';

export interface DrillReport {
  readonly group: string;
  readonly kind: GroupKind | 'unknown';
  /** `refused`: preflight said no, nothing moved. `done`: out and back. `stayed`: out, left there on request. `aborted`: a leg failed (see `summary`). */
  readonly outcome: 'refused' | 'done' | 'stayed' | 'aborted';
  readonly summary: string;
  /** Every reason preflight refused for. */
  readonly refusals: readonly string[];
  readonly from?: string;
  readonly to?: string;
  /** Where the group is when the drill ends. */
  readonly endsOn?: string;
  /** What the sensor checked, or why nothing. */
  readonly measured: string;
  readonly legs: readonly DrillLeg[];
  readonly durationMs: number;
  readonly journalKey?: string;
}

const secs = (ms: number | undefined): string => (ms === undefined ? '—' : `${(ms / 1000).toFixed(1)} s`);

/** One leg in words: `out i-a → i-b: switch 0.4 s, answered 1.2 s, longest gap 0.8 s`. */
export function legText(leg: DrillLeg): string {
  const figures = [`switch ${secs(leg.switchMs)}`, `answered ${secs(leg.answeredMs)}`, `longest gap ${secs(leg.maxGapMs)}`];
  return `${leg.leg} ${leg.from ?? '?'} → ${leg.to ?? '?'} (${leg.outcome}): ${figures.join(', ')}`;
}

/** The drill's outage: the longest gap any leg saw. */
export const drillOutageMs = (legs: readonly DrillLeg[]): number | undefined => {
  const gaps = legs.flatMap((l) => (l.maxGapMs === undefined ? [] : [l.maxGapMs]));
  return gaps.length === 0 ? undefined : Math.max(...gaps);
};

export function drillSummary(outcome: 'done' | 'stayed', from: string, to: string | undefined, legs: readonly DrillLeg[]): string {
  const where = outcome === 'done' ? `moved ${from} → ${to ?? '?'} and back` : `moved ${from} → ${to ?? '?'} and stayed there`;
  return `${where}; ${legs.map(legText).join('; ')}`;
}

export function drillEntry(report: DrillReport, at: number): JournalEntry {
  return {
    group: report.group,
    at,
    trigger: 'manual',
    kind: 'drill',
    reason: report.summary,
    ...(report.from ? { from: report.from } : {}),
    ...(report.to ? { to: report.to } : {}),
    actions: report.legs.map(legText),
    outcome: report.outcome === 'done' || report.outcome === 'stayed' ? 'applied' : 'failed',
    durationMs: report.durationMs,
    legs: report.legs,
  };
}

export function drillNotice(report: DrillReport, prefix: string): Notice {
  const outage = drillOutageMs(report.legs);
  const what = report.outcome === 'refused' ? 'drill refused' : `drill ${report.outcome}${outage === undefined ? '' : `, longest gap ${secs(outage)}`}`;
  const subject = `${prefix}: ${report.group} ${what}`.replace(/[\r\n\t]+/g, ' ');
  return {
    subject: subject.length <= MAX_SUBJECT ? subject : `${subject.slice(0, MAX_SUBJECT - 1)}…`,
    message: [
      `Group: ${report.group} (${report.kind})`,
      `Drill: ${report.outcome}, in ${secs(report.durationMs)}`,
      ...(report.from ? [`From: ${report.from}`] : []),
      ...(report.to ? [`To: ${report.to}`] : []),
      ...(report.endsOn ? [`Ends on: ${report.endsOn}`] : []),
      `Measured: ${report.measured}`,
      ...report.legs.map((l) => `Leg: ${legText(l)}`),
      ...report.refusals.map((r) => `Refused: ${r}`),
      `Summary: ${report.summary}`,
      ...(report.journalKey ? [`Journal: ${report.journalKey}`] : []),
    ].join('\n'),
    group: report.group,
    kind: report.kind,
    outcome: `drill-${report.outcome}`,
    trigger: 'manual',
  };
}
