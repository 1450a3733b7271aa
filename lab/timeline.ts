/** A trial's story: what happened when, told relative to the fault. */

export type MarkKind = 'fault' | 'probe' | 'decision' | 'ec2' | 'vpc' | 'os' | 'event' | 'client' | 'lab';

export interface Mark {
  readonly at: number;
  readonly kind: MarkKind;
  readonly text: string;
}

export class Timeline {
  readonly marks: Mark[] = [];

  add(at: number, kind: MarkKind, text: string): void {
    this.marks.push({ at, kind, text });
  }

  /** The marks from `from` on, in time order. */
  since(from: number): Mark[] {
    return this.marks.filter((m) => m.at >= from).sort((a, b) => a.at - b.at);
  }

  /** `  +1.23 s  text` lines relative to `origin`, at most `limit` (the first ones). */
  render(origin: number, from = origin, limit = 16): string[] {
    const marks = this.since(from);
    const shown = marks.slice(0, limit).map((m) => `  ${formatOffset(m.at - origin).padStart(9)}  ${m.text}`);
    if (marks.length > limit) shown.push(`  … ${marks.length - limit} more`);
    return shown;
  }
}

export function formatOffset(ms: number): string {
  return `${ms < 0 ? '-' : '+'}${(Math.abs(ms) / 1000).toFixed(2)} s`;
}

export function seconds(ms: number | undefined): string {
  return ms === undefined ? '—' : `${(ms / 1000).toFixed(1)} s`;
}
