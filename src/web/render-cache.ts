/**
 * Bodies rendered from a stats document (the overview, a job page, /api/stats), kept while that
 * document is the one served: twenty clients refreshing after the same commit cost one rendering
 * (the overview takes about 8 ms on 50 jobs: 2,500 strip runs read and drawn), the others a lookup.
 * Whatever else a page reads (run log, alerts) was read with the document, so the page stays one
 * snapshot, at most as old as the document (src/web/data.ts says how old that may be).
 *
 * A body is kept as UTF-8 bytes, and gzipped (level 1: 0.5 ms for the 370 KB overview of 50 jobs,
 * 25 KB out) the first time a client accepts it: a string body would be encoded again for every
 * response, and twenty overviews in flight at once held 7 MB of send buffers.
 *
 * Bounded: a few entries (the pages and filters in use) and a total size; the least recently
 * used goes first, and a body larger than the whole budget is not kept.
 */
export class RenderedBody {
  private gzip: Uint8Array<ArrayBuffer> | null = null;

  constructor(readonly bytes: Uint8Array<ArrayBuffer>) {}

  /** The bytes gzipped, compressed once. */
  gzipped(): Uint8Array<ArrayBuffer> {
    this.gzip ??= Bun.gzipSync(this.bytes, { level: 1 });
    return this.gzip;
  }

  get size(): number {
    return this.bytes.byteLength + (this.gzip?.byteLength ?? 0);
  }
}

const encoder = new TextEncoder();

export class RenderCache {
  private readonly entries = new Map<string, { readonly source: object; readonly body: RenderedBody }>();

  constructor(
    private readonly maxEntries = 16,
    private readonly maxBytes = 4_000_000,
  ) {}

  /** The body for `key` rendered from `source` (compared by identity), rendering it if needed. */
  body(key: string, source: object, render: () => string): RenderedBody {
    const hit = this.entries.get(key);
    this.entries.delete(key);
    if (hit !== undefined && hit.source === source) {
      this.entries.set(key, hit); // the most recently used goes last
      return hit.body;
    }
    const body = new RenderedBody(encoder.encode(render()));
    if (body.size > this.maxBytes) return body;
    this.entries.set(key, { source, body });
    this.evict();
    return body;
  }

  get size(): number {
    return this.entries.size;
  }

  clear(): void {
    this.entries.clear();
  }

  /** Sizes are taken now: a body gzipped since it was stored counts from then on. */
  private evict(): void {
    let bytes = 0;
    for (const { body } of this.entries.values()) bytes += body.size;
    for (const [key, { body }] of this.entries) {
      if (this.entries.size <= this.maxEntries && bytes <= this.maxBytes) return;
      this.entries.delete(key);
      bytes -= body.size;
    }
  }
}
