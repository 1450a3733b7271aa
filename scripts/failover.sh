#!/usr/bin/env bash
# Operator front end for the deployed `failover` function: status, forced failover, failback, doctor, drill.
#
#   scripts/failover.sh status [group] [--json]
#   scripts/failover.sh failover <group> [--to i-…] [--from i-…] [--dry-run] [--reason "…"]
#   scripts/failover.sh failback <group> [--dry-run] [--reason "…"]
#   scripts/failover.sh doctor [group] [--vpc vpc-…] [--json]    read-only; exit 1 on a blocker
#   scripts/failover.sh drill <group> [--back-after 60s] [--stay] [--json]
#
# Options (anywhere after the command):
#   --stage <name>     serverless stage (default: dev)
#   --region <name>    AWS region (default: the one serverless.yml resolves)
#   --local            run `serverless invoke local` instead of invoking the deployed function
#   --print            print the JSON payload and exit, invoking nothing
#   --json             status, doctor, drill: print the function's JSON answer instead of the table
#
# Every value is validated here before it reaches the payload, and the payload is built by a
# JSON encoder (node's JSON.stringify), never by string concatenation, so a reason with quotes or
# newlines arrives as typed. The function validates again: this script is a convenience, not a guard.
set -euo pipefail

usage() {
  sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

die() {
  printf 'failover.sh: %s\n' "$1" >&2
  exit 2
}

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
node="${NODE:-}"
if [[ -z "$node" ]]; then
  if [[ -x "$root/node_modules/.bin/node" ]]; then node="$root/node_modules/.bin/node"; else node="node"; fi
fi

group_re='^[A-Za-z0-9_.:-]{1,64}$'
instance_re='^i-[0-9a-f]{8}([0-9a-f]{9})?$'
stage_re='^[A-Za-z0-9-]{1,32}$'
region_re='^[a-z]{2}(-[a-z]+)+-[0-9]$'
vpc_re='^vpc-[0-9a-f]{8,17}$'

[[ $# -ge 1 ]] || usage
action="$1"
shift
case "$action" in
  status | failover | failback | doctor | drill) ;;
  -h | --help | help) usage ;;
  *) die "unknown command '$action' (status, failover, failback, doctor or drill)" ;;
esac

group="" to="" from="" reason="" dry_run=false has_reason=false vpc=""
stage="" region="" local_invoke=false print_only=false json=false
back_after="" stay=false

need_value() {
  [[ $# -ge 2 ]] || die "$1 needs a value"
}

while [[ $# -gt 0 ]]; do
  case "$1" in
    --to) need_value "$@"; to="$2"; shift 2 ;;
    --from) need_value "$@"; from="$2"; shift 2 ;;
    --vpc) need_value "$@"; vpc="$2"; shift 2 ;;
    --reason) need_value "$@"; reason="$2"; has_reason=true; shift 2 ;;
    --dry-run) dry_run=true; shift ;;
    --back-after) need_value "$@"; back_after="$2"; shift 2 ;;
    --stay) stay=true; shift ;;
    --stage) need_value "$@"; stage="$2"; shift 2 ;;
    --region) need_value "$@"; region="$2"; shift 2 ;;
    --local) local_invoke=true; shift ;;
    --print) print_only=true; shift ;;
    --json) json=true; shift ;;
    -h | --help) usage ;;
    --*) die "unknown option '$1'" ;;
    *)
      [[ -z "$group" ]] || die "unexpected argument '$1'"
      group="$1"
      shift
      ;;
  esac
done

if [[ -n "$group" ]]; then
  [[ "$group" =~ $group_re ]] || die "group must be 1 to 64 of A-Z a-z 0-9 _ . : - (got '$group')"
elif [[ "$action" != status && "$action" != doctor ]]; then
  die "$action needs a group"
fi
[[ "$json" == false || "$action" == status || "$action" == doctor || "$action" == drill ]] || die "--json only applies to status, doctor and drill (failover and failback answer in JSON)"
[[ -z "$vpc" || "$action" == doctor ]] || die "--vpc only applies to doctor"
[[ -z "$vpc" || "$vpc" =~ $vpc_re ]] || die "--vpc must be a VPC ID (vpc-…), got '$vpc'"
if [[ "$action" != drill ]]; then
  [[ -z "$back_after" && "$stay" == false ]] || die "--back-after and --stay only apply to drill"
else
  [[ "$dry_run" == false && "$has_reason" == false ]] || die "--dry-run and --reason do not apply to drill"
  [[ -z "$back_after" || "$stay" == false ]] || die "--back-after and --stay exclude each other"
