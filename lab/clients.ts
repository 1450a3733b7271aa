/**
 * The AWS edge the probe function talks to besides EC2, SSM and DynamoDB, served locally through
 * the real SDK client (the same middleware seam as the simulated EC2): Lambda Invoke reaches the
 * sensor running in the lab's VPC, so the product's own adapter (shared/aws/lambda-sensor.ts) runs
 * unchanged.
 */
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
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

/** Where a function runs, as GetFunctionConfiguration's VpcConfig says. */
export interface FunctionPlacement {
  readonly vpcId: string;
  readonly subnetIds: readonly string[];
}

/**
 * A LambdaClient whose synchronous Invoke calls `invoke` with the payload text, and whose
 * GetFunctionConfiguration answers a function's VpcConfig from `placements`.
 */
export function localLambda(invoke: (functionName: string, payload: string) => Promise<InvokeAnswer>, placements: ReadonlyMap<string, FunctionPlacement> = new Map()): LambdaClient {
  const client = new LambdaClient(CONFIG);
  serveFrom(client, async (operation, input) => {
    if (operation === 'GetFunctionConfigurationCommand') {
      const name = String(input['FunctionName']);
      const placed = placements.get(name);
      if (!placed) throw unsupported('Lambda', `GetFunctionConfiguration of ${name}`);
      return { FunctionName: name, VpcConfig: { VpcId: placed.vpcId, SubnetIds: [...placed.subnetIds], SecurityGroupIds: [] }, $metadata: METADATA };
    }
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

/** A CloudWatch alarm as the lab holds it: its name and state. */
export interface LabAlarm {
  readonly name: string;
  readonly state: 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';
}

/**
 * A CloudWatchClient whose DescribeAlarms answers from `alarms()` (metric alarms), filtered by
 * `AlarmNamePrefix` and `StateValue` as CloudWatch filters them, in one page.
 */
export function localCloudWatch(alarms: () => readonly LabAlarm[]): CloudWatchClient {
  const client = new CloudWatchClient(CONFIG);
  serveFrom(client, async (operation, input) => {
    if (operation !== 'DescribeAlarmsCommand') throw unsupported('CloudWatch', operation);
    const prefix = typeof input['AlarmNamePrefix'] === 'string' ? input['AlarmNamePrefix'] : '';
    const state = input['StateValue'];
    const found = alarms().filter((a) => a.name.startsWith(prefix) && (state === undefined || a.state === state));
    return { MetricAlarms: found.map((a) => ({ AlarmName: a.name, StateValue: a.state })), CompositeAlarms: [], $metadata: METADATA };
  });
  return client;
}
