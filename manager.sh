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
#   parse              ingest everything new once (collector.ts --parse-existing)
#   stats [ARGS...]    the dashboard (collector.ts --stats ARGS, e.g. --json)
#   install            start at boot from your crontab (@reboot); run twice, one line
#   install --launchd  macOS: a LaunchAgent instead (starts at login, restarted on crash)
#   install --systemd  Linux: a systemd user unit instead
#   uninstall          remove what install added
#   help               this text; COMMAND --help works too
#
# Environment:
#   CRON_COLLECTOR_CONFIG  the config file (default: config.yaml beside this script)
#   BUN                    the bun executable (default: found on PATH or in the usual places)

set -euo pipefail
# Logs, pid file and units are the user's business only.
umask 077

readonly PROGRAM="${0##*/}"
SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
readonly SCRIPT_DIR
readonly COLLECTOR="${SCRIPT_DIR}/collector.ts"
readonly CRON_MARKER="# cron-collector"
readonly LAUNCHD_LABEL="com.github.cron-collector"
readonly SYSTEMD_UNIT="cron-collector.service"
readonly STOP_TIMEOUT_SECONDS=10
readonly START_TIMEOUT_SECONDS=15

die() {
  echo "${PROGRAM}: $*" >&2
  exit 1
}

usage() {
  sed -n '3,/^$/s/^# \{0,1\}//p' "$0"
}

# Finds bun even under cron's minimal PATH.
find_bun() {
  local candidate
  if [[ -n "${BUN:-}" ]]; then
    [[ -x "${BUN}" ]] || die "BUN=${BUN} is not an executable"
    echo "${BUN}"
    return
  fi
  if command -v bun >/dev/null 2>&1; then
    command -v bun
    return
  fi
  for candidate in "${HOME}/.bun/bin/bun" /opt/homebrew/bin/bun /usr/local/bin/bun /usr/bin/bun; do
    if [[ -x "${candidate}" ]]; then
      echo "${candidate}"
      return
    fi
  done
  die "bun not found; install it (npm install -g bun) or set BUN=/path/to/bun"
}

collector() {
  "$(find_bun)" "${COLLECTOR}" "$@"
}

# Reads the paths in use from the collector itself (it owns the config format).
load_paths() {
  local line output
  output="$(collector --paths)" || exit 2
  while IFS= read -r line; do
    case "${line}" in
      config=*) CONFIG_PATH="${line#config=}" ;;
      input=*) INPUT_PATH="${line#input=}" ;;
      database=*) DATABASE_PATH="${line#database=}" ;;
      log_dir=*) LOG_DIR="${line#log_dir=}" ;;
      pid_file=*) PID_FILE="${line#pid_file=}" ;;
      daemon_log=*) DAEMON_LOG="${line#daemon_log=}" ;;
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

process_gone() {
  ! kill -0 "$1" 2>/dev/null
}

# Up (the pid file names a live collector), or the launched process already died.
started_or_died() {
  [[ -n "$(running_pid)" ]] || process_gone "$1"
}

cmd_start() {
  local pid launched
  load_paths
  pid="$(running_pid)"
  if [[ -n "${pid}" ]]; then
    echo "cron-collector is already running (pid ${pid})"
    return 0
  fi
  mkdir -p "${LOG_DIR}"
  local bun
  bun="$(find_bun)"
  # Detached from the terminal: its own session where setsid exists, no stdin, output to a file.
  if command -v setsid >/dev/null 2>&1; then
    # --wait: were setsid to fork, it stays alive as long as the collector, so $! still tells.
    setsid --wait nohup "${bun}" "${COLLECTOR}" --daemon </dev/null >>"${LOG_DIR}/daemon.stderr" 2>&1 &
  else
    nohup "${bun}" "${COLLECTOR}" --daemon </dev/null >>"${LOG_DIR}/daemon.stderr" 2>&1 &
  fi
  launched=$!
  wait_until "${START_TIMEOUT_SECONDS}" started_or_died "${launched}" || true
  pid="$(running_pid)"
  if [[ -n "${pid}" ]]; then
    echo "cron-collector started (pid ${pid}); log: ${DAEMON_LOG}"
    return 0
  fi
  echo "${PROGRAM}: cron-collector did not start; its last words:" >&2
  tail -n 5 "${LOG_DIR}/daemon.stderr" >&2 2>/dev/null || true
  tail -n 5 "${DAEMON_LOG}" >&2 2>/dev/null || true
  exit 1
}

cmd_stop() {
  local pid
  load_paths
  pid="$(running_pid)"
  if [[ -z "${pid}" ]]; then
    echo "cron-collector is not running"
    return 0
  fi
  kill -TERM "${pid}"
  if ! wait_until "${STOP_TIMEOUT_SECONDS}" process_gone "${pid}" && is_our_collector "${pid}"; then
    echo "cron-collector (pid ${pid}) did not stop within ${STOP_TIMEOUT_SECONDS}s; sending SIGKILL"
    kill -KILL "${pid}"
  fi
  rm -f "${PID_FILE}"
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
  collector --stats || true
  [[ -n "${pid}" ]] || exit 3
}

