/** Where a command writes, and whether colour is wanted (a TTY, and NO_COLOR unset). */
export interface Output {
  out(text: string): void;
  err(text: string): void;
  readonly color: boolean;
}

export function processOutput(env: Record<string, string | undefined>): Output {
  const noColor = env.NO_COLOR !== undefined && env.NO_COLOR !== "";
  return {
    out: (text) => process.stdout.write(text.endsWith("\n") ? text : `${text}\n`),
    err: (text) => process.stderr.write(text.endsWith("\n") ? text : `${text}\n`),
    color: Boolean(process.stdout.isTTY) && !noColor,
  };
}
