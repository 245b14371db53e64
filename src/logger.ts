/**
 * Leveled log lines with timestamps. Sinks are plain functions so tests can collect lines and the
 * daemon can write to a rotating file (src/log-file.ts).
 */
export const logLevels = ["debug", "info", "warn", "error"] as const;
export type LogLevel = (typeof logLevels)[number];

export type LogSink = (line: string) => void;

export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export function formatLogLine(at: Date, level: LogLevel, message: string): string {
  return `${at.toISOString()} ${level.toUpperCase().padEnd(5)} ${message}`;
}

export interface AdjustableLogger extends Logger {
  /** log_level can change when config.yaml is reloaded. */
  setLevel(level: LogLevel): void;
}

export function createLogger(level: LogLevel, sinks: readonly LogSink[], clock: () => Date = () => new Date()): AdjustableLogger {
  let threshold = logLevels.indexOf(level);
  const emit = (at: LogLevel, message: string): void => {
    if (logLevels.indexOf(at) < threshold) return;
    const line = formatLogLine(clock(), at, message);
    for (const sink of sinks) sink(line);
  };
  return {
    debug: (message) => emit("debug", message),
    info: (message) => emit("info", message),
    warn: (message) => emit("warn", message),
    error: (message) => emit("error", message),
    setLevel: (next) => {
      threshold = logLevels.indexOf(next);
    },
  };
}
