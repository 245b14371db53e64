#!/usr/bin/env bash
# Runs the whole suite the way a user's machine would meet it: in a temp copy of the repository
# whose config.yaml the user has edited (jobs, a notifier, their own input and database), with
# recording fakes of notify-send, terminal-notifier, osascript, crontab, launchctl and systemctl
# first on PATH. The suite must pass, the fakes must record nothing, and the user's input,
# database and log directory must stay untouched.
#
# Usage: tests/hostile-env.sh [bun test arguments...]
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
readonly REPO
WORK="$(mktemp -d "${TMPDIR:-/tmp}/cc-hostile-XXXXXX")"
readonly WORK
# Readable by others: one test runs the collector as "nobody" when the suite runs as root.
chmod 755 "${WORK}"
readonly COPY="${WORK}/repo"
readonly FAKES="${WORK}/fakes"
readonly CALLS="${WORK}/calls"
readonly USER_DATA="${WORK}/user-data"

die() {
  echo "hostile-env: $*" >&2
  exit 1
}

main() {
  # A copy of the working tree as it is (uncommitted changes included); .git comes along so that
  # tests can still read the committed config.yaml.
  mkdir -p "${COPY}" "${FAKES}" "${USER_DATA}"
  tar -C "${REPO}" --exclude=./node_modules -cf - . | tar -C "${COPY}" -xf -
  ln -s "${REPO}/node_modules" "${COPY}/node_modules"

  : >"${CALLS}"
  local program
  for program in notify-send terminal-notifier osascript crontab launchctl systemctl brew; do
    printf '#!/bin/sh\nprintf "%%s %%s\\n" %s "$*" >> "%s"\nexit 0\n' "${program}" "${CALLS}" >"${FAKES}/${program}"
    chmod +x "${FAKES}/${program}"
  done

  # What a user who followed the README might have: jobs, a notifier, their own files.
  printf '{"ts":"2025-07-29T04:00:00Z","exit":1,"msg":"user failure"}\n' >"${USER_DATA}/ladder.jsonl"
  cat >"${COPY}/config.yaml" <<YAML
input: ${USER_DATA}/ladder.jsonl
database: ${USER_DATA}/db/ladder.db
log_dir: ${USER_DATA}/logs
check_interval: 5
jobs:
  backup: { cron: "0 3 * * *", grace: 15m }
  ladder: { every: 1m, grace: 30s }
notify:
  backend: notify-send
  max_per_minute: 1000
  alert_after: 1
YAML

  local status=0
  (cd "${COPY}" && PATH="${FAKES}:${PATH}" bun test "$@") || status=$?

  local problems=0
  if [[ -s "${CALLS}" ]]; then
    echo "hostile-env: the suite reached programs it must never run:" >&2
    cat "${CALLS}" >&2
    problems=1
  fi
  if [[ -e "${USER_DATA}/db" || -e "${USER_DATA}/logs" ]]; then
    echo "hostile-env: the suite touched the user's database or log directory (${USER_DATA})" >&2
    problems=1
  fi
  ((status == 0)) || die "bun test failed (exit ${status}) with a user-edited config.yaml; kept ${WORK}"
  ((problems == 0)) || die "the suite was not isolated; kept ${WORK}"
  rm -rf "${WORK}"
  echo "hostile-env: the suite passed with a user-edited config.yaml; no notifier, crontab, launchctl or systemctl was run"
}

main "$@"
