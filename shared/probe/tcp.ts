/**
 * The sensor's probe: TCP connects from inside the VPC to each member's ports, all at once, each
 * bounded by a timeout. Lambda has no ICMP, so a completed handshake is the only proof of life here.
 *
 * `fail` is evidence (no answer in time, refused, unreachable); `error` is not (the sensor itself
 * could not try: out of sockets, bad address).
 */
import { Socket } from 'node:net';

export interface TcpTarget {
  readonly id: string;
  readonly ip: string;
  readonly ports: readonly number[];
}

export interface TcpResult {
  readonly id: string;
  readonly ip: string;
  readonly port: number;
  readonly result: 'ok' | 'fail' | 'error';
  /** Time to the handshake (or to the failure). */
  readonly ms: number;
  /** The socket error code, when there was one. */
  readonly code?: string;
}

/** Socket errors that say something about the target or the path to it. */
const EVIDENCE: ReadonlySet<string> = new Set(['ECONNREFUSED', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'EHOSTDOWN', 'ETIMEDOUT']);

/** One connect attempt; never rejects. */
export function connectOnce(ip: string, port: number, timeoutMs: number, now: () => number = () => performance.now()): Promise<Omit<TcpResult, 'id'>> {
  const started = now();
  return new Promise((resolve) => {
    const socket = new Socket();
    let settled = false;
    const finish = (result: TcpResult['result'], code?: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ ip, port, result, ms: Math.round(now() - started), ...(code === undefined ? {} : { code }) });
    };
    // A host that is gone drops the SYN: only the timer ends the attempt.
    const timer = setTimeout(() => finish('fail', 'TIMEOUT'), timeoutMs);
    socket.once('connect', () => finish('ok'));
    socket.once('error', (error: NodeJS.ErrnoException) => finish(error.code !== undefined && EVIDENCE.has(error.code) ? 'fail' : 'error', error.code ?? error.name));
    try {
      socket.connect({ host: ip, port, family: 4 });
    } catch (error) {
      finish('error', error instanceof Error ? error.name : 'unknown');
    }
  });
}

/** Probes every port of every target concurrently; the call takes about `timeoutMs` at most. */
export async function probeTcp(targets: readonly TcpTarget[], timeoutMs: number): Promise<TcpResult[]> {
  const attempts = targets.flatMap((t) => t.ports.map(async (port) => ({ id: t.id, ...(await connectOnce(t.ip, port, timeoutMs)) })));
  return Promise.all(attempts);
}
