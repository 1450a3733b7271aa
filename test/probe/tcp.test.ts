/** The sensor's connect probe against real sockets on loopback. */
import { type AddressInfo, createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { probeTcp } from '../../shared/probe/tcp.js';

describe('probeTcp', () => {
  const server = createServer((socket) => socket.destroy());
  let open = 0;
  let closed = 0;
  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    open = (server.address() as AddressInfo).port;
    // A port that was just free: nothing listens there, so the kernel refuses.
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    closed = (probe.address() as AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('reports ok for a listening port and fail for a refused one, per port', async () => {
    const results = await probeTcp([{ id: 'i-0aaaaaaaaaaaaaaaa', ip: '127.0.0.1', ports: [open, closed] }], 1_000);

    expect(results.map((r) => [r.port, r.result])).toEqual([
      [open, 'ok'],
      [closed, 'fail'],
    ]);
    expect(results[1]?.code).toBe('ECONNREFUSED');
  });

  it('reports error, not fail, when it cannot even try', async () => {
    const [result] = await probeTcp([{ id: 'i-0aaaaaaaaaaaaaaaa', ip: 'not-an-ip', ports: [open] }], 1_000);
    expect(result?.result).toBe('error');
  });
});
