/** Texts that tell a newcomer what to do next. Pure (the bun path is a parameter). */

/** A word for /bin/sh: as is when it is plainly safe, else in single quotes. */
export function shellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/**
 * `bun` is an absolute path to bun (src/cli/bun-path.ts chooses it): cron's PATH is /usr/bin:/bin,
 * where a bun in ~/.bun/bin or /opt/homebrew/bin is not found.
 */
export function missingInputHint(input: string, collector: string, bun: string): string {
  const command = `${shellWord(bun)} ${shellWord(collector)}`;
  return [
    `"${input}" does not exist yet. The collector waits for it and starts reading as soon as a`,
    "cron job appends its first line. Each run adds one JSON line; the simplest way is to let the",
    "collector run the job, in your crontab:",
    "",
    `  */5 * * * * ${command} run --job my-job -- /path/to/job.sh`,
    "",
    "or to report a run from a script of your own:",
    "",
    `  ${command} log --exit "$status" --msg "what happened" --job my-job`,
    "",
    "or with jq, which escapes quotes and newlines in the message correctly:",
    "",
    `  jq -cn --arg ts "$(date -Iseconds)" --argjson exit 0 --arg msg "Backup done" \\`,
    `     '{ts: $ts, exit: $exit, msg: $msg}' >> "${input}"`,
  ].join("\n");
}
