/**
 * The health probe that runs on a prober instance (SSM, AWS-RunShellScript): ICMP and TCP checks
 * against its peers, "egress" checks that reach an outside TCP endpoint through the NAT the
 * prober's route table points at, and a "forwarding" check of the prober's own NAT configuration
 * (ip_forward and a MASQUERADE/SNAT rule). A NAT that answers ping but no longer forwards is
 * unhealthy, and only these last two can tell: the egress check sees a broken upstream, the
 * forwarding check sees a NAT that still reaches out itself but no longer translates for others.
 *
 * The script is POSIX sh (dash, bash, busybox ash), runs every check in parallel so its wall time is
 * bounded by the timeout and not by the number of targets, and always prints one line per check
 * (format in `parse.ts`), then an end line, then exits 0.
 *
 * A sweep sends one script to many probers (SSM gives every instance of a command the same
 * parameters), so `probeBlocksScript` holds one block per prober, guarded by the prober's primary
 * private IP: each host runs only its own block, found among its own IPv4 addresses, and no
 * metadata service is needed. `probeScript` is the unguarded form: every check, on whatever host.
 */
import { FailoverError } from '../errors.js';
import type { HostScript } from '../core/ports.js';
import { MAX_PROBE_CHECKS, MAX_SCRIPT_CHECKS } from '../core/limits.js';
import { isIpv4, isPort } from '../core/validate.js';

/** A TCP endpoint outside the VPC, reached through a NAT. Any one that answers means forwarding works. */
export interface EgressTarget {
  readonly kind: 'egress';
  readonly host: string;
  readonly port: number;
}

export interface ProbeTarget {
  /** Usually an instance id; every output line carries it so results map back to instances. */
  readonly id: string;
  readonly ip: string;
  readonly tcpPorts: readonly number[];
  /**
   * For `probeScript` only (one known prober): egress checks from the host running the script,
   * credited to this id. Sweeps use `ProbeBlock.egress`, credited to the prober itself.
   */
  readonly egress?: readonly EgressTarget[];
  /** For `probeScript` only: check the running host's NAT configuration, credited to this id. Sweeps use `ProbeBlock.forwarding`. */
  readonly forwarding?: boolean;
}

export interface ProbeOptions {
  /** Echo requests per target, 1 to 10; the target is up if any is answered. Default 2. */
  readonly pingCount?: number;
  /** Seconds to wait for an echo reply or a TCP handshake, 1 to 30. Default 1. */
  readonly timeoutSeconds?: number;
}

/** Instance ids and other probe ids: lower-case letters, digits and dashes only, so never shell syntax. */
const PROBE_ID = /^[a-z0-9][a-z0-9-]{0,62}$/;
export const isProbeId = (value: string): boolean => PROBE_ID.test(value);

/** Checks one host may run, and in one script: defined beside the limits discovery checks (core/limits.ts). */
export { MAX_PROBE_CHECKS, MAX_SCRIPT_CHECKS } from '../core/limits.js';

/** Seconds between echo requests: the smallest interval iputils allows an unprivileged user. */
const PING_INTERVAL = 0.2;

function refuse(field: string, message: string): never {
  throw new FailoverError(`refusing to build the probe script: ${message}`, { context: { field } });
}

function integerIn(field: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) refuse(field, `'${String(value)}' is not an integer from ${min} to ${max}`);
  return value;
}

function ipv4(field: string, value: unknown): string {
  if (typeof value !== 'string' || !isIpv4(value)) refuse(field, `'${String(value)}' is not an IPv4 address`);
  return value;
}

function port(field: string, value: unknown): number {
  if (typeof value !== 'number' || !isPort(value)) refuse(field, `'${String(value)}' is not a TCP port`);
  return value;
}

/**
 * The forwarding check: what a NAT instance needs to forward for others, read from the host itself.
 * - ip_forward from /proc (no tool needed).
 * - A source-NAT rule reachable from the IPv4 postrouting hook: in `nft list ruleset` (a
 *   `masquerade`/`snat` statement in a `type nat hook postrouting` chain of an ip/inet table, or in
 *   a chain it jumps or goes to, as firewalld's zone chains are), else in `iptables-save -t nat` /
 *   `iptables -t nat -S` (`-j MASQUERADE`/`-j SNAT` in POSTROUTING or a chain it jumps to). Both are
 *   asked when both exist, because iptables-legacy rules are invisible to nft.
 * A tool that is missing, refused (not root) or killed by the cap leaves `nat_rule=unknown`, which is
 * never a failure: only ip_forward=0 or a ruleset that was read and has no such rule is.
 * $1 is the id the line is credited to.
 */
