#!/usr/bin/env bash
#
# Usage: ./manager.sh COMMAND [ARGS...]
#
# Runs cron-collector as a background service.
#
# Commands:
#   start              start the collector in the background and wait until it is up
#   stop               stop it (SIGTERM, then SIGKILL after 10 s)
#   restart            stop, then start
#   status             running or not, with pid, uptime and paths, then the stats
#                      (exit code 0 when running, 3 when not)
#   logs [-f] [-n N]   the last N (50) lines of daemon.log; -f follows it
#   parse              ingest everything new once (collector.ts parse); while the
#                      collector runs, it already does that: says so and exits 0
#   stats [ARGS...]    the dashboard (collector.ts stats ARGS, e.g. --json)
#   jobs [ARGS...]     the jobs with their state (collector.ts jobs ARGS)
#   open [ARGS...]     the web dashboard in the browser (collector.ts open ARGS)
#   install            start at boot from your crontab (@reboot); run twice, one line
#   install --launchd  macOS: a LaunchAgent instead (starts at login, restarted on crash)
#   install --systemd  Linux: a systemd user unit instead
#                      (--launchd, --systemd: a collector 'start' started is stopped first,
#                      the service runs its own; one kind at a time, uninstall to switch)
#   uninstall          remove what install added, nothing else
#   help               this text; COMMAND --help works too
#
# Exit codes: 0 ok, 1 failure, 2 usage error, 3 status: not running.
#
# Environment:
#   CRON_COLLECTOR_CONFIG  the config file (default: config.yaml beside this script)
#   BUN                    the bun executable (default: found on PATH or in the usual places)

set -euo pipefail
# Logs, pid file and units are the user's business only.
umask 077

readonly PROGRAM="${0##*/}"

