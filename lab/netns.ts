/**
 * Linux network namespaces for running the instance-side shell for real: the namespace test
 * suites and `npm run lab` build their topologies with this.
 *
 * Every namespace is named `vpcf-<pid>-<run>-<name>`, so a crashed run can be swept by the next one
 * (its pid is gone) without touching a concurrent run. Nothing is created in the root namespace:
 * bridges and veth pairs live inside the lab, and each namespace only has routes to the others, so
 * no packet can leave it.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import type { HostScript } from '../shared/core/ports.js';

export interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a program; resolves with its exit code instead of rejecting. Code -1: killed (timeout, signal). */
export function run(file: string, args: readonly string[], timeoutMs = 10_000): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 4 << 20 }, (error, stdout, stderr) => {
      if (error && typeof error.code === 'string') {
        reject(new Error(`${file} could not be started: ${error.message}`, { cause: error }));
        return;
      }
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** Like `run`, with `input` written to the program's stdin. */
export function runWithInput(file: string, args: readonly string[], input: string, timeoutMs = 10_000): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(file, args, { timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 4 << 20 }, (error, stdout, stderr) => {
      if (error && typeof error.code === 'string') {
        reject(new Error(`${file} could not be started: ${error.message}`, { cause: error }));
        return;
      }
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr });
    });
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(input);
  });
}

/**
 * The prefix that makes a child die with the process that started it (PR_SET_PDEATHSIG through
 * util-linux's setpriv), so a lab killed with SIGKILL leaves no process behind.
 */
export const DIE_WITH_PARENT: readonly string[] = ['setpriv', '--pdeathsig', 'KILL'];

/** Like `run`, but a non-zero exit is an error: for setup steps that must work. */
export async function must(file: string, args: readonly string[], timeoutMs = 10_000): Promise<string> {
  const result = await run(file, args, timeoutMs);
  if (result.code !== 0) throw new Error(`${file} ${args.join(' ')} exited ${result.code}: ${result.stderr.trim()}`);
  return result.stdout;
}

/** Every namespace a run creates is named `vpcf-<pid>-…`, so a later run can tell its own from a dead run's. */
export const PREFIX = 'vpcf-';

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function listNamespaces(): Promise<string[]> {
  const out = await must('ip', ['netns', 'list']);
  return out
    .split('\n')
    .map((line) => line.split(' ')[0] ?? '')
    .filter((name) => name.startsWith(PREFIX));
}

/** Deletes `vpcf-<pid>-…` namespaces whose process is gone (left by a run that crashed). */
export async function sweepStaleNamespaces(): Promise<string[]> {
  const stale = (await listNamespaces()).filter((name) => {
    const pid = Number(/^vpcf-(\d+)-/.exec(name)?.[1]);
    return Number.isInteger(pid) && pid > 0 && pid !== process.pid && !isAlive(pid);
  });
  for (const name of stale) await run('ip', ['netns', 'del', name]);
  return stale;
}

export interface NodeSpec {
  readonly name: string;
  /** `a.b.c.d/n` */
  readonly cidr: string;
  readonly mac: string;
}

/** A set of namespaces and the listeners started in them, all removed by `destroy()`. */
export class NamespaceSet {
  readonly prefix = `${PREFIX}${process.pid}-${randomBytes(3).toString('hex')}-`;
  private readonly namespaces: string[] = [];
  private readonly children: ChildProcess[] = [];

  /** The real namespace name for a lab-local name. */
  ns(name: string): string {
    return this.prefix + name;
  }