const FORWARDING: readonly string[] = String.raw`vpcf_nft_nat() {
  awk '
    $1 == "table" { v4 = ($2 == "ip" || $2 == "inet"); tbl = $2 "/" $3; chain = ""; next }
    $1 == "chain" && NF >= 2 { chain = tbl "/" $2; next }
    chain == "" || !v4 { next }
    $1 == "}" && NF == 1 { chain = ""; next }
    $1 == "type" && $2 == "nat" && $3 == "hook" && $4 == "postrouting" { root[chain] = 1 }
    {
      for (i = 1; i <= NF; i++) {
        if (($i == "masquerade" || $i == "snat") && (i == 1 || $(i - 1) != "status")) nat[chain] = 1
        if ($i ~ /^"(MASQUERADE|SNAT)"$/ && i > 1 && $(i - 1) == "target") nat[chain] = 1
        if (($i == "jump" || $i == "goto") && i < NF) { t = $(i + 1); sub(/[,;}]+$/, "", t); edge[chain] = edge[chain] " " tbl "/" t }
      }
    }
    END {
      n = 0; found = 0
      for (c in root) { seen[c] = 1; q[++n] = c }
      for (k = 1; k <= n; k++) {
        c = q[k]; if (c in nat) found = 1
        m = split(edge[c], e, " ")
        for (j = 1; j <= m; j++) if (!(e[j] in seen)) { seen[e[j]] = 1; q[++n] = e[j] }
      }
      print (found ? "yes" : "no")
    }'
}
vpcf_ipt_nat() {
  awk '
    $1 == "-A" && NF >= 2 {
      for (i = 3; i < NF; i++) if ($i == "-j" || $i == "-g") {
        t = $(i + 1)
        if (t == "MASQUERADE" || t == "SNAT") nat[$2] = 1; else edge[$2] = edge[$2] " " t
      }
    }
    END {
      n = 1; q[1] = "POSTROUTING"; seen["POSTROUTING"] = 1; found = 0
      for (k = 1; k <= n; k++) {
        c = q[k]; if (c in nat) found = 1
        m = split(edge[c], e, " ")
        for (j = 1; j <= m; j++) if (!(e[j] in seen)) { seen[e[j]] = 1; q[++n] = e[j] }
      }
      print (found ? "yes" : "no")
    }'
}
vpcf_forwarding() {
  vpcf_v=""; vpcf_ipf=unknown; vpcf_nat=unknown
  [ -r /proc/sys/net/ipv4/ip_forward ] && read -r vpcf_v </proc/sys/net/ipv4/ip_forward
  case $vpcf_v in 0|1) vpcf_ipf=$vpcf_v ;; esac
  if vpcf_have awk; then
    if vpcf_have nft && vpcf_out=$(vpcf_capped nft list ruleset 2>/dev/null); then
      case $(printf '%s\n' "$vpcf_out" | vpcf_nft_nat) in yes) vpcf_nat=yes ;; no) vpcf_nat=no ;; esac
    fi
    if [ $vpcf_nat != yes ]; then
      vpcf_read=no
      if vpcf_have iptables-save && vpcf_out=$(vpcf_capped iptables-save -t nat 2>/dev/null); then vpcf_read=yes
      elif vpcf_have iptables && vpcf_out=$(vpcf_capped iptables -t nat -S 2>/dev/null); then vpcf_read=yes
      fi
      if [ $vpcf_read = yes ]; then
        case $(printf '%s\n' "$vpcf_out" | vpcf_ipt_nat) in yes) vpcf_nat=yes ;; no) vpcf_nat=no ;; esac
      fi
    fi
  fi
  case $vpcf_ipf:$vpcf_nat in 0:*|*:no) vpcf_r=fail ;; 1:yes) vpcf_r=ok ;; *) vpcf_r=unsupported ;; esac
  printf 'vpcf probe id=%s check=forwarding result=%s ip_forward=%s nat_rule=%s\n' "$1" "$vpcf_r" "$vpcf_ipf" "$vpcf_nat"
}`.split('\n');

