/** The files under src/web/static/, read once at start: the only things served from disk. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { OpenRequest } from "./routes.ts";

const TYPES: Record<string, string> = {
  "app.js": "text/javascript; charset=utf-8",
  "style.css": "text/css; charset=utf-8",
  "favicon.svg": "image/svg+xml",
  "favicon-alarm.svg": "image/svg+xml",
};

export type StaticFiles = ReadonlyMap<string, { readonly body: Uint8Array; readonly type: string }>;

export function loadStaticFiles(dir = join(import.meta.dir, "static")): StaticFiles {
  return new Map(Object.entries(TYPES).map(([name, type]) => [name, { body: new Uint8Array(readFileSync(join(dir, name))), type }]));
}

export function staticHandler(files: StaticFiles) {
  return ({ job }: OpenRequest): Response => {
    const file = files.get(job ?? "");
    if (!file) return new Response("Not found\n", { status: 404, headers: { "Content-Type": "text/plain; charset=utf-8" } });
    return new Response(file.body, { headers: { "Content-Type": file.type, "Cache-Control": "no-cache" } });
  };
}
