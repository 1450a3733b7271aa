/**
 * Shell run on instances through SSM (AWS-RunShellScript). Values are validated before they are
 * interpolated, and the scripts are POSIX sh so they run on any distribution.
 */
import { FailoverError } from '../errors.js';
import type { SourceRouting } from './model.js';
import type { HostScript } from './ports.js';
import { isIpv4, isMac, parseCidr } from './validate.js';

export interface IpOnInterface {
  readonly ip: string;
  readonly prefixLength: number;
  /** The ENI's MAC: the OS names interfaces differently (eth0, ens5), the MAC is stable. */
  readonly macAddress: string;
  /** For an address on a secondary ENI: the rule and table that send its replies out through that ENI. */
  readonly sourceRouting?: SourceRouting;
}

const refuse = (field: string, message: string): never => {
  throw new FailoverError(`refusing to build a script: ${message}`, { context: { field } });
};

function checked({ ip, prefixLength, macAddress, sourceRouting }: IpOnInterface): IpOnInterface {
  if (!isIpv4(ip)) refuse('ip', `'${ip}' is not an IPv4 address`);
  if (!Number.isInteger(prefixLength) || prefixLength < 1 || prefixLength > 32) refuse('prefixLength', `prefix length '${prefixLength}' is not 1 to 32`);
  const mac = macAddress.toLowerCase();
  if (!isMac(mac)) refuse('macAddress', `'${macAddress}' is not a MAC address`);
  if (sourceRouting === undefined) return { ip, prefixLength, macAddress: mac };
  const { table, gateway, subnetCidr } = sourceRouting;
  // Tables 1 to 252 are the system's own; amazon-ec2-net-utils numbers from 10000.
  if (!Number.isInteger(table) || table < 256 || table > 2 ** 31 - 1) refuse('sourceRouting.table', `'${table}' is not a routing table number from 256`);
  if (!isIpv4(gateway)) refuse('sourceRouting.gateway', `'${gateway}' is not an IPv4 address`);
  if (parseCidr(subnetCidr) === undefined) refuse('sourceRouting.subnetCidr', `'${subnetCidr}' is not an IPv4 CIDR`);
  return { ip, prefixLength, macAddress: mac, sourceRouting: { table, gateway, subnetCidr } };
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

/** The rule that sends replies from `ip` out through `dev`, and the routes of its table; exits 5 if they cannot be set. */
function sourceRoutingLines(ip: string, { table, gateway, subnetCidr }: SourceRouting): string[] {
  return [
    `ip route replace ${subnetCidr} dev "$dev" table ${table} || exit 5`,
    `ip route replace default via ${gateway} dev "$dev" table ${table} || exit 5`,
    `if ! ip rule show | grep -qF "from ${ip} lookup ${table}"; then ip rule add from ${ip} lookup ${table} priority ${table} || exit 5; fi`,
  ];
}

/** Brings the address up; already up, with any prefix, counts as done. On a secondary ENI, also its source route. */
export function activateIpScript(input: IpOnInterface): HostScript {
  const { ip, prefixLength, macAddress, sourceRouting } = checked(input);
  return {
    name: 'activate-ip',
    lines: [
      'set -u',
      ...findDevice(macAddress),
      ...presentCidrs(ip),
      `if [ -z "$present" ]; then ip addr add ${ip}/${prefixLength} dev "$dev" || exit 4; fi`,
      ...(sourceRouting ? sourceRoutingLines(ip, sourceRouting) : []),
      `echo "vpcf result=active ip=${ip} dev=$dev${sourceRouting ? ` table=${sourceRouting.table}` : ''}"`,
    ],
  };
}

/** Takes the address down, whatever prefix it was added with, and its source rule; absent already counts as done. */
export function deactivateIpScript(input: IpOnInterface): HostScript {
  const { ip, macAddress, sourceRouting } = checked(input);
  return {
    name: 'deactivate-ip',
    lines: [
      'set -u',
      ...findDevice(macAddress),
      ...presentCidrs(ip),
      'for cidr in $present; do ip addr del "$cidr" dev "$dev" || exit 4; done',
      // The table's routes stay: they serve the ENI's other addresses, as ec2-net-utils leaves them.
      ...(sourceRouting ? [`while ip rule del from ${ip} lookup ${sourceRouting.table} 2>/dev/null; do :; done`] : []),
      `echo "vpcf result=inactive ip=${ip} dev=$dev"`,
    ],
  };
}