  async addNamespace(name: string): Promise<string> {
    const ns = this.ns(name);
    await must('ip', ['netns', 'add', ns]);
    this.namespaces.push(ns);
    await must('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    return ns;
  }

  /** Runs a program inside a namespace. */
  exec(name: string, args: readonly string[], timeoutMs = 10_000): Promise<RunResult> {
    return run('ip', ['netns', 'exec', this.ns(name), ...args], timeoutMs);
  }

  async mustExec(name: string, args: readonly string[], timeoutMs = 10_000): Promise<string> {
    return must('ip', ['netns', 'exec', this.ns(name), ...args], timeoutMs);
  }

  /**
   * One L2 segment: namespace `hub` holds bridge br0; each node gets `eth0` with its MAC and address,
   * plugged into the bridge by a veth pair.
   */
  async lan(hub: string, nodes: readonly NodeSpec[]): Promise<void> {
    const hubNs = await this.addNamespace(hub);
    await must('ip', ['-n', hubNs, 'link', 'add', 'br0', 'type', 'bridge']);
    await must('ip', ['-n', hubNs, 'link', 'set', 'br0', 'up']);
    for (const node of nodes) {
      const ns = await this.addNamespace(node.name);
      const port = `p-${node.name}`.slice(0, 15);
      await must('ip', ['-n', ns, 'link', 'add', 'eth0', 'address', node.mac, 'type', 'veth', 'peer', 'name', port, 'netns', hubNs]);
      await must('ip', ['-n', hubNs, 'link', 'set', port, 'master', 'br0', 'up']);
      await must('ip', ['-n', ns, 'addr', 'add', node.cidr, 'dev', 'eth0']);
      await must('ip', ['-n', ns, 'link', 'set', 'eth0', 'up']);
    }
  }

  /** A point-to-point veth link between two existing namespaces. */
  async wire(
    a: { readonly name: string; readonly dev: string; readonly cidr: string; readonly mac: string },
    b: { readonly name: string; readonly dev: string; readonly cidr: string; readonly mac: string },
  ): Promise<void> {
    const nsA = this.ns(a.name);
    const nsB = this.ns(b.name);
    await must('ip', ['-n', nsA, 'link', 'add', a.dev, 'address', a.mac, 'type', 'veth', 'peer', 'name', b.dev, 'address', b.mac, 'netns', nsB]);
    await must('ip', ['-n', nsA, 'addr', 'add', a.cidr, 'dev', a.dev]);
    await must('ip', ['-n', nsB, 'addr', 'add', b.cidr, 'dev', b.dev]);
    await must('ip', ['-n', nsA, 'link', 'set', a.dev, 'up']);
    await must('ip', ['-n', nsB, 'link', 'set', b.dev, 'up']);
  }

  /**
   * Starts a TCP listener (OpenBSD nc) on ip:port in a namespace and waits until it accepts.
   * `timeout` bounds its life in case this process dies before `destroy()`.
   */
  async listen(name: string, ip: string, port: number): Promise<ChildProcess> {
    const child = spawn('ip', ['netns', 'exec', this.ns(name), 'timeout', '300', 'nc', '-d', '-l', '-k', ip, String(port)], {
      stdio: 'ignore',
    });
    this.children.push(child);
    for (let attempt = 0; attempt < 50; attempt++) {
      const { stdout } = await this.exec(name, ['ss', '-H', '-l', '-t', '-n', `sport = :${port}`]);
      if (stdout.includes(`${ip}:${port}`)) return child;
      if (child.exitCode !== null) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`listener ${ip}:${port} in ${this.ns(name)} did not come up`);
  }

  /**
   * Runs `ip -n <ns> -batch -` with `lines` on stdin: many changes in one process, stopping at the
   * first that fails (whose line the error names).
   */
  async ipBatch(name: string, lines: readonly string[]): Promise<void> {
    if (lines.length === 0) return;
    const result = await runWithInput('ip', ['-n', this.ns(name), '-batch', '-'], `${lines.join('\n')}\n`);
    if (result.code !== 0) throw new Error(`ip -n ${this.ns(name)} -batch failed (${result.code}): ${result.stderr.trim()}`);
  }

  /**
   * Starts a long-lived program in a namespace with pipes for stdin, stdout and stderr. It dies
   * with this process (DIE_WITH_PARENT, also for the program `timeout` starts), lives at most
   * `lifetimeSeconds`, and is stopped by `destroy()`.
   */
  spawn(name: string, argv: readonly string[], lifetimeSeconds: number, options: { readonly cwd?: string } = {}): ChildProcess {
    const bounded = [...DIE_WITH_PARENT, 'timeout', '-k', '2', String(Math.ceil(lifetimeSeconds)), ...DIE_WITH_PARENT, ...argv];
    const child = spawn('ip', ['netns', 'exec', this.ns(name), ...bounded], { stdio: ['pipe', 'pipe', 'pipe'], ...(options.cwd === undefined ? {} : { cwd: options.cwd }) });
    child.stdin?.on('error', () => undefined);
    this.children.push(child);
    return child;
  }

  /** Stops one program started by `listen` or `spawn`. */
  async stop(child: ChildProcess): Promise<void> {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    // A program that ignores SIGTERM must not hold the teardown up.
    const kill = setTimeout(() => child.kill('SIGKILL'), 3_000);
    await exited;
    clearTimeout(kill);
  }

  /** Runs a host script in a namespace under `shell` (dash by default), as SSM would run it. */
  runScript(name: string, script: HostScript, shell: 'dash' | 'bash' = 'dash', timeoutMs = 15_000): Promise<RunResult> {
    const argv = shell === 'bash' ? ['bash', '--posix', '-c'] : ['dash', '-c'];
    return this.exec(name, [...argv, script.lines.join('\n')], timeoutMs);
  }

  /** Loads an nftables ruleset (text for `nft -f`) into a namespace, after removing the lab's tables. */
  async nft(name: string, ruleset: string): Promise<void> {
    await this.clearNft(name);
    await this.mustExec(name, ['sh', '-c', 'printf "%s\\n" "$1" | nft -f -', 'sh', ruleset]);
  }

  /** Removes the tables `nft()` may have created: `inet vpcf` and `ip vpcf`. */
  async clearNft(name: string): Promise<void> {
    await this.exec(name, ['nft', 'delete', 'table', 'inet', 'vpcf']);
    await this.exec(name, ['nft', 'delete', 'table', 'ip', 'vpcf']);
  }

  /** Stops listeners, then deletes every namespace; reports what could not be removed. */
  async destroy(): Promise<void> {
    await Promise.all(this.children.map((child) => this.stop(child)));
    const failures: string[] = [];
    for (const ns of this.namespaces.splice(0).reverse()) {
      const result = await run('ip', ['netns', 'del', ns]);
      if (result.code !== 0) failures.push(`${ns}: ${result.stderr.trim()}`);
    }
    if (failures.length > 0) throw new Error(`could not delete namespaces: ${failures.join('; ')}`);
  }
}
