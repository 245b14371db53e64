/** Loaded before every test file (bunfig.toml [test] preload): the temp root goes after the last test. */
import { afterAll } from "bun:test";
import { removeTempRoot } from "./temp-root.ts";

afterAll(removeTempRoot);
