/**
 * The items of the store's table, marshalled by hand for the low-level client: attribute values
 * in and out, the keys, and the table an operation works on. Pure, no I/O.
 */
import type { AttributeValue, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Clock } from '../core/ports.js';

/** What every operation of the store needs. */
export interface Table {
  readonly client: DynamoDBClient;
  readonly tableName: string;
  /** Backoff sleeps and journal key suffixes. */
  readonly clock: Clock;
  /** How long journal entries live (the TTL attribute), in seconds. */
  readonly ttlSeconds: number;
}

export const JOURNAL_KIND = 'journal';
export const LEASE_SK = 'lease';

export type Item = Record<string, AttributeValue>;

export const str = (value: string): AttributeValue => ({ S: value });
export const num = (value: number): AttributeValue => {
  if (!Number.isFinite(value)) throw new RangeError(`cannot store non-finite number ${value}`);
  return { N: String(value) };
};
export const strList = (values: readonly string[]): AttributeValue => ({ L: values.map(str) });

export function readStr(item: Item, name: string): string | undefined {
  const value = item[name];
  return value !== undefined && 'S' in value && typeof value.S === 'string' ? value.S : undefined;
}

export function readNum(item: Item, name: string): number | undefined {
  const value = item[name];
  if (value === undefined || !('N' in value) || typeof value.N !== 'string') return undefined;
  const parsed = Number(value.N);
  return Number.isFinite(parsed) ? parsed : undefined;
}

/** A list attribute of strings, or undefined when the item has none (as opposed to an empty list). */
export function readOptionalStrList(item: Item, name: string): string[] | undefined {
  return item[name] === undefined ? undefined : readStrList(item, name);
}

export function readStrList(item: Item, name: string): string[] {
  const value = item[name];
  if (value === undefined || !('L' in value) || !Array.isArray(value.L)) return [];
  return value.L.flatMap((element) => ('S' in element && typeof element.S === 'string' ? [element.S] : []));
}

export const groupKey = (group: string): string => `group#${group}`;
export const groupOfKey = (pk: string): string => pk.slice('group#'.length);
