#!/usr/bin/env node
// @ts-check
/**
 * The `drill` answer for people: how it ended, what the sensor checked, and per leg the time to
 * the switch call, the time until the address answered from the new holder, and the longest gap.
 * `scripts/failover.sh drill` pipes the function's answer through this; `--json` skips it.
 * Exits 1 when the drill was refused or aborted, so a script or a scheduler can tell.
 */
import { pathToFileURL } from 'node:url';
import { columns, duration, findAnswer } from './status-table.mjs';

/**
 * @typedef {{ leg: string, from?: string, to?: string, outcome: string, switchMs?: number, answeredMs?: number, maxGapMs?: number, checks?: { answered: number, failed: number } }} Leg
 * @typedef {{ group: string, kind: string, outcome: string, summary: string, refusals: readonly string[], from?: string, to?: string, endsOn?: string, measured: string, legs: readonly Leg[], durationMs: number, journalKey?: string }} DrillReport
 */

/** @param {any} value @returns {value is DrillReport} */
export function isDrillReport(value) {
  return typeof value === 'object' && value !== null && typeof value.group === 'string' && typeof value.outcome === 'string' && Array.isArray(value.legs) && Array.isArray(value.refusals);
}

/** The drill answer in `text`: the whole text, or the last pretty-printed JSON object in it. @param {string} text */
export function findDrillReport(text) {
  return findAnswer(text, isDrillReport);
}

const ms = (/** @type {number | undefined} */ value) => (value === undefined ? '-' : duration(value));

/** @param {DrillReport} report @returns {string} */
export function formatDrill(report) {
  const out = [`drill ${report.group} (${report.kind}): ${report.outcome} in ${duration(report.durationMs)}`];
  if (report.outcome === 'refused') {
    out.push(...report.refusals.map((r) => `  refused: ${r}`));
    return `${out.join('\n')}\n`;
  }
  out.push(`  measured: ${report.measured}`);
  out.push(
    ...columns([
      ['LEG', 'FROM', 'TO', 'OUTCOME', 'SWITCH', 'ANSWERED', 'LONGEST GAP', 'CHECKS OK/FAILED'],
      ...report.legs.map((l) => [l.leg, l.from ?? '-', l.to ?? '-', l.outcome, ms(l.switchMs), ms(l.answeredMs), ms(l.maxGapMs), l.checks ? `${l.checks.answered}/${l.checks.failed}` : '-']),
    ]).map((line) => `  ${line}`),
  );
  if (report.endsOn) out.push(`  ends on: ${report.endsOn}`);
  out.push(`  ${report.summary.startsWith('aborted') ? report.summary : 'passed'}`);
  if (report.journalKey) out.push(`  journal: ${report.journalKey}`);
  return `${out.join('\n')}\n`;
}

async function main() {
  let text = '';
  for await (const chunk of process.stdin) text += chunk;
  const report = findDrillReport(text);
  if (!report) {
    process.stdout.write(text);
    process.stderr.write('failover.sh: the answer above is not a drill report (use --json to see it as it came)\n');
    process.exit(1);
  }
  process.stdout.write(formatDrill(report));
  if (report.outcome === 'refused' || report.outcome === 'aborted') process.exit(1);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
