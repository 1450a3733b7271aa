/**
 * Host adapter: runs a validated shell script on instances through SSM Run Command
 * (AWS-RunShellScript) and polls each invocation until it ends or the caller's deadline passes.
 * It knows nothing about what the scripts print; parsing their output is the caller's business.
 */
import {
  GetCommandInvocationCommand,
  SendCommandCommand,
  type GetCommandInvocationCommandOutput,
  type SSMClient,
} from '@aws-sdk/client-ssm';
import type { Clock, HostPort, HostResult, HostScript } from '../core/ports.js';
import { isAwsErrorCode, toAwsCallError } from './translate.js';

export interface SsmHostPortOptions {
  readonly clock: Clock;
  /** Wait between two polling rounds. Default 500 ms. */
  readonly pollIntervalMs?: number;
  /** The document's `executionTimeout`: how long the script may run on the host. Default 10 s. */
  readonly executionTimeoutSeconds?: number;
  /** Shown in the SSM console and CloudTrail next to the command. */
  readonly comment?: string;
}

/** SendCommand accepts at most 50 instance IDs per call. */
export const SSM_MAX_INSTANCES_PER_COMMAND = 50;
/** SendCommand's `TimeoutSeconds` bounds delivery only, and 30 is its minimum. */
const DELIVERY_TIMEOUT_SECONDS = 30;
/** SSM rejects a Comment longer than 100 characters. */
const MAX_COMMENT_LENGTH = 100;

type Outcome = HostResult['status'];

/**
 * Terminal invocation states, keyed by `StatusDetails` with spaces removed (the API documents
 * both "Delivery Timed Out" and "DeliveryTimedOut" spellings). A state that never let the script
 * start is `undeliverable`, so callers can tell "did not run" from "ran and failed".
 */
const TERMINAL_DETAILS: Readonly<Record<string, Outcome>> = {
  Success: 'success',
  Failed: 'failed',
  Cancelled: 'failed',
  Canceled: 'failed',
  Terminated: 'failed',
  ExecutionTimedOut: 'timed-out',
  DeliveryTimedOut: 'undeliverable',
  Undeliverable: 'undeliverable',
  InvalidPlatform: 'undeliverable',
  AccessDenied: 'undeliverable',
};

/** Terminal values of the coarser `Status`, used when `StatusDetails` says nothing we know. */
const TERMINAL_STATUS: Readonly<Record<string, Outcome>> = {
  Success: 'success',
  Failed: 'failed',
  Cancelled: 'failed',
  TimedOut: 'timed-out',
};

/** Maps an invocation to a terminal outcome, or undefined while it is still pending or running. */
export function invocationOutcome(status: string | undefined, statusDetails: string | undefined): Outcome | undefined {
  const details = statusDetails?.replaceAll(/\s+/g, '');
  if (details !== undefined && TERMINAL_DETAILS[details] !== undefined) return TERMINAL_DETAILS[details];
  return status === undefined ? undefined : TERMINAL_STATUS[status];
}

function chunk<T>(items: readonly T[], size: number): T[][] {
  const chunks: T[][] = [];
  for (let start = 0; start < items.length; start += size) chunks.push(items.slice(start, start + size));
  return chunks;
}

/**
 * Creates the host port. `run` sends one SendCommand per 50 instances (concurrently), then polls
 * GetCommandInvocation for every pending instance in rounds until each reaches a terminal state
 * or `deadline` passes; what is still pending then is reported `timed-out`.
 *
 * Errors: an instance SSM does not manage (`InvalidInstanceId`) is reported `undeliverable`. Any
 * other SendCommand failure throws AwsCallError once every chunk has settled, so nothing is left
 * running behind the throw. While polling, `InvocationDoesNotExist` (the invocation is
 * not registered yet) and retriable errors mean "ask again next round"; any other error throws.
 */
