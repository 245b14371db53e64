/**
 * The one place that runs a command, catches CollectorError, prints it and picks the exit code.
 */
import { dirname, join } from "node:path";
import { hostname } from "node:os";
import { clockFor, resolveConfig, resolveConfigLeniently, type Environment } from "./context.ts";
import { locateConfig } from "../config/load.ts";
import type { Config } from "../config/config.ts";
import { parseCommand, type CommonOptions } from "./args.ts";
import { commandUsage, mainUsage } from "./usage.ts";
import { processOutput, type Output } from "./io.ts";
import { CollectorError, describeError, exitCodeFor } from "../errors.ts";
import { createLogger, type LogSink } from "../logger.ts";
import { openLogSink } from "../daemon/log-sink.ts";
import { refuseSharedDirectory } from "../private-dir.ts";
import { runtimePaths } from "../runtime-paths.ts";
import type { SystemContext } from "../session.ts";
import packageJson from "../../package.json" with { type: "json" };

function systemContext(environment: Environment): SystemContext {
  const env = environment.env;
  return {
    // CRON_COLLECTOR_PLATFORM lets the tests exercise the macOS fallback order on Linux.
    platform: env.CRON_COLLECTOR_PLATFORM || process.platform,
    env,
    which: (program) => Bun.which(program, { PATH: env.PATH ?? "" }),
    collectorPath: join(environment.appDir, "collector.ts"),
  };
}

/** The config of a command that writes the database (and, for the daemon, logs): both directories must be private. */
function privateConfig(options: CommonOptions, environment: Environment, withLogs: boolean): Config {
  const config = resolveConfig(options, environment);
  refuseSharedDirectory(dirname(config.database), "the database directory");
  if (withLogs) refuseSharedDirectory(config.logDir, "log_dir");
  return config;
}

/*
 * Each command's module is imported when that command runs: the watching collector stays
 * resident, and never needs the stats report, the runner, parse-existing and the rest
 * (measured: importing every command 41.4 MB RSS, the watch command alone 40.9 MB).
 */

/** Options for the process, read once: the caller's umask goes to the commands `run` wraps. */
interface ProcessState {
  readonly callerUmask: number;
}

async function run(argv: readonly string[], environment: Environment, output: Output, state: ProcessState): Promise<number> {
  const command = parseCommand(argv);
  const system = systemContext(environment);
  switch (command.kind) {
    case "help":
      output.out(command.command === undefined ? mainUsage() : commandUsage(command.command));
      return 0;
    case "version":
      output.out(`cron-collector ${packageJson.version}`);
      return 0;
    case "stats": {
      const config = resolveConfig(command.options, environment);
      const { statsCommand } = await import("../commands/stats.ts");
      return statsCommand(config, clockFor(command.options)(), output, command.json, command.job);
    }
    case "jobs": {
      const { jobsCommand } = await import("../commands/jobs.ts");
      return jobsCommand(resolveConfig(command.options, environment), clockFor(command.options)(), output, command.json);
    }
    case "parse": {
      const config = privateConfig(command.options, environment, false);
      const log = createLogger(config.logLevel, [output.err]);
      const { parseExistingCommand } = await import("../commands/parse-existing.ts");
      return parseExistingCommand(config, log, clockFor(command.options), system, output);
    }
    case "watch": {
      const config = privateConfig(command.options, environment, true);
      const files = runtimePaths(config.logDir);
      // A daemon has no terminal: it logs to daemon.log only. Interactive runs log to the
      // terminal and to collector.log.
      const file = openLogSink(command.daemon ? files.daemonLog : files.collectorLog, config.logMaxBytes, config.logKeep);
      const sinks: LogSink[] = command.daemon ? [file] : [output.err, file];
      const log = createLogger(config.logLevel, sinks);
      const { watchCommand } = await import("../daemon/watch.ts");
      return watchCommand({
        config,
        log,
        clock: clockFor(command.options),
        system,
        reloadConfig: () => resolveConfig(command.options, environment),
        configPath: locateConfig(command.options.config, environment.env, environment.appDir).path,
        pidFile: command.daemon ? files.pidFile : null,
      });
    }
    case "paths": {
      const config = resolveConfigLeniently(command.options, environment, (problems) => output.err(prefixed(problems)));
      const { formatPaths } = await import("../commands/paths.ts");
      output.out(formatPaths(config, locateConfig(command.options.config, environment.env, environment.appDir).path));
      return 0;
    }
    case "test-notification": {
      const config = resolveConfig(command.options, environment);
      const log = createLogger(config.logLevel, [output.err]);
      const { testNotificationCommand } = await import("../commands/test-notification.ts");
      return testNotificationCommand(config, log, clockFor(command.options), system, output);
    }
    case "pause":
    case "resume": {
      const config = privateConfig(command.options, environment, false);
      const forMs = command.kind === "pause" ? command.forMs : undefined;
      const { pauseCommand } = await import("../commands/pause.ts");
      return pauseCommand(config, command.job, forMs, clockFor(command.options)(), output);
    }
    case "forget": {
      const { forgetCommand } = await import("../commands/forget.ts");
      return forgetCommand(privateConfig(command.options, environment, false), command.job, { runs: command.runs }, clockFor(command.options)(), output);
    }
    case "open": {
      const { openCommand } = await import("../commands/open.ts");
      return openCommand(resolveConfig(command.options, environment), { print: command.print }, system, output);
    }
    case "run":
    case "log": {
      const config = resolveConfigLeniently(command.options, environment, (problems) =>
        output.err(`${prefixed(problems)} (using defaults for it)`),
      );
      const context = {
        input: config.input,
        host: hostname(),
        env: environment.env,
        clock: clockFor(command.options),
        output,
        umask: state.callerUmask,
      };
      const { logSubcommand, runSubcommand } = await import("../commands/report-run.ts");
      return command.kind === "run" ? runSubcommand(command, context) : logSubcommand(command, context);
    }
    default:
      return command satisfies never;
  }
}

/**
 * Every line of a message starts with the program's name, as the first does (a config with several
 * problems has one per line); indented lines continue the one above and stay as they are.
 */
export function prefixed(message: string): string {
  return message
    .split("\n")
    .map((line) => (line === "" || /^\s/.test(line) ? line : `cron-collector: ${line}`))
    .join("\n");
}

/** `output` is the process's stdout and stderr; tests that run a command in-process capture it instead. */
export async function runMain(argv: readonly string[], environment: Environment, output: Output = processOutput(environment.env)): Promise<number> {
  // The collector's own files (database, logs, pid file) are private to the user; a command that
  // `run` wraps gets the caller's umask back (see runCommand).
  const callerUmask = process.umask(0o077);
  try {
    return await run(argv, environment, output, { callerUmask });
  } catch (error) {
    if (error instanceof CollectorError) {
      output.err(prefixed(error.message));
      return exitCodeFor(error.kind);
    }
    output.err(`cron-collector: unexpected error: ${describeError(error)}`);
    if (environment.env.CRON_COLLECTOR_DEBUG) output.err(String((error as Error).stack));
    return 1;
  } finally {
    process.umask(callerUmask);
  }
}
