/**
 * Every process the moto suites start runs under coreutils' `timeout` in its own process group, and
 * is registered here until it ends, so `killAll` can stop what is left when a suite fails half-way.
 * Temporary directories carry the runner's PID, so a later run removes those of a runner that was
 * killed before its afterAll.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const TEMP_PREFIX = 'vpcf-moto-';

/** A fresh temporary directory named after this process. */
export function tempDir(purpose: string): string {
  return mkdtempSync(join(tmpdir(), `${TEMP_PREFIX}${process.pid}-${purpose}-`));
}

/** Removes the temporary directories of runners that no longer exist. */
export function sweepStaleTempDirs(): void {
  for (const entry of readdirSync(tmpdir())) {
    const pid = new RegExp(`^${TEMP_PREFIX}(\\d+)-`).exec(entry)?.[1];
    if (pid === undefined || isAlive(Number(pid))) continue;
    rmSync(join(tmpdir(), entry), { recursive: true, force: true });
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export type Children = Set<ChildProcess>;

const exited = (child: ChildProcess): boolean => child.exitCode !== null || child.signalCode !== null;

/** Signals the child's process group (it was spawned `detached`), escalating to SIGKILL after `graceMs`. */
export async function killGroup(child: ChildProcess, graceMs = 3_000): Promise<void> {
  if (child.pid === undefined || exited(child)) return;
  // Resolves on exit, or after SIGKILL had its chance: never waits forever on an exit already missed.
  let cap: NodeJS.Timeout | undefined;
  const gone = new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    cap = setTimeout(resolve, graceMs + 2_000);
  });
  const signal = (sig: NodeJS.Signals) => {
    try {
      process.kill(-(child.pid as number), sig);
    } catch {
      // Already gone.
    }
  };
  signal('SIGTERM');
  const timer = setTimeout(() => signal('SIGKILL'), graceMs);
  await gone;
  clearTimeout(timer);
  clearTimeout(cap);
}

export async function killAll(children: Children): Promise<void> {
  await Promise.all([...children].map((child) => killGroup(child)));
  children.clear();
}