/** Shell helpers; the values they receive come from the validated call lines below. */
function prelude(pingCount: number, timeout: number): string[] {
  // Longest a single check may run before it is killed, when coreutils' timeout exists.
  const cap = timeout + Math.ceil(PING_INTERVAL * (pingCount - 1)) + 1;
  return [
    'LC_ALL=C; export LC_ALL',
    'set -u',
    'vpcf_have() { command -v "$1" >/dev/null 2>&1; }',
    `vpcf_capped() { if vpcf_have timeout; then timeout ${cap} "$@"; else "$@"; fi; }`,
    // nc flavours differ; only one that documents -z can report a handshake without sending data.
    'vpcf_tcp_tool=none',
    "if vpcf_have nc && nc -h </dev/null 2>&1 | grep -q -e '-z'; then vpcf_tcp_tool=nc",
    'elif vpcf_have timeout && vpcf_have bash; then vpcf_tcp_tool=bash',
    'fi',
    // $1 id, $2 ip. Exit 1 (no reply) and 124 (killed by the cap) are evidence; anything else is not.
    'vpcf_icmp() {',
    '  vpcf_r=unsupported; vpcf_rtt=""',
    '  if vpcf_have ping; then',
    `    vpcf_out=$(vpcf_capped ping -n -q -c ${pingCount} -i ${PING_INTERVAL} -W ${timeout} "$2" 2>&1); vpcf_rc=$?`,
    '    case $vpcf_rc in 0) vpcf_r=ok ;; 1|124) vpcf_r=fail ;; *) vpcf_r=error ;; esac',
    "    [ $vpcf_r = ok ] && vpcf_rtt=$(printf '%s\\n' \"$vpcf_out\" | sed -n 's|^.*= *[0-9.]*/\\([0-9.]*\\)/.*$|\\1|p' 2>/dev/null | head -n 1)",
    '  fi',
    '  case $vpcf_rtt in ""|*[!0-9.]*|*.*.*|.*|*.) vpcf_rtt="" ;; *) vpcf_rtt=" rtt_ms=$vpcf_rtt" ;; esac',
    "  printf 'vpcf probe id=%s check=icmp target=%s result=%s%s\\n' \"$1\" \"$2\" \"$vpcf_r\" \"$vpcf_rtt\"",
    '}',
    // $1 id, $2 check name (tcp or egress), $3 ip, $4 port.
    'vpcf_tcp() {',
    '  vpcf_rc=200',
    '  case $vpcf_tcp_tool in',
    `    nc) vpcf_capped nc -n -z -w ${timeout} "$3" "$4" </dev/null >/dev/null 2>&1; vpcf_rc=$? ;;`,
    `    bash) timeout ${timeout} bash -c '</dev/tcp/$0/$1' "$3" "$4" >/dev/null 2>&1; vpcf_rc=$? ;;`,
    '  esac',
    '  case $vpcf_tcp_tool:$vpcf_rc in none:*) vpcf_r=unsupported ;; *:0) vpcf_r=ok ;; *:1|*:124) vpcf_r=fail ;; *) vpcf_r=error ;; esac',
    "  printf 'vpcf probe id=%s check=%s target=%s port=%s result=%s\\n' \"$1\" \"$2\" \"$3\" \"$4\" \"$vpcf_r\"",
    '}',
    ...FORWARDING,
  ];
}

/** Validates one target and returns its check lines (each backgrounded with `&`). */
function targetChecks(target: ProbeTarget, at: string): string[] {
  const checks: string[] = [];
  if (typeof target !== 'object' || target === null) refuse(at, 'target is not an object');
  if (typeof target.id !== 'string' || !isProbeId(target.id)) refuse(`${at}.id`, `'${String(target.id)}' is not an instance id`);
  const ip = ipv4(`${at}.ip`, target.ip);
  const tcpPorts: unknown = target.tcpPorts;
  if (!Array.isArray(tcpPorts)) refuse(`${at}.tcpPorts`, 'tcpPorts is not an array');
  const ports = tcpPorts.map((value: unknown, j) => port(`${at}.tcpPorts[${j}]`, value));
  checks.push(`vpcf_icmp '${target.id}' '${ip}' &`);
  for (const p of new Set(ports)) checks.push(`vpcf_tcp '${target.id}' tcp '${ip}' ${p} &`);
  checks.push(...selfChecks(target.id, target.egress, target.forwarding, at));
  return checks;
}

