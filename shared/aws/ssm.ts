/**
 * Host adapter: runs a validated shell script on instances through SSM Run Command
 * (AWS-RunShellScript) and polls each command until its invocations end or the caller's deadline
 * passes. It knows nothing about what the scripts print; parsing their output is the caller's business.
 */
import {
  DescribeInstanceInformationCommand,
  GetCommandInvocationCommand,
  ListCommandInvocationsCommand,
  SendCommandCommand,
  type CommandInvocation,
  type GetCommandInvocationCommandOutput,
  type SSMClient,
} from '@aws-sdk/client-ssm';
import type { CallOptions, Clock, HostPort, HostResult, HostScript, PendingCommand, SsmAgentPort, SsmPing } from '../core/ports.js';
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
/** ListCommandInvocations' MaxResults ceiling: one page covers a whole command. */
const LIST_PAGE_SIZE = 50;
/**
 * ListCommandInvocations' plugin Output is stdout then stderr, cut by the agent to 2,500 bytes
 * (2,400 on older agents). Output this long may have been cut, so its full result is fetched.
 */
const LIST_OUTPUT_SAFE_BYTES = 2_400;
/** What the agent puts between stdout and stderr in the plugin Output, and after a cut stdout. */
const OUTPUT_ERROR_TITLE = '\n----------ERROR-------\n';
const OUTPUT_CUT_MARKER = '\n---Output truncated---';
const SHELL_PLUGIN = 'aws:runShellScript';

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
 * Creates the host port. `run` sends one SendCommand per 50 instances (concurrently), then, in
 * rounds until each invocation reaches a terminal state or `deadline` passes, lists each command's
 * invocations with their output (ListCommandInvocations, Details): one call per command per round,
 * whatever the number of instances. What is still pending at the deadline is reported `timed-out`.
 *
 * The listed output is stdout and stderr together, cut to about 2,500 bytes, so an invocation that
 * wrote to stderr, or whose output may have been cut, is read in full with GetCommandInvocation
 * once it is terminal. Only those instances cost a call of their own.
 *
 * Errors: an instance SSM does not manage (`InvalidInstanceId`) is reported `undeliverable`. Any
 * other SendCommand failure throws AwsCallError once every chunk has settled, so nothing is left
 * running behind the throw. While polling, an invocation not listed yet or `InvocationDoesNotExist`
 * (SSM has not registered it yet) and retriable errors mean "ask again next round"; any other error throws.
 */
export function createSsmHostPort(client: SSMClient, options: SsmHostPortOptions): HostPort {
  const host: Host = {
    client,
    clock: options.clock,
    pollIntervalMs: options.pollIntervalMs ?? 500,
    executionTimeoutSeconds: options.executionTimeoutSeconds ?? 10,
    ...(options.comment === undefined ? {} : { comment: options.comment }),
  };
  return {
    run: (instanceIds, script, deadline, call) => run(host, instanceIds, script, deadline, call),
    start: (instanceIds, script, call) => start(host, instanceIds, script, call),
    collect: (command, deadline, call) => collect(host, command, deadline, call),
  };
}

/** The host port's settings and client. */
interface Host {
  readonly client: SSMClient;
  readonly clock: Clock;
  readonly pollIntervalMs: number;
  readonly executionTimeoutSeconds: number;
  readonly comment?: string;
}

async function send(host: Host, instanceIds: readonly string[], script: HostScript, call: CallOptions): Promise<string | 'not-managed'> {
  const { client, executionTimeoutSeconds } = host;
  const comment = (host.comment ?? `vpc-failover ${script.name}`).slice(0, MAX_COMMENT_LENGTH);
  try {
    const output = await client.send(
      new SendCommandCommand({
        DocumentName: 'AWS-RunShellScript',
        InstanceIds: [...instanceIds],
        Parameters: { commands: [...script.lines], executionTimeout: [String(executionTimeoutSeconds)] },
        TimeoutSeconds: DELIVERY_TIMEOUT_SECONDS,
        Comment: comment,
      }),
      { abortSignal: call.signal },
    );
    const commandId = output.Command?.CommandId;
    if (!commandId) throw new TypeError('SendCommand returned no CommandId');
    return commandId;
  } catch (error) {
    if (isAwsErrorCode(error, 'InvalidInstanceId')) return 'not-managed';
    throw toAwsCallError('SendCommand', error, { instanceIds: instanceIds.join(','), script: script.name });
  }
}

/** One instance's full result, or undefined when it is not readable yet or the call was throttled. */
async function fetch({ client }: Host, commandId: string, instanceId: string, call: CallOptions): Promise<GetCommandInvocationCommandOutput | undefined> {
  try {
    return await client.send(new GetCommandInvocationCommand({ CommandId: commandId, InstanceId: instanceId }), { abortSignal: call.signal });
  } catch (error) {
    const translated = isAwsErrorCode(error, 'InvocationDoesNotExist')
      ? undefined
      : toAwsCallError('GetCommandInvocation', error, { instanceId, commandId });
    if (translated === undefined || translated.retriable) return undefined;
    throw translated;
  }
}

