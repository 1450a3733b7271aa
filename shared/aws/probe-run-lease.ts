/**
 * The probe's run lease as one item of the state table: pk `probe#state` (the partition the probe's
 * IAM statements are limited to by dynamodb:LeadingKeys), sk `run`; owner (S, absent when free),
 * runExpiresAt (N, epoch ms). One conditional UpdateItem takes it, another gives it up.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import type { CallOptions } from '../core/ports.js';
import type { ProbeRunLeasePort, RunClaim } from '../probe/ports.js';
import { isAwsErrorCode, toAwsCallError } from './translate.js';

const RUN_KEY = { pk: { S: 'probe#state' }, sk: { S: 'run' } };
const NAMES = { '#owner': 'owner', '#expires': 'runExpiresAt' };

/** The holder that a failed condition check returns (AWS: ReturnValuesOnConditionCheckFailure). */
function holderOf(error: unknown): Omit<Extract<RunClaim, { granted: false }>, 'granted'> {
  const item = (error as { Item?: Record<string, { S?: string; N?: string }> }).Item;
  const holder = item?.['owner']?.S;
  const expiresAt = Number(item?.['runExpiresAt']?.N);
  return { ...(holder === undefined ? {} : { holder }), ...(Number.isFinite(expiresAt) ? { expiresAt } : {}) };
}

export function createProbeRunLease(client: DynamoDBClient, tableName: string): ProbeRunLeasePort {
  return {
    async claim(owner: string, now: number, expiresAt: number, call: CallOptions = {}): Promise<RunClaim> {
      try {
        await client.send(
          new UpdateItemCommand({
            TableName: tableName,
            Key: RUN_KEY,
            // Free when never taken, released, expired, or already ours (Lambda retrying the same request).
            ConditionExpression: 'attribute_not_exists(#owner) OR #expires <= :now OR #owner = :owner',
            UpdateExpression: 'SET #owner = :owner, #expires = :expires',
            ExpressionAttributeNames: NAMES,
            ExpressionAttributeValues: { ':owner': { S: owner }, ':now': { N: String(now) }, ':expires': { N: String(expiresAt) } },
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          }),
          { abortSignal: call.signal },
        );
        return { granted: true };
      } catch (error) {
        if (isAwsErrorCode(error, 'ConditionalCheckFailedException')) return { granted: false, ...holderOf(error) };
        throw toAwsCallError('UpdateItem', error, { tableName, item: 'probe#state/run', owner });
      }
    },
    async release(owner: string, now: number, call: CallOptions = {}): Promise<void> {
      try {
        await client.send(
          new UpdateItemCommand({
            TableName: tableName,
            Key: RUN_KEY,
            ConditionExpression: '#owner = :owner',
            UpdateExpression: 'REMOVE #owner SET #expires = :now',
            ExpressionAttributeNames: NAMES,
            ExpressionAttributeValues: { ':owner': { S: owner }, ':now': { N: String(now) } },
          }),
          { abortSignal: call.signal },
        );
      } catch (error) {
        // Ours lapsed and another run took it: theirs to give up.
        if (isAwsErrorCode(error, 'ConditionalCheckFailedException')) return;
        throw toAwsCallError('UpdateItem', error, { tableName, item: 'probe#state/run', owner });
      }
    },
  };
}