/** The egress and forwarding-configuration checks, their lines credited to `id`. */
function selfChecks(id: string, egressValue: unknown, forwardingValue: unknown, at: string): string[] {
  const checks: string[] = [];
  const egress: unknown = egressValue ?? [];
  if (!Array.isArray(egress)) refuse(`${at}.egress`, 'egress is not an array');
  (egress as readonly Partial<EgressTarget>[]).forEach((endpoint, j) => {
    const where = `${at}.egress[${j}]`;
    if (typeof endpoint !== 'object' || endpoint === null) refuse(where, 'egress endpoint is not an object');
    if (endpoint.kind !== 'egress') refuse(`${where}.kind`, `'${String(endpoint.kind)}' is not 'egress'`);
    const host = ipv4(`${where}.host`, endpoint.host);
    checks.push(`vpcf_tcp '${id}' egress '${host}' ${port(`${where}.port`, endpoint.port)} &`);
  });
  const forwarding: unknown = forwardingValue === undefined ? false : forwardingValue;
  if (typeof forwarding !== 'boolean') refuse(`${at}.forwarding`, `'${String(forwarding)}' is not a boolean`);
  if (forwarding) checks.push(`vpcf_forwarding '${id}' &`);
  return checks;
}

/** One line per address: whether it is on one of the host's own interfaces (`up`) or not (`down`). */
function addressChecks(id: string, value: unknown, at: string): string[] {
  const addresses: unknown = value ?? [];
  if (!Array.isArray(addresses)) refuse(`${at}.addresses`, 'addresses is not an array');
  return (addresses as unknown[]).map((address, j) => `vpcf_address '${id}' '${ipv4(`${at}.addresses[${j}]`, address)}'`);
}

function options(options: ProbeOptions): { pingCount: number; timeout: number } {
  return {
    pingCount: integerIn('options.pingCount', options.pingCount ?? 2, 1, 10),
    timeout: integerIn('options.timeoutSeconds', options.timeoutSeconds ?? 1, 1, 30),
  };
}

/**
 * Builds a probe script that runs every check on whichever host runs it (one prober, or a test).
 * Every value is validated before it is interpolated.
 * @throws FailoverError naming the offending field (`targets[1].tcpPorts[0]`, `options.pingCount`, ...).
 */
export function probeScript(targets: readonly ProbeTarget[], opts: ProbeOptions = {}): HostScript {
  const { pingCount, timeout } = options(opts);
  if (!Array.isArray(targets)) refuse('targets', 'targets is not an array');
  const checks = targets.flatMap((target, i) => targetChecks(target, `targets[${i}]`));
  if (checks.length > MAX_PROBE_CHECKS) refuse('targets', `${checks.length} checks is more than ${MAX_PROBE_CHECKS}`);

  return {
    name: 'probe',
    lines: [...prelude(pingCount, timeout), ...checks, 'wait', `printf 'vpcf probe-end checks=%s\\n' ${checks.length}`, 'exit 0'],
  };
}

/** One prober's share of a sweep script: the checks it runs, and how it knows they are its own. */
export interface ProbeBlock {
  /** The prober's instance id: printed as `vpcf probe self=<id>` when the block runs. */
  readonly proberId: string;
  /** The prober's primary private IPv4 address: the block runs on the host that has it. */
  readonly proberIp: string;
  /** Its peers. */
  readonly targets: readonly ProbeTarget[];
  /** Egress endpoints the prober (a NAT) checks its own path to; lines credited to `proberId`. */
  readonly egress?: readonly EgressTarget[];
  /** Whether the prober (a NAT) checks its own forwarding configuration; line credited to `proberId`. */
  readonly forwarding?: boolean;
  /**
   * Addresses whose presence on the prober's own interfaces it reports (its group's VIP), from the
   * address list it already reads to find its block: no extra command, no extra tool.
   */
  readonly addresses?: readonly string[];
}

