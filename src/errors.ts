/**
 * The one error type that reaches the user. Everything expected (a bad config, an unwritable
 * database, a wrong flag) becomes a CollectorError with a sentence a person can act on; only
 * `runMain` in src/cli/main.ts catches it, prints the message and picks the exit code.
 */
export type ErrorKind = "usage" | "config" | "runtime";

export class CollectorError extends Error {
  override readonly name = "CollectorError";
  constructor(
    message: string,
    readonly kind: ErrorKind,
  ) {
    super(message);
  }
}

/** Exit codes: 2 for usage and config errors, 1 for failures at run time. */
export function exitCodeFor(kind: ErrorKind): number {
  switch (kind) {
    case "usage":
    case "config":
      return 2;
    case "runtime":
      return 1;
    default:
      return kind satisfies never;
  }
}

/** Turns an unknown thrown value into a one-line description (for logs, never for control flow). */
export function describeError(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code && !error.message.includes(code) ? `${error.message} (${code})` : error.message;
  }
  return String(error);
}

/** The reason a file-system call failed, in words (for messages that already name the path). */
export function describeFileError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  switch (code) {
    case "ENOENT":
      return "no such file";
    case "EACCES":
    case "EPERM":
      return "permission denied";
    case "EROFS":
      return "read-only file system";
    case "ENOTDIR":
    case "EEXIST":
      return "a file is in the way";
    case "ENOSPC":
      return "no space left on the device";
    default:
      return describeError(error);
  }
}
