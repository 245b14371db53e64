/** Bodies rendered from a document: one rendering per document and key, bounded, gzipped once. */
import { describe, expect, test } from "bun:test";
import { RenderCache } from "../src/web/render-cache.ts";

describe("RenderCache", () => {
  test("one rendering per key and source; a new source renders again", () => {
    const cache = new RenderCache();
    let renders = 0;
    const render = (text: string) => () => {
      renders++;
      return text;
    };
    const first = { doc: 1 };
    const body = cache.body("k", first, render("<p>one</p>"));
    expect(cache.body("k", first, render("unused"))).toBe(body);
    expect(renders).toBe(1);
    const second = { doc: 2 };
    expect(new TextDecoder().decode(cache.body("k", second, render("<p>two</p>")).bytes)).toBe("<p>two</p>");
    expect(renders).toBe(2);
    expect(cache.size).toBe(1);
  });

  test("the least recently used entry goes first, by count and by size; an oversized body is not kept", () => {
    const cache = new RenderCache(2, 100);
    const source = {};
    cache.body("a", source, () => "a");
    cache.body("b", source, () => "b");
    cache.body("a", source, () => "never"); // a is now the most recent
    cache.body("c", source, () => "c");
    let rendered = "";
    cache.body("b", source, () => (rendered = "b again"));
    expect(rendered).toBe("b again");
    expect(cache.size).toBe(2);
    expect(cache.body("big", source, () => "x".repeat(101)).bytes.byteLength).toBe(101);
    expect(cache.size).toBe(2); // neither kept nor a reason to drop the others
    cache.body("c", source, () => (rendered = "c again"));
    expect(rendered).toBe("b again");
  });

  test("gzipped once, and it inflates back to the bytes", () => {
    const body = new RenderCache().body("k", {}, () => "<tr>row</tr>".repeat(1000));
    const zipped = body.gzipped();
    expect(body.gzipped()).toBe(zipped);
    expect(zipped.byteLength).toBeLessThan(body.bytes.byteLength / 10);
    expect(Bun.gunzipSync(zipped)).toEqual(body.bytes);
  });
});
