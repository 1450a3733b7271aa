import { CloudWatchClient, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { InvokeCommand, LambdaClient, TooManyRequestsException } from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import { createLambdaSensor } from '../../shared/aws/lambda-sensor.js';
import { createCloudWatchMetrics } from '../../shared/aws/metrics.js';
import { AwsCallError } from '../../shared/errors.js';

const config = { region: 'us-east-1', credentials: { accessKeyId: 'AKIATEST000000000000', secretAccessKey: 'x' } };
const json = (value: unknown) => new TextEncoder().encode(JSON.stringify(value)) as never;
const request = { targets: [{ id: 'i-0aaaaaaaaaaaaaaaa', ip: '10.0.1.10', ports: [443] }], timeoutMs: 1000 };

describe('Lambda sensor port', () => {
  it('invokes the sensor synchronously with the request as JSON payload', async () => {
    const client = new LambdaClient(config);
    const mock = mockClient(client);
    const answer = { results: [{ id: 'i-0aaaaaaaaaaaaaaaa', ip: '10.0.1.10', port: 443, result: 'ok', ms: 3 }] };
    mock.on(InvokeCommand).resolves({ StatusCode: 200, Payload: json(answer) });

    const response = await createLambdaSensor(client, 'vpc-failover-dev-sensor').probe(request);

    const [call] = mock.commandCalls(InvokeCommand);
    const input = call?.args[0].input;
    expect(input?.FunctionName).toBe('vpc-failover-dev-sensor');
    expect(input?.InvocationType).toBe('RequestResponse');
    expect(JSON.parse(new TextDecoder().decode(input?.Payload as Uint8Array))).toEqual(request);
    expect(response.results[0]?.result).toBe('ok');
  });

  it('reports a sensor that threw as FunctionError, not as results', async () => {
    const client = new LambdaClient(config);
    mockClient(client).on(InvokeCommand).resolves({ StatusCode: 200, FunctionError: 'Unhandled', Payload: json({ errorMessage: 'boom' }) });

    const error = await createLambdaSensor(client, 'sensor').probe(request).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AwsCallError);
    expect(error).toMatchObject({ code: 'FunctionError', context: { functionName: 'sensor' } });
  });

  it('refuses an answer of the wrong shape', async () => {
    const client = new LambdaClient(config);
    mockClient(client).on(InvokeCommand).resolves({ StatusCode: 200, Payload: json({ results: [{ id: 'x', result: 'down' }] }) });
    await expect(createLambdaSensor(client, 'sensor').probe(request)).rejects.toMatchObject({ code: 'MalformedResponse' });
  });

  it('translates throttling into a retriable AwsCallError', async () => {
    const client = new LambdaClient(config);
    const throttled = new TooManyRequestsException({ $metadata: { httpStatusCode: 429 }, message: 'Rate exceeded' });
    mockClient(client).on(InvokeCommand).rejects(throttled);
    await expect(createLambdaSensor(client, 'sensor').probe(request)).rejects.toMatchObject({ operation: 'Invoke', code: 'TooManyRequestsException', retriable: true });
  });
});

describe('CloudWatch metrics port', () => {
  const datum = (i: number) => ({ name: 'NodeHealthy', unit: 'None' as const, dimensions: { Group: 'g', InstanceId: `i-${i}` }, value: 1, timestamp: 1_700_000_000_000 });

  it('sends a round in one PutMetricData call with the namespace, dimensions, unit and timestamp', async () => {
    const client = new CloudWatchClient(config);
    const mock = mockClient(client);
    mock.on(PutMetricDataCommand).resolves({});

    await createCloudWatchMetrics(client, 'VpcFailover').put([datum(1), { name: 'ProbeLatency', unit: 'Milliseconds', dimensions: { Group: 'g' }, values: [1, 2], timestamp: 1_700_000_000_000 }]);

    expect(mock.commandCalls(PutMetricDataCommand).map((c) => c.args[0].input)).toEqual([
      {
        Namespace: 'VpcFailover',
        MetricData: [
          { MetricName: 'NodeHealthy', Unit: 'None', Timestamp: new Date(1_700_000_000_000), Dimensions: [{ Name: 'Group', Value: 'g' }, { Name: 'InstanceId', Value: 'i-1' }], Value: 1 },
          { MetricName: 'ProbeLatency', Unit: 'Milliseconds', Timestamp: new Date(1_700_000_000_000), Dimensions: [{ Name: 'Group', Value: 'g' }], Values: [1, 2] },
        ],
      },
    ]);
  });

  it('splits at 1,000 metrics per call', async () => {
    const client = new CloudWatchClient(config);
    const mock = mockClient(client);
    mock.on(PutMetricDataCommand).resolves({});

    await createCloudWatchMetrics(client, 'VpcFailover').put(Array.from({ length: 2_001 }, (_, i) => datum(i)));

    expect(mock.commandCalls(PutMetricDataCommand).map((c) => c.args[0].input.MetricData?.length)).toEqual([1000, 1000, 1]);
  });
});
