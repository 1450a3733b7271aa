/**
 * Strict validators for every value that may reach a shell command or an AWS parameter.
 * They accept the canonical form only, so a value that passes cannot carry shell syntax.
 */

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;
const INSTANCE_ID = /^i-[0-9a-f]{8}([0-9a-f]{9})?$/;

export const isIpv4 = (value: string): boolean => IPV4.test(value);
export const isMac = (value: string): boolean => MAC.test(value);
export const isInstanceId = (value: string): boolean => INSTANCE_ID.test(value);
export const isPort = (value: number): boolean => Number.isInteger(value) && value >= 1 && value <= 65535;

export function ipv4ToInt(ip: string): number {
  return ip.split('.').reduce((acc, octet) => acc * 256 + Number(octet), 0);
}

export function intToIp(value: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join('.');
}

/** Parses `a.b.c.d/n`; returns undefined unless both parts are canonical. */
export function parseCidr(cidr: string): { base: string; prefixLength: number } | undefined {
  const match = /^([0-9.]+)\/(\d{1,2})$/.exec(cidr);
  if (!match) return undefined;
  const [, base = '', bits = ''] = match;
  const prefixLength = Number(bits);
  if (!isIpv4(base) || prefixLength > 32 || String(prefixLength) !== bits) return undefined;
  return { base, prefixLength };
}

export function cidrContains(cidr: string, ip: string): boolean {
  const parsed = parseCidr(cidr);
  if (!parsed || !isIpv4(ip)) return false;
  const size = 2 ** (32 - parsed.prefixLength);
  return Math.floor(ipv4ToInt(ip) / size) === Math.floor(ipv4ToInt(parsed.base) / size);
}

/** The subnet's router, which a VPC always puts at its first host address (x.x.x.1 of a /24); undefined for a bad CIDR. */
export function subnetRouterIp(cidr: string): string | undefined {
  const parsed = parseCidr(cidr);
  if (!parsed) return undefined;
  const size = 2 ** (32 - parsed.prefixLength);
  return intToIp(Math.floor(ipv4ToInt(parsed.base) / size) * size + 1);
}
