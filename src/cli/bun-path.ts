/**
 * The bun to write into a command the user copies (the first-start hint's crontab line). The
 * running bun's path (process.execPath) is Bun's resolved binary, e.g.
 * /usr/lib/node_modules/bun/bin/bun.exe for an npm install; the user knows the `bun` on their PATH
 * (/usr/bin/bun, a link to it), which is also what manager.sh install writes. So that one is shown
 * when it is absolute and is the same binary; else the running one, which surely works.
 */
import { realpathSync } from "node:fs";
import { isAbsolute } from "node:path";

export function bunForCommands(
  which: (program: string) => string | null,
  running: string = process.execPath,
  resolve: (path: string) => string = realpathSync,
): string {
  const onPath = which("bun");
  if (!onPath || !isAbsolute(onPath)) return running;
  try {
    return resolve(onPath) === resolve(running) ? onPath : running;
  } catch {
    return running; // a dangling link or an unreadable directory: not the same binary as far as we know
  }
}
