/** What the VIP scripts do; injection is specified in test/netns/injection.test.ts, execution in the netns tests. */
import { describe, expect, it } from 'vitest';
import { activateIpScript, deactivateIpScript } from '../../shared/core/scripts.js';
import { FailoverError } from '../../shared/errors.js';

const input = { ip: '10.0.1.100', prefixLength: 24, macAddress: '02:AB:CD:00:00:01' };

describe('activateIpScript', () => {
  it('finds the interface by its MAC (lower case) and adds the address with its prefix unless present', () => {
    const script = activateIpScript(input);

    expect(script.name).toBe('activate-ip');
    expect(script.lines[0]).toBe('set -u');
    expect(script.lines.join('\n')).toContain('= "02:ab:cd:00:00:01" ]');
    expect(script.lines).toContain('if [ -z "$present" ]; then ip addr add 10.0.1.100/24 dev "$dev" || exit 4; fi');
    expect(script.lines.at(-1)).toBe('echo "vpcf result=active ip=10.0.1.100 dev=$dev"');
  });

  it('matches the address with its dots escaped, so 10.0.1.100 does not match 10.0.1x100', () => {
    expect(activateIpScript(input).lines.join('\n')).toContain('10\\.0\\.1\\.100/[0-9]*');
  });

  it.each([0, 33, 1.5, Number.NaN])('refuses prefix length %s, naming the field', (prefixLength) => {
    expect(() => activateIpScript({ ...input, prefixLength })).toThrow(expect.objectContaining({ context: { field: 'prefixLength' } }));
    expect(() => activateIpScript({ ...input, prefixLength })).toThrow(FailoverError);
  });
});

describe('deactivateIpScript', () => {
  it('deletes the address with whatever prefix it carries, and exits 3 when the MAC is not found', () => {
    const script = deactivateIpScript(input);

    expect(script.name).toBe('deactivate-ip');
    expect(script.lines).toContain('for cidr in $present; do ip addr del "$cidr" dev "$dev" || exit 4; done');
    expect(script.lines.join('\n')).toContain('echo "vpcf result=no-interface mac=02:ab:cd:00:00:01"; exit 3');
    expect(script.lines.join('\n')).not.toContain('ip addr add');
  });
});

describe('source routing for a VIP on a secondary ENI', () => {
  const routed = { ...input, sourceRouting: { table: 10_001, gateway: '10.0.1.1', subnetCidr: '10.0.1.0/24' } };

  it('adds the table routes and, once, the rule that sends replies from the VIP through that ENI', () => {
    const script = activateIpScript(routed);

    expect(script.lines).toContain('ip route replace 10.0.1.0/24 dev "$dev" table 10001 || exit 5');
    expect(script.lines).toContain('ip route replace default via 10.0.1.1 dev "$dev" table 10001 || exit 5');
    expect(script.lines).toContain('if ! ip rule show | grep -qF "from 10.0.1.100 lookup 10001"; then ip rule add from 10.0.1.100 lookup 10001 priority 10001 || exit 5; fi');
    expect(script.lines.at(-1)).toBe('echo "vpcf result=active ip=10.0.1.100 dev=$dev table=10001"');
  });

  it('removes the rule with the address, and leaves the table to the ENI’s other addresses', () => {
    const script = deactivateIpScript(routed);

    expect(script.lines).toContain('while ip rule del from 10.0.1.100 lookup 10001 2>/dev/null; do :; done');
    expect(script.lines.join('\n')).not.toContain('ip route');
  });

  it('adds no rule for an address on the primary ENI', () => {
    expect(activateIpScript(input).lines.join('\n')).not.toContain('ip rule');
  });

  it.each([
    ['sourceRouting.table', { table: 100, gateway: '10.0.1.1', subnetCidr: '10.0.1.0/24' }],
    ['sourceRouting.table', { table: 10_001.5, gateway: '10.0.1.1', subnetCidr: '10.0.1.0/24' }],
    ['sourceRouting.gateway', { table: 10_001, gateway: '10.0.1.1; reboot', subnetCidr: '10.0.1.0/24' }],
    ['sourceRouting.subnetCidr', { table: 10_001, gateway: '10.0.1.1', subnetCidr: '10.0.1.0/24 && id' }],
  ])('refuses a bad %s before anything reaches a shell', (field, sourceRouting) => {
    expect(() => activateIpScript({ ...input, sourceRouting })).toThrow(expect.objectContaining({ context: { field } }));
    expect(() => deactivateIpScript({ ...input, sourceRouting })).toThrow(FailoverError);
  });
});
