/**
 * Keeping the end of a command's output in bounded memory, and summing it up in one line. Pure.
 */
export const OUTPUT_TAIL_BYTES = 8 * 1024;
export const SUMMARY_MAX_CHARS = 200;

/** The last `capacity` bytes of everything pushed, in order. Memory never exceeds 2 × capacity. */
export class ByteTail {
  private buffer: Uint8Array;
  private length = 0;

  constructor(private readonly capacity = OUTPUT_TAIL_BYTES) {
    this.buffer = new Uint8Array(capacity * 2);
  }

  push(chunk: Uint8Array): void {
    if (chunk.length >= this.capacity) {
      this.buffer.set(chunk.subarray(chunk.length - this.capacity), 0);
      this.length = this.capacity;
      return;
    }
    if (this.length + chunk.length > this.buffer.length) {
      // Compact: keep the newest capacity - chunk.length bytes, then append.
      const keep = this.capacity - chunk.length;
      this.buffer.copyWithin(0, this.length - keep, this.length);
      this.length = keep;
    }
    this.buffer.set(chunk, this.length);
    this.length += chunk.length;
  }

  bytes(): Uint8Array {
    const start = Math.max(0, this.length - this.capacity);
    return this.buffer.slice(start, this.length);
  }

  text(): string {
    return new TextDecoder("utf-8", { fatal: false }).decode(this.bytes());
  }
}

/** The run's one-line message: its last non-empty output line, else "ok" or "exit N". */
export function summarizeOutput(tail: string, exit: number): string {
  const lines = tail.split(/\r?\n|\r/);
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = (lines[i] ?? "").trim();
    if (line === "") continue;
    return line.length > SUMMARY_MAX_CHARS ? `${line.slice(0, SUMMARY_MAX_CHARS - 1)}…` : line;
  }
  return exit === 0 ? "ok" : `exit ${exit}`;
}
