/**
 * SSM Run Command over the in-memory VPC. Scripts are not executed: they are interpreted by
 * handlers that recognise what a script does and apply it to the instance's OS view. The
 * timeline (not readable at first, then InProgress, then the result; delivery timeouts on hung
 * instances) runs on the world clock. An invocation becomes readable after `notFoundPolls` reads of
 * it, by GetCommandInvocation or by a ListCommandInvocations that covers it: until then Get fails
 * with InvocationDoesNotExist and List leaves it out.
 */
import type {
  CommandInvocation,
  CommandPlugin,
  GetCommandInvocationCommandInput,
  GetCommandInvocationCommandOutput,
  ListCommandInvocationsCommandInput,
  ListCommandInvocationsCommandOutput,
  SendCommandCommandInput,
  SendCommandCommandOutput,
} from '@aws-sdk/client-ssm';
import type { InvocationRec, InvocationResult } from './core.js';
import { VpcWorldUnsupportedError, ssmError } from './errors.js';
import type { Out } from './ec2.js';
import type { WorldModel } from './model.js';
import { ssmReachable } from './ssm-agents.js';

/** The OS of one instance as scripts see it: interfaces by MAC, addresses as `ip/prefix`. */
export interface OsHandle {
  interfaces(): { mac: string; dev: string; addresses: string[] }[];
  /** `eth<device index>`, or undefined if the OS has no interface with that MAC. */
  device(mac: string): string | undefined;
  has(mac: string, ip: string): boolean;
  /** Like `ip addr replace`: the address ends up on the interface once, with this prefix. */
  add(mac: string, ip: string, prefixLength: number): void;
  /** Like `ip addr del`; returns whether it was there. */
  remove(mac: string, ip: string): boolean;
}

export interface ScriptContext {
  readonly instanceId: string;
  /** Parameters.commands as sent. */
  readonly commands: readonly string[];
  /** The commands joined with newlines, as the agent writes them to a script file. */
  readonly script: string;
  readonly os: OsHandle;
  readonly world: WorldModel;
}

export interface ScriptOutcome {
  readonly exitCode?: number;
  readonly stdout?: string;
  readonly stderr?: string;
  /** How long the script runs (world clock); more than executionTimeout means ExecutionTimedOut. */
  readonly durationMs?: number;
  /** The script was killed at the executionTimeout (an executor's report): ExecutionTimedOut. */
  readonly timedOut?: boolean;
}

/**
 * Runs a delivered script for real and settles with its outcome (never rejects for a script that
 * failed: that is an exit code). `executionTimeoutMs` is the document's executionTimeout: an
 * executor stops the script by then and reports `timedOut`. Without `durationMs`, the world
 * measures the run on its clock.
 */
export type ScriptExecutor = (instanceId: string, script: string, limits: { readonly executionTimeoutMs: number }) => Promise<ScriptOutcome>;

/** Returns the outcome, or undefined to let the next handler try. Runs synchronously. */
export type ScriptHandler = (context: ScriptContext) => ScriptOutcome | undefined;
/** A RegExp or substring tested on the script text, or a predicate. */
export type ScriptMatcher = RegExp | string | ((context: ScriptContext) => boolean);

export interface RegisteredHandler {
  readonly matcher: ScriptMatcher;
  readonly handler: ScriptHandler;
}

const STDOUT_LIMIT = 24_000;
const STDERR_LIMIT = 8_000;
const MAX_INSTANCES = 50;
/** CommandPlugin.Output (ListCommandInvocations with Details) holds at most 2,500 characters. */
export const PLUGIN_OUTPUT_LIMIT = 2_500;
/** ListCommandInvocations' MaxResults: 1 to 50. */
const MAX_LIST_RESULTS = 50;

