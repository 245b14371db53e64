import { expect, test } from "bun:test";
import { readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { writeTextfile } from "../src/metrics/textfile.ts";
import { FIXTURES, tempDir } from "./helpers.ts";

/** A version of the file: "# size N" first, "# end" last, filler of `lines` lines between. */
function version(index: number, lines: number): string {
  const body = `# v${index}\n${"cron_job_up{cronjob=\"x\"} 1\n".repeat(lines)}# end\n`;
  for (let digits = 1; ; digits++) {
    const text = `# size ${String(Buffer.byteLength(body) + 8 + digits).padStart(digits, "0")}\n${body}`;
    if (Buffer.byteLength(text) === Number(/^# size (\d+)/.exec(text)?.[1])) return text;
  }
}

test("a reader in another process never sees half a file while it is rewritten", async () => {
  const dir = tempDir("cc-textfile-");
  const path = join(dir, "cron.prom");
  writeTextfile(path, version(0, 10));
  const reader = Bun.spawn(["bun", join(FIXTURES, "textfile-reader.ts"), path, "400"], { stdout: "pipe" });
  let writes = 0;
  while (reader.exitCode === null) {
    // Sizes alternate between small and about 1 MB, so a torn read would show.
    writeTextfile(path, version(++writes, writes % 2 === 0 ? 10 : 40_000));
    await Bun.sleep(0);
  }
  const result = JSON.parse(await new Response(reader.stdout).text()) as { reads: number; torn: number };
  expect(writes).toBeGreaterThan(5);
  expect(result.reads).toBeGreaterThan(5);
  expect(result.torn).toBe(0);
  expect(readdirSync(dir)).toEqual(["cron.prom"]); // no temp file left behind
});

test("the temp file is never created through a symlink planted in the directory", () => {
  const dir = tempDir("cc-textfile-");
  const target = join(dir, "victim");
  writeFileSync(target, "untouched");
  const path = join(dir, "cron.prom");
  symlinkSync(target, path);
  writeTextfile(path, "x 1\n");
  expect(readFileSync(target, "utf8")).toBe("untouched"); // the link was replaced, not followed
  expect(readFileSync(path, "utf8")).toBe("x 1\n");
  expect(statSync(path).mode & 0o777).toBe(0o644);
});

test("an unwritable directory throws and leaves nothing behind", () => {
  expect(() => writeTextfile("/nonexistent-dir/cron.prom", "x 1\n")).toThrow(/ENOENT/);
});
