// PLACEHOLDER: replaced at merge by the owning branch
import type { Config } from "../config/config.ts";
import type { Output } from "../cli/io.ts";

export function forgetCommand(_config: Config, job: string, _options: { readonly runs: boolean }, _now: Date, output: Output): number {
  output.err(`forget ${job}: not available in this build`);
  return 1;
}
