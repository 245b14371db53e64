/** Where a command writes, and whether colour is wanted (a TTY, and NO_COLOR unset). */
export interface Output {
  out(text: string): void;
  err(text: string): void;
  readonly color: boolean;
}

/** Writes that the operating system has not taken yet (a pipe to a slow reader). */
const pendingWrites = new Set<Promise<void>>();

/**
 * Writes `text` to a standard stream and remembers it until it is handed over, so that
 * `flushOutput` can wait for it: `process.exit` right after a write to a pipe drops whatever did
 * not fit the pipe's buffer (64 KiB on Linux), leaving a reader with half a JSON document.
 */
export function writeTracked(stream: NodeJS.WriteStream, text: string): void {
  const done = new Promise<void>((resolve) => {
    // The callback comes also on an error (EPIPE: the reader went away): nothing more to wait for.
    stream.write(text, () => resolve());
  });
  pendingWrites.add(done);
  void done.then(() => pendingWrites.delete(done));
}

/** Resolves once every write made through this module has been handed to the operating system. */
export async function flushOutput(): Promise<void> {
  while (pendingWrites.size > 0) await Promise.all([...pendingWrites]);
}

export function processOutput(env: Record<string, string | undefined>): Output {
  const noColor = env.NO_COLOR !== undefined && env.NO_COLOR !== "";
  return {
    out: (text) => writeTracked(process.stdout, text.endsWith("\n") ? text : `${text}\n`),
    err: (text) => writeTracked(process.stderr, text.endsWith("\n") ? text : `${text}\n`),
    color: Boolean(process.stdout.isTTY) && !noColor,
  };
}
