/** What the argument parsers share: usage errors and the values several commands take. */
import { CollectorError } from "../errors.ts";
import { parseTimestamp } from "../timestamp.ts";
import type { CommonOptions } from "./args.ts";

export function usageError(message: string): CollectorError {
  return new CollectorError(`${message}\nRun "bun collector.ts --help" for usage.`, "usage");
}

export function parseNow(text: string): Date {
  const time = parseTimestamp(text);
  if (!time.ok) throw usageError(`--now must be an ISO 8601 date-time such as 2025-07-29T05:00:00Z: ${time.reason}`);
  return new Date(time.epochMs);
}

/** parseArgs throws on unknown options and missing values; those are usage errors. */
export function usageOnError<T>(parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    throw usageError((error as Error).message);
  }
}

export const SHARED_OPTIONS = { config: { type: "string" }, input: { type: "string" } } as const;

export function sharedOptions(values: { config?: string | undefined; input?: string | undefined }): CommonOptions {
  return {
    ...(values.config !== undefined && { config: values.config }),
    ...(values.input !== undefined && { input: values.input }),
  };
}
