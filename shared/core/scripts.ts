/**
 * Shell run on instances through SSM (AWS-RunShellScript). Values are validated before they are
 * interpolated, and the scripts are POSIX sh so they run on any distribution.
 */
import { FailoverError } from '../errors.js';
import type { HostScript } from './ports.js';
import { isIpv4, isMac } from './validate.js';

export interface IpOnInterface {
  readonly ip: string;
  readonly prefixLength: number;
  /** The ENI's MAC: the OS names interfaces differently (eth0, ens5), the MAC is stable. */
  readonly macAddress: string;
}

function checked({ ip, prefixLength, macAddress }: IpOnInterface): IpOnInterface {
  if (!isIpv4(ip)) throw new FailoverError(`refusing to build a script: '${ip}' is not an IPv4 address`, { context: { field: 'ip' } });
  if (!Number.isInteger(prefixLength) || prefixLength < 1 || prefixLength > 32) {
    throw new FailoverError(`refusing to build a script: prefix length '${prefixLength}' is not 1 to 32`, { context: { field: 'prefixLength' } });
  }
  const mac = macAddress.toLowerCase();
  if (!isMac(mac)) throw new FailoverError(`refusing to build a script: '${macAddress}' is not a MAC address`, { context: { field: 'macAddress' } });
  return { ip, prefixLength, macAddress: mac };
}

/** Finds the interface with the MAC, or exits 3. Sets `dev`. */
function findDevice(mac: string): string[] {
  return [
    'dev=""',
    'for path in /sys/class/net/*; do',
    `  if [ "$(cat "$path/address" 2>/dev/null)" = "${mac}" ]; then dev="\${path##*/}"; fi`,
    'done',
    `if [ -z "$dev" ]; then echo "vpcf result=no-interface mac=${mac}"; exit 3; fi`,
  ];
}

/** Finds the address on `dev` with whatever prefix it carries (ec2-net-utils adds /32s). Sets `present`. */
function presentCidrs(ip: string): string[] {
  return [`present=$(ip -4 -o addr show dev "$dev" | sed -n 's|.* inet \\(${ip.replaceAll('.', '\\.')}/[0-9]*\\) .*|\\1|p')`];
}

/** Brings the address up; already up, with any prefix, counts as done. */
export function activateIpScript(input: IpOnInterface): HostScript {
  const { ip, prefixLength, macAddress } = checked(input);
  return {
    name: 'activate-ip',
    lines: [
      'set -u',
      ...findDevice(macAddress),
      ...presentCidrs(ip),
      `if [ -z "$present" ]; then ip addr add ${ip}/${prefixLength} dev "$dev" || exit 4; fi`,
      `echo "vpcf result=active ip=${ip} dev=$dev"`,
    ],
  };
}

/** Takes the address down, whatever prefix it was added with; absent already counts as done. */
export function deactivateIpScript(input: IpOnInterface): HostScript {
  const { ip, macAddress } = checked(input);
  return {
    name: 'deactivate-ip',
    lines: [
      'set -u',
      ...findDevice(macAddress),
      ...presentCidrs(ip),
      'for cidr in $present; do ip addr del "$cidr" dev "$dev" || exit 4; done',
      `echo "vpcf result=inactive ip=${ip} dev=$dev"`,
    ],
  };
}
