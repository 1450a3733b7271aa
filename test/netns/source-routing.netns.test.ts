/**
 * A VIP on a secondary ENI, for real: the VPC drops a packet that leaves an ENI with a source
 * address that ENI does not hold (the source/dest check), so the reply to a client must leave
 * through the ENI that holds the VIP. The router here enforces that check with nft.
 *
 *   client C 10.237.3.30 ── R ── eth0 10.237.1.10  node N (default route via eth0)
 *                               └─ eth1 10.237.2.20  (the VIP 10.237.2.100 is in this subnet)
 */
import { beforeEach, expect, it } from 'vitest';
import { activateIpScript, deactivateIpScript, type IpOnInterface } from '../../shared/core/scripts.js';
import { describeNetns, useLab, type Lab } from './support/netns.js';

const VIP = '10.237.2.100';
const N_ETH1_MAC = '02:00:0a:ed:02:14';
const routed: IpOnInterface = { ip: VIP, prefixLength: 24, macAddress: N_ETH1_MAC, sourceRouting: { table: 10_001, gateway: '10.237.2.1', subnetCidr: '10.237.2.0/24' } };
const unrouted: IpOnInterface = { ip: VIP, prefixLength: 24, macAddress: N_ETH1_MAC };

async function clientReaches(lab: Lab): Promise<boolean> {
  const result = await lab.exec('c', ['ping', '-n', '-q', '-c', '2', '-i', '0.2', '-W', '1', VIP]);
  return result.code === 0;
}

async function rules(lab: Lab): Promise<string[]> {
  return (await lab.mustExec('n', ['ip', 'rule', 'show'])).split('\n').filter((line) => line.includes(VIP));
}

describeNetns('source routing for a VIP on a secondary ENI, in network namespaces', () => {
  const lab = useLab(async (l) => {
    for (const name of ['r', 'n', 'c']) await l.addNamespace(name);
    await l.wire({ name: 'r', dev: 'r-n0', cidr: '10.237.1.1/24', mac: '02:00:0a:ed:01:01' }, { name: 'n', dev: 'eth0', cidr: '10.237.1.10/24', mac: '02:00:0a:ed:01:0a' });
    await l.wire({ name: 'r', dev: 'r-n1', cidr: '10.237.2.1/24', mac: '02:00:0a:ed:02:01' }, { name: 'n', dev: 'eth1', cidr: '10.237.2.20/24', mac: N_ETH1_MAC });
    await l.wire({ name: 'r', dev: 'r-c', cidr: '10.237.3.1/24', mac: '02:00:0a:ed:03:01' }, { name: 'c', dev: 'eth0', cidr: '10.237.3.30/24', mac: '02:00:0a:ed:03:1e' });
    await l.mustExec('r', ['sysctl', '-q', '-w', 'net.ipv4.ip_forward=1']);
    await l.mustExec('n', ['ip', 'route', 'add', 'default', 'via', '10.237.1.1', 'dev', 'eth0']);
    await l.mustExec('c', ['ip', 'route', 'add', 'default', 'via', '10.237.3.1']);
    // The VPC's source/dest check on N's primary ENI: only its own address may leave through it.
    await l.nft('r', 'table inet vpcf {\n  chain forward {\n    type filter hook forward priority 0;\n    iifname "r-n0" ip saddr != 10.237.1.10 drop\n  }\n}');
  });

  beforeEach(async () => {
    await lab().runScript('n', deactivateIpScript(routed));
  });

  it('loses the replies of a VIP brought up on eth1 without its source rule: they leave through eth0', async () => {
    const result = await lab().runScript('n', activateIpScript(unrouted));

    expect(result.code, result.stderr).toBe(0);
    expect(await clientReaches(lab())).toBe(false);
  });

  it('answers the client once the activation also sets the source rule and table of eth1', async () => {
    const result = await lab().runScript('n', activateIpScript(routed));

    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain(`vpcf result=active ip=${VIP} dev=eth1 table=10001`);
    expect(await rules(lab())).toEqual([`10001:\tfrom ${VIP} lookup 10001`]);
    expect(await clientReaches(lab())).toBe(true);
  });

  it('keeps one rule when activated twice, and removes it on deactivation', async () => {
    await lab().runScript('n', activateIpScript(routed));
    await lab().runScript('n', activateIpScript(routed));
    expect(await rules(lab())).toHaveLength(1);

    const result = await lab().runScript('n', deactivateIpScript(routed));

    expect(result.code, result.stderr).toBe(0);
    expect(await rules(lab())).toEqual([]);
    expect(await clientReaches(lab())).toBe(false);
  });
});
