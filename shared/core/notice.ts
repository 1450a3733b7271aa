/**
 * What people are told: one notice per move (automatic or manual), per OS-side repair, and per
 * automatic decision that wanted to move but could not (refused, failed, partial). Dry runs and
 * no-op reconciles send nothing. Sending never fails or delays what it reports.
 */
import type { GroupResult, Log } from './engine.js';
import type { RemediationResult } from './remediate.js';
import type { Clock, Notice, NotifierPort } from './ports.js';

/** SNS takes subjects of "less than 100 characters", on one line (Publish API reference). */
export const MAX_SUBJECT = 99;

/** An instance ID cut for a subject line: `i-0a1b2c…`, enough to tell members apart at a glance; the body has it whole. */
const short = (id: string | undefined): string => (id === undefined ? 'nothing' : id.length > 10 ? `${id.slice(0, 9)}…` : id);

/** The holders before and after, as one `from` and one `to` (several for NAT tables). */
function endpoints(result: GroupResult): { from?: string; to?: string } {
  const moves = result.plan?.moves ?? [];
  const join = (ids: (string | undefined)[]) => [...new Set(ids.filter((id): id is string => id !== undefined))].join(',') || undefined;
  const from = join(moves.map((m) => m.from));
  const to = join(moves.map((m) => m.to));
  return { ...(from ? { from } : {}), ...(to ? { to } : {}) };
}

/** Whether a result is worth telling people about. */
export function isNoteworthy(result: GroupResult): boolean {
  if (result.dryRun) return false;
  if (result.outcome === 'changed' || result.outcome === 'partial' || result.outcome === 'failed') return true;
  // A refusal is news only when an automatic decision wanted to move and could not, or when the group
  // claims an address it does not own; any other misconfigured group is refused on every run and
  // says so in status instead. The guarded notifier tells the same refusal once per quiet period.
  return result.outcome === 'refused' && result.trigger !== 'manual' && (result.plan?.outcome === 'refused' || result.notify === true);
}

/** The first clause of the reason, for the subject line. */
const headline = (reason: string): string => (reason.split(/; /)[0] ?? reason).replace(/\s+/g, ' ').trim();

/**
 * Builds the notice for a result. `prefix` names the deployment (`vpc-failover prod`);
 * `journalKey` is where the decision was recorded, when it was.
 */
export function noticeOf(result: GroupResult, prefix: string, journalKey?: string): Notice {
  const { from, to } = endpoints(result);
  const repairs = result.plan?.repairs ?? [];
  const why = headline(result.reason);
  const what =
    result.outcome === 'refused'
      ? `cannot move${from ? ` off ${short(from)}` : ''}`
      : (result.plan?.moves.length ?? 0) === 0 && repairs.length > 0
        ? `${result.outcome === 'changed' ? 'repaired' : result.outcome === 'partial' ? 'partly repaired' : 'could not repair'} ${repairs.map((r) => `${r.change === 'bring-up' ? 'up on' : 'down on'} ${short(r.instanceId)}`).join(', ')}`
        : `${result.outcome === 'changed' ? 'moved' : result.outcome === 'partial' ? 'partly moved' : 'failed to move'} ${short(from)} → ${short(to)}`;
  const subject = `${prefix}: ${result.group} ${what} (${result.trigger}: ${why})`.replace(/[\r\n\t]+/g, ' ');
  const lines = [
    `Group: ${result.group} (${result.kind})`,
    `Outcome: ${result.outcome}, in ${(result.durationMs / 1000).toFixed(1)} s`,
    `Trigger: ${result.trigger}`,
    ...(from ? [`From: ${from}`] : []),
    ...(to ? [`To: ${to}`] : []),
    ...repairs.map((r) => `Repair: ${r.change === 'bring-up' ? 'bring up' : 'take down'} ${r.scope} on ${r.instanceId}`),
    `Why: ${result.reason}`,
    ...(result.actions.length > 0 ? ['Actions:', ...result.actions.map((a) => `  ${a.status}: ${a.summary}${a.error ? ` (${a.error})` : ''}`)] : []),
    ...(journalKey ? [`Journal: ${journalKey}`] : []),
  ];
  return {
    subject: subject.length <= MAX_SUBJECT ? subject : `${subject.slice(0, MAX_SUBJECT - 1)}…`,
    message: lines.join('\n'),
    group: result.group,
    kind: result.kind,
    outcome: result.outcome,
    trigger: result.trigger,
  };
}