cmd_logs() {
  local follow=false lines=50
  while (($# > 0)); do
    case "$1" in
      -f | --follow) follow=true ;;
      -n) shift; lines="${1:?-n needs a number}" ;;
      *) die "logs: unknown option $1 (use -f, -n N)" ;;
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

# Quotes a value for /bin/sh (crontab lines are run by sh).
shell_quote() {
  printf "'%s'" "${1//\'/\'\\\'\'}"
}

cron_line() {
  local line
  line="@reboot"
  if [[ -n "${CRON_COLLECTOR_CONFIG:-}" ]]; then
    line+=" CRON_COLLECTOR_CONFIG=$(shell_quote "${CRON_COLLECTOR_CONFIG}")"
  fi
  line+=" BUN=$(shell_quote "$(find_bun)") $(shell_quote "${SCRIPT_DIR}/manager.sh") start >/dev/null 2>&1 ${CRON_MARKER}"
  echo "${line}"
}

# The user's crontab without our line; empty when there is none.
crontab_without_ours() {
  local current
  current="$(crontab -l 2>/dev/null || true)"
  [[ -n "${current}" ]] || return 0
  grep -vF -- "${CRON_MARKER}" <<<"${current}" || true
}

install_cron() {
  command -v crontab >/dev/null 2>&1 || die "crontab not found; use install --systemd or install --launchd"
  local others line
  others="$(crontab_without_ours)"
  line="$(cron_line)"
  if [[ -n "${others}" ]]; then
    printf '%s\n%s\n' "${others}" "${line}" | crontab -
  else
    printf '%s\n' "${line}" | crontab -
  fi
  echo "Installed in your crontab (starts the collector at boot):"
  echo "  ${line}"
  echo "Undo with: ${SCRIPT_DIR}/manager.sh uninstall"
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
  local plist bun
  plist="$(launchd_plist_path)"
  bun="$(find_bun)"
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
    <string>$(xml_escape "${bun}")</string>
    <string>$(xml_escape "${COLLECTOR}")</string>
    <string>--daemon</string>
    <string>--config</string>
    <string>$(xml_escape "${CONFIG_PATH}")</string>
  </array>
  <key>RunAtLoad</key><true/>
  <key>KeepAlive</key><dict><key>SuccessfulExit</key><false/></dict>
  <key>StandardErrorPath</key><string>$(xml_escape "${LOG_DIR}/daemon.stderr")</string>
</dict>
</plist>
PLIST
  launchctl bootout "gui/$(id -u)/${LAUNCHD_LABEL}" >/dev/null 2>&1 || true
  launchctl bootstrap "gui/$(id -u)" "${plist}"
  echo "Installed the LaunchAgent ${plist} (starts at login, restarted if it crashes)."
  echo "Undo with: ${SCRIPT_DIR}/manager.sh uninstall"
}

systemd_unit_path() {
  echo "${XDG_CONFIG_HOME:-${HOME}/.config}/systemd/user/${SYSTEMD_UNIT}"
}

install_systemd() {
  local unit bun
  command -v systemctl >/dev/null 2>&1 || die "systemctl not found; use plain install (crontab)"
  unit="$(systemd_unit_path)"
  bun="$(find_bun)"
  load_paths
  mkdir -p "$(dirname "${unit}")"
  cat >"${unit}" <<UNIT
[Unit]
Description=cron-collector: alerts on failed cron jobs

[Service]
ExecStart="${bun}" "${COLLECTOR}" --daemon --config "${CONFIG_PATH}"
ExecReload=/bin/kill -HUP \$MAINPID
Restart=on-failure
RestartSec=5

[Install]
WantedBy=default.target
UNIT
  systemctl --user daemon-reload
  systemctl --user enable --now "${SYSTEMD_UNIT}"
  echo "Installed the systemd user unit ${unit} (enabled and started)."
  echo "Undo with: ${SCRIPT_DIR}/manager.sh uninstall"
}

cmd_install() {
  case "${1:-}" in
    "") install_cron ;;
    --launchd) install_launchd ;;
    --systemd) install_systemd ;;
    *) die "install: unknown option $1 (use --launchd or --systemd, or nothing for crontab)" ;;
  esac
}

cmd_uninstall() {
  local removed=false plist unit
  if command -v crontab >/dev/null 2>&1 && crontab -l 2>/dev/null | grep -qF -- "${CRON_MARKER}"; then
    local others
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
  local command="${1:-help}"
  (($# > 0)) && shift
  if [[ "${1:-}" == "--help" || "${1:-}" == "-h" ]]; then
    usage
    return 0
  fi
  case "${command}" in
    start) cmd_start ;;
    stop) cmd_stop ;;
    restart) cmd_stop && cmd_start ;;
    status) cmd_status ;;
    logs) cmd_logs "$@" ;;
    parse) collector --parse-existing "$@" ;;
    stats) collector --stats "$@" ;;
    install) cmd_install "$@" ;;
    uninstall) cmd_uninstall ;;
    help | -h | --help) usage ;;
    *)
      usage >&2
      die "unknown command: ${command}"
      ;;
  esac
}

main "$@"