export function osHandle(world: WorldModel, instanceId: string): OsHandle {
  const instance = world.instance(instanceId);
  return {
    interfaces: () =>
      [...instance.os.entries()].map(([mac, addresses]) => ({
        mac,
        dev: world.deviceName(instanceId, mac) ?? 'unknown',
        addresses: [...addresses.entries()].map(([ip, prefix]) => `${ip}/${prefix}`),
      })),
    device: (mac) => (instance.os.has(mac) ? world.deviceName(instanceId, mac) : undefined),
    has: (mac, ip) => instance.os.get(mac)?.has(ip) ?? false,
    add: (mac, ip, prefixLength) => {
      const addresses = instance.os.get(mac);
      if (!addresses) throw new Error(`VpcWorld: ${instanceId} has no interface ${mac}`);
      addresses.set(ip, prefixLength);
    },
    remove: (mac, ip) => instance.os.get(mac)?.delete(ip) ?? false,
  };
}

const MAC_LOOKUP = /"\$\(cat "\$path\/address"[^)]*\)" = "([0-9a-f]{2}(?::[0-9a-f]{2}){5})"/;
const ADDR_REPLACE = /ip addr (?:replace|add) ([0-9.]+)\/(\d{1,2}) dev "\$dev"/m;
const ADDR_DEL = /ip addr del "\$cidr" dev "\$dev"[\s\S]*result=inactive ip=([0-9.]+)/m;

/**
 * Interprets the scripts of shared/core/scripts.ts: find the interface by MAC (exit 3 without
 * one), then `ip addr add` (when absent) or `ip addr del` of whatever prefix is present, echoing the same result lines.
 */
export const vipScriptHandler: ScriptHandler = ({ script, os }) => {
  const mac = MAC_LOOKUP.exec(script)?.[1];
  const replace = ADDR_REPLACE.exec(script);
  const del = ADDR_DEL.exec(script);
  if (mac === undefined || (!replace && !del)) return undefined;
  const dev = os.device(mac);
  if (dev === undefined) return { exitCode: 3, stdout: `vpcf result=no-interface mac=${mac}\n` };
  if (replace) {
    const [, ip = '', prefix = ''] = replace;
    os.add(mac, ip, Number(prefix));
    return { exitCode: 0, stdout: `vpcf result=active ip=${ip} dev=${dev}\n` };
  }
  const [, ip = ''] = del ?? [];
  os.remove(mac, ip);
  return { exitCode: 0, stdout: `vpcf result=inactive ip=${ip} dev=${dev}\n` };
};

function matches(matcher: ScriptMatcher, context: ScriptContext): boolean {
  if (typeof matcher === 'string') return context.script.includes(matcher);
  if (matcher instanceof RegExp) return matcher.test(context.script);
  return matcher(context);
}

const invocationKey = (commandId: string, instanceId: string): string => `${commandId}/${instanceId}`;

