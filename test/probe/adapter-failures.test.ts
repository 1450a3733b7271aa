/** How the probe function's two adapters fail: always as an AwsCallError that says where. */
import { CloudWatchClient, InvalidParameterValueException, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import { createLambdaSensor } from '../../shared/aws/lambda-sensor.js';
import { createCloudWatchMetrics } from '../../shared/aws/metrics.js';
import { AwsCallError } from '../../shared/errors.js';
import { testClientConfig } from '../support/harness.js';

const request = { targets: [{ id: 'i-0aaaaaaaaaaaaaaaa', ip: '10.0.1.10', ports: [443] }], timeoutMs: 1000 };
const bytes = (text: string) => new TextEncoder().encode(text) as never;

describe('Lambda sensor port', () => {
  it('refuses an answer that is not JSON as MalformedResponse, keeping the parse error as cause', async () => {
    const client = new LambdaClient(testClientConfig);
    mockClient(client).on(InvokeCommand).resolves({ StatusCode: 200, Payload: bytes('<html>502 Bad Gateway</html>') });

    const error = await createLambdaSensor(client, 'sensor').probe(request).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(AwsCallError);
    expect(error).toMatchObject({ operation: 'Invoke', code: 'MalformedResponse', context: { functionName: 'sensor' } });
    expect((error as AwsCallError).cause).toBeInstanceOf(SyntaxError);
  });

  it('refuses an empty answer rather than reading it as no results', async () => {
    const client = new LambdaClient(testClientConfig);
    mockClient(client).on(InvokeCommand).resolves({ StatusCode: 200 });

    await expect(createLambdaSensor(client, 'sensor').probe(request)).rejects.toMatchObject({ code: 'MalformedResponse' });
  });
});

describe('CloudWatch metrics port', () => {
  it('translates a refused PutMetricData into an AwsCallError carrying the namespace', async () => {
    const client = new CloudWatchClient(testClientConfig);
    const refused = new InvalidParameterValueException({ $metadata: { httpStatusCode: 400 }, message: 'The value NaN for parameter MetricData.member.1.Value is invalid.' });
    mockClient(client).on(PutMetricDataCommand).rejects(refused);
    const datum = { name: 'NodeHealthy', unit: 'None' as const, dimensions: { Group: 'g' }, value: Number.NaN, timestamp: 1_700_000_000_000 };

    const error = await createCloudWatchMetrics(client, 'VpcFailover').put([datum]).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(AwsCallError);
    expect(error).toMatchObject({ operation: 'PutMetricData', code: 'InvalidParameterValueException', retriable: false, context: { namespace: 'VpcFailover' } });
    expect((error as AwsCallError).cause).toBe(refused);
  });
});