# This script's real path: started through a symlink (e.g. ~/bin/manager.sh), the checkout is
# where the link points, not where it lies.
resolve_script() {
  local path="$1" target
  while [[ -L "${path}" ]]; do
    target="$(readlink "${path}")"
    [[ "${target}" == /* ]] || target="$(dirname "${path}")/${target}"
    path="${target}"
  done
  echo "$(cd "$(dirname "${path}")" && pwd -P)/$(basename "${path}")"
}

SCRIPT="$(resolve_script "${BASH_SOURCE[0]}")"
readonly SCRIPT
readonly SCRIPT_DIR="${SCRIPT%/*}"
readonly COLLECTOR="${SCRIPT_DIR}/collector.ts"
# The crontab line install writes ends with this. It names this checkout, so it cannot occur in a
# line the user wrote, not even one of their own that mentions cron-collector.
readonly CRON_MARKER="# cron-collector: started at boot by ${SCRIPT}"
# How the line install wrote before the marker named the checkout ended; recognised only after
# this checkout's quoted manager.sh path.
readonly OLD_CRON_ENDING=" start >/dev/null 2>&1 # cron-collector"
readonly LAUNCHD_LABEL="com.github.cron-collector"
readonly SYSTEMD_UNIT="cron-collector.service"
readonly STOP_TIMEOUT_SECONDS=10
readonly START_TIMEOUT_SECONDS=15
readonly EXIT_USAGE=2

die() {
  echo "${PROGRAM}: $*" >&2
  exit 1
}

usage() {
  sed -n '3,/^$/s/^# \{0,1\}//p' "${SCRIPT}"
}

usage_error() {
  usage >&2
  echo "${PROGRAM}: $*" >&2
  exit "${EXIT_USAGE}"
}

# Sets BUN_PATH to an absolute bun, found even under cron's minimal PATH. Runs in the main shell
# (never inside $(...)), so that its die stops the script.
BUN_PATH=""
resolve_bun() {
  local candidate
  [[ -z "${BUN_PATH}" ]] || return 0
  if [[ -n "${BUN:-}" ]]; then
    [[ -f "${BUN}" && -x "${BUN}" ]] || die "BUN=${BUN} is not an executable"
    BUN_PATH="$(cd "$(dirname "${BUN}")" && pwd -P)/$(basename "${BUN}")"
    return 0
  fi
  if candidate="$(command -v bun 2>/dev/null)" && [[ "${candidate}" == /* ]]; then
    BUN_PATH="${candidate}"
    return 0
  fi
  for candidate in "${HOME}/.bun/bin/bun" /opt/homebrew/bin/bun /usr/local/bin/bun /usr/bin/bun; do
    if [[ -x "${candidate}" ]]; then
      BUN_PATH="${candidate}"
      return 0
    fi
  done
  die "bun not found; install it (npm install -g bun) or set BUN=/path/to/bun"
}

collector() {
  resolve_bun
  "${BUN_PATH}" "${COLLECTOR}" "$@"
}

# Reads the paths in use from the collector itself (it owns the config format and the file names).
# The paths in use. A config problem is not printed here: the command that runs next reports it
# (start shows the daemon's own words, status the stats command's), so it is said once.
load_paths() {
  local line output problems
  resolve_bun
  problems="$(mktemp)"
  if ! output="$("${BUN_PATH}" "${COLLECTOR}" paths 2>"${problems}")"; then
    cat "${problems}" >&2
    rm -f "${problems}"
    exit 2
  fi
  rm -f "${problems}"
  while IFS= read -r line; do
    case "${line}" in
      config=*) CONFIG_PATH="${line#config=}" ;;
      input=*) INPUT_PATH="${line#input=}" ;;
      database=*) DATABASE_PATH="${line#database=}" ;;
      log_dir=*) LOG_DIR="${line#log_dir=}" ;;
      pid_file=*) PID_FILE="${line#pid_file=}" ;;
      daemon_log=*) DAEMON_LOG="${line#daemon_log=}" ;;
      daemon_stderr=*) DAEMON_STDERR="${line#daemon_stderr=}" ;;
    esac
  done <<<"${output}"
}

# The command line of a process, or nothing when it does not exist.
command_line_of() {
  local pid="$1"
  if [[ -r "/proc/${pid}/cmdline" ]]; then
    tr '\0' ' ' <"/proc/${pid}/cmdline"
  else
    ps -p "${pid}" -o command= 2>/dev/null || true
  fi
}

# True when pid is alive and is this collector running as a daemon: a stale pid file may name an
# unrelated process, which must never be signalled.
is_our_collector() {
  local pid="$1" command_line
  [[ "${pid}" =~ ^[0-9]+$ ]] || return 1
  kill -0 "${pid}" 2>/dev/null || return 1
  command_line="$(command_line_of "${pid}")"
  [[ "${command_line}" == *"${COLLECTOR}"* && "${command_line}" == *"--daemon"* ]]
}

# The running collector's pid, or nothing. Removes a stale pid file.
running_pid() {
  local pid
  [[ -f "${PID_FILE}" ]] || return 0
  pid="$(tr -d '[:space:]' <"${PID_FILE}")"
  if is_our_collector "${pid}"; then
    echo "${pid}"
  else
    rm -f "${PID_FILE}"
  fi
}

# Runs the command "$2..." every 0.1 s until it succeeds; fails after $1 seconds.
wait_until() {
  local limit=$(($1 * 10)) waited=0
  shift
  until "$@"; do
    ((waited < limit)) || return 1
    sleep 0.1
    waited=$((waited + 1))
  done
}

# Gone, or a zombie: a daemon that exited stays one until its new parent (init) reaps it, which
# some containers' init does only now and then.
process_gone() {
  ! kill -0 "$1" 2>/dev/null || [[ "$(ps -o stat= -p "$1" 2>/dev/null)" == Z* ]]
}

# Up (the pid file names a live collector), or the launched process already died.
started_or_died() {
  [[ -n "$(running_pid)" ]] || process_gone "$1"
}

file_size() {
  if [[ -f "$1" ]]; then wc -c <"$1" | tr -d ' '; else echo 0; fi
}

# What was appended to file $1 after its first $2 bytes: a failed start shows its own words only.
appended_since() {
  [[ -f "$1" ]] || return 0
  tail -c "+$(($2 + 1))" "$1" | tail -n 10
}

# The daemon's stderr file is opened by this shell, which cannot refuse to follow a symlink: so
# log_dir must be a directory nobody else can write to (the collector refuses one too).
check_log_dir() {
  if [[ -d "${LOG_DIR}" ]] && [[ -n "$(find "${LOG_DIR}" -maxdepth 0 -perm -0002 2>/dev/null)" ]]; then
    die "refusing log_dir \"${LOG_DIR}\": it is writable by every user; choose a directory only you can write to"
  fi
  [[ ! -L "${DAEMON_STDERR}" ]] || die "refusing \"${DAEMON_STDERR}\": it is a symbolic link"
}

cmd_start() {
  local pid launched stderr_size log_size
  load_paths
  pid="$(running_pid)"
  if [[ -n "${pid}" ]]; then
    echo "cron-collector is already running (pid ${pid})"
    return 0
  fi
  mkdir -p "${LOG_DIR}"
  check_log_dir
  stderr_size="$(file_size "${DAEMON_STDERR}")"
  log_size="$(file_size "${DAEMON_LOG}")"
  # Detached from the terminal: its own session where setsid exists, no stdin, output to a file.
  if command -v setsid >/dev/null 2>&1; then
    # --wait: were setsid to fork, it stays alive as long as the collector, so $! still tells.
    setsid --wait nohup "${BUN_PATH}" "${COLLECTOR}" --daemon </dev/null >>"${DAEMON_STDERR}" 2>&1 &
  else
    nohup "${BUN_PATH}" "${COLLECTOR}" --daemon </dev/null >>"${DAEMON_STDERR}" 2>&1 &
  fi
  launched=$!
  wait_until "${START_TIMEOUT_SECONDS}" started_or_died "${launched}" || true
  pid="$(running_pid)"
  if [[ -n "${pid}" ]]; then
    echo "cron-collector started (pid ${pid}); log: ${DAEMON_LOG}"
    return 0
  fi
  echo "${PROGRAM}: cron-collector did not start; its last words:" >&2
  appended_since "${DAEMON_STDERR}" "${stderr_size}" >&2
  appended_since "${DAEMON_LOG}" "${log_size}" >&2
  exit 1
}

# Stops the collector with this pid: SIGTERM, then SIGKILL after STOP_TIMEOUT_SECONDS.
stop_pid() {
  local pid="$1"
  kill -TERM "${pid}"
  if ! wait_until "${STOP_TIMEOUT_SECONDS}" process_gone "${pid}" && is_our_collector "${pid}"; then
    echo "cron-collector (pid ${pid}) did not stop within ${STOP_TIMEOUT_SECONDS}s; sending SIGKILL"
    kill -KILL "${pid}"
  fi
  rm -f "${PID_FILE}"
}

cmd_stop() {
  local pid
  load_paths
  pid="$(running_pid)"
  if [[ -z "${pid}" ]]; then
    echo "cron-collector is not running"
    return 0
  fi
  stop_pid "${pid}"
  echo "cron-collector stopped (pid ${pid})"
}

cmd_status() {
  local pid uptime
  load_paths
  pid="$(running_pid)"
  if [[ -n "${pid}" ]]; then
    uptime="$(ps -p "${pid}" -o etime= 2>/dev/null | tr -d ' ' || true)"
    echo "cron-collector is running (pid ${pid}, up ${uptime:-?})"
  else
    echo "cron-collector is not running"
  fi
  echo "  config:   ${CONFIG_PATH}"
  echo "  input:    ${INPUT_PATH}"
  echo "  database: ${DATABASE_PATH}"
  echo "  log:      ${DAEMON_LOG}"
  echo
  collector stats || true
  [[ -n "${pid}" ]] || exit 3
}

cmd_logs() {
  local follow=false lines=50
  while (($# > 0)); do
    case "$1" in
      -f | --follow) follow=true ;;
      -n)
        shift
        [[ "${1:-}" =~ ^[0-9]+$ ]] || usage_error "logs: -n needs a number"
        lines="$1"
        ;;
      *) usage_error "logs: unknown option $1 (use -f, -n N)" ;;
    esac
    shift
  done
  load_paths
  [[ -f "${DAEMON_LOG}" ]] || die "no log yet at ${DAEMON_LOG} (has the collector been started?)"
  if [[ "${follow}" == true ]]; then
    exec tail -n "${lines}" -F "${DAEMON_LOG}"
  fi
  tail -n "${lines}" "${DAEMON_LOG}"
}

# A running daemon already ingests every new line; a second reader would only be refused.
cmd_parse() {
  local pid
  load_paths
  pid="$(running_pid)"
  if [[ -n "${pid}" ]]; then
    echo "The running collector (pid ${pid}) already reads ${INPUT_PATH} as it grows; nothing to do."
    echo "See what it stored with: ${SCRIPT} stats"
    return 0
  fi
  collector parse "$@"
}

# Quotes a value for /bin/sh (crontab lines are run by sh).
shell_quote() {
  printf "'%s'" "${1//\'/\'\\\'\'}"
}

# The @reboot line. cron turns an unescaped % into a newline, so every % is escaped (cron removes
# the backslash again); paths are absolute, since cron's working directory is not the user's.
cron_line() {
  local line="@reboot"
  if [[ -n "${CRON_COLLECTOR_CONFIG:-}" ]]; then
    line+=" CRON_COLLECTOR_CONFIG=$(shell_quote "${CONFIG_PATH}")"
  fi
  line+=" BUN=$(shell_quote "${BUN_PATH}") $(shell_quote "${SCRIPT}") start >/dev/null 2>&1 ${CRON_MARKER}"
  echo "${line//%/\\%}"
}

# True for the line install writes for this checkout (today's marker, or the older exact form).
is_our_cron_line() {
  local old
  old="$(shell_quote "${SCRIPT_DIR}/manager.sh")${OLD_CRON_ENDING}"
  [[ "$1" == @reboot* ]] || return 1
  [[ "$1" == *" ${CRON_MARKER//%/\\%}" || "$1" == *" ${old}" ]]
}

# The user's crontab without our line, each other line exactly as it was; empty when there is none.
crontab_without_ours() {
  local current line
  current="$(crontab -l 2>/dev/null || true)"
  [[ -n "${current}" ]] || return 0
  while IFS= read -r line || [[ -n "${line}" ]]; do
    is_our_cron_line "${line}" || printf '%s\n' "${line}"
  done <<<"${current}"
}

has_our_cron_line() {
  local line
  while IFS= read -r line; do
    if is_our_cron_line "${line}"; then return 0; fi
  done < <(crontab -l 2>/dev/null || true)
  return 1
}

# What is installed now, one word a line: crontab, launchd, systemd.
installed_kinds() {
  if command -v crontab >/dev/null 2>&1 && has_our_cron_line; then echo crontab; fi
  if [[ -f "$(launchd_plist_path)" ]]; then echo launchd; fi
  if [[ -f "$(systemd_unit_path)" ]]; then echo systemd; fi
}

describe_kind() {
  case "$1" in
    crontab) echo "the @reboot line in your crontab" ;;
    launchd) echo "the LaunchAgent $(launchd_plist_path)" ;;
    systemd) echo "the systemd user unit $(systemd_unit_path)" ;;
  esac
}

# Two ways of starting at boot would start two collectors on one database: the second is refused,
# and systemd or launchd would start it again every few seconds. So install refuses while another
# kind is installed (the same kind is replaced, as before).
refuse_other_kinds() {
  local wanted="$1" kind
  while IFS= read -r kind; do
    [[ -n "${kind}" && "${kind}" != "${wanted}" ]] || continue
    die "cron-collector already starts at boot through $(describe_kind "${kind}"); a second way would start a second collector, which is refused. Run '${SCRIPT} uninstall' first, then this install again. Nothing was installed."
  done <<<"$(installed_kinds)"
}

# A collector started by 'start' holds the database's lock: the service's own would be refused and
# restarted every few seconds. So it is stopped, and the service starts its own right after.
# Sets STOPPED_PID (empty when none was running). Needs load_paths.
STOPPED_PID=""
stop_for_service() {
  local pid
  pid="$(running_pid)"
  [[ -n "${pid}" ]] || return 0
  echo "Stopping the running collector (pid ${pid}) so that $1 runs it from now on."
  stop_pid "${pid}"
  STOPPED_PID="${pid}"
}

# What to add to an error once stop_for_service stopped a collector and the service did not start.
restart_hint() {
  [[ -z "${STOPPED_PID}" ]] || echo " The collector stopped above is not running now: start it again with '${SCRIPT} start'."
}

install_cron() {
  command -v crontab >/dev/null 2>&1 || die "crontab not found; use install --systemd or install --launchd"
  refuse_other_kinds crontab
  local others line
  resolve_bun
  load_paths
  line="$(cron_line)"
  others="$(crontab_without_ours)"
  if [[ -n "${others}" ]]; then
    printf '%s\n%s\n' "${others}" "${line}" | crontab -
  else
    printf '%s\n' "${line}" | crontab -
  fi
  echo "Installed in your crontab (starts the collector at boot):"
  echo "  ${line}"
  echo "Undo with: ${SCRIPT} uninstall"
}

# The platform, lowercase (darwin, linux); CRON_COLLECTOR_PLATFORM stands in for it in the tests,
# as it does for the collector.
platform() {
  if [[ -n "${CRON_COLLECTOR_PLATFORM:-}" ]]; then
    echo "${CRON_COLLECTOR_PLATFORM}"
  else
    uname -s | tr '[:upper:]' '[:lower:]'
  fi
}

# Removes the directories from $1 up to (not including) $2 that are empty: what install created.
remove_empty_dirs() {
  local dir="$1"
  while [[ "${dir}" != "$2" && "${dir}" == "$2"/* ]] && rmdir "${dir}" 2>/dev/null; do
    dir="$(dirname "${dir}")"
  done
}

launchd_plist_path() {
  echo "${HOME}/Library/LaunchAgents/${LAUNCHD_LABEL}.plist"
}

xml_escape() {
  local value="$1"
  value="${value//&/&amp;}"
  value="${value//</&lt;}"
  value="${value//>/&gt;}"
  printf '%s' "${value}"
}

install_launchd() {
  local plist
  [[ "$(platform)" == darwin ]] || die "install --launchd is for macOS (LaunchAgents); on this system use install (crontab) or install --systemd"
  command -v launchctl >/dev/null 2>&1 || die "launchctl not found; use plain install (crontab)"
  refuse_other_kinds launchd
  plist="$(launchd_plist_path)"
  resolve_bun
  load_paths
  mkdir -p "$(dirname "${plist}")" "${LOG_DIR}"
  cat >"${plist}" <<PLIST
<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
  <key>Label</key><string>${LAUNCHD_LABEL}</string>
  <key>ProgramArguments</key>
  <array>
    <string>$(xml_escape "${BUN_PATH}")</string>
    <string>$(xml_escape "${COLLECTOR}")</string>
    <string>--daemon</string>
    <string>--config</string>
    <string>$(xml_escape "${CONFIG_PATH}")</string>
  </array>
  <key>RunAtLoad</key><true/>
  <key>KeepAlive</key><dict><key>SuccessfulExit</key><false/></dict>
  <key>StandardErrorPath</key><string>$(xml_escape "${DAEMON_STDERR}")</string>
</dict>
</plist>
PLIST
  launchctl bootout "gui/$(id -u)/${LAUNCHD_LABEL}" >/dev/null 2>&1 || true
  stop_for_service launchd
  if ! launchctl bootstrap "gui/$(id -u)" "${plist}"; then
    rm -f "${plist}"
    die "launchctl could not load ${plist} (see its message above); nothing was installed.$(restart_hint)"
  fi
  echo "Installed the LaunchAgent ${plist} (starts at login, restarted if it crashes)."
  echo "Undo with: ${SCRIPT} uninstall"
}

systemd_unit_path() {
  echo "${XDG_CONFIG_HOME:-${HOME}/.config}/systemd/user/${SYSTEMD_UNIT}"
}

install_systemd() {
  local unit unit_dir reason
  command -v systemctl >/dev/null 2>&1 || die "systemctl not found; use plain install (crontab)"
  refuse_other_kinds systemd
  # Without a user session (sudo, su, ssh without lingering) systemctl --user cannot work: find out
  # before writing anything.
  if ! reason="$(systemctl --user show-environment 2>&1 >/dev/null)"; then
    die "install --systemd needs your systemd user session, which is not reachable here (${reason:-systemctl --user failed}).
Log in as this user directly (not through sudo or su), or run 'loginctl enable-linger ${USER:-\$USER}', or use plain install (crontab). Nothing was installed."
  fi
  unit="$(systemd_unit_path)"
  unit_dir="$(dirname "${unit}")"
  resolve_bun
  load_paths
  mkdir -p "${unit_dir}"
  cat >"${unit}" <<UNIT
[Unit]
Description=cron-collector: alerts on failed cron jobs

[Service]
ExecStart="${BUN_PATH}" "${COLLECTOR}" --daemon --config "${CONFIG_PATH}"
ExecReload=/bin/kill -HUP \$MAINPID
Restart=on-failure
RestartSec=5

[Install]
WantedBy=default.target
UNIT
  if ! systemctl --user daemon-reload || ! stop_for_service systemd || ! systemctl --user enable --now "${SYSTEMD_UNIT}"; then
    rm -f "${unit}"
    remove_empty_dirs "${unit_dir}" "${HOME}"
    systemctl --user daemon-reload >/dev/null 2>&1 || true
    die "systemctl could not enable ${SYSTEMD_UNIT} (see its message above); nothing was installed.$(restart_hint)"
  fi
  echo "Installed the systemd user unit ${unit} (enabled and started)."
  echo "Undo with: ${SCRIPT} uninstall"
}

cmd_install() {
  case "${1:-}" in
    "") install_cron ;;
    --launchd) install_launchd ;;
    --systemd) install_systemd ;;
    *) usage_error "install: unknown option $1 (use --launchd or --systemd, or nothing for crontab)" ;;
  esac
}

cmd_uninstall() {
  local removed=false plist unit others
  if command -v crontab >/dev/null 2>&1 && has_our_cron_line; then
    others="$(crontab_without_ours)"
    if [[ -n "${others}" ]]; then
      printf '%s\n' "${others}" | crontab -
    else
      crontab -r
    fi
    echo "Removed the @reboot line from your crontab."
    removed=true
  fi
  plist="$(launchd_plist_path)"
  if [[ -f "${plist}" ]]; then
    launchctl bootout "gui/$(id -u)/${LAUNCHD_LABEL}" >/dev/null 2>&1 || true
    rm -f "${plist}"
    echo "Removed the LaunchAgent ${plist}."
    removed=true
  fi
  unit="$(systemd_unit_path)"
  if [[ -f "${unit}" ]]; then
    systemctl --user disable --now "${SYSTEMD_UNIT}" >/dev/null 2>&1 || true
    rm -f "${unit}"
    systemctl --user daemon-reload >/dev/null 2>&1 || true
    echo "Removed the systemd user unit ${unit}."
    removed=true
  fi
  [[ "${removed}" == true ]] || echo "Nothing was installed."
}

main() {
  (($# > 0)) || usage_error "a command is needed"
  local command="$1"
  shift
  if [[ "${1:-}" == "--help" || "${1:-}" == "-h" ]]; then
    case "${command}" in
      stats | jobs | open) collector "${command}" --help ;;
      *) usage ;;
    esac
    return 0
  fi
  case "${command}" in
    start) cmd_start ;;
    stop) cmd_stop ;;
    restart) cmd_stop && cmd_start ;;
    status) cmd_status ;;
    logs) cmd_logs "$@" ;;
    parse) cmd_parse "$@" ;;
    stats | jobs | open) collector "${command}" "$@" ;;
    install) cmd_install "$@" ;;
    uninstall) cmd_uninstall ;;
    help | -h | --help) usage ;;
    *) usage_error "unknown command: ${command}" ;;
  esac
}

main "$@"
