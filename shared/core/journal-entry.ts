/**
 * The journal entry of a decision that changed something: a move of traffic, or OS-side repairs
 * only. A move also records the group's members at that time and which of them were newcomers.
 */
import type { Plan } from './decide.js';
import type { Trigger } from './model.js';
import type { JournalEntry } from './ports.js';

/** What the entry takes from the run's result. */
export interface DecisionResult {
  readonly group: string;
  readonly reason: string;
  readonly outcome: string;
  readonly durationMs: number;
  readonly actions: readonly { readonly status: string; readonly summary: string }[];
}

export function decisionEntry(
  result: DecisionResult,
  plan: Plan,
  trigger: Trigger,
  at: number,
  roster: { readonly members: readonly string[]; readonly confirmed: readonly string[] },
): JournalEntry {
  const list = (ids: (string | undefined)[]) => [...new Set(ids.filter((id): id is string => id !== undefined))].join(',');
  const repairsOnly = plan.moves.length === 0;
  const from = list(repairsOnly ? plan.repairs.filter((r) => r.change === 'take-down').map((r) => r.instanceId) : plan.moves.map((m) => m.from));
  const to = list(repairsOnly ? plan.repairs.filter((r) => r.change === 'bring-up').map((r) => r.instanceId) : plan.moves.map((m) => m.to));
  return {
    group: result.group,
    at,
    trigger,
    kind: repairsOnly ? 'repair' : 'move',
    reason: result.reason,
    ...(from ? { from } : {}),
    ...(to ? { to } : {}),
    actions: result.actions.map((a) => `${a.status}: ${a.summary}`),
    outcome: result.outcome === 'changed' ? 'applied' : result.outcome === 'partial' ? 'partial' : 'failed',
    durationMs: result.durationMs,
    ...(repairsOnly ? {} : { members: [...roster.members].sort(), newcomers: roster.members.filter((id) => !roster.confirmed.includes(id)).sort() }),
  };
}
