/**
 * doctor's report for people: a table per group, one row per finding, each problem followed by
 * what to change; then the totals and, before a first deploy, the command to run.
 */
import type { DoctorReport, Severity } from './model.js';

const LABEL: Readonly<Record<Severity, string>> = { ok: 'ok', warning: 'warning', blocker: 'BLOCKER' };

/** Wraps a long line at spaces, to `width` columns after `indent`. */
function wrap(text: string, indent: string, width = 100): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line !== '' && indent.length + line.length + 1 + word.length > width) {
      lines.push(indent + line);
      line = word;
    } else line = line === '' ? word : `${line} ${word}`;
  }
  if (line !== '') lines.push(indent + line);
  return lines;
}

export function renderReport(report: DoctorReport): string {
  const out: string[] = [];
  const sensor = report.sensor
    ? `sensor in ${report.sensor.subnetIds.join(', ')} with ${report.sensor.securityGroupIds.join(', ') || 'no security group'} (${report.sensor.source === 'deployed' ? 'the deployed function' : 'given'})`
    : 'sensor not known yet';
  out.push(`vpc-failover doctor: ${report.region}, stage ${report.stage}, ${report.deployed ? 'deployed' : 'not deployed'}; ${sensor}`);
  out.push('read-only: nothing was changed');
  if (report.deep) out.push("--deep: one SSM command (AWS-RunShellScript: 'command -v ip', one ping to each peer) was sent to each running member");
  const width = 14;
  for (const group of report.groups) {
    out.push('');
    out.push(`group ${group.name}${group.kind ? ` (${group.kind}${group.vpcId ? `, ${group.vpcId}` : ''})` : ''}`);
    for (const finding of group.findings) {
      const head = `  ${finding.check.padEnd(width)}${LABEL[finding.severity].padEnd(9)}`;
      const [first = '', ...rest] = wrap(finding.detail, ' '.repeat(head.length));
      out.push(head + first.trimStart(), ...rest);
      if (finding.fix) out.push(...wrap(`fix: ${finding.fix}`, ' '.repeat(head.length)));
    }
  }
  out.push('');
  const verdict = report.blockers > 0 ? 'a failover cannot work until the blockers are fixed' : report.warnings > 0 ? 'a failover can work; see the warnings' : 'a failover can work';
  out.push(`${report.groups.length} group(s): ${report.blockers} blocker(s), ${report.warnings} warning(s): ${verdict}`);
  if (report.deploy) {
    out.push('', report.deployed ? 'The deploy command from what doctor found:' : 'No deployment of this stage found. The first deploy, from what doctor found:');
    for (const command of report.deploy.commands) out.push('', command.replace(/^/gm, '  '));
    for (const note of report.deploy.notes) out.push('', ...wrap(`note: ${note}`, '  '));
  }
  return out.join('\n');
}

/** The exit status: 1 when a blocker exists. */
export const exitCodeOf = (report: DoctorReport): number => (report.blockers > 0 ? 1 : 0);
