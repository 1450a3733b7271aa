/**
 * The processes that live inside the lab's namespaces: a node's service, the internet's echo
 * server, and the clients that measure outages. Run with plain `node` (type stripping), so it
 * imports nothing but Node's own modules and starts in milliseconds; one JSON config argument.
 *
 * It exits when its stdin closes, so it never outlives the lab that started it.
 */
import { createServer, Socket } from 'node:net';

/** One role per process. */
export type AgentConfig =
  /** Answers every connection on `port` (all addresses) with `name`, then closes: the member's service. */
  | { readonly role: 'serve'; readonly name: string; readonly port: number }
  /** Reads one line and answers `<address it came from> <line>`: the internet's echo server. */
  | { readonly role: 'echo'; readonly port: number }
  /** Sends a request to each target every `intervalMs`, and prints one JSON line per request. */
  | { readonly role: 'client'; readonly intervalMs: number; readonly timeoutMs: number; readonly targets: readonly ClientTarget[] };

export interface ClientTarget {
  readonly label: string;
  readonly host: string;
  readonly port: number;
  /** Sent after connecting (the echo server waits for a line). */
  readonly send?: string;
}

/** What a client prints per request: sent at `t`, answered (`ok`) by `by` after `ms`. */
export interface ClientLine {
  readonly t: number;
  readonly label: string;
  readonly ok: boolean;
  readonly by?: string;
  readonly ms: number;
}

function print(line: object): void {
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

function serve(config: { readonly name: string; readonly port: number }): void {
  const server = createServer((socket) => {
    socket.on('error', () => undefined);
    socket.end(`${config.name}\n`);
  });
  server.listen(config.port, '0.0.0.0', () => print({ ready: true }));
}

function echo(config: { readonly port: number }): void {
  const server = createServer((socket) => {
    socket.on('error', () => undefined);
    socket.setTimeout(2_000, () => socket.destroy());
    let data = '';
    socket.on('data', (chunk: Buffer) => {
      data += chunk.toString('utf8');
      const end = data.indexOf('\n');
      if (end >= 0) socket.end(`${socket.remoteAddress ?? 'unknown'} ${data.slice(0, end)}\n`);
    });
  });
  server.listen(config.port, '0.0.0.0', () => print({ ready: true }));
}

function request(target: ClientTarget, timeoutMs: number): void {
  const t = Date.now();
  const socket = new Socket();
  let reply = '';
  let done = false;
  const finish = (ok: boolean) => {
    if (done) return;
    done = true;
    clearTimeout(timer);
    socket.destroy();
    const by = reply.split('\n')[0]?.trim() ?? '';
    print({ t, label: target.label, ok: ok && by !== '', ...(by === '' ? {} : { by }), ms: Date.now() - t });
  };
  const timer = setTimeout(() => finish(false), timeoutMs);
  socket.on('data', (chunk: Buffer) => {
    reply += chunk.toString('utf8');
    if (reply.includes('\n')) finish(true);
  });
  socket.on('error', () => finish(false));
  socket.on('close', () => finish(reply.includes('\n')));
  socket.connect({ host: target.host, port: target.port, family: 4 }, () => {
    if (target.send !== undefined) socket.write(target.send);
  });
}

function client(config: { readonly intervalMs: number; readonly timeoutMs: number; readonly targets: readonly ClientTarget[] }): void {
  const tick = () => {
    for (const target of config.targets) request(target, config.timeoutMs);
  };
  setInterval(tick, config.intervalMs);
  print({ ready: true });
  tick();
}

function main(): void {
  const config = JSON.parse(process.argv[2] ?? '{}') as AgentConfig;
  process.stdin.on('end', () => process.exit(0));
  process.stdin.on('close', () => process.exit(0));
  process.stdin.resume();
  if (config.role === 'serve') serve(config);
  else if (config.role === 'echo') echo(config);
  else if (config.role === 'client') client(config);
  else throw new Error(`unknown agent role in ${process.argv[2] ?? ''}`);
}

// Only when run as a program: importing the module (for its types) runs nothing.
if (import.meta.main) main();