const STEP_WORDS = { reboot: 'rebooted', stop: 'stopped', 'force-stop': 'force-stopped', start: 'started', terminate: 'terminated', 'give-up': 'gave up on' } as const;

/** What the subject says was done: a fallback names what was asked for, a node left stopped says so and why. */
function remediationWhat(result: RemediationResult): string {
  const id = short(result.instanceId);
  if (result.leftStopped) return `left ${id} STOPPED (${result.leftStopped.cause})`;
  if (result.step === 'started') return `confirmed ${id} running again`;
  if (result.outcome === 'failed') return `could not ${result.step === 'give-up' ? 'remediate' : result.step} ${id}`;
  return `${STEP_WORDS[result.step]} ${id}${result.fallback ? ` instead of ${result.fallback.from}` : ''}`;
}

/** The notice for one remediation attempt: `vpc-failover prod: web rebooted i-0a… (remediation)`. */
export function remediationNotice(result: RemediationResult, prefix: string): Notice {
  // A node left stopped drops the suffix: its cause must fit in the subject.
  const subject = `${prefix}: ${result.group} ${remediationWhat(result)}${result.leftStopped ? '' : ' (remediation)'}`.replace(/[\r\n\t]+/g, ' ');
  return {
    subject: subject.length <= MAX_SUBJECT ? subject : `${subject.slice(0, MAX_SUBJECT - 1)}…`,
    message: [
      `Group: ${result.group}`,
      `Instance: ${result.instanceId}`,
      `Step: ${result.step}, ${result.outcome}`,
      ...(result.fallback ? [`Instead of: ${result.fallback.from}, because ${result.fallback.why}`] : []),
      ...(result.leftStopped ? [`Left stopped: ${result.leftStopped.detail}`] : []),
      `Why: ${result.reason}`,
      ...(result.error && !result.leftStopped ? [`Error: ${result.error}`] : []),
      ...(result.journalKey ? [`Journal: ${result.journalKey}`] : []),
    ].join('\n'),
    group: result.group,
    kind: result.kind,
    outcome: `remediation-${result.outcome}`,
    trigger: 'probe',
  };
}

/**
 * Wraps a notifier so that sending can never fail or hold up a move: failures are logged and
 * counted (`onFailure`), and the same refusal is told once per `quietMs` per group (a probe would
 * otherwise repeat it every round while nothing is healthy).
 */
export function guardedNotifier(inner: NotifierPort, options: { clock: Clock; log: Log; quietMs: number; onFailure?: () => void }): NotifierPort {
  const lastRefusal = new Map<string, { subject: string; at: number }>();
  return {
    async notify(notice, call) {
      if (notice.outcome === 'refused') {
        const last = lastRefusal.get(notice.group);
        if (last && last.subject === notice.subject && options.clock.now() - last.at < options.quietMs) return;
        lastRefusal.set(notice.group, { subject: notice.subject, at: options.clock.now() });
      } else {
        lastRefusal.delete(notice.group);
      }
      try {
        await inner.notify(notice, call);
      } catch (error) {
        // A refusal that was not told must be tried again next time, not kept quiet for the hour.
        if (notice.outcome === 'refused') lastRefusal.delete(notice.group);
        // Any failure, a bug in the adapter included, must not reach the move it reports on.
        options.log.error('notification not sent; the move goes on', { group: notice.group, subject: notice.subject, error: String(error) });
        options.onFailure?.();
      }
    },
  };
}
