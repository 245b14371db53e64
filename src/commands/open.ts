// PLACEHOLDER: replaced at merge by the owning branch
import type { Config } from "../config/config.ts";
import type { Output } from "../cli/io.ts";
import type { SystemContext } from "../session.ts";

export async function openCommand(_config: Config, _options: { readonly print: boolean }, _system: SystemContext, output: Output): Promise<number> {
  output.err("open: not available in this build");
  return 1;
}