export function createSsmHostPort(client: SSMClient, options: SsmHostPortOptions): HostPort {
  const { clock } = options;
  const pollIntervalMs = options.pollIntervalMs ?? 500;
  const executionTimeoutSeconds = options.executionTimeoutSeconds ?? 10;

  async function send(instanceIds: readonly string[], script: HostScript): Promise<string | 'not-managed'> {
    const comment = (options.comment ?? `vpc-failover ${script.name}`).slice(0, MAX_COMMENT_LENGTH);
    try {
      const output = await client.send(
        new SendCommandCommand({
          DocumentName: 'AWS-RunShellScript',
          InstanceIds: [...instanceIds],
          Parameters: { commands: [...script.lines], executionTimeout: [String(executionTimeoutSeconds)] },
          TimeoutSeconds: DELIVERY_TIMEOUT_SECONDS,
          Comment: comment,
        }),
      );
      const commandId = output.Command?.CommandId;
      if (!commandId) throw new TypeError('SendCommand returned no CommandId');
      return commandId;
    } catch (error) {
      if (isAwsErrorCode(error, 'InvalidInstanceId')) return 'not-managed';
      throw toAwsCallError('SendCommand', error, { instanceIds: instanceIds.join(','), script: script.name });
    }
  }

  async function poll(commandId: string, instanceId: string): Promise<GetCommandInvocationCommandOutput | undefined> {
    try {
      return await client.send(new GetCommandInvocationCommand({ CommandId: commandId, InstanceId: instanceId }));
    } catch (error) {
      const translated = isAwsErrorCode(error, 'InvocationDoesNotExist')
        ? undefined
        : toAwsCallError('GetCommandInvocation', error, { instanceId, commandId });
      if (translated === undefined || translated.retriable) return undefined;
      throw translated;
    }
  }

  /** Settles every promise before rethrowing the first failure, so nothing is left running. */
  async function settleAll<T>(promises: readonly Promise<T>[]): Promise<T[]> {
    const settled = await Promise.allSettled(promises);
    const failed = settled.find((outcome) => outcome.status === 'rejected');
    if (failed) throw failed.reason;
    return settled.map((outcome) => (outcome as PromiseFulfilledResult<T>).value);
  }

  /**
   * Sends to a chunk. SendCommand fails the whole call with InvalidInstanceId when any one
   * instance is not managed, so a rejected chunk is re-sent one instance at a time: a single
   * terminated instance must not blind the command to the others.
   */
  async function dispatch(ids: readonly string[], script: HostScript): Promise<Array<[string, string | 'not-managed']>> {
    const commandId = await send(ids, script);
    if (commandId !== 'not-managed' || ids.length === 1) return ids.map((id) => [id, commandId]);
    const singles = await settleAll(ids.map((id) => send([id], script)));
    return ids.map((id, index) => [id, singles[index] ?? 'not-managed']);
  }

  async function run(instanceIds: readonly string[], script: HostScript, deadline: number): Promise<readonly HostResult[]> {
    const unique = [...new Set(instanceIds)];
    if (unique.length === 0) return [];

    const dispatched = await settleAll(chunk(unique, SSM_MAX_INSTANCES_PER_COMMAND).map((ids) => dispatch(ids, script)));
    const results = new Map<string, HostResult>();
    const pending = new Map<string, string>(); // instanceId -> commandId
    for (const [instanceId, commandId] of dispatched.flat()) {
      if (commandId === 'not-managed') {
        results.set(instanceId, { instanceId, status: 'undeliverable', stdout: '', stderr: 'InvalidInstanceId' });
      } else {
        pending.set(instanceId, commandId);
      }
    }

    while (pending.size > 0) {
      const remaining = deadline - clock.now();
      if (remaining <= 0) break;
      // The invocation never exists right after SendCommand; waiting first saves a wasted round.
      await clock.sleep(Math.min(pollIntervalMs, remaining));
      const round = [...pending];
      const answers = await settleAll(round.map(([instanceId, commandId]) => poll(commandId, instanceId)));
      answers.forEach((invocation, index) => {
        const [instanceId] = round[index] ?? [];
        const status = invocation && invocationOutcome(invocation.Status, invocation.StatusDetails);
        if (instanceId === undefined || invocation === undefined || status === undefined) return;
        pending.delete(instanceId);
        results.set(instanceId, toResult(instanceId, status, invocation));
      });
    }
    return unique.map((id) => results.get(id) ?? { instanceId: id, status: 'timed-out', stdout: '', stderr: '' });
  }

  return { run };
}

function toResult(instanceId: string, status: Outcome, invocation: GetCommandInvocationCommandOutput): HostResult {
  // ResponseCode -1 means the script never started; it is not an exit code.
  const exitCode = invocation.ResponseCode !== undefined && invocation.ResponseCode >= 0 ? invocation.ResponseCode : undefined;
  return {
    instanceId,
    status,
    ...(exitCode === undefined ? {} : { exitCode }),
    stdout: invocation.StandardOutputContent ?? '',
    stderr: invocation.StandardErrorContent ?? '',
  };
}
