/**
 * Vitest glue for the moto suites: `describeMoto` skips them (quietly: the global setup has said why,
 * once) where moto is missing, and `startMoto` runs the patched moto server (test/moto/launcher.py)
 * on a free loopback port, under `timeout`, tied to this process by its stdin.
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, beforeAll, inject } from 'vitest';
import { motoRequired } from './check.js';
import { type Children, killGroup, tempDir } from './children.js';

export const REGION = 'us-east-1';
/** moto's default account. */
export const ACCOUNT = '123456789012';
/** Dummy credentials: moto accepts any; nothing here is ever sent anywhere but loopback. */
export const CREDENTIALS = { accessKeyId: 'testing', secretAccessKey: 'testing', sessionToken: 'testing' } as const;

const LAUNCHER = fileURLToPath(new URL('../launcher.py', import.meta.url));
/** A ceiling, never reached in a healthy run: the server cannot outlive a hung one by more. */
const SERVER_CEILING_SECONDS = 600;
const START_TIMEOUT_MS = 60_000;

/** `describe` for suites that need moto 5.x (see ./check.ts). */
export function describeMoto(title: string, body: () => void): void {
  const check = inject('moto');
  if (!check.ok && !motoRequired()) {
    describe.skip(`${title} [skipped: ${check.reason}]`, body);
    return;
  }
  describe(title, () => {
    beforeAll(() => {
      if (!check.ok) throw new Error(`VPCF_REQUIRE_MOTO=1 but this machine cannot run the moto suites: ${check.reason}`);
    });
    body();
  });
}

/** One CompleteLifecycleAction call, as the patched moto recorded it. */
export interface LifecycleCall {
  readonly AutoScalingGroupName: string;
  readonly LifecycleHookName: string;
  readonly LifecycleActionToken: string;
  readonly InstanceId: string;
  readonly LifecycleActionResult: string;
}

export interface MotoServer {
  readonly endpoint: string;
  readonly version: string;
  /** CompleteLifecycleAction calls so far, oldest first. */
  lifecycleCalls(): LifecycleCall[];
  /** What the server wrote to stderr (the last 20 kB), for failure messages. */
  log(): string;
  stop(): Promise<void>;
}

/** Starts the patched moto server; `children` kills it too if the suite dies half-way. */
export async function startMoto(python: string, children: Children): Promise<MotoServer> {
  const dir = tempDir('server');
  const record = join(dir, 'lifecycle.jsonl');
  const child: ChildProcessWithoutNullStreams = spawn(
    'timeout',
    ['-k', '5', String(SERVER_CEILING_SECONDS), python, LAUNCHER, '--record', record],
    // Its own process group, so stop() reaches the interpreter behind `timeout`; stdin stays open
    // until then, and the launcher exits when it closes (this process died).
    { stdio: ['pipe', 'pipe', 'pipe'], detached: true, env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1', PYTHONUNBUFFERED: '1' } },
  );
  children.add(child);
  // Closing stdin of a server that already died must not become an unhandled 'error'.
  child.stdin.on('error', () => undefined);
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-20_000);
  });

  const stop = async (): Promise<void> => {
    child.stdin.end();
    await killGroup(child);
    children.delete(child);
    rmSync(dir, { recursive: true, force: true });
  };

  let ready: { port: number; moto: string };
  try {
    ready = await new Promise((resolve, reject) => {
      let stdout = '';
      const timer = setTimeout(() => reject(new Error(`moto did not start within ${START_TIMEOUT_MS} ms`)), START_TIMEOUT_MS);
      const onData = (chunk: string) => {
        stdout += chunk;
        const end = stdout.indexOf('\n');
        if (end < 0) return;
        clearTimeout(timer);
        child.stdout.off('data', onData);
        try {
          resolve(JSON.parse(stdout.slice(0, end)) as { port: number; moto: string });
        } catch {
          reject(new Error(`moto's launcher said ${JSON.stringify(stdout.slice(0, end))}, not its port`));
        }
      };
      child.stdout.setEncoding('utf8').on('data', onData);
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`moto exited (${code}) before it listened`));
      });
    });
  } catch (error) {
    await stop();
    throw new Error(`${(error as Error).message}\n${stderr}`, { cause: error });
  }

  return {
    endpoint: `http://127.0.0.1:${ready.port}`,
    version: ready.moto,
    lifecycleCalls: () => {
      let text = '';
      try {
        text = readFileSync(record, 'utf8');
      } catch {
        return [];
      }
      return text
        .split('\n')
        .filter((line) => line.trim() !== '')
        .map((line) => JSON.parse(line) as LifecycleCall);
    },
    log: () => stderr,
    stop,
  };
}