fi
# --back-after: seconds, as 90, 90s or 2m; the function allows up to 180 s.
back_after_seconds=""
if [[ -n "$back_after" ]]; then
  if [[ "$back_after" =~ ^([0-9]{1,4})s?$ ]]; then
    back_after_seconds="$((10#${BASH_REMATCH[1]}))"
  elif [[ "$back_after" =~ ^([0-9]{1,2})m$ ]]; then
    back_after_seconds="$((10#${BASH_REMATCH[1]} * 60))"
  else
    die "--back-after must be seconds such as 60s or 90, or minutes such as 2m (got '$back_after')"
  fi
  ((back_after_seconds <= 180)) || die "--back-after must be at most 180s (got '$back_after')"
fi
if [[ "$action" != failover ]]; then
  [[ -z "$to" && -z "$from" ]] || die "--to and --from only apply to failover"
fi
if [[ "$action" == status || "$action" == doctor ]]; then
  [[ "$dry_run" == false && "$has_reason" == false ]] || die "--dry-run and --reason do not apply to $action"
fi
[[ -z "$to" || "$to" =~ $instance_re ]] || die "--to must be an instance ID (i-…), got '$to'"
[[ -z "$from" || "$from" =~ $instance_re ]] || die "--from must be an instance ID (i-…), got '$from'"
[[ -z "$stage" || "$stage" =~ $stage_re ]] || die "--stage must be letters, digits and dashes, got '$stage'"
[[ -z "$region" || "$region" =~ $region_re ]] || die "--region must be a region name such as eu-west-1, got '$region'"

# Values travel as argv, so nothing here is ever parsed as code.
payload="$(
  "$node" -e '
    const [action, group, to, from, dryRun, hasReason, reason, vpc, backAfter, stay] = process.argv.slice(1);
    if (hasReason === "true" && (reason.length < 1 || reason.length > 500)) {
      process.stderr.write("failover.sh: --reason must be 1 to 500 characters\n");
      process.exit(2);
    }
    const payload = { action };
    if (group) payload.group = group;
    if (to) payload.to = to;
    if (from) payload.from = from;
    if (vpc) payload.vpc = vpc;
    if (dryRun === "true") payload.dryRun = true;
    if (hasReason === "true") payload.reason = reason;
    if (backAfter) payload.backAfterSeconds = Number(backAfter);
    if (stay === "true") payload.stay = true;
    process.stdout.write(JSON.stringify(payload));
  ' -- "$action" "$group" "$to" "$from" "$dry_run" "$has_reason" "$reason" "$vpc" "$back_after_seconds" "$stay"
)" || exit 2

if [[ "$print_only" == true ]]; then
  printf '%s\n' "$payload"
  exit 0
fi

args=(invoke)
if [[ "$local_invoke" == true ]]; then args+=(local); fi
args+=(-f failover --data "$payload")
if [[ -n "$stage" ]]; then args+=(--stage "$stage"); fi
if [[ -n "$region" ]]; then args+=(--region "$region"); fi

cd "$root"
# A drill answers after both legs and the stay (up to the function's 300 s): the framework's client
# would give up after 120 s of silence (AWS_CLIENT_TIMEOUT, ms) and leave the drill's figures unread.
if [[ "$action" == drill && -z "${AWS_CLIENT_TIMEOUT:-}" ]]; then export AWS_CLIENT_TIMEOUT=330000; fi
invoke() {
  if [[ "$local_invoke" == true ]]; then
    # invoke local bundles first and can hang on a stale build; never wait forever.
    timeout "${FAILOVER_LOCAL_TIMEOUT:-120}" npx serverless "${args[@]}"
  else
    npx serverless "${args[@]}"
  fi
}
if [[ "$action" == doctor ]]; then
  # The function's report carries its own table (`text`); a blocker makes the exit status 1.
  answer="$(invoke)" || {
    code=$?
    printf '%s\n' "$answer"
    exit "$code"
  }
  printf '%s\n' "$answer" | "$node" -e '
    let raw = "";
    process.stdin.on("data", (c) => (raw += c)).on("end", () => {
      let report;
      try { report = JSON.parse(raw); } catch { process.stdout.write(raw); process.exit(2); }
      if (typeof report.blockers !== "number") { process.stdout.write(raw); process.exit(2); }
      process.stdout.write(process.argv[1] === "true" ? raw : `${report.text}\n`);
      process.exit(report.blockers > 0 ? 1 : 0);
    });
  ' -- "$json"
  exit
fi
if [[ ( "$action" != status && "$action" != drill ) || "$json" == true ]]; then
  invoke
  exit
fi
# The table (status) or the figures (drill) for people; any other answer is printed as it came, and fails.
printer="$root/scripts/status-table.mjs"
[[ "$action" != drill ]] || printer="$root/scripts/drill-report.mjs"
answer="$(invoke)" || {
  code=$?
  printf '%s\n' "$answer"
  exit "$code"
}
printf '%s\n' "$answer" | "$node" "$printer"
