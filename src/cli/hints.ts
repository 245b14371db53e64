/** Texts that tell a newcomer what to do next. Pure. */

export function missingInputHint(input: string): string {
  return [
    `"${input}" does not exist yet. The collector waits for it and starts reading as soon as a`,
    "cron job appends its first line. Each run adds one JSON line, for example from a crontab:",
    "",
    `  */5 * * * * /path/to/job.sh; bun /path/to/collector.ts log --exit $? --msg "job.sh finished"`,
    "",
    "or with jq, which escapes quotes and newlines in the message correctly:",
    "",
    `  jq -cn --arg ts "$(date -Iseconds)" --argjson exit 0 --arg msg "Backup done" \\`,
    `     '{ts: $ts, exit: $exit, msg: $msg}' >> "${input}"`,
  ].join("\n");
}
