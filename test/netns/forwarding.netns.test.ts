/**
 * The forwarding-configuration check on a real NAT: `priv` reaches `out` only through `nat`, which
 * forwards and masquerades. The probe script runs on `nat` itself, as the sweep runs it on a NAT
 * instance, and reports ip_forward and whether a MASQUERADE/SNAT rule exists. The egress check it
 * also runs from there keeps succeeding when the NAT stops translating for others; the forwarding
 * check is what catches that, and the egress check from `priv` shows the outage is real.
 */
import { mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { egressForwarding, natForwarding, parseProbeOutput, type ProbeForwardingLine, type ProbeLine } from '../../shared/probe/parse.js';
import { probeScript, type ProbeTarget } from '../../shared/probe/script.js';
import { describeNetns, must, run, useLab, type Lab } from './support/netns.js';

const NAT_ID = 'i-0aaaaaaaaaaaaaaa1';
const NAT_INSIDE = '10.235.1.1';
const PRIVATE = '10.235.1.2';
const NAT_OUTSIDE = '10.236.0.1';
const OUTSIDE = '10.236.0.2';
const LISTENING = 8443;

const MASQUERADE = 'table ip vpcf {\n chain postrouting {\n type nat hook postrouting priority srcnat;\n oifname "eth1" masquerade\n }\n}';
/** A nat chain on the postrouting hook that does no source NAT: what a half-applied config leaves. */
const EMPTY_NAT_CHAIN = 'table ip vpcf {\n chain postrouting {\n type nat hook postrouting priority srcnat;\n }\n}';

/** The sweep's self-check target for a NAT: egress endpoints and the forwarding check. */
const self: ProbeTarget = { id: NAT_ID, ip: NAT_INSIDE, tcpPorts: [], egress: [{ kind: 'egress', host: OUTSIDE, port: LISTENING }], forwarding: true };
/** A prober behind the NAT: its egress check goes through it. */
const behind: ProbeTarget = { id: NAT_ID, ip: NAT_INSIDE, tcpPorts: [], egress: [{ kind: 'egress', host: OUTSIDE, port: LISTENING }] };

interface Seen {
  readonly forwarding: ProbeForwardingLine | undefined;
  readonly lines: ProbeLine[];
}

async function runIn(lab: Lab, name: string, target: ProbeTarget, path?: string): Promise<Seen> {
  const script = probeScript([target], { pingCount: 1, timeoutSeconds: 1 }).lines.join('\n');
  const env = path === undefined ? [] : ['env', `PATH=${path}`];
  const result = await lab.exec(name, [...env, await toolPath('dash'), '-c', script], 15_000);
  expect(result.code, result.stderr).toBe(0);
  const lines = parseProbeOutput(result.stdout);
  expect(lines.filter((l) => l.kind === 'error')).toEqual([]);
  return { lines, forwarding: lines.find((l): l is ProbeForwardingLine => l.kind === 'forwarding') };
}

const onNat = (lab: Lab, path?: string) => runIn(lab, 'nat', self, path);
const fromPrivate = async (lab: Lab) => egressForwarding((await runIn(lab, 'priv', behind)).lines, NAT_ID);

async function setForwarding(lab: Lab, on: boolean): Promise<void> {
  await lab.mustExec('nat', ['sysctl', '-q', '-w', `net.ipv4.ip_forward=${on ? 1 : 0}`]);
}

/** Removes every NAT rule the tests may have added: the lab's nft tables, iptables-nft's, iptables-legacy's. */
async function clearAll(lab: Lab): Promise<void> {
  await lab.clearNft('nat');
  await lab.exec('nat', ['nft', 'delete', 'table', 'ip', 'nat']);
  if (await hasTool('iptables-legacy')) await lab.exec('nat', ['iptables-legacy', '-t', 'nat', '-F']);
}

async function hasTool(tool: string): Promise<boolean> {
  return (await run('sh', ['-c', `command -v ${tool}`])).code === 0;
}

async function toolPath(tool: string): Promise<string> {
  return (await must('sh', ['-c', `command -v ${tool}`])).trim();
}

/**
 * A directory to use as PATH: what the script needs for its other checks, plus `extra` (name →
 * program), so a run can be given nft only, iptables only, or neither.
 */
async function shimPath(dir: string, extra: Record<string, string>): Promise<string> {
  const base = ['awk', 'grep', 'sed', 'head', 'timeout', 'nc', 'ping', 'bash'];
  await rm(dir, { recursive: true, force: true });
  await must('mkdir', ['-p', dir]);
  for (const tool of base) await symlink(await toolPath(tool), join(dir, tool));
  for (const [name, program] of Object.entries(extra)) await symlink(program, join(dir, name));
  return dir;
}

describeNetns('forwarding-configuration check on a NAT in network namespaces', () => {
  let scratch = '';
  beforeAll(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'vpcf-fwd-'));
  });
  afterAll(async () => {
    if (scratch !== '') await rm(scratch, { recursive: true, force: true });
  });

  const lab = useLab(async (l) => {
    for (const name of ['priv', 'nat', 'out']) await l.addNamespace(name);
    await l.wire(
      { name: 'priv', dev: 'eth0', cidr: `${PRIVATE}/24`, mac: '02:00:0a:eb:01:02' },
      { name: 'nat', dev: 'eth0', cidr: `${NAT_INSIDE}/24`, mac: '02:00:0a:eb:01:01' },
    );
    await l.wire(
      { name: 'nat', dev: 'eth1', cidr: `${NAT_OUTSIDE}/24`, mac: '02:00:0a:ec:00:01' },
      { name: 'out', dev: 'eth0', cidr: `${OUTSIDE}/24`, mac: '02:00:0a:ec:00:02' },
    );
    await must('ip', ['-n', l.ns('priv'), 'route', 'add', 'default', 'via', NAT_INSIDE]);
    await l.listen('out', OUTSIDE, LISTENING);
  });

  beforeEach(async () => {
    await clearAll(lab());
    await setForwarding(lab(), true);
    await lab().nft('nat', MASQUERADE);
  });

  it('reports ok when ip_forward is 1 and an nft masquerade rule exists', async () => {
    const { forwarding, lines } = await onNat(lab());

    expect(forwarding).toEqual({ kind: 'forwarding', id: NAT_ID, result: 'ok', ipForward: '1', natRule: 'yes' });
    expect(natForwarding(lines, NAT_ID)).toBe('ok');
    expect(await fromPrivate(lab())).toBe('ok');
  });

  it('reports fail when the masquerade rule is gone, while the NAT still reaches out itself', async () => {
    await lab().clearNft('nat');

    const { forwarding, lines } = await onNat(lab());

    expect(forwarding).toMatchObject({ result: 'fail', ipForward: '1', natRule: 'no' });
    // The contrast: the NAT's own egress check passes, the hosts behind it are cut off.
    expect(egressForwarding(lines, NAT_ID)).toBe('ok');
    expect(await fromPrivate(lab())).toBe('fail');
  });

  it('reports fail for a nat postrouting chain with no masquerade or snat in it', async () => {
    await lab().nft('nat', EMPTY_NAT_CHAIN);

    const { forwarding } = await onNat(lab());

    expect(forwarding).toMatchObject({ result: 'fail', natRule: 'no' });
  });

  it('reports fail when ip_forward is 0, although the masquerade rule is there', async () => {
    await setForwarding(lab(), false);

    const { forwarding, lines } = await onNat(lab());

    expect(forwarding).toMatchObject({ result: 'fail', ipForward: '0', natRule: 'yes' });
    expect(egressForwarding(lines, NAT_ID)).toBe('ok');
    expect(await fromPrivate(lab())).toBe('fail');
  });

  it('reports unsupported, not fail, when neither nft nor iptables exists, even with no rule', async () => {
    await lab().clearNft('nat');
    const path = await shimPath(join(scratch, 'none'), {});

    const { forwarding, lines } = await onNat(lab(), path);

    expect(forwarding).toMatchObject({ result: 'unsupported', ipForward: '1', natRule: 'unknown' });
    expect(natForwarding(lines, NAT_ID)).toBe('unknown');
  });

  it('reports unsupported when nft may not read the ruleset (not root)', async () => {
    const result = await lab().exec('nat', ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', 'dash', '-c', probeScript([self], { pingCount: 1 }).lines.join('\n')], 15_000);

    const forwarding = parseProbeOutput(result.stdout).find((l) => l.kind === 'forwarding');
    expect(forwarding).toMatchObject({ result: 'unsupported', ipForward: '1', natRule: 'unknown' });
  });

  describe('with iptables', () => {
    it('reports ok for a MASQUERADE rule added with iptables (nf_tables backend), fail once flushed', async () => {
      await lab().clearNft('nat');
      await lab().mustExec('nat', ['iptables', '-t', 'nat', '-A', 'POSTROUTING', '-o', 'eth1', '-j', 'MASQUERADE']);
      const path = await shimPath(join(scratch, 'iptables'), { 'iptables-save': await toolPath('iptables-save'), iptables: await toolPath('iptables') });

      const before = await onNat(lab(), path);
      const privateBefore = await fromPrivate(lab());
      await lab().mustExec('nat', ['iptables', '-t', 'nat', '-F', 'POSTROUTING']);
      const after = await onNat(lab(), path);

      expect(before.forwarding).toMatchObject({ result: 'ok', natRule: 'yes' });
      expect(privateBefore).toBe('ok');
      expect(after.forwarding).toMatchObject({ result: 'fail', natRule: 'no' });
      expect(await fromPrivate(lab())).toBe('fail');
    });

    it('follows a jump from POSTROUTING to a chain that does the SNAT', async () => {
      await lab().clearNft('nat');
      for (const args of [
        ['-N', 'VPCF-SNAT'],
        ['-A', 'VPCF-SNAT', '-o', 'eth1', '-j', 'SNAT', '--to-source', NAT_OUTSIDE],
        ['-A', 'POSTROUTING', '-j', 'VPCF-SNAT'],
      ]) {
        await lab().mustExec('nat', ['iptables', '-t', 'nat', ...args]);
      }
      const path = await shimPath(join(scratch, 'iptables-s'), { iptables: await toolPath('iptables') });

      const { forwarding } = await onNat(lab(), path);

      expect(forwarding).toMatchObject({ result: 'ok', natRule: 'yes' });
      expect(await fromPrivate(lab())).toBe('ok');
    });

    it('sees iptables-legacy rules that nft cannot see', async () => {
      await lab().clearNft('nat');
      await lab().mustExec('nat', ['iptables-legacy', '-t', 'nat', '-A', 'POSTROUTING', '-o', 'eth1', '-j', 'MASQUERADE']);
      // nft is there and finds nothing; iptables-save is the legacy one, as on a legacy host.
      const path = await shimPath(join(scratch, 'legacy'), { nft: await toolPath('nft'), 'iptables-save': await toolPath('iptables-legacy-save') });

      const { forwarding } = await onNat(lab(), path);

      expect(forwarding).toMatchObject({ result: 'ok', natRule: 'yes' });
      expect(await fromPrivate(lab())).toBe('ok');
    });
  });
});

