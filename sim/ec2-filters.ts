/**
 * Filters and pagination as EC2 applies them, shared by the simulated Describe* calls.
 */
import type { Filter } from '@aws-sdk/client-ec2';
import type { Tags } from './core.js';
import { VpcWorldUnsupportedError, ec2Error } from './errors.js';
import type { WorldModel } from './model.js';

/** An SDK output without the `$metadata` the dispatcher adds. */
export type Out<T> = Omit<T, '$metadata'>;

function globToRegExp(pattern: string): RegExp {
  const escaped = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replaceAll('*', '.*').replaceAll('?', '.');
  return new RegExp(`^${escaped}$`, 's');
}

type FilterFields<T> = Readonly<Record<string, (item: T) => readonly (string | undefined)[]>>;

/**
 * EC2 filter semantics: filters are ANDed, the values of one filter ORed, `*` and `?` are
 * wildcards, `tag:<key>` matches that tag's value and `tag-key` any tag key.
 */
export function applyFilters<T>(operation: string, items: readonly T[], filters: readonly Filter[] | undefined, fields: FilterFields<T>, tagsOf: (item: T) => Tags): T[] {
  let result = [...items];
  for (const filter of filters ?? []) {
    const name = filter.Name ?? '';
    const values = filter.Values ?? [];
    if (values.length === 0) throw ec2Error('InvalidParameterValue', `The filter '${name}' requires at least one value`);
    const patterns = values.map(globToRegExp);
    const matches = (candidates: readonly (string | undefined)[]): boolean =>
      candidates.some((candidate) => candidate !== undefined && patterns.some((pattern) => pattern.test(candidate)));
    let extract: (item: T) => readonly (string | undefined)[];
    if (name.startsWith('tag:')) {
      const key = name.slice(4);
      extract = (item) => [tagsOf(item)[key]];
    } else if (name === 'tag-key') {
      extract = (item) => Object.keys(tagsOf(item));
    } else if (name === 'tag-value') {
      extract = (item) => Object.values(tagsOf(item));
    } else {
      const field = fields[name];
      if (!field) throw new VpcWorldUnsupportedError(`${operation} filter '${name}' (supported: ${Object.keys(fields).join(', ')}, tag:<key>, tag-key, tag-value)`);
      extract = field;
    }
    result = result.filter((item) => matches(extract(item)));
  }
  return result;
}

interface PageInput {
  readonly MaxResults?: number | undefined;
  readonly NextToken?: string | undefined;
}

/**
 * Pages as EC2 does, with the world's page size as a cap so pagination is always exercised when
 * no explicit IDs are given. The token is opaque and bound to the operation.
 */
export function paginate<T>(world: WorldModel, operation: string, items: readonly T[], input: PageInput, limits: { min: number; max: number }, explicitIds: boolean): { page: T[]; NextToken?: string } {
  if (input.MaxResults !== undefined && (input.MaxResults < limits.min || input.MaxResults > limits.max)) {
    throw ec2Error('InvalidParameterValue', `Value ( ${input.MaxResults} ) for parameter maxResults is invalid. Expecting a value between ${limits.min} and ${limits.max}.`);
  }
  let offset = 0;
  if (input.NextToken !== undefined) {
    let decoded: unknown;
    try {
      decoded = JSON.parse(Buffer.from(input.NextToken, 'base64url').toString('utf8'));
    } catch {
      decoded = undefined;
    }
    const token = decoded as { op?: unknown; offset?: unknown } | undefined;
    if (token?.op !== operation || typeof token.offset !== 'number') throw ec2Error('InvalidPaginationToken', `Invalid pagination token: ${input.NextToken}`);
    offset = token.offset;
  }
  if (explicitIds && input.MaxResults === undefined && input.NextToken === undefined) return { page: [...items] };
  const size = Math.min(input.MaxResults ?? Number.POSITIVE_INFINITY, world.options.pageSize);
  const page = items.slice(offset, offset + size);
  const next = offset + size;
  if (next >= items.length) return { page };
  return { page, NextToken: Buffer.from(JSON.stringify({ op: operation, offset: next }), 'utf8').toString('base64url') };
}