export function sendCommand(world: WorldModel, input: SendCommandCommandInput): Out<SendCommandCommandOutput> {
  if (input.Targets !== undefined && input.Targets.length > 0) throw new VpcWorldUnsupportedError('SendCommand with Targets; pass InstanceIds');
  if (input.DocumentName === undefined) throw ssmError('ValidationException', "1 validation error detected: Value null at 'documentName' failed to satisfy constraint: Member must not be null");
  if (input.DocumentName !== 'AWS-RunShellScript') throw ssmError('InvalidDocument', `Document ${input.DocumentName} is not modelled by VpcWorld (only AWS-RunShellScript)`);
  const ids = input.InstanceIds ?? [];
  if (ids.length === 0) throw ssmError('ValidationException', 'Either InstanceIds or Targets must be specified');
  if (ids.length > MAX_INSTANCES) {
    throw ssmError('ValidationException', `1 validation error detected: Value '[${ids.join(', ')}]' at 'instanceIds' failed to satisfy constraint: Member must have length less than or equal to ${MAX_INSTANCES}`);
  }
  if (new Set(ids).size !== ids.length) throw ssmError('DuplicateInstanceId', 'You cannot specify an instance ID in more than one association.');
  const timeoutSeconds = input.TimeoutSeconds ?? 3600;
  if (!Number.isInteger(timeoutSeconds) || timeoutSeconds < 30 || timeoutSeconds > 2_592_000) {
    throw ssmError('ValidationException', `1 validation error detected: Value '${timeoutSeconds}' at 'timeoutSeconds' failed to satisfy constraint: Member must have value between 30 and 2592000`);
  }
  const commands = input.Parameters?.commands ?? [];
  if (commands.length === 0) throw ssmError('InvalidParameters', 'Parameter "commands" is required and must not be empty.');
  const executionTimeout = Number(input.Parameters?.executionTimeout?.[0] ?? '3600');
  if (!Number.isInteger(executionTimeout) || executionTimeout < 1) throw ssmError('InvalidParameters', `Parameter "executionTimeout" has an invalid value ${String(input.Parameters?.executionTimeout)}`);
  const invalid = ids.filter((id) => {
    const instance = world.instances.get(id);
    if (!instance) return true;
    if (world.ssmAgents.unregistered.has(id)) return true;
    return world.options.ssm.nonRunning === 'invalid-instance-id' && instance.state !== 'running';
  });
  if (invalid.length > 0) throw ssmError('InvalidInstanceId', `Instances [[${invalid.join(', ')}]] not in a valid state for account ${world.options.accountId}`);

  const sentAt = world.now();
  const commandId = world.nextUuid('command');
  for (const instanceId of ids) {
    const instance = world.instance(instanceId);
    const invocation: InvocationRec = {
      commandId,
      instanceId,
      comment: input.Comment ?? '',
      commands: [...commands],
      sentAt,
      dueAt: sentAt + world.options.ssm.executionDelayMs + (world.impairments.ssmDelayMs.get(instanceId) ?? 0),
      deliveryDeadline: sentAt + timeoutSeconds * 1000,
      executionTimeoutMs: executionTimeout * 1000,
      polls: 0,
      result: instance.state === 'running' ? undefined : undeliverable(sentAt),
    };
    world.invocations.set(invocationKey(commandId, instanceId), invocation);
  }
  return {
    Command: {
      CommandId: commandId,
      DocumentName: input.DocumentName,
      DocumentVersion: '$DEFAULT',
      Comment: input.Comment ?? '',
      ExpiresAfter: new Date(sentAt + timeoutSeconds * 1000 + executionTimeout * 1000),
      Parameters: structuredClone(input.Parameters ?? {}),
      InstanceIds: [...ids],
      Targets: [],
      RequestedDateTime: new Date(sentAt),
      Status: 'Pending',
      StatusDetails: 'Pending',
      OutputS3Region: world.options.region,
      MaxConcurrency: '50',
      MaxErrors: '0',
      TargetCount: ids.length,
      CompletedCount: 0,
      ErrorCount: 0,
      DeliveryTimedOutCount: 0,
      TimeoutSeconds: timeoutSeconds,
      ServiceRole: '',
      CloudWatchOutputConfig: { CloudWatchLogGroupName: '', CloudWatchOutputEnabled: false },
    },
  };
}

function undeliverable(at: number): InvocationResult {
  return { status: 'Failed', details: 'Undeliverable', responseCode: -1, stdout: '', stderr: '', endAt: at };
}

/**
 * Runs an invocation whose delivery time has come, if the instance can take it. Called by
 * `settle()`. With an `executor` the script runs for real and the invocation stays InProgress
 * until it settles; otherwise `handlers` are tried in order, and a script no handler knows fails
 * with exit 127.
 */
export function deliverInvocation(
  world: WorldModel,
  invocation: InvocationRec,
  now: number,
  handlers: readonly RegisteredHandler[],
  onUnmatched: (invocation: InvocationRec) => void,
  executor?: ScriptExecutor,
): void {
  const instance = world.instances.get(invocation.instanceId);
  if (!instance || instance.state !== 'running') {
    invocation.result = undeliverable(invocation.dueAt);
    return;
  }
  // A hung instance, one whose agent cannot reach SSM (its link is down, the NAT in front of it is
  // dead), or one a fault made undeliverable: the command waits, and is delivered if the path comes
  // back before its delivery timeout.
  if (instance.hung || world.impairments.ssmUndeliverable.has(instance.id) || !ssmReachable(world, instance.id)) {
    if (now >= invocation.deliveryDeadline) {
      invocation.result = { status: 'TimedOut', details: 'DeliveryTimedOut', responseCode: -1, stdout: '', stderr: '', endAt: invocation.deliveryDeadline };
    }
    return;
  }
  if (executor) {
    execute(world, invocation, now, executor);
    return;
  }
  const startAt = invocation.dueAt;
  const context: ScriptContext = {
    instanceId: instance.id,
    commands: invocation.commands,
    script: invocation.commands.join('\n'),
    os: osHandle(world, instance.id),
    world,
  };
  let outcome: ScriptOutcome | undefined;
  for (const { matcher, handler } of handlers) {
    if (!matches(matcher, context)) continue;
    outcome = handler(context);
    if (outcome) break;
  }
  if (!outcome) {
    onUnmatched(invocation);
    outcome = { exitCode: 127, stderr: `VpcWorld: no script handler matched this script:\n${context.script}\n` };
  }
  invocation.result = resultOf(invocation, outcome, startAt, outcome.durationMs ?? 0);
}

