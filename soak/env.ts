/**
 * Simulated Lambda execution environments: each has its own SDK clients (EC2, SSM and Auto Scaling
 * served by the world, DynamoDB on dynalite, the sensor's Invoke answered from the world) behind
 * one seam that can kill it: from the kill on, every call it makes never answers, as when Lambda
 * stops an invocation, and the next invocation starts cold in a new environment. The seam also
 * tells the recorder what each call did (moves, lease grants).
 */
import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EC2Client } from '@aws-sdk/client-ec2';
import { SSMClient } from '@aws-sdk/client-ssm';
import type { LambdaClient } from '@aws-sdk/client-lambda';
import { localLambda } from '../lab/clients.js';
import type { SensorRequest } from '../shared/probe/ports.js';
import type { FaultPlane } from '../sim/faults.js';
import type { SimClock } from '../sim/sim-clock.js';
import type { WorldSensor } from '../sim/sensor.js';
import { type WorldCall, type VpcWorld, serveFrom } from '../sim/world.js';
import type { FunctionName, InvocationRec } from './trace.js';

const CONFIG = { region: 'us-east-1', credentials: { accessKeyId: 'AKIAVPCFSOAK00000000', secretAccessKey: 'soak-not-a-secret' } } as const;

/** What the environments report. */
export interface Recorder {
  /** Where the slot an EC2 call is about points before the call (switches only). */
  holderBefore(operation: string, input: Record<string, unknown>): string | undefined;
  /** An EC2 call reached the world (applied or not); `from`: what `holderBefore` said. */
  ec2(invocation: InvocationRec | undefined, call: WorldCall, from: string | undefined): void;
  /** A DynamoDB call succeeded. */
  dynamo(invocation: InvocationRec | undefined, operation: string, input: Record<string, unknown>): void;
}

export interface EnvDeps {
  readonly world: VpcWorld;
  readonly clock: SimClock;
  readonly plane: FaultPlane;
  readonly sensor: WorldSensor;
  readonly dynamoEndpoint: string;
  /** The DynamoDB client's request handler, shared. */
  readonly dynamoHandler: DynamoDBClient['config']['requestHandler'];
  readonly recorder: Recorder;
}

/** A promise that never settles: what a call of a killed environment gets. */
const never = <T>(): Promise<T> => new Promise<T>(() => undefined);

export class Environment {
  dead: 'fault' | 'timeout' | undefined;
  current: InvocationRec | undefined;
  private calls = 0;
  private kill: { atCall: number; applied: boolean; landed?: () => void } | undefined;
  readonly ec2: EC2Client;
  readonly ssm: SSMClient;
  readonly autoscaling: AutoScalingClient;
  readonly dynamodb: DynamoDBClient;
  readonly lambda: LambdaClient;

  constructor(
    readonly id: string,
    readonly fn: FunctionName,
    private readonly deps: EnvDeps,
  ) {
    this.ec2 = new EC2Client(CONFIG);
    this.ssm = new SSMClient(CONFIG);
    this.autoscaling = new AutoScalingClient(CONFIG);
    serveFrom(this.ec2, (operation, input) => this.world('ec2', operation, input));
    serveFrom(this.ssm, (operation, input) => this.world('ssm', operation, input));
    serveFrom(this.autoscaling, (operation, input) => this.world('autoscaling', operation, input));
    // One HTTP handler (and its sockets) for every environment: never destroyed with one, since
    // destroying a client under a request resets that request's socket.
    this.dynamodb = new DynamoDBClient({ ...CONFIG, endpoint: deps.dynamoEndpoint, maxAttempts: 1, requestHandler: deps.dynamoHandler });
    this.dynamodb.middlewareStack.add(
      (next, context) => async (args) => {
        const operation = (context.commandName ?? 'Unknown').replace(/Command$/, '');
        if (!this.admit()) return never();
        const fault = deps.plane.dynamoFault(operation);
        if (fault) throw fault;
        let output: Awaited<ReturnType<typeof next>>;
        try {
          output = await deps.clock.external(next(args));
        } catch (error) {
          if (this.dead) return never();
          throw error;
        }
        if (this.dead) return never();
        deps.recorder.dynamo(this.current, operation, args.input as Record<string, unknown>);
        return output;
      },
      { step: 'initialize', priority: 'high', name: 'soakSeam' },
    );
    this.lambda = localLambda(async (_name, payload) => {
      if (!this.admit()) return never();
      const response = await deps.sensor.probe(JSON.parse(payload) as SensorRequest);
      if (this.dead) return never();
      return { payload: JSON.stringify(response) };
    });
  }

  /** Kills the environment's next invocation at its `atCall`-th AWS call; `landed` is told when it does. */
  armKill(atCall: number, applied: boolean, landed?: () => void): void {
    this.kill = { atCall: this.calls + atCall, applied, ...(landed ? { landed } : {}) };
  }

  get armed(): boolean {
    return this.kill !== undefined;
  }

  die(why: 'fault' | 'timeout'): void {
    if (this.dead) return;
    this.dead = why;
    if (this.current && this.current.end === undefined) this.current.killed = why;
  }

  /** The armed kill lands: the environment dies, and whoever armed it is told when. */
  private land(): void {
    if (this.dead) return;
    this.die('fault');
    this.kill?.landed?.();
  }

  /** Counts a call; false when the environment is (now) dead. A kill that lets the call through dies after it. */
  private admit(): boolean {
    if (this.dead) return false;
    this.calls += 1;
    if (this.kill && this.calls >= this.kill.atCall && !this.kill.applied) {
      this.land();
      return false;
    }
    return true;
  }

  private async world(service: 'ec2' | 'ssm' | 'autoscaling', operation: string, input: Record<string, unknown>): Promise<unknown> {
    if (!this.admit()) return never();
    const { world, recorder } = this.deps;
    const from = service === 'ec2' ? recorder.holderBefore(operation.replace(/Command$/, ''), input) : undefined;
    const pending = world.serve(service, operation, input);
    // The world logs the call synchronously, before the first await.
    const call = world.calls[world.calls.length - 1];
    const dieAfter = this.kill !== undefined && this.calls >= this.kill.atCall;
    try {
      return await pending;
    } finally {
      if (service === 'ec2' && call) recorder.ec2(this.current, call, from);
      if (dieAfter) this.land();
      if (this.dead) await never();
    }
  }
}
