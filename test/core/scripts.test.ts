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