/** Starts the script through the executor; the result lands when it settles, as SSM reports it. */
function execute(world: WorldModel, invocation: InvocationRec, now: number, executor: ScriptExecutor): void {
  invocation.startedAt = now;
  const finish = (outcome: ScriptOutcome) => {
    invocation.result = resultOf(invocation, outcome, now, outcome.durationMs ?? Math.max(0, world.now() - now));
  };
  executor(invocation.instanceId, invocation.commands.join('\n'), { executionTimeoutMs: invocation.executionTimeoutMs }).then(finish, (error: unknown) =>
    // The agent could not run the script at all: the plugin fails, with no exit code of the script's.
    finish({ exitCode: 1, stderr: `VpcWorld executor: ${error instanceof Error ? error.message : String(error)}\n` }),
  );
}

function resultOf(invocation: InvocationRec, outcome: ScriptOutcome, startAt: number, durationMs: number): InvocationResult {
  const exitCode = outcome.exitCode ?? 0;
  const stdout = (outcome.stdout ?? '').slice(0, STDOUT_LIMIT);
  const stderr = (outcome.stderr ?? '').slice(0, STDERR_LIMIT);
  if (outcome.timedOut === true || durationMs > invocation.executionTimeoutMs) {
    return { status: 'TimedOut', details: 'ExecutionTimedOut', responseCode: -1, stdout, stderr, startAt, endAt: startAt + Math.min(durationMs, invocation.executionTimeoutMs) };
  }
  return {
    status: exitCode === 0 ? 'Success' : 'Failed',
    details: exitCode === 0 ? 'Success' : 'Failed',
    responseCode: exitCode,
    stdout,
    stderr,
    startAt,
    endAt: startAt + durationMs,
  };
}

const iso = (ms: number): string => new Date(ms).toISOString();

export function getCommandInvocation(world: WorldModel, input: GetCommandInvocationCommandInput): Out<GetCommandInvocationCommandOutput> {
  if (input.CommandId === undefined || input.InstanceId === undefined) throw ssmError('ValidationException', 'CommandId and InstanceId are required');
  if (input.PluginName !== undefined && input.PluginName !== 'aws:runShellScript') throw ssmError('InvalidPluginName', `Plugin ${input.PluginName} is not part of the document`);
  const invocation = world.invocations.get(invocationKey(input.CommandId, input.InstanceId));
  if (!invocation) throw ssmError('InvocationDoesNotExist', '');
  invocation.polls += 1;
  // Right after SendCommand the invocation is not readable yet; callers must retry.
  if (invocation.polls <= world.options.ssm.notFoundPolls) throw ssmError('InvocationDoesNotExist', '');
  const now = world.now();
  const base = {
    CommandId: invocation.commandId,
    InstanceId: invocation.instanceId,
    Comment: invocation.comment,
    DocumentName: 'AWS-RunShellScript',
    DocumentVersion: '1',
    PluginName: 'aws:runShellScript',
    StandardOutputUrl: '',
    StandardErrorUrl: '',
    CloudWatchOutputConfig: { CloudWatchLogGroupName: '', CloudWatchOutputEnabled: false },
  };
  const result = invocation.result;
  if (!result || now < result.endAt) {
    const hung = !result && invocation.startedAt === undefined && !ssmReachable(world, invocation.instanceId);
    const startAt = result?.startAt ?? invocation.startedAt;
    return {
      ...base,
      ResponseCode: -1,
      ExecutionStartDateTime: startAt === undefined ? '' : iso(startAt),
      ExecutionElapsedTime: startAt === undefined ? '' : `PT${((now - startAt) / 1000).toFixed(3)}S`,
      ExecutionEndDateTime: '',
      Status: hung ? 'Pending' : 'InProgress',
      StatusDetails: hung ? 'Pending' : 'InProgress',
      StandardOutputContent: '',
      StandardErrorContent: '',
    };
  }
  return {
    ...base,
    ResponseCode: result.responseCode,
    ExecutionStartDateTime: result.startAt === undefined ? '' : iso(result.startAt),
    ExecutionElapsedTime: result.startAt === undefined ? '' : `PT${((result.endAt - result.startAt) / 1000).toFixed(3)}S`,
    ExecutionEndDateTime: result.startAt === undefined ? '' : iso(result.endAt),
    Status: result.status,
    StatusDetails: result.details,
    StandardOutputContent: result.stdout,
    StandardErrorContent: result.stderr,
  };
}

