import { InvokeCommand, LambdaClient, TooManyRequestsException } from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import { createLambdaSensor } from '../../shared/aws/lambda-sensor.js';
import { createEmfMetrics } from '../../shared/aws/emf.js';
import { sensorDataPlane } from '../../shared/probe/data-plane.js';
import { AwsCallError } from '../../shared/errors.js';
import { memoryLog } from '../support/harness.js';

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

  it('hands on the targets the sensor refused, each with its field and reason', async () => {
    const client = new LambdaClient(config);
    const refused = [{ index: 1, id: 'i-0bbbbbbbbbbbbbbbb', field: 'targets.1.ports', reason: 'Too big: expected array to have <=20 items' }];
    mockClient(client).on(InvokeCommand).resolves({ StatusCode: 200, Payload: json({ results: [], refused }) });

    const response = await createLambdaSensor(client, 'sensor').probe(request);

    expect(response.refused).toEqual(refused);
  });

  it('refuses an answer whose refusals are of the wrong shape', async () => {
    const client = new LambdaClient(config);
    mockClient(client).on(InvokeCommand).resolves({ StatusCode: 200, Payload: json({ results: [], refused: [{ index: 'one' }] }) });
    await expect(createLambdaSensor(client, 'sensor').probe(request)).rejects.toMatchObject({ code: 'MalformedResponse' });
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

describe('the data plane over the sensor', () => {
  it('reads a target past the sensor’s schema as unknown, without invoking the sensor', async () => {
    const requests: unknown[] = [];
    const plane = sensorDataPlane({ probe: async (request) => (requests.push(request), { results: [] }) }, 1000);

    const verdict = await plane.reach({ id: 'i-0aaaaaaaaaaaaaaaa', ip: '10.0.1.100', ports: Array.from({ length: 21 }, (_, i) => 8000 + i) });

    expect(verdict).toBe('unknown');
    expect(requests).toEqual([]);
  });
});

describe('EMF metrics port', () => {
  function emf() {
    const lines: Record<string, unknown>[] = [];
    const log = memoryLog();
    return { lines, log, port: createEmfMetrics({ namespace: 'VpcFailover', serviceName: 'vpc-failover', stage: 'prod', log, write: (line) => void lines.push(JSON.parse(line) as Record<string, unknown>) }) };
  }

  it('tells the function’s log, not the console, of a value CloudWatch would drop for its old timestamp', async () => {
    const { log, port } = emf();

    await port.put([{ name: 'GroupsWithoutHealthyMember', unit: 'Count', dimensions: {}, value: 0, timestamp: Date.now() - 15 * 86_400_000 }]);
    await port.put([{ name: 'GroupsWithoutHealthyMember', unit: 'Count', dimensions: {}, value: 0, timestamp: Date.now() }]);

    expect(log.lines).toEqual([expect.objectContaining({ level: 'warn', message: expect.stringContaining('will be skipped by Amazon CloudWatch') })]);
  });

  it('writes one EMF document per dimension set, each metric’s values as one array, stamped with the newest time, under the service and the stage', async () => {
    const { lines, port } = emf();

    await port.put([
      { name: 'GroupsWithoutHealthyMember', unit: 'Count', dimensions: {}, value: 0, timestamp: 1_700_000_000_000 },
      { name: 'GroupsWithoutHealthyMember', unit: 'Count', dimensions: {}, value: 1, timestamp: 1_700_000_002_000 },
      { name: 'DetectionTime', unit: 'Milliseconds', dimensions: { Group: 'web' }, value: 4_200, timestamp: 1_700_000_002_000 },
    ]);

    expect(lines).toEqual([
      {
        _aws: { Timestamp: 1_700_000_002_000, CloudWatchMetrics: [{ Namespace: 'VpcFailover', Dimensions: [['service', 'stage']], Metrics: [{ Name: 'GroupsWithoutHealthyMember', Unit: 'Count' }] }] },
        service: 'vpc-failover',
        stage: 'prod',
        GroupsWithoutHealthyMember: [0, 1],
      },
      {
        _aws: { Timestamp: 1_700_000_002_000, CloudWatchMetrics: [{ Namespace: 'VpcFailover', Dimensions: [['service', 'stage', 'Group']], Metrics: [{ Name: 'DetectionTime', Unit: 'Milliseconds' }] }] },
        service: 'vpc-failover',
        stage: 'prod',
        Group: 'web',
        DetectionTime: 4_200,
      },
    ]);
  });

  it('splits a metric with more than 100 values over several documents, as EMF requires', async () => {
    const { lines, port } = emf();

    await port.put(Array.from({ length: 150 }, (_, i) => ({ name: 'GroupsWithoutHealthyMember', unit: 'Count' as const, dimensions: {}, value: i % 2, timestamp: 1_700_000_000_000 + i })));

    expect(lines.map((l) => (l['GroupsWithoutHealthyMember'] as number[]).length)).toEqual([99, 51]);
  });
});
