/**
 * The input must be a file (or not exist yet). A directory there is a mistake in "input" or
 * --input: said once, clearly, instead of "EISDIR" at every read, retried for ever.
 */
import { statSync } from "node:fs";
import { CollectorError } from "./errors.ts";

/** Throws CollectorError (kind "config") when `input` is a directory. */
export function checkInputPath(input: string): void {
  let isDirectory = false;
  try {
    isDirectory = statSync(input).isDirectory();
  } catch {
    return; // absent or unreadable: the tailer waits for it and says so
  }
  if (isDirectory) {
    throw new CollectorError(`The input "${input}" is a directory; "input" in config.yaml (or --input) must name the JSONL file your jobs append to, e.g. ${input}/ladder.jsonl`, "config");
  }
}
