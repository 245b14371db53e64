import { describe, expect, test } from "bun:test";
import { chmodSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { CollectorError } from "../src/errors.ts";
import { refuseSharedDirectory, sharedDirectoryProblem } from "../src/private-dir.ts";
import { tempDir } from "./helpers.ts";

const me = { uid: 1000, gid: 1000 };

describe("sharedDirectoryProblem", () => {
  test.each([
    [0o40700, 1000, 1000, null],
    [0o40755, 1000, 1000, null],
    [0o40775, 1000, 1000, null], // group-writable by the user's own group (user private groups)
    [0o40755, 0, 0, null], // root's, e.g. /var/lib
    [0o41777, 0, 0, "it is writable by every user (mode 1777)"],
    [0o40777, 1000, 1000, "it is writable by every user (mode 0777)"],
    [0o40775, 1000, 50, "it is writable by the group 50 (mode 0775)"],
    [0o40755, 1001, 1001, "it belongs to another user (uid 1001)"],
  ])("mode %o, uid %i, gid %i: %p", (mode, uid, gid, problem) => {
    expect(sharedDirectoryProblem({ mode, uid, gid }, me)).toBe(problem);
  });
});

describe("refuseSharedDirectory", () => {
  test("refuses a world-writable directory, accepts a private or missing one", () => {
    const dir = tempDir("cc-private-");
    const shared = join(dir, "shared");
    mkdirSync(shared);
    chmodSync(shared, 0o1777);
    expect(() => refuseSharedDirectory(shared, "log_dir")).toThrow(CollectorError);
    expect(() => refuseSharedDirectory(shared, "log_dir")).toThrow(`Refusing log_dir "${shared}": it is writable by every user (mode 1777)`);
    expect(() => refuseSharedDirectory(dir, "log_dir")).not.toThrow();
    expect(() => refuseSharedDirectory(join(dir, "missing"), "log_dir")).not.toThrow();
  });
});
