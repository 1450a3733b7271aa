/**
 * Reads what the probe script (`script.ts`) printed. Lines look like
 *
 *     vpcf probe id=i-0abc check=icmp target=10.0.0.5 result=ok rtt_ms=0.4
 *     vpcf probe id=i-0abc check=tcp target=10.0.0.5 port=80 result=fail
 *     vpcf probe id=i-0nat check=egress target=203.0.113.9 port=443 result=ok
 *     vpcf probe id=i-0nat check=forwarding result=fail ip_forward=1 nat_rule=no
 *     vpcf probe-end checks=4
 *
 * A sweep script (`probeBlocksScript`) also says which prober's block the host ran, before its
 * check lines: `vpcf probe self=i-0abc`, or `vpcf probe self=unknown` when none of the blocks'
 * addresses is the host's own (it then ran no check).
 *
 * `result` is `ok` (answered), `fail` (no answer within the timeout: evidence against the target),
 * `error` (the tool itself failed, e.g. the prober has no route: no evidence either way) or
 * `unsupported` (the prober lacks the tool). The forwarding line describes the host that printed it
 * (see `ProbeForwardingLine`). Output may be cut short (SSM keeps 24,000 characters),
 * so a bad line becomes an `error` entry instead of an exception: one bad line cannot sink a round.
 */
import { isIpv4, isPort } from '../core/validate.js';
import { isProbeId } from './script.js';

export type ProbeCheck = 'icmp' | 'tcp' | 'egress';
export type ProbeResult = 'ok' | 'fail' | 'error' | 'unsupported';

export interface ProbeCheckLine {
  readonly kind: 'check';
  readonly id: string;
  readonly check: ProbeCheck;
  readonly target: string;
  /** TCP and egress checks only. */
  readonly port?: number;
  readonly result: ProbeResult;
  /** Average round trip, ICMP checks that succeeded only (when the prober's ping reports it). */
  readonly rttMs?: number;
}

/**
 * The prober's own NAT configuration. `result` follows from the two fields and must agree with them:
 * `fail` when ip_forward is 0 or the ruleset was read and has no MASQUERADE/SNAT rule, `ok` when
 * ip_forward is 1 and such a rule exists, `unsupported` when a tool was missing or refused.
 */
export interface ProbeForwardingLine {
  readonly kind: 'forwarding';
  /** The id the line is credited to (the target that carried `forwarding: true`), not the host. */
  readonly id: string;
  readonly result: ForwardingResult;
  /** `unknown` only when /proc/sys/net/ipv4/ip_forward could not be read. */
  readonly ipForward: '0' | '1' | 'unknown';
  readonly natRule: 'yes' | 'no' | 'unknown';
}

export type ForwardingResult = 'ok' | 'fail' | 'unsupported';

/** The result the script derives from ip_forward and the NAT rule (the parser insists on the same). */
export function forwardingResult(ipForward: ProbeForwardingLine['ipForward'], natRule: ProbeForwardingLine['natRule']): ForwardingResult {
  if (ipForward === '0' || natRule === 'no') return 'fail';
  return ipForward === '1' && natRule === 'yes' ? 'ok' : 'unsupported';
}

/** Whether an address (the group's VIP) is on one of the prober's own interfaces. */
export interface ProbeAddressLine {
  readonly kind: 'address';
  /** The prober the line is about. */
  readonly id: string;
  readonly target: string;
  readonly present: boolean;
}

/** The script got past `wait`: every check it started has printed its line. */
export interface ProbeEndLine {
  readonly kind: 'end';
  readonly checks: number;
}

/** Whose block the host ran: `prober` is undefined for `self=unknown` (no block's address is local). */
export interface ProbeSelfLine {
  readonly kind: 'self';
  readonly prober?: string;
}

/** A line that starts like a probe line but is not one. */
export interface ProbeErrorLine {
  readonly kind: 'error';
  readonly line: string;
  readonly reason: string;
}

export type ProbeLine = ProbeCheckLine | ProbeForwardingLine | ProbeAddressLine | ProbeSelfLine | ProbeEndLine | ProbeErrorLine;

const CHECKS: readonly string[] = ['icmp', 'tcp', 'egress'] satisfies ProbeCheck[];
const RESULTS: readonly string[] = ['ok', 'fail', 'error', 'unsupported'] satisfies ProbeResult[];
const DECIMAL = /^\d{1,9}(\.\d{1,6})?$/;
const COUNT = /^(0|[1-9]\d{0,5})$/;
const PORT = /^[1-9]\d{0,4}$/;
/** Longer than any line the script prints; caps the work a garbage line can cause. */
const MAX_LINE = 512;

