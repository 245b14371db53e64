/**
 * `--paths`: the files in use, one `key=value` per line, so manager.sh never parses YAML itself.
 */
import { join } from "node:path";
import type { Config } from "../config/config.ts";

export function formatPaths(config: Config, configPath: string): string {
  return [
    `config=${configPath}`,
    `input=${config.input}`,
    `database=${config.database}`,
    `log_dir=${config.logDir}`,
    `pid_file=${join(config.logDir, "collector.pid")}`,
    `daemon_log=${join(config.logDir, "daemon.log")}`,
  ].join("\n");
}
