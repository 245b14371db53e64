/** Texts that tell a newcomer what to do next. Pure. */

export function missingInputHint(input: string, collector: string): string {
  return [
    `"${input}" does not exist yet. The collector waits for it and starts reading as soon as a`,
    "cron job appends its first line. Each run adds one JSON line; the simplest way is to let the",
    "collector run the job, in your crontab:",
    "",
    `  */5 * * * * bun ${collector} run --job my-job -- /path/to/job.sh`,
    "",
    "or to report a run from a script of your own:",
    "",
    `  bun ${collector} log --exit "$status" --msg "what happened" --job my-job`,
    "",
    "or with jq, which escapes quotes and newlines in the message correctly:",
    "",
    `  jq -cn --arg ts "$(date -Iseconds)" --argjson exit 0 --arg msg "Backup done" \\`,
    `     '{ts: $ts, exit: $exit, msg: $msg}' >> "${input}"`,
  ].join("\n");
}