function fields(tokens: readonly string[]): Map<string, string> | string {
  const map = new Map<string, string>();
  for (const token of tokens) {
    const eq = token.indexOf('=');
    if (eq <= 0) return `'${token}' is not key=value`;
    const key = token.slice(0, eq);
    if (map.has(key)) return `duplicate field '${key}'`;
    map.set(key, token.slice(eq + 1));
  }
  return map;
}

const IP_FORWARD: readonly string[] = ['0', '1', 'unknown'];
const NAT_RULE: readonly string[] = ['yes', 'no', 'unknown'];

function parseForwarding(map: ReadonlyMap<string, string>): ProbeForwardingLine | string {
  const id = map.get('id');
  const result = map.get('result');
  const ipForward = map.get('ip_forward');
  const natRule = map.get('nat_rule');
  if (id === undefined || !isProbeId(id)) return `bad or missing id '${id ?? ''}'`;
  const unknown = [...map.keys()].find((key) => !['id', 'check', 'result', 'ip_forward', 'nat_rule'].includes(key));
  if (unknown !== undefined) return `unexpected field '${unknown}' for check=forwarding`;
  if (ipForward === undefined || !IP_FORWARD.includes(ipForward)) return `bad or missing ip_forward '${ipForward ?? ''}'`;
  if (natRule === undefined || !NAT_RULE.includes(natRule)) return `bad or missing nat_rule '${natRule ?? ''}'`;
  const line: ProbeForwardingLine = {
    kind: 'forwarding',
    id,
    ipForward: ipForward as ProbeForwardingLine['ipForward'],
    natRule: natRule as ProbeForwardingLine['natRule'],
    result: forwardingResult(ipForward as ProbeForwardingLine['ipForward'], natRule as ProbeForwardingLine['natRule']),
  };
  // A result that contradicts its own evidence is not something the script prints.
  if (result !== line.result) return `bad or missing result '${result ?? ''}' for ip_forward=${ipForward} nat_rule=${natRule}`;
  return line;
}

function parseAddress(map: ReadonlyMap<string, string>): ProbeAddressLine | string {
  const id = map.get('id');
  const target = map.get('target');
  const result = map.get('result');
  if (id === undefined || !isProbeId(id)) return `bad or missing id '${id ?? ''}'`;
  const unknown = [...map.keys()].find((key) => !['id', 'check', 'target', 'result'].includes(key));
  if (unknown !== undefined) return `unexpected field '${unknown}' for check=address`;
  if (target === undefined || !isIpv4(target)) return `bad or missing target '${target ?? ''}'`;
  if (result !== 'up' && result !== 'down') return `bad or missing result '${result ?? ''}' for check=address`;
  return { kind: 'address', id, target, present: result === 'up' };
}

function parseSelf(map: ReadonlyMap<string, string>): ProbeSelfLine | string {
  const self = map.get('self') ?? '';
  if (map.size !== 1) return 'expected exactly self=<id>';
  if (self === 'unknown') return { kind: 'self' };
  return isProbeId(self) ? { kind: 'self', prober: self } : `bad self '${self}'`;
}

function parseCheck(tokens: readonly string[]): ProbeCheckLine | ProbeForwardingLine | ProbeAddressLine | ProbeSelfLine | string {
  const map = fields(tokens);
  if (typeof map === 'string') return map;
  if (map.has('self')) return parseSelf(map);
  const id = map.get('id');
  const check = map.get('check');
  if (check === 'forwarding') return parseForwarding(map);
  if (check === 'address') return parseAddress(map);
  const target = map.get('target');
  const result = map.get('result');
  if (id === undefined || !isProbeId(id)) return `bad or missing id '${id ?? ''}'`;
  if (check === undefined || !CHECKS.includes(check)) return `bad or missing check '${check ?? ''}'`;
  if (target === undefined || !isIpv4(target)) return `bad or missing target '${target ?? ''}'`;
  if (result === undefined || !RESULTS.includes(result)) return `bad or missing result '${result ?? ''}'`;

  const allowed = check === 'icmp' ? ['id', 'check', 'target', 'result', 'rtt_ms'] : ['id', 'check', 'target', 'port', 'result'];
  const unknown = [...map.keys()].find((key) => !allowed.includes(key));
  if (unknown !== undefined) return `unexpected field '${unknown}' for check=${check}`;

  const line: { -readonly [K in keyof ProbeCheckLine]: ProbeCheckLine[K] } = {
    kind: 'check',
    id,
    check: check as ProbeCheck,
    target,
    result: result as ProbeResult,
  };
  if (check !== 'icmp') {
    const port = map.get('port') ?? '';
    if (!PORT.test(port) || !isPort(Number(port))) return `bad or missing port '${port}'`;
    line.port = Number(port);
  }
  const rtt = map.get('rtt_ms');
  if (rtt !== undefined) {
    if (!DECIMAL.test(rtt)) return `bad rtt_ms '${rtt}'`;
    if (result !== 'ok') return 'rtt_ms on a check that did not succeed';
    line.rttMs = Number(rtt);
  }
  return line;
}

