/**
 * The files the collector keeps in log_dir, named in this one place: the daemon, `paths` (and so
 * manager.sh, which asks `paths` instead of building names itself) and the instance lock's hint.
 */
import { join } from "node:path";

export interface RuntimePaths {
  /** The daemon's pid, for manager.sh stop/status. */
  readonly pidFile: string;
  /** What the daemon logs (rotated by size). */
  readonly daemonLog: string;
  /** What a foreground collector logs besides the terminal. */
  readonly collectorLog: string;
  /** The daemon's stdout and stderr, for what happens before its log is open (manager.sh writes it). */
  readonly daemonStderr: string;
}

export function runtimePaths(logDir: string): RuntimePaths {
  return {
    pidFile: join(logDir, "collector.pid"),
    daemonLog: join(logDir, "daemon.log"),
    collectorLog: join(logDir, "collector.log"),
    daemonStderr: join(logDir, "daemon.stderr"),
  };
}
