/**
 * SSM Run Command in the lab: the simulated SSM hands each delivered script to the namespace
 * executor, and the product's SSM adapter gets what it gets from AWS: output, exit code, an
 * execution timeout, no delivery to a hung or stopped instance.
 */
import { afterAll, expect, it } from 'vitest';
import { type ScriptRun, namespaceExecutor } from '../../lab/ssm-exec.js';
import { createSsmHostPort } from '../../shared/aws/ssm.js';
import { activateIpScript } from '../../shared/core/scripts.js';
import { systemClock } from '../../shared/core/ports.js';
import { describeNetns, useLab } from '../netns/support/netns.js';
import { type FabricLab, buildFabric } from './support/lab.js';

describeNetns('lab SSM: scripts run in the instance namespace', () => {
  let built: FabricLab;
  const runs: ScriptRun[] = [];
  const lab = useLab(async (namespaces) => {
    const executor = namespaceExecutor((id) => built.fabric.namespaceOf(id), (run) => runs.push(run));
    built = await buildFabric(namespaces, ['vip'], { ssm: { executor } });
  });
  afterAll(() => built?.fabric.close());
  const pair = () => built.topology.vip ?? (() => { throw new Error('no vip group'); })();
  const host = (executionTimeoutSeconds = 10) => createSsmHostPort(built.world.clients().ssm, { clock: systemClock, pollIntervalMs: 100, executionTimeoutSeconds });
  const script = (...lines: string[]) => ({ name: 'lab-test', lines });

  it("reports the script's stdout, stderr and exit code, as run on that instance", async () => {
    const { a } = pair();

    const [result] = await host().run([a.instanceId], script('ip -4 -o addr show dev eth0', 'echo oops >&2', 'exit 3'), Date.now() + 10_000);

    expect(result).toMatchObject({ instanceId: a.instanceId, status: 'failed', exitCode: 3, stderr: 'oops\n' });
    expect(result?.stdout).toContain(`inet ${a.privateIp}/24`);
  });

  it("runs the product's activation script under dash with a plain root environment", async () => {
    const { b, vip } = pair();

    const [result] = await host().run([b.instanceId], activateIpScript({ ip: vip, prefixLength: 24, macAddress: b.macAddress }), Date.now() + 10_000);
    const [env] = await host().run([b.instanceId], script('id -u', 'echo "$(env | cut -d= -f1 | sort | tr "\\n" " ")"', 'readlink /proc/$$/exe'), Date.now() + 10_000);
    const addresses = await lab().mustExec('web-b', ['ip', '-4', '-o', 'addr', 'show', 'dev', 'eth0']);

    expect(result).toMatchObject({ status: 'success', exitCode: 0, stdout: `vpcf result=active ip=${vip} dev=eth0\n` });
    expect(addresses).toContain(`inet ${vip}/24`);
    expect(env?.stdout.split('\n')).toEqual(['0', expect.not.stringMatching(/VPCF|npm_|NODE/), '/usr/bin/dash', '']);
  });

  it("kills a script at the document's executionTimeout and reports ExecutionTimedOut", async () => {
    const { a } = pair();
    const started = Date.now();

    const [result] = await host(1).run([a.instanceId], script('sleep 30'), Date.now() + 10_000);

    const invocation = [...built.world.invocations.values()].at(-1);
    expect(result).toMatchObject({ status: 'timed-out' });
    expect(invocation?.result?.details).toBe('ExecutionTimedOut');
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(runs.at(-1)).toMatchObject({ instanceId: a.instanceId, timedOut: true });
  });

  it('never runs a script on a hung instance, and reports a stopped one undeliverable', async () => {
    const { a, b } = pair();
    built.world.hang(a.instanceId);
    built.world.stop(b.instanceId);
    const before = runs.length;

    const results = await host().run([a.instanceId, b.instanceId], script('echo ran'), Date.now() + 2_000);

    expect(results).toEqual([
      expect.objectContaining({ instanceId: a.instanceId, status: 'timed-out' }),
      expect.objectContaining({ instanceId: b.instanceId, status: 'undeliverable' }),
    ]);
    expect(runs.length).toBe(before);
  });
});
