/**
 * The egress (forwarding) check against a real NAT: `priv` reaches `out` only through `nat`, which
 * forwards and masquerades. `out` has no route back to the private subnet, so without masquerade its
 * answers cannot return, just as an Internet host cannot answer a VPC-private address.
 */
import { beforeEach, expect, it } from 'vitest';
import { egressForwarding, parseProbeOutput, type ProbeCheckLine, type ProbeLine } from '../../shared/probe/parse.js';
import { probeScript, type ProbeTarget } from '../../shared/probe/script.js';
import { describeNetns, must, useLab, type Lab } from './support/netns.js';

const NAT_ID = 'i-0aaaaaaaaaaaaaaa1';
const NAT_INSIDE = '10.233.1.1';
const PRIVATE = '10.233.1.2';
const NAT_OUTSIDE = '10.234.0.1';
const OUTSIDE = '10.234.0.2';
const LISTENING = 8443;
const CLOSED = 8444;

const MASQUERADE = 'table ip vpcf {\n chain postrouting {\n type nat hook postrouting priority srcnat;\n oifname "eth1" masquerade\n }\n}';

function natTarget(endpoints: readonly number[]): ProbeTarget {
  return { id: NAT_ID, ip: NAT_INSIDE, tcpPorts: [], egress: endpoints.map((port) => ({ kind: 'egress', host: OUTSIDE, port })) };
}

function byCheck(lines: readonly ProbeLine[]): Record<string, string> {
  return Object.fromEntries(
    lines
      .filter((l): l is ProbeCheckLine => l.kind === 'check')
      .map((l) => [`${l.check}${l.port === undefined ? '' : `:${l.port}`}`, l.result]),
  );
}

async function probeFromPrivate(lab: Lab, endpoints: readonly number[] = [LISTENING]): Promise<ProbeLine[]> {
  const result = await lab.runScript('priv', probeScript([natTarget(endpoints)], { pingCount: 2, timeoutSeconds: 1 }));
  expect(result.code, result.stderr).toBe(0);
  return parseProbeOutput(result.stdout);
}

async function setForwarding(lab: Lab, on: boolean): Promise<void> {
  await lab.mustExec('nat', ['sysctl', '-q', '-w', `net.ipv4.ip_forward=${on ? 1 : 0}`]);
}

describeNetns('egress check through a NAT in network namespaces', () => {
  const lab = useLab(async (l) => {
    for (const name of ['priv', 'nat', 'out']) await l.addNamespace(name);
    await l.wire(
      { name: 'priv', dev: 'eth0', cidr: `${PRIVATE}/24`, mac: '02:00:0a:e9:01:02' },
      { name: 'nat', dev: 'eth0', cidr: `${NAT_INSIDE}/24`, mac: '02:00:0a:e9:01:01' },
    );
    await l.wire(
      { name: 'nat', dev: 'eth1', cidr: `${NAT_OUTSIDE}/24`, mac: '02:00:0a:ea:00:01' },
      { name: 'out', dev: 'eth0', cidr: `${OUTSIDE}/24`, mac: '02:00:0a:ea:00:02' },
    );
    await must('ip', ['-n', l.ns('priv'), 'route', 'add', 'default', 'via', NAT_INSIDE]);
    await l.listen('out', OUTSIDE, LISTENING);
  });

  beforeEach(async () => {
    await setForwarding(lab(), true);
    await lab().nft('nat', MASQUERADE);
  });

  it('reports egress ok when the NAT forwards and masquerades', async () => {
    const lines = await probeFromPrivate(lab());

    expect(byCheck(lines)).toEqual({ icmp: 'ok', [`egress:${LISTENING}`]: 'ok' });
    expect(egressForwarding(lines, NAT_ID)).toBe('ok');
  });

  it('reports egress fail, with ping still ok, when the masquerade rule is gone', async () => {
    await lab().clearNft('nat');

    const lines = await probeFromPrivate(lab());

    expect(byCheck(lines)).toEqual({ icmp: 'ok', [`egress:${LISTENING}`]: 'fail' });
    expect(egressForwarding(lines, NAT_ID)).toBe('fail');
  });

  it('reports egress fail, with ping still ok, when forwarding is off', async () => {
    await setForwarding(lab(), false);

    const lines = await probeFromPrivate(lab());

    expect(byCheck(lines)).toEqual({ icmp: 'ok', [`egress:${LISTENING}`]: 'fail' });
    expect(egressForwarding(lines, NAT_ID)).toBe('fail');
  });

  it('counts forwarding as working when any one of several endpoints answers', async () => {
    const lines = await probeFromPrivate(lab(), [CLOSED, LISTENING]);

    expect(byCheck(lines)).toEqual({ icmp: 'ok', [`egress:${CLOSED}`]: 'fail', [`egress:${LISTENING}`]: 'ok' });
    expect(egressForwarding(lines, NAT_ID)).toBe('ok');
  });
});