function parseEnd(tokens: readonly string[]): ProbeEndLine | string {
  const map = fields(tokens);
  if (typeof map === 'string') return map;
  const checks = map.get('checks');
  if (map.size !== 1 || checks === undefined || !COUNT.test(checks)) return 'expected exactly checks=<count>';
  return { kind: 'end', checks: Number(checks) };
}

/**
 * Parses probe output. Lines that do not start with `vpcf probe` or `vpcf probe-end` are ignored;
 * lines that do but are malformed come back as `{ kind: 'error' }` in their place.
 */
export function parseProbeOutput(stdout: string): ProbeLine[] {
  const out: ProbeLine[] = [];
  for (const raw of stdout.split('\n')) {
    const text = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    const tokens = text.split(' ');
    if (tokens[0] !== 'vpcf' || (tokens[1] !== 'probe' && tokens[1] !== 'probe-end')) continue;
    const line = text.length > MAX_LINE ? text.slice(0, MAX_LINE) : text;
    if (text.length > MAX_LINE) {
      out.push({ kind: 'error', line, reason: `longer than ${MAX_LINE} characters` });
      continue;
    }
    const rest = tokens.slice(2);
    if (rest.some((token) => token === '')) {
      out.push({ kind: 'error', line, reason: 'empty field (stray space)' });
      continue;
    }
    const parsed = tokens[1] === 'probe' ? parseCheck(rest) : parseEnd(rest);
    out.push(typeof parsed === 'string' ? { kind: 'error', line, reason: parsed } : parsed);
  }
  return out;
}

/**
 * Whether the NAT credited with `id` forwards: `ok` if any egress endpoint answered, `fail` if
 * none did and at least one check failed, `unknown` if there is no evidence. A refused connection
 * also reads as `fail`, so configure endpoints that listen.
 */
export function egressForwarding(lines: readonly ProbeLine[], id: string): 'ok' | 'fail' | 'unknown' {
  const results = lines.filter((l): l is ProbeCheckLine => l.kind === 'check' && l.check === 'egress' && l.id === id).map((l) => l.result);
  if (results.includes('ok')) return 'ok';
  return results.includes('fail') ? 'fail' : 'unknown';
}

/**
 * The prober's own NAT configuration, from the forwarding line credited to `id`: `ok`, `fail`, or
 * `unknown` when there is no such line or the tools were missing. A failure in any such line wins.
 */
export function natForwarding(lines: readonly ProbeLine[], id: string): 'ok' | 'fail' | 'unknown' {
  const results = lines.filter((l): l is ProbeForwardingLine => l.kind === 'forwarding' && l.id === id).map((l) => l.result);
  if (results.includes('fail')) return 'fail';
  return results.includes('ok') ? 'ok' : 'unknown';
}

/** Renders a line the way the script prints it (fakes of the host port use this to answer like a prober). */
export function formatProbeLine(line: ProbeCheckLine | ProbeForwardingLine | ProbeAddressLine | ProbeSelfLine | ProbeEndLine): string {
  if (line.kind === 'end') return `vpcf probe-end checks=${line.checks}`;
  if (line.kind === 'address') return `vpcf probe id=${line.id} check=address target=${line.target} result=${line.present ? 'up' : 'down'}`;
  if (line.kind === 'self') return `vpcf probe self=${line.prober ?? 'unknown'}`;
  if (line.kind === 'forwarding') return `vpcf probe id=${line.id} check=forwarding result=${line.result} ip_forward=${line.ipForward} nat_rule=${line.natRule}`;
  const port = line.port === undefined ? '' : ` port=${line.port}`;
  const rtt = line.rttMs === undefined ? '' : ` rtt_ms=${line.rttMs}`;
  return `vpcf probe id=${line.id} check=${line.check} target=${line.target}${port} result=${line.result}${rtt}`;
}
