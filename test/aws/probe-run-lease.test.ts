/** The probe run lease's requests, and what it makes of DynamoDB's answers (aws-sdk-client-mock). */
import { ConditionalCheckFailedException, DynamoDBClient, ProvisionedThroughputExceededException, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { createProbeRunLease } from '../../shared/aws/probe-run-lease.js';
import { AwsCallError } from '../../shared/errors.js';

const dynamo = mockClient(DynamoDBClient);
const client = new DynamoDBClient({ region: 'us-east-1' });
const T0 = 1_750_000_000_000;

beforeEach(() => {
  dynamo.reset();
});

describe('probe run lease requests', () => {
  it('claims with one conditional UpdateItem on the run item of the probe#state partition, asking for the holder on refusal', async () => {
    dynamo.on(UpdateItemCommand).resolves({});

    await createProbeRunLease(client, 'state').claim('probe:req-1', T0, T0 + 60_000);

    expect(dynamo.commandCalls(UpdateItemCommand)[0]?.args[0].input).toEqual({
      TableName: 'state',
      Key: { pk: { S: 'probe#state' }, sk: { S: 'run' } },
      ConditionExpression: 'attribute_not_exists(#owner) OR #expires <= :now OR #owner = :owner',
      UpdateExpression: 'SET #owner = :owner, #expires = :expires',
      ExpressionAttributeNames: { '#owner': 'owner', '#expires': 'runExpiresAt' },
      ExpressionAttributeValues: { ':owner': { S: 'probe:req-1' }, ':now': { N: String(T0) }, ':expires': { N: String(T0 + 60_000) } },
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    });
  });

  it('names the run that holds the lease, and until when, from the item DynamoDB returns with the refusal', async () => {
    const refusal = new ConditionalCheckFailedException({ $metadata: { httpStatusCode: 400 }, message: 'The conditional request failed' });
    Object.assign(refusal, { Item: { pk: { S: 'probe#state' }, sk: { S: 'run' }, owner: { S: 'probe:req-0' }, runExpiresAt: { N: String(T0 + 30_000) } } });
    dynamo.on(UpdateItemCommand).rejects(refusal);

    const claim = await createProbeRunLease(client, 'state').claim('probe:req-1', T0, T0 + 60_000);

    expect(claim).toEqual({ granted: false, holder: 'probe:req-0', expiresAt: T0 + 30_000 });
  });

  it('releases only its own lease, and takes a refusal as someone else holding it now', async () => {
    dynamo.on(UpdateItemCommand).rejects(new ConditionalCheckFailedException({ $metadata: { httpStatusCode: 400 }, message: 'The conditional request failed' }));

    await createProbeRunLease(client, 'state').release('probe:req-1', T0 + 57_000);

    expect(dynamo.commandCalls(UpdateItemCommand)[0]?.args[0].input).toMatchObject({
      ConditionExpression: '#owner = :owner',
      UpdateExpression: 'REMOVE #owner SET #expires = :now',
      ExpressionAttributeValues: { ':owner': { S: 'probe:req-1' }, ':now': { N: String(T0 + 57_000) } },
    });
  });

  it('translates a throttled claim into a retriable AwsCallError naming the item', async () => {
    dynamo.on(UpdateItemCommand).rejects(new ProvisionedThroughputExceededException({ $metadata: { httpStatusCode: 400 }, message: 'throughput exceeded' }));

    const error = await createProbeRunLease(client, 'state').claim('probe:req-1', T0, T0 + 60_000).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(AwsCallError);
    expect(error).toMatchObject({ operation: 'UpdateItem', retriable: true, context: { tableName: 'state', item: 'probe#state/run', owner: 'probe:req-1' } });
  });
});
