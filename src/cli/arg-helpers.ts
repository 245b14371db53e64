/** What the argument parsers share: usage errors and the --now value. */
import { CollectorError } from "../errors.ts";
import { parseTimestamp } from "../timestamp.ts";

/** A usage error, pointing at the usage of `command` when the error is about one. */
export function usageError(message: string, command?: string): CollectorError {
  return new CollectorError(`${message}\nRun "bun collector.ts ${command ? `${command} ` : ""}--help" for usage.`, "usage");
}

/** The instant --now names. The message names --now (parseTimestamp's reasons speak of a line's "ts"). */
export function parseNow(value: string): Date {
  const time = parseTimestamp(value);
  if (!time.ok) throw usageError(`--now must be an ISO 8601 date-time such as 2025-07-29T05:00:00Z, got "${value}"`);
  return new Date(time.epochMs);
}
