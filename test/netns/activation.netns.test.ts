/**
 * The VIP activation and deactivation scripts (shared/core/scripts.ts) run for real on node B, and
 * checked from B's interface table and from A's point of view (ping on the shared segment).
 */
import { beforeEach, expect, it } from 'vitest';
import { activateIpScript, deactivateIpScript, type IpOnInterface } from '../../shared/core/scripts.js';
import { describeNetns, must, useLab, type Lab } from './support/netns.js';

const A = { name: 'a', cidr: '10.235.0.1/24', mac: '02:00:0a:eb:00:01' };
const B = { name: 'b', cidr: '10.235.0.2/24', mac: '02:00:0a:eb:00:02' };
/** A second interface of B's, so the scripts must pick the device by MAC rather than take the first. */
const B_SECOND = { dev: 'eth1', mac: '02:00:0a:eb:00:12', peer: 'eth9', peerMac: '02:00:0a:eb:00:99' };
const VIP = '10.235.0.100';
const vip: IpOnInterface = { ip: VIP, prefixLength: 24, macAddress: B.mac };

/** B's IPv4 addresses as `dev address/prefix`, sorted. */
async function addresses(lab: Lab): Promise<string[]> {
  const out = await lab.mustExec('b', ['ip', '-4', '-o', 'addr', 'show']);
  return out
    .trim()
    .split('\n')
    .map((line) => line.split(/\s+/))
    .map((fields) => `${fields[1]} ${fields[3]}`)
    .sort();
}

async function pingFromA(lab: Lab, ip: string): Promise<boolean> {
  // An earlier failed ping leaves A's neighbour entry FAILED; start every check from a clean cache.
  await lab.exec('a', ['ip', 'neigh', 'flush', 'to', ip]);
  const result = await lab.exec('a', ['ping', '-n', '-q', '-c', '3', '-i', '0.2', '-W', '1', ip]);
  return result.code === 0;
}

describeNetns('VIP activation scripts in network namespaces', () => {
  const lab = useLab(async (l) => {
    await l.lan('lan', [A, B]);
    await must('ip', ['-n', l.ns('b'), 'link', 'add', B_SECOND.dev, 'address', B_SECOND.mac, 'type', 'veth', 'peer', 'name', B_SECOND.peer, 'address', B_SECOND.peerMac]);
    await must('ip', ['-n', l.ns('b'), 'link', 'set', B_SECOND.dev, 'up']);
  });

  beforeEach(async () => {
    await lab().exec('b', ['ip', 'addr', 'flush', 'dev', 'eth0', 'to', `${VIP}/32`]);
    await lab().exec('b', ['ip', 'addr', 'flush', 'dev', B_SECOND.dev]);
  });

  it('brings the VIP up on the interface with the MAC, reachable from a peer', async () => {
    expect(await pingFromA(lab(), VIP)).toBe(false);

    const result = await lab().runScript('b', activateIpScript(vip));

    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain(`vpcf result=active ip=${VIP} dev=eth0`);
    expect(await addresses(lab())).toContain(`eth0 ${VIP}/24`);
    expect(await pingFromA(lab(), VIP)).toBe(true);
  });

  it('brings a /32 VIP up too, reachable over the peer\'s connected subnet', async () => {
    const result = await lab().runScript('b', activateIpScript({ ...vip, prefixLength: 32 }));

    expect(result.code, result.stderr).toBe(0);
    expect(await addresses(lab())).toContain(`eth0 ${VIP}/32`);
    expect(await pingFromA(lab(), VIP)).toBe(true);
  });

  it('picks the device by MAC, not the first device, and accepts an upper-case MAC', async () => {
    const result = await lab().runScript('b', activateIpScript({ ...vip, macAddress: B_SECOND.mac.toUpperCase() }));

    expect(result.code, result.stderr).toBe(0);
    expect(await addresses(lab())).toContain(`${B_SECOND.dev} ${VIP}/24`);
    expect((await addresses(lab())).filter((a) => a.startsWith('eth0 '))).toEqual([`eth0 ${B.cidr}`]);
  });

  it.each(['dash', 'bash'] as const)('leaves exactly one address when activated twice (%s)', async (shell) => {
    const first = await lab().runScript('b', activateIpScript(vip), shell);
    const second = await lab().runScript('b', activateIpScript(vip), shell);

    expect([first.code, second.code]).toEqual([0, 0]);
    expect((await addresses(lab())).filter((a) => a.includes(VIP))).toEqual([`eth0 ${VIP}/24`]);
  });

  it.each(['dash', 'bash'] as const)('removes the VIP, and a second deactivation still succeeds (%s)', async (shell) => {
    await lab().runScript('b', activateIpScript(vip), shell);
    expect(await pingFromA(lab(), VIP)).toBe(true);

    const first = await lab().runScript('b', deactivateIpScript(vip), shell);
    const second = await lab().runScript('b', deactivateIpScript(vip), shell);

    expect([first.code, second.code]).toEqual([0, 0]);
    expect(second.stdout).toContain(`vpcf result=inactive ip=${VIP} dev=eth0`);
    expect((await addresses(lab())).filter((a) => a.includes(VIP))).toEqual([]);
    expect(await addresses(lab())).toContain(`eth0 ${B.cidr}`);
    expect(await pingFromA(lab(), VIP)).toBe(false);
  });

  it('deactivates only its own address, not one it is a prefix of', async () => {
    await lab().runScript('b', activateIpScript(vip));
    const shorter: IpOnInterface = { ...vip, ip: '10.235.0.10' };

    const result = await lab().runScript('b', deactivateIpScript(shorter));

    expect(result.code, result.stderr).toBe(0);
    expect(await addresses(lab())).toContain(`eth0 ${VIP}/24`);
  });

  // Amazon Linux 2023's ec2-net-utils adds secondary IPs as /32: deactivation must find the address
  // whatever prefix it carries, or the old holder keeps treating the VIP as local.
  it('removes the VIP even when it is present with another prefix length', async () => {
    await lab().mustExec('b', ['ip', 'addr', 'add', `${VIP}/32`, 'dev', 'eth0']);

    const result = await lab().runScript('b', deactivateIpScript({ ...vip, prefixLength: 24 }));

    expect(result.code, result.stderr).toBe(0);
    expect((await addresses(lab())).filter((a) => a.includes(VIP))).toEqual([]);
  });

  it.each([
    ['activation', activateIpScript],
    ['deactivation', deactivateIpScript],
  ] as const)('exits 3 and changes nothing when no interface has the MAC (%s)', async (_, build) => {
    await lab().runScript('b', activateIpScript(vip));
    const before = await addresses(lab());

    const result = await lab().runScript('b', build({ ...vip, macAddress: '02:00:0a:eb:00:77' }));

    expect(result.code).toBe(3);
    expect(result.stdout).toContain('vpcf result=no-interface mac=02:00:0a:eb:00:77');
    expect(await addresses(lab())).toEqual(before);
  });
});