const ERROR_TITLE = '\n----------ERROR-------\n';
const OUTPUT_CUT = '\n---Output truncated---';
const ERROR_CUT = '\n---Error truncated----';

/**
 * CommandPlugin.Output as the SSM agent builds it: stdout, then stderr under an ERROR title, cut
 * to `capacity` with a marker on whichever part was cut (both halves when both are long). The agent
 * counts bytes; the world's scripts print ASCII, so characters are the same here.
 */
export function pluginOutput(stdout: string, stderr: string, capacity = PLUGIN_OUTPUT_LIMIT): string {
  const title = stderr.length > 0 ? ERROR_TITLE : '';
  const space = capacity - title.length;
  if (stdout.length + stderr.length < space) return `${stdout}${title}${stderr}`;
  if (stdout.length > space / 2 && stderr.length > space / 2) {
    const half = Math.trunc((space - ERROR_CUT.length - OUTPUT_CUT.length) / 2);
    return `${stdout.slice(0, half)}${OUTPUT_CUT}${title}${stderr.slice(0, half)}${ERROR_CUT}`;
  }
  if (stdout.length < space / 2) return `${stdout}${title}${stderr.slice(0, space - ERROR_CUT.length - stdout.length)}${ERROR_CUT}`;
  return `${stdout.slice(0, space - OUTPUT_CUT.length - stderr.length)}${OUTPUT_CUT}${title}${stderr}`;
}

interface ListToken {
  readonly commandId: string | undefined;
  readonly instanceId: string | undefined;
  readonly details: boolean;
  /** The page's invocations, fixed when the listing started so later pages do not shift. */
  readonly keys: readonly string[];
  readonly offset: number;
}

const listTokens = new WeakMap<WorldModel, Map<string, ListToken>>();

function listInvocation(world: WorldModel, invocation: InvocationRec, details: boolean, now: number): CommandInvocation {
  const result = invocation.result && now >= invocation.result.endAt ? invocation.result : undefined;
  const hung = !invocation.result && invocation.startedAt === undefined && !ssmReachable(world, invocation.instanceId);
  const status = result ? result.status : hung ? 'Pending' : 'InProgress';
  const statusDetails = result ? result.details : status;
  const startAt = result?.startAt ?? invocation.result?.startAt ?? invocation.startedAt;
  const plugin: CommandPlugin = {
    Name: 'aws:runShellScript',
    Status: status,
    StatusDetails: statusDetails,
    ResponseCode: result ? result.responseCode : -1,
    ...(startAt === undefined || now < startAt ? {} : { ResponseStartDateTime: new Date(startAt) }),
    ...(result?.startAt === undefined ? {} : { ResponseFinishDateTime: new Date(result.endAt) }),
    Output: result ? pluginOutput(result.stdout, result.stderr) : '',
    StandardOutputUrl: '',
    StandardErrorUrl: '',
    OutputS3Region: world.options.region,
    OutputS3BucketName: '',
    OutputS3KeyPrefix: '',
  };
  return {
    CommandId: invocation.commandId,
    InstanceId: invocation.instanceId,
    InstanceName: '',
    Comment: invocation.comment,
    DocumentName: 'AWS-RunShellScript',
    DocumentVersion: '$DEFAULT',
    RequestedDateTime: new Date(invocation.sentAt),
    Status: status,
    StatusDetails: statusDetails,
    TraceOutput: '',
    StandardOutputUrl: '',
    StandardErrorUrl: '',
    // Without Details the service answers an empty plugin list, not the plugins without output.
    CommandPlugins: details ? [plugin] : [],
    ServiceRole: '',
    NotificationConfig: { NotificationArn: '', NotificationEvents: [] },
    CloudWatchOutputConfig: { CloudWatchLogGroupName: '', CloudWatchOutputEnabled: false },
  };
}

