#!/usr/bin/env node
// @ts-check
/**
 * The `status` answer as a table for people: per group its kind, where traffic points, each
 * member's health, whether SSM reaches it, and why, the last move, and its problems (among them
 * "no SSM path" when no member's SSM agent is online). `scripts/failover.sh status` pipes
 * the function's answer through this; `--json` skips it.
 *
 * Plain JavaScript on purpose: operators run it with whatever Node they have, without a build.
 * It reads stdin, which may hold log lines before the answer (`serverless invoke local`).
 */
import { pathToFileURL } from 'node:url';

/**
 * @typedef {{ instanceId: string, state: string, availabilityZone: string, priority?: number, health: string, why: string, ssm?: string, newcomer?: boolean }} Member
 * @typedef {{ scope: string, holder?: string, pointsAt: string, broken: boolean }} Holder
 * @typedef {{ at: number, trigger: string, kind?: string, reason: string, from?: string, to?: string, outcome: string, durationMs: number, error?: string, step?: string }} Entry
 * @typedef {{ natGatewayId: string, state: string, mode: string, availabilityZone?: string }} Gateway
 * @typedef {{ group: string, kind: string, members: readonly Member[], gateways?: readonly Gateway[], holders: readonly Holder[], problems: readonly string[], newcomers?: readonly string[], lastMoveAt?: string, lastDrill?: LastDrill, journal: readonly Entry[] }} GroupStatus
 * @typedef {{ at: string, outcome: string, outageMs?: number, summary: string }} LastDrill
 * @typedef {{ observedAt: string, probedAt?: string, ssmUnread?: string, groups: readonly GroupStatus[] }} StatusReport
 */

/** Whether `value` has the shape of a status answer. */
/** @param {any} value @returns {value is StatusReport} */
export function isStatusReport(value) {
  return typeof value === 'object' && value !== null && typeof value.observedAt === 'string' && Array.isArray(value.groups);
}

/**
 * The status answer in `text`: the whole text when it is JSON, else the last pretty-printed JSON
 * object in it (serverless prints the answer after the function's own log lines).
 * @param {string} text
 * @returns {StatusReport | undefined}
 */
export function findStatusReport(text) {
  return findAnswer(text, isStatusReport);
}

/**
 * The function's answer in `text` that `accept` recognizes: the whole text when it is JSON, else the
 * last pretty-printed JSON object in it.
 * @template T
 * @param {string} text
 * @param {(value: any) => value is T} accept
 * @returns {T | undefined}
 */
export function findAnswer(text, accept) {
  /** @param {string} candidate */
  const attempt = (candidate) => {
    try {
      const value = JSON.parse(candidate);
      return accept(value) ? value : undefined;
    } catch {
      return undefined;
    }
  };
  const whole = attempt(text);
  if (whole) return whole;
  const lines = text.split('\n');
  for (let i = lines.length - 1; i >= 0; i -= 1) {
    if (lines[i] !== '{') continue;
    const found = attempt(lines.slice(i).join('\n'));
    if (found) return found;
  }
  return undefined;
}

/** `ms` as people read a duration: 850 ms, 4.2 s, 3 min, 2 h 5 min, 3 d. @param {number} ms */
export function duration(ms) {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const minutes = Math.floor(ms / 60_000);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return minutes % 60 === 0 ? `${hours} h` : `${hours} h ${minutes % 60} min`;
  return `${Math.floor(hours / 24)} d`;
}

/** Rows as columns padded to their widest cell; the last column is never padded. @param {string[][]} rows */
export function columns(rows) {
  /** @type {number[]} */
  const widths = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows.map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join('  ').trimEnd());
}

const utc = (/** @type {number} */ ms) => new Date(ms).toISOString().replace('T', ' ').replace(/\.\d{3}Z$/, 'Z');

/** One journal entry on one line: when, what, the outcome and why. @param {Entry} entry @param {number} observedMs */
function describeEntry(entry, observedMs) {
  const what =
    entry.kind === 'remediation'
      ? `${entry.step ?? 'remediation'} ${entry.from ?? '?'}`
      : entry.kind === 'repair'
        ? `repair on ${entry.to ?? entry.from ?? '?'}`
        : `${entry.from ?? '(none)'} → ${entry.to ?? '(none)'}`;
  const ago = observedMs - entry.at;
  const when = ago >= 0 ? `${utc(entry.at)} (${duration(ago)} ago)` : utc(entry.at);
  const error = entry.error ? `; ${entry.error}` : '';
  return `${when}  ${what}  ${entry.outcome} in ${duration(entry.durationMs)}  [${entry.trigger}] ${entry.reason}${error}`;
}

