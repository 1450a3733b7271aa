/** How the sensor adapter fails: always as an AwsCallError that says where. */
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import { createLambdaSensor } from '../../shared/aws/lambda-sensor.js';
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
