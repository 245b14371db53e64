/**
 * The only place HTML is built. `html` is a tagged template that escapes every interpolated value
 * for HTML text and quoted attributes (also inside inline SVG), unless the value is an `Html`
 * fragment, which was itself built by `html`. Arrays are joined; null, undefined and false render
 * nothing, so conditionals read naturally: html`${cond && html`<b>x</b>`}`.
 *
 * Values go into quoted attributes only (attr="${v}"); URLs are built by the link helpers in
 * links.ts, which percent-encode every job name.
 */
export class Html {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

export type HtmlValue = Html | string | number | boolean | null | undefined | readonly HtmlValue[];

const ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;", "`": "&#96;" };

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"'`]/g, (char) => ESCAPES[char] ?? char);
}

function render(value: HtmlValue): string {
  if (value instanceof Html) return value.text;
  if (value === null || value === undefined || value === false || value === true) return "";
  if (Array.isArray(value)) return value.map(render).join("");
  return escapeHtml(String(value));
}

export function html(strings: TemplateStringsArray, ...values: readonly HtmlValue[]): Html {
  let text = strings[0] ?? "";
  for (let i = 0; i < values.length; i++) text += render(values[i]) + (strings[i + 1] ?? "");
  return new Html(text);
}