/**
 * The command's invocations by instance, page after page until every wanted instance is seen or
 * the pages end. A retriable error ends the listing early: what was seen so far is used and the
 * rest counts as pending.
 */
async function list({ client }: Host, commandId: string, wanted: ReadonlySet<string>, call: CallOptions): Promise<Map<string, CommandInvocation>> {
  const listed = new Map<string, CommandInvocation>();
  let nextToken: string | undefined;
  // A bound on pages, so a service that kept answering tokens could not hold the round forever.
  for (let page = 0; page < SSM_MAX_INSTANCES_PER_COMMAND; page += 1) {
    let output;
    try {
      output = await client.send(
        new ListCommandInvocationsCommand({ CommandId: commandId, Details: true, MaxResults: LIST_PAGE_SIZE, ...(nextToken === undefined ? {} : { NextToken: nextToken }) }),
        { abortSignal: call.signal },
      );
    } catch (error) {
      const translated = toAwsCallError('ListCommandInvocations', error, { commandId, instanceIds: [...wanted].join(',') });
      if (translated.retriable) return listed;
      throw translated;
    }
    for (const invocation of output.CommandInvocations ?? []) {
      if (invocation.InstanceId !== undefined) listed.set(invocation.InstanceId, invocation);
    }
    nextToken = output.NextToken || undefined;
    if (nextToken === undefined || [...wanted].every((id) => listed.has(id))) break;
  }
  return listed;
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
async function dispatch(host: Host, ids: readonly string[], script: HostScript, call: CallOptions): Promise<Array<[string, string | 'not-managed']>> {
  const commandId = await send(host, ids, script, call);
  if (commandId !== 'not-managed' || ids.length === 1) return ids.map((id) => [id, commandId]);
  const singles = await settleAll(ids.map((id) => send(host, [id], script, call)));
  return ids.map((id, index) => [id, singles[index] ?? 'not-managed']);
}

/** One polling round for one command: moves what ended from `pending` to `results`. */
async function pollCommand(host: Host, commandId: string, pending: Set<string>, results: Map<string, HostResult>, call: CallOptions): Promise<void> {
  const listed = await list(host, commandId, pending, call);
  const incomplete: string[] = [];
  for (const instanceId of pending) {
    const invocation = listed.get(instanceId);
    const status = invocation && invocationOutcome(invocation.Status, invocation.StatusDetails);
    if (invocation === undefined || status === undefined) continue;
    const result = fromListing(instanceId, status, invocation);
    if (result === undefined) {
      incomplete.push(instanceId);
    } else {
      pending.delete(instanceId);
      results.set(instanceId, result);
    }
  }
  const fetched = await settleAll(incomplete.map((instanceId) => fetch(host, commandId, instanceId, call)));
  fetched.forEach((invocation, index) => {
    const instanceId = incomplete[index];
    const status = invocation && invocationOutcome(invocation.Status, invocation.StatusDetails);
    if (instanceId === undefined || invocation === undefined || status === undefined) return;
    pending.delete(instanceId);
    results.set(instanceId, toResult(instanceId, status, invocation));
  });
}

async function start(host: Host, instanceIds: readonly string[], script: HostScript, call: CallOptions = {}): Promise<PendingCommand> {
  const unique = [...new Set(instanceIds)];
  const sentAt = host.clock.now();
  const dispatched = await settleAll(chunk(unique, SSM_MAX_INSTANCES_PER_COMMAND).map((ids) => dispatch(host, ids, script, call)));
  const byCommand = new Map<string, string[]>();
  const refused: string[] = [];
  for (const [instanceId, commandId] of dispatched.flat()) {
    if (commandId === 'not-managed') refused.push(instanceId);
    else byCommand.set(commandId, [...(byCommand.get(commandId) ?? []), instanceId]);
  }
  return { sentAt, commands: [...byCommand].map(([commandId, ids]) => ({ commandId, instanceIds: ids })), refused };
}

async function collect(host: Host, command: PendingCommand, deadline: number, call: CallOptions = {}): Promise<readonly HostResult[]> {
  const { clock, pollIntervalMs } = host;
  const results = new Map<string, HostResult>();
  for (const instanceId of command.refused) results.set(instanceId, { instanceId, status: 'undeliverable', stdout: '', stderr: 'InvalidInstanceId' });
  const pending = new Map(command.commands.map(({ commandId, instanceIds }) => [commandId, new Set(instanceIds)])); // commandId -> instances still running under it
  const waiting = () => [...pending].filter(([, ids]) => ids.size > 0);
  // The invocations are never listed right after SendCommand, so a fresh command is waited for before the
  // first poll; one sent by an earlier run is read at once.
  let wait = clock.now() - command.sentAt < pollIntervalMs;
  while (waiting().length > 0) {
    const remaining = deadline - clock.now();
    // Aborted (the run reached its own deadline): what is still pending is reported as not finished.
    if (remaining <= 0 || call.signal?.aborted) break;
    if (wait) await clock.sleep(Math.min(pollIntervalMs, remaining));
    wait = true;
    await settleAll(waiting().map(([commandId, ids]) => pollCommand(host, commandId, ids, results, call)));
  }
  const ids = [...command.refused, ...command.commands.flatMap((c) => c.instanceIds)];
  return ids.map((id) => results.get(id) ?? { instanceId: id, status: 'timed-out', stdout: '', stderr: '' });
}

async function run(host: Host, instanceIds: readonly string[], script: HostScript, deadline: number, call: CallOptions = {}): Promise<readonly HostResult[]> {
  const unique = [...new Set(instanceIds)];
  if (unique.length === 0) return [];
  const results = new Map((await collect(host, await start(host, unique, script, call), deadline, call)).map((r) => [r.instanceId, r]));
  return unique.map((id) => results.get(id) ?? { instanceId: id, status: 'timed-out', stdout: '', stderr: '' });
}

const utf8 = new TextEncoder();

/**
 * The result a listed terminal invocation gives on its own, or undefined when it needs
 * GetCommandInvocation: it wrote to stderr (the listing mixes it into the output), its output may
 * have been cut, or it ran but lists no plugin.
 */
function fromListing(instanceId: string, status: Outcome, invocation: CommandInvocation): HostResult | undefined {
  const plugin = invocation.CommandPlugins?.find((candidate) => candidate.Name === SHELL_PLUGIN) ?? invocation.CommandPlugins?.[0];
  if (plugin === undefined) return status === 'undeliverable' ? { instanceId, status, stdout: '', stderr: '' } : undefined;
  const output = plugin.Output ?? '';
  if (output.includes(OUTPUT_ERROR_TITLE) || output.endsWith(OUTPUT_CUT_MARKER) || utf8.encode(output).length >= LIST_OUTPUT_SAFE_BYTES) return undefined;
  return withExitCode({ instanceId, status, stdout: output, stderr: '' }, plugin.ResponseCode);
}

function withExitCode(result: HostResult, responseCode: number | undefined): HostResult {
  // ResponseCode -1 means the script never started; it is not an exit code.
  return responseCode !== undefined && responseCode >= 0 ? { ...result, exitCode: responseCode } : result;
}

function toResult(instanceId: string, status: Outcome, invocation: GetCommandInvocationCommandOutput): HostResult {
  return withExitCode({ instanceId, status, stdout: invocation.StandardOutputContent ?? '', stderr: invocation.StandardErrorContent ?? '' }, invocation.ResponseCode);
}

/**
 * DescribeInstanceInformation's `InstanceIds` filter takes at most 100 values, and MaxResults is 5 to
 * 50: chunks of 50 make one page per chunk (the NextToken is still followed).
 */
const AGENT_CHUNK = 50;
const PING: Readonly<Record<string, SsmPing>> = { Online: 'online', ConnectionLost: 'connection-lost', Inactive: 'inactive' };

/**
 * The SSM agents' ping status (ssm:DescribeInstanceInformation): one call per 50 instances, the
 * chunks concurrently. An instance SSM does not list is `not-registered`; a PingStatus this code
 * does not know reads as `connection-lost` (not reachable, as far as anyone can tell).
 * @throws AwsCallError when a call fails; nothing is guessed for the instances of a failed chunk.
 */
export function createSsmAgentPort(client: SSMClient): SsmAgentPort {
  async function chunkStatus(ids: readonly string[], call: CallOptions): Promise<Map<string, SsmPing>> {
    const found = new Map<string, SsmPing>();
    let nextToken: string | undefined;
    // Bounded, so a service that kept answering tokens could not hold status forever.
    for (let page = 0; page < AGENT_CHUNK; page += 1) {
      let output;
      try {
        output = await client.send(
          new DescribeInstanceInformationCommand({
            Filters: [{ Key: 'InstanceIds', Values: [...ids] }],
            MaxResults: AGENT_CHUNK,
            ...(nextToken === undefined ? {} : { NextToken: nextToken }),
          }),
          { abortSignal: call.signal },
        );
      } catch (error) {
        throw toAwsCallError('DescribeInstanceInformation', error, { instanceIds: ids.join(',') });
      }
      for (const info of output.InstanceInformationList ?? []) {
        if (info.InstanceId !== undefined) found.set(info.InstanceId, PING[info.PingStatus ?? ''] ?? 'connection-lost');
      }
      nextToken = output.NextToken || undefined;
      if (nextToken === undefined) break;
    }
    return found;
  }

  return {
    async pingStatus(instanceIds: readonly string[], call: CallOptions = {}): Promise<ReadonlyMap<string, SsmPing>> {
      const unique = [...new Set(instanceIds)];
      const chunks = await Promise.all(chunk(unique, AGENT_CHUNK).map((ids) => chunkStatus(ids, call)));
      const found = new Map(chunks.flatMap((c) => [...c]));
      return new Map(unique.map((id) => [id, found.get(id) ?? 'not-registered']));
    },
  };
}
