/**
 * Route destinations in the in-memory VPC, as EC2 takes and shows them: exactly one of
 * DestinationCidrBlock (IPv4), DestinationIpv6CidrBlock or DestinationPrefixListId per request, and
 * the same field back in DescribeRouteTables. The record keeps the value as EC2 shows it and its
 * kind beside it; the kinds' values never collide (`0.0.0.0/0`, `::/0`, `pl-…`), so a table still
 * holds one route per value.
 */
import { isIPv6 } from 'node:net';
import type { Route } from '@aws-sdk/client-ec2';
import { ipv4ToInt, parseCidr } from '../shared/core/validate.js';
import type { RouteRec } from './core.js';
import { ec2Error } from './errors.js';

export type DestinationKind = 'ipv4' | 'ipv6' | 'prefix-list';

export interface DestinationInput {
  readonly DestinationCidrBlock?: string | undefined;
  readonly DestinationIpv6CidrBlock?: string | undefined;
  readonly DestinationPrefixListId?: string | undefined;
}

/** A route record's kind: records made before there were kinds are IPv4. */
export const kindOf = (route: Pick<RouteRec, 'destinationKind'>): DestinationKind => route.destinationKind ?? 'ipv4';

function invalid(field: string, value: string): Error {
  return ec2Error('InvalidParameterValue', `Value (${value}) for parameter ${field} is invalid. This is not a valid CIDR block.`);
}

/** An IPv4 CIDR whose host bits are zero, as `parseCidr` reads it. */
function checkIpv4(cidr: string): string {
  const parsed = parseCidr(cidr);
  if (!parsed || ipv4ToInt(parsed.base) % 2 ** (32 - parsed.prefixLength) !== 0) throw invalid('destinationCidrBlock', cidr);
  return cidr;
}

function checkIpv6(cidr: string): string {
  const [address = '', prefix, ...rest] = cidr.split('/');
  const length = Number(prefix);
  if (rest.length > 0 || prefix === undefined || !/^\d{1,3}$/.test(prefix) || length > 128 || !isIPv6(address)) throw invalid('destinationIpv6CidrBlock', cidr);
  return cidr.toLowerCase();
}

/**
 * The one destination of a CreateRoute/ReplaceRoute/DeleteRoute request. `prefixListExists` says
 * whether the world has that managed prefix list.
 */
export function destinationOf(input: DestinationInput, prefixListExists: (id: string) => boolean): { readonly kind: DestinationKind; readonly value: string } {
  const given = ([
    ['ipv4', input.DestinationCidrBlock],
    ['ipv6', input.DestinationIpv6CidrBlock],
    ['prefix-list', input.DestinationPrefixListId],
  ] as const).filter((entry): entry is readonly [DestinationKind, string] => entry[1] !== undefined);
  const [first, ...more] = given;
  if (!first) throw ec2Error('MissingParameter', 'The request must contain the parameter destinationCidrBlock or destinationIpv6CidrBlock or destinationPrefixListId');
  if (more.length > 0) throw ec2Error('InvalidParameterCombination', 'Only one of destinationCidrBlock, destinationIpv6CidrBlock and destinationPrefixListId may be specified');
  const [kind, value] = first;
  if (kind === 'ipv4') return { kind, value: checkIpv4(value) };
  if (kind === 'ipv6') return { kind, value: checkIpv6(value) };
  if (!prefixListExists(value)) throw ec2Error('InvalidPrefixListID.NotFound', `The prefix list ID '${value}' does not exist`);
  return { kind, value };
}

/** The destination field DescribeRouteTables fills for this route. */
export function destinationShape(route: Pick<RouteRec, 'destination' | 'destinationKind'>): Pick<Route, 'DestinationCidrBlock' | 'DestinationIpv6CidrBlock' | 'DestinationPrefixListId'> {
  switch (kindOf(route)) {
    case 'ipv4':
      return { DestinationCidrBlock: route.destination };
    case 'ipv6':
      return { DestinationIpv6CidrBlock: route.destination };
    case 'prefix-list':
      return { DestinationPrefixListId: route.destination };
  }
}
