/**
 * Text rendered from a stats document (the overview, a job page, /api/stats), kept while that
 * document is the one served: twenty clients refreshing after the same commit cost one rendering
 * (the overview takes about 8 ms on 50 jobs: 2,500 strip runs read and drawn), the others a lookup.
 * Whatever else a page reads (run log, alerts) was read with the document, so the page stays one
 * snapshot, at most as old as the document (src/web/data.ts says how old that may be).
 *
 * Bounded: a few entries (the pages and filters in use) and a total length; the least recently
 * used goes first, and a text longer than the whole budget is not kept.
 */
export class RenderCache {
  private readonly entries = new Map<string, { readonly source: object; readonly text: string }>();
  private chars = 0;

  constructor(
    private readonly maxEntries = 16,
    private readonly maxChars = 2_000_000,
  ) {}

  /** The text for `key` rendered from `source` (compared by identity), rendering it if needed. */
  text(key: string, source: object, render: () => string): string {
    const hit = this.entries.get(key);
    if (hit !== undefined) {
      this.entries.delete(key);
      if (hit.source === source) {
        this.entries.set(key, hit);
        return hit.text;
      }
      this.chars -= hit.text.length;
    }
    const text = render();
    if (text.length > this.maxChars) return text;
    this.entries.set(key, { source, text });
    this.chars += text.length;
    for (const [oldest, entry] of this.entries) {
      if (this.entries.size <= this.maxEntries && this.chars <= this.maxChars) break;
      this.entries.delete(oldest);
      this.chars -= entry.text.length;
    }
    return text;
  }

  get size(): number {
    return this.entries.size;
  }
}
