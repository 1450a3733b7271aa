/**
 * The AWS edge the probe function talks to besides EC2, SSM and DynamoDB, served locally through
 * the real SDK clients (the same middleware seam as the simulated EC2): Lambda Invoke reaches the
 * sensor running in the lab's VPC, and PutMetricData is recorded instead of sent. So the product's
 * own adapters (shared/aws/lambda-sensor.ts, shared/aws/metrics.ts) run unchanged.
 */
import { CloudWatchClient, type PutMetricDataCommandInput } from '@aws-sdk/client-cloudwatch';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { serveFrom } from '../sim/world.js';

/** Dummy credentials: these clients never send a request anywhere. */
const CONFIG = { region: 'us-east-1', credentials: { accessKeyId: 'AKIAVPCFLAB000000000', secretAccessKey: 'lab-not-a-secret' } } as const;

const METADATA = { httpStatusCode: 200, attempts: 1, totalRetryDelay: 0 };

/** What a function answers to an Invoke: its JSON payload, and `Unhandled` when it threw. */
export interface InvokeAnswer {
  readonly payload: string;
  readonly functionError?: string;
}

function unsupported(service: string, operation: string): Error {
  return new Error(`the lab serves no ${service} ${operation}`);
}

/** A LambdaClient whose synchronous Invoke calls `invoke` with the payload text. */
export function localLambda(invoke: (functionName: string, payload: string) => Promise<InvokeAnswer>): LambdaClient {
  const client = new LambdaClient(CONFIG);
  serveFrom(client, async (operation, input) => {
    if (operation !== 'InvokeCommand' || input['InvocationType'] !== 'RequestResponse') throw unsupported('Lambda', operation);
    const raw = input['Payload'];
    const payload = raw instanceof Uint8Array ? new TextDecoder().decode(raw) : String(raw ?? '');
    const answer = await invoke(String(input['FunctionName']), payload);
    return {
      StatusCode: 200,
      ExecutedVersion: '$LATEST',
      Payload: new TextEncoder().encode(answer.payload),
      ...(answer.functionError === undefined ? {} : { FunctionError: answer.functionError }),
      $metadata: METADATA,
    };
  });
  return client;
}

export interface RecordedCloudWatch {
  readonly client: CloudWatchClient;
  /** Every PutMetricData input, in order. */
  readonly puts: PutMetricDataCommandInput[];
}

/** A CloudWatchClient that accepts and keeps every PutMetricData. */
export function recordingCloudWatch(onPut?: (input: PutMetricDataCommandInput) => void): RecordedCloudWatch {
  const client = new CloudWatchClient(CONFIG);
  const puts: PutMetricDataCommandInput[] = [];
  serveFrom(client, async (operation, input) => {
    if (operation !== 'PutMetricDataCommand') throw unsupported('CloudWatch', operation);
    const put = input as unknown as PutMetricDataCommandInput;
    puts.push(put);
    onPut?.(put);
    return { $metadata: METADATA };
  });
  return { client, puts };
}
