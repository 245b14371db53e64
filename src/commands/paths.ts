/**
 * `paths`: the files in use, one `key=value` per line, so manager.sh never parses YAML or builds
 * a file name itself.
 */
import type { Config } from "../config/config.ts";
import { runtimePaths } from "../runtime-paths.ts";

export function formatPaths(config: Config, configPath: string): string {
  const files = runtimePaths(config.logDir);
  return [
    `config=${configPath}`,
    `input=${config.input}`,
    `database=${config.database}`,
    `log_dir=${config.logDir}`,
    `pid_file=${files.pidFile}`,
    `daemon_log=${files.daemonLog}`,
    `daemon_stderr=${files.daemonStderr}`,
  ].join("\n");
}
