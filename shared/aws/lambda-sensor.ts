/**
 * SensorPort over Lambda Invoke: the prober (outside the VPC) calls the sensor (inside the VPC)
 * synchronously. The sensor needs no AWS API, so a dead NAT cannot blind it.
 */
import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import type { CallOptions } from '../core/ports.js';
import { AwsCallError } from '../errors.js';
import type { SensorPort, SensorRequest, SensorResponse } from '../probe/ports.js';
import { safeParse } from '../input.js';
import { SensorResponseSchema } from '../probe/sensor-schema.js';
import { toAwsCallError } from './translate.js';

/**
 * @param functionName name or ARN of the sensor function.
 * @throws AwsCallError from `probe` when the call fails, the sensor threw (`FunctionError`) or its answer is malformed.
 */
export function createLambdaSensor(client: LambdaClient, functionName: string): SensorPort {
  return {
    async probe(request: SensorRequest, call: CallOptions = {}): Promise<SensorResponse> {
      const context = { functionName };
      let output;
      try {
        output = await client.send(
          new InvokeCommand({
            FunctionName: functionName,
            InvocationType: 'RequestResponse',
            Payload: new TextEncoder().encode(JSON.stringify(request)),
          }),
          { abortSignal: call.signal },
        );
      } catch (error) {
        throw toAwsCallError('Invoke', error, context);
      }
      const text = output.Payload === undefined ? '' : new TextDecoder().decode(output.Payload);
      // A handler error still answers 200; FunctionError says so and the payload carries the error.
      if (output.FunctionError !== undefined) {
        throw new AwsCallError('Invoke', 'FunctionError', `sensor failed (${output.FunctionError}): ${text.slice(0, 500)}`, { context });
      }
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch (error) {
        throw new AwsCallError('Invoke', 'MalformedResponse', 'sensor answered with something that is not JSON', { context, cause: error });
      }
      const parsed = safeParse(SensorResponseSchema, body);
      if (!parsed.success) {
        throw new AwsCallError('Invoke', 'MalformedResponse', `sensor answer does not match the schema: ${parsed.error.issues[0]?.message ?? ''}`, { context, cause: parsed.error });
      }
      return parsed.data;
    },
  };
}
