/** The lab harness itself: what it sweeps, and that it leaves nothing behind. */
import { spawn } from 'node:child_process';
import { expect, it } from 'vitest';
import { describeNetns, Lab, must, run, sweepStaleNamespaces } from './support/netns.js';

async function namespaces(): Promise<string[]> {
  return (await must('ip', ['netns', 'list'])).split('\n').map((line) => line.split(' ')[0] ?? '');
}

/** The pid of a process that has already exited. */
async function deadPid(): Promise<number> {
  const child = spawn('true');
  await new Promise((resolve) => child.once('exit', resolve));
  if (child.pid === undefined) throw new Error('could not start true');
  return child.pid;
}

describeNetns('network namespace lab', () => {
  it('sweeps namespaces whose process is gone and keeps those of live processes', async () => {
    const stale = `vpcf-${await deadPid()}-sweep-test`;
    const live = `vpcf-${process.pid}-sweep-test`;
    await must('ip', ['netns', 'add', stale]);
    await must('ip', ['netns', 'add', live]);
    try {
      const swept = await sweepStaleNamespaces();

      expect(swept).toContain(stale);
      expect(await namespaces()).not.toContain(stale);
      expect(await namespaces()).toContain(live);
    } finally {
      await run('ip', ['netns', 'del', stale]);
      await run('ip', ['netns', 'del', live]);
    }
  });

  it('removes its namespaces and stops its listeners on destroy', async () => {
    const lab = new Lab();
    await lab.lan('hub', [{ name: 'x', cidr: '10.236.0.1/24', mac: '02:00:0a:ec:00:01' }]);
    const listener = await lab.listen('x', '10.236.0.1', 9000);
    expect(await namespaces()).toEqual(expect.arrayContaining([lab.ns('hub'), lab.ns('x')]));

    await lab.destroy();

    expect((await namespaces()).filter((name) => name.startsWith(lab.prefix))).toEqual([]);
    expect(listener.exitCode !== null || listener.signalCode !== null).toBe(true);
  });
});
