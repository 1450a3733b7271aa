/**
 * Starting the lab's small processes in namespaces (lab/agent.ts: member services, the echo
 * server, clients) and reading what they print: one JSON object a line, the first `{"ready":true}`.
 */
import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { AgentConfig, ClientLine } from './agent.js';
import { LabError } from './errors.js';
import type { NamespaceSet } from './netns.js';
import type { Sample } from './stats.js';

const AGENT = fileURLToPath(new URL('./agent.ts', import.meta.url));

/**
 * Reads the child's stdout line by line: resolves once it printed `{"ready":true}`, hands every
 * later line to `onLine`; rejects if it exits or stays silent first, with the end of its stderr.
 */
export function readLines(child: ChildProcess, what: string, onLine: (line: string) => void, timeoutMs = 20_000): Promise<void> {
  return new Promise((resolve, reject) => {
    let stderr = '';
    let ready = false;
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString('utf8')).slice(-2_000);
    });
    const fail = (why: string) => {
      clearTimeout(timer);
      if (!ready) reject(new LabError(`${what} ${why}${stderr.trim() === '' ? '' : `: ${stderr.trim()}`}`));
    };
    const timer = setTimeout(() => fail(`did not start within ${timeoutMs} ms`), timeoutMs);
    child.once('exit', (code, signal) => fail(`exited (${code ?? signal ?? 'unknown'})`));
    if (!child.stdout) {
      fail('has no stdout');
      return;
    }
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (ready) {
        onLine(line);
      } else if (line.includes('"ready":true')) {
        ready = true;
        clearTimeout(timer);
        resolve();
      }
    });
  });
}

/** A client's requests so far, by target label. */
export interface ClientLog {
  readonly samples: Map<string, Sample[]>;
  /** The requests to one target, in the order they were sent. */
  of(label: string): Sample[];
}

/** Starts one agent in namespace `host` and waits until it is ready. */
export async function startAgent(namespaces: NamespaceSet, host: string, config: AgentConfig, lifetimeSeconds: number, onLine: (line: string) => void = () => undefined): Promise<ChildProcess> {
  const child = namespaces.spawn(host, [process.execPath, AGENT, JSON.stringify(config)], lifetimeSeconds);
  await readLines(child, `agent ${config.role} in ${host}`, onLine);
  return child;
}

/** Starts a client and collects its requests as samples. */
export async function startClient(
  namespaces: NamespaceSet,
  host: string,
  config: Extract<AgentConfig, { role: 'client' }>,
  lifetimeSeconds: number,
  onSample?: (label: string, sample: Sample) => void,
): Promise<ClientLog> {
  const samples = new Map<string, Sample[]>();
  await startAgent(namespaces, host, config, lifetimeSeconds, (line) => {
    let parsed: ClientLine;
    try {
      parsed = JSON.parse(line) as ClientLine;
    } catch {
      return;
    }
    const sample: Sample = { at: parsed.t, ok: parsed.ok, ...(parsed.by === undefined ? {} : { by: parsed.by }) };
    const list = samples.get(parsed.label) ?? [];
    list.push(sample);
    samples.set(parsed.label, list);
    onSample?.(parsed.label, sample);
  });
  return { samples, of: (label) => [...(samples.get(label) ?? [])].sort((a, b) => a.at - b.at) };
}