/** Where the group's traffic goes: the VIP, address or each route table, and its holder. @param {GroupStatus} group */
function describeHolders(group) {
  if (group.holders.length === 0) return '(none)';
  return group.holders.map((h) => `${h.scope} → ${h.holder ?? h.pointsAt}${h.broken ? ' (broken)' : ''}`).join(', ');
}

/**
 * The report as text for a terminal.
 * @param {StatusReport} report
 * @returns {string}
 */
export function formatStatus(report) {
  const observedMs = Date.parse(report.observedAt);
  const out = [`observed ${utc(observedMs)}`];
  if (report.probedAt) {
    const probedMs = Date.parse(report.probedAt);
    out.push(`health: EC2 and the probes' verdicts of ${utc(probedMs)} (${duration(Math.max(0, observedMs - probedMs))} before)`);
  } else {
    out.push('health: EC2 state and status checks only (no recent probe verdicts)');
  }
  if (report.ssmUnread) out.push(`ssm: not read (${report.ssmUnread})`);
  if (report.groups.length === 0) {
    out.push('', 'no groups: tag instances with failover:group and failover:kind (README, Tag)');
    return `${out.join('\n')}\n`;
  }
  for (const group of report.groups) {
    const holders = new Set(group.holders.map((h) => h.holder).filter(Boolean));
    const healthy = group.members.filter((m) => m.health === 'healthy').length;
    out.push('', `${group.group}  ${group.kind}  ${healthy}/${group.members.length} healthy  traffic: ${describeHolders(group)}`);
    // The SSM column only when status read it: peer confirmation and a VIP's OS side go through SSM.
    const ssm = group.members.some((m) => m.ssm !== undefined);
    out.push(
      ...columns([
        ['', 'MEMBER', 'STATE', 'AZ', 'PRIORITY', 'HEALTH', ...(ssm ? ['SSM'] : []), 'WHY'],
        ...group.members.map((m) => [
          holders.has(m.instanceId) ? '*' : m.newcomer ? '+' : '',
          m.instanceId,
          m.state,
          m.availabilityZone,
          m.priority === undefined ? '-' : String(m.priority),
          m.health,
          ...(ssm ? [m.ssm ?? '-'] : []),
          m.why,
        ]),
        // A NAT gateway is the group's last resort: its health is its state, never probed.
        ...(group.gateways ?? []).map((g) => [
          holders.has(g.natGatewayId) ? '*' : '',
          g.natGatewayId,
          g.state,
          g.availabilityZone ?? (g.mode === 'regional' ? 'regional' : '-'),
          '-',
          g.state === 'available' ? 'serving' : 'not serving',
          ...(ssm ? ['-'] : []),
          `NAT gateway (${g.mode}), last resort`,
        ]),
      ]).map((line) => `  ${line}`),
    );
    const lastMove = group.journal.find((e) => e.kind === undefined || e.kind === 'move');
    if (lastMove) out.push(`  last move: ${describeEntry(lastMove, observedMs)}`);
    else if (group.lastMoveAt) out.push(`  last move: ${utc(Date.parse(group.lastMoveAt))} (not in the recent journal)`);
    else out.push('  last move: none recorded');
    const other = group.journal.find((e) => e.kind === 'repair' || e.kind === 'remediation');
    if (other && (!lastMove || other.at > lastMove.at)) out.push(`  since: ${describeEntry(other, observedMs)}`);
    if (group.lastDrill) {
      const d = group.lastDrill;
      const outage = d.outageMs === undefined ? 'no outage measured' : `outage ${duration(d.outageMs)}`;
      out.push(`  last drill: ${utc(Date.parse(d.at))}  ${d.outcome === 'applied' ? 'passed' : 'FAILED'}, ${outage}: ${d.summary}`);
    }
    for (const problem of group.problems) out.push(`  problem: ${problem}`);
    // A newcomer is no failback target and never remediated until a person confirms it.
    if (group.newcomers?.length) out.push(`  newcomers (+): ${group.newcomers.join(', ')}: not confirmed; run 'failback' on this group to confirm every current member`);
  }
  return `${out.join('\n')}\n`;
}

/** Reads stdin, prints the table; prints what it got and exits 1 when that is not a status answer. */
async function main() {
  let text = '';
  for await (const chunk of process.stdin) text += chunk;
  const report = findStatusReport(text);
  if (!report) {
    process.stdout.write(text);
    process.stderr.write('failover.sh: the answer above is not a status report (use --json to see it as it came)\n');
    process.exit(1);
  }
  process.stdout.write(formatStatus(report));
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
