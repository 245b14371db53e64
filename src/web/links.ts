/**
 * URLs of a job's page and API. Job names come from input lines, so they are percent-encoded as
 * one path segment ("/" becomes %2F). A segment cannot carry "." or ".." (browsers and URL
 * parsers resolve them, also as %2E), so those two names travel in the `name` query parameter,
 * which wins over the path segment (see routes.ts).
 */
const DOT_SEGMENT = /^\.{1,2}$/;

function jobBase(prefix: string, name: string, rest: string): string {
  if (DOT_SEGMENT.test(name)) return `${prefix}/_${rest}?name=${encodeURIComponent(name)}`;
  return `${prefix}/${encodeURIComponent(name)}${rest}`;
}

export const jobPageUrl = (name: string): string => jobBase("/jobs", name, "");
export const jobRunsUrl = (name: string): string => jobBase("/api/jobs", name, "/runs");
export const pauseUrl = (name: string): string => jobBase("/api/jobs", name, "/pause");
export const resumeUrl = (name: string): string => jobBase("/api/jobs", name, "/resume");

/** Appends query parameters to a URL that may already carry some. */
export function withQuery(url: string, params: Record<string, string | number | null | undefined>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value !== null && value !== undefined && value !== "") search.set(key, String(value));
  const query = search.toString();
  if (query === "") return url;
  return `${url}${url.includes("?") ? "&" : "?"}${query}`;
}
