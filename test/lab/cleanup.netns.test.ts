/**
 * The lab leaves the machine as it found it: no namespace, no link, no process, whether it ends
 * normally or is killed outright (the next run then sweeps the namespaces the dead one left).
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { Lab, describeNetns, must, sweepStaleNamespaces } from '../netns/support/netns.js';
import { startAgent } from '../../lab/agents.js';
import { buildFabric } from './support/lab.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

async function namespaces(prefix: string): Promise<string[]> {
  return (await must('ip', ['netns', 'list'])).split('\n').map((line) => line.split(' ')[0] ?? '').filter((name) => name.startsWith(prefix));
}

/** Pids of the processes whose command line carries `token`. */
async function processesWith(token: string): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.includes(token)) pids.push(Number(entry));
  }
  return pids;
}

async function rootLinks(): Promise<string[]> {
  return (await must('ip', ['-o', 'link', 'show'])).split('\n').map((line) => line.split(':')[1]?.trim() ?? '').filter(Boolean).sort();
}

describeNetns('lab cleanup', () => {
  it('removes every namespace, link and process it made when destroyed', async () => {
    const linksBefore = await rootLinks();
    const token = `cleanup-${randomBytes(4).toString('hex')}`;
    const lab = new Lab();
    const { fabric } = await buildFabric(lab, ['vip', 'nat']);
    await startAgent(lab, 'web-client', { role: 'serve', name: token, port: 8080 }, 60);
    expect(await processesWith(token)).not.toEqual([]);

    await fabric.close();
    await lab.destroy();

    expect(await namespaces(lab.prefix)).toEqual([]);
    expect(await processesWith(token)).toEqual([]);
    expect(await rootLinks()).toEqual(linksBefore);
  });

  it('leaves no process behind when killed outright, and the next run sweeps its namespaces', async () => {
    const doomed = spawn(process.execPath, ['--import', 'tsx', 'test/lab/support/doomed-lab.ts'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    const line = await new Promise<string>((resolve, reject) => {
      createInterface({ input: doomed.stdout }).once('line', resolve);
      doomed.once('exit', (code) => reject(new Error(`the doomed lab exited early (${code})`)));
    });
    const { prefix, token } = JSON.parse(line) as { prefix: string; token: string };
    expect(await processesWith(token)).not.toEqual([]);
    expect(await namespaces(prefix)).not.toEqual([]);

    const exited = new Promise((resolve) => doomed.once('exit', resolve));
    doomed.kill('SIGKILL');
    // Reaped, as a shell reaps a killed job: until then its pid still looks alive to the sweep.
    await exited;
    const survivors = await waitUntilGone(token);
    // Another suite's setup may sweep them first: either way they are gone after a sweep.
    await sweepStaleNamespaces();

    expect(survivors).toEqual([]);
    expect(await namespaces(prefix)).toEqual([]);
  });
});

/** The processes carrying `token` a second after their parent died (they die with it, not at once). */
async function waitUntilGone(token: string): Promise<number[]> {
  for (let i = 0; i < 20; i += 1) {
    const pids = await processesWith(token);
    if (pids.length === 0) return pids;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return processesWith(token);
}