/**
 * ListCommandInvocations by CommandId and/or InstanceId, with Details and MaxResults/NextToken
 * paging. A command that SSM does not know (yet) lists nothing rather than failing, as the service
 * does right after SendCommand. Filters are not modelled.
 */
export function listCommandInvocations(world: WorldModel, input: ListCommandInvocationsCommandInput): Out<ListCommandInvocationsCommandOutput> {
  if (input.Filters !== undefined && input.Filters.length > 0) throw new VpcWorldUnsupportedError('ListCommandInvocations with Filters');
  if (input.CommandId !== undefined && input.CommandId.length !== 36) {
    const bound = input.CommandId.length > 36 ? 'less' : 'greater';
    throw ssmError('ValidationException', `1 validation error detected: Value '${input.CommandId}' at 'commandId' failed to satisfy constraint: Member must have length ${bound} than or equal to 36`);
  }
  if (input.InstanceId !== undefined && !/^(i-(\w{8}|\w{17})|mi-\w{17})$/.test(input.InstanceId)) {
    throw ssmError('ValidationException', `1 validation error detected: Value '${input.InstanceId}' at 'instanceId' failed to satisfy constraint: Member must satisfy regular expression pattern: (^i-(\\w{8}|\\w{17})$)|(^mi-\\w{17}$)`);
  }
  const maxResults = input.MaxResults ?? MAX_LIST_RESULTS;
  if (!Number.isInteger(maxResults) || maxResults < 1 || maxResults > MAX_LIST_RESULTS) {
    throw ssmError('ValidationException', `1 validation error detected: Value '${maxResults}' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to ${MAX_LIST_RESULTS}`);
  }
  const details = input.Details ?? false;
  const tokens = listTokens.get(world) ?? new Map<string, ListToken>();
  listTokens.set(world, tokens);

  let page: ListToken;
  if (input.NextToken !== undefined) {
    const token = tokens.get(input.NextToken);
    if (!token || token.commandId !== input.CommandId || token.instanceId !== input.InstanceId || token.details !== details) {
      throw ssmError('InvalidNextToken', 'The specified token is not valid.');
    }
    page = token;
  } else {
    const covered = [...world.invocations.entries()].filter(
      ([, inv]) => (input.CommandId === undefined || inv.commandId === input.CommandId) && (input.InstanceId === undefined || inv.instanceId === input.InstanceId),
    );
    // Each listing is one read of every invocation it covers; only those read often enough show.
    for (const [, inv] of covered) inv.polls += 1;
    const visible = covered.filter(([, inv]) => inv.polls > world.options.ssm.notFoundPolls).sort(([, a], [, b]) => b.sentAt - a.sentAt);
    page = { commandId: input.CommandId, instanceId: input.InstanceId, details, keys: visible.map(([key]) => key), offset: 0 };
  }
  const now = world.now();
  const keys = page.keys.slice(page.offset, page.offset + maxResults);
  const invocations = keys.flatMap((key) => {
    const invocation = world.invocations.get(key);
    return invocation ? [listInvocation(world, invocation, details, now)] : [];
  });
  const next = page.offset + maxResults;
  if (next >= page.keys.length) return { CommandInvocations: invocations };
  const nextToken = world.nextUuid('list-command-invocations-token');
  tokens.set(nextToken, { ...page, offset: next });
  return { CommandInvocations: invocations, NextToken: nextToken };
}
