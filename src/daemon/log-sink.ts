/** The watching collector's log file, with a readable error when log_dir cannot be created. */
import { dirname } from "node:path";
import { CollectorError, describeFileError } from "../errors.ts";
import { rotatingFileSink } from "../log-file.ts";
import type { LogSink } from "../logger.ts";

/** Opens the rotating log at `path`; throws CollectorError (kind "runtime") when it cannot. */
export function openLogSink(path: string, maxBytes: number, keep: number): LogSink {
  try {
    return rotatingFileSink(path, maxBytes, keep);
  } catch (error) {
    throw new CollectorError(
      `Cannot create the log directory "${dirname(path)}": ${describeFileError(error)}; set "log_dir" in config.yaml to a writable directory (or check that HOME is writable)`,
      "runtime",
    );
  }
}
