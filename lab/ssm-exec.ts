/**
 * SSM Run Command for the lab: the simulated SSM (sim/ssm.ts) hands each delivered script to this
 * executor, which runs it inside the target instance's namespace under dash, as AWS-RunShellScript
 * runs it under sh: as root, with a plain PATH and nothing of the lab's environment, killed at the
 * document's executionTimeout.
 */
import type { ScriptExecutor } from '../sim/world.js';
import { DIE_WITH_PARENT, run } from './netns.js';

/** The agent's environment: a login-less root shell's PATH, nothing else. */
const SSM_ENV = ['env', '-i', 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'LANG=C.UTF-8'];

/** Which of the product's scripts it was, by the line each prints (for the timeline). */
export type ScriptKind = 'probe' | 'activate-ip' | 'deactivate-ip' | 'other';

export function scriptKind(script: string): ScriptKind {
  if (script.includes('vpcf probe-end')) return 'probe';
  if (script.includes('vpcf result=active')) return 'activate-ip';
  if (script.includes('vpcf result=inactive')) return 'deactivate-ip';
  return 'other';
}

/** One script run, as the timeline shows it. */
export interface ScriptRun {
  readonly instanceId: string;
  readonly kind: ScriptKind;
  readonly startedAt: number;
  readonly endedAt: number;
  readonly exitCode: number;
  readonly timedOut: boolean;
  readonly stdout: string;
}

/**
 * @param namespaceOf the real namespace of an instance, or undefined (the script then cannot run:
 *   an instance the lab has no namespace for).
 */
export function namespaceExecutor(namespaceOf: (instanceId: string) => string | undefined, onRun?: (run: ScriptRun) => void, now: () => number = Date.now): ScriptExecutor {
  return async (instanceId, script, { executionTimeoutMs }) => {
    const ns = namespaceOf(instanceId);
    if (ns === undefined) throw new Error(`no namespace for ${instanceId}`);
    const seconds = Math.max(1, Math.ceil(executionTimeoutMs / 1000));
    const startedAt = now();
    // `timeout` kills the script's whole process group (its pings and nc too) at the limit.
    const argv = ['netns', 'exec', ns, ...DIE_WITH_PARENT, ...SSM_ENV, 'timeout', '-k', '1', String(seconds), 'dash', '-c', script];
    const result = await run('ip', argv, executionTimeoutMs + 5_000);
    const endedAt = now();
    const timedOut = result.code === -1 || (result.code === 124 && endedAt - startedAt >= executionTimeoutMs - 50);
    onRun?.({ instanceId, kind: scriptKind(script), startedAt, endedAt, exitCode: result.code, timedOut, stdout: result.stdout });
    return { exitCode: result.code, stdout: result.stdout, stderr: result.stderr, ...(timedOut ? { timedOut: true } : {}) };
  };
}