/** Where the host's own IPv4 addresses come from: iproute2, else `hostname -I`, else the kernel's FIB. */
const LOCAL_ADDRESSES: readonly string[] = [
  'vpcf_addrs() {',
  '  vpcf_a=""',
  "  vpcf_have ip && vpcf_a=$(ip -4 -o addr show 2>/dev/null | sed -n 's|^.* inet \\([0-9.]*\\)/.*$|\\1|p' 2>/dev/null)",
  '  [ -z "$vpcf_a" ] && vpcf_have hostname && vpcf_a=$(hostname -I 2>/dev/null)',
  "  [ -z \"$vpcf_a\" ] && [ -r /proc/net/fib_trie ] && vpcf_have awk && vpcf_a=$(awk '/[|]--/ { ip = $2 } /\\/32 host LOCAL/ { print ip }' /proc/net/fib_trie 2>/dev/null)",
  '  set -f',
  // Unquoted on purpose: one word per address, whatever separated them.
  "  printf ' %s ' $vpcf_a",
  '  set +f',
  '}',
  'vpcf_local=$(vpcf_addrs)',
  'vpcf_is_local() { case $vpcf_local in *" $1 "*) return 0 ;; esac; return 1; }',
  // $1 id, $2 address: read from the same list, so it costs no command.
  "vpcf_address() { if vpcf_is_local \"$2\"; then vpcf_r=up; else vpcf_r=down; fi; printf 'vpcf probe id=%s check=address target=%s result=%s\\n' \"$1\" \"$2\" \"$vpcf_r\"; }",
  'vpcf_self=unknown',
  'vpcf_checks=0',
];

/** Validates one block and returns its guarded lines and how many checks it runs. */
function blockLines(block: ProbeBlock, at: string): { checks: number; lines: string[] } {
  if (typeof block !== 'object' || block === null) refuse(at, 'block is not an object');
  // `unknown` is what an unidentified host prints in its place.
  if (typeof block.proberId !== 'string' || !isProbeId(block.proberId) || block.proberId === 'unknown') {
    refuse(`${at}.proberId`, `'${String(block.proberId)}' is not an instance id`);
  }
  const ip = ipv4(`${at}.proberIp`, block.proberIp);
  const targets: unknown = block.targets;
  if (!Array.isArray(targets)) refuse(`${at}.targets`, 'targets is not an array');
  const checks = [
    ...(targets as readonly ProbeTarget[]).flatMap((target, j) => targetChecks(target, `${at}.targets[${j}]`)),
    ...selfChecks(block.proberId, block.egress, block.forwarding, at),
    ...addressChecks(block.proberId, block.addresses, at),
  ];
  if (checks.length > MAX_PROBE_CHECKS) refuse(`${at}.targets`, `${checks.length} checks is more than ${MAX_PROBE_CHECKS}`);
  return {
    checks: checks.length,
    lines: [
      `if [ $vpcf_self = unknown ] && vpcf_is_local '${ip}'; then`,
      `vpcf_self='${block.proberId}'; vpcf_checks=${checks.length}; printf 'vpcf probe self=%s\\n' "$vpcf_self"`,
      ...checks,
      'fi',
    ],
  };
}

/**
 * Checks one prober's block as `probeBlocksScript` would, without building a script: the planner
 * uses it to leave out a group whose block could not be built, so the others' script still is.
 * @returns how many checks the block runs.
 * @throws FailoverError naming the offending field, as `probeBlocksScript` does.
 */
export function checkProbeBlock(block: ProbeBlock, at = 'block'): number {
  return blockLines(block, at).checks;
}

/**
 * Builds the one script a command sends to every prober of a batch. Each host runs only the first
 * block whose `proberIp` is one of its own IPv4 addresses, and says which (`vpcf probe self=<id>`),
 * so its output holds its own checks only. A host that has none of the addresses runs no check and
 * prints `vpcf probe self=unknown` and `vpcf probe-end checks=0`: "not identified", never a failure.
 * @throws FailoverError naming the offending field (`blocks[0].targets[1].ip`, `blocks[2].proberIp`, ...).
 */
export function probeBlocksScript(blocks: readonly ProbeBlock[], opts: ProbeOptions = {}): HostScript {
  const { pingCount, timeout } = options(opts);
  if (!Array.isArray(blocks)) refuse('blocks', 'blocks is not an array');
  const lines: string[] = [];
  let total = 0;
  blocks.forEach((block, i) => {
    const { checks, lines: own } = blockLines(block, `blocks[${i}]`);
    total += checks;
    lines.push(...own);
  });
  if (total > MAX_SCRIPT_CHECKS) refuse('blocks', `${total} checks is more than ${MAX_SCRIPT_CHECKS}`);

  return {
    name: 'probe',
    lines: [
      ...prelude(pingCount, timeout),
      ...LOCAL_ADDRESSES,
      ...lines,
      "[ $vpcf_self = unknown ] && printf 'vpcf probe self=unknown\\n'",
      'wait',
      `printf 'vpcf probe-end checks=%s\\n' "$vpcf_checks"`,
      'exit 0',
    ],
  };
}
