/**
 * The one key a job is stored under: '' for the default job, whose runs may carry no `job` field
 * or name it explicitly; every other job by its name. Pure, and imported by every layer.
 */
export function jobKey(name: string | null, defaultJob: string): string {
  return name === null || name === defaultJob ? "" : name;
}

/** The name a person knows a stored key by. */
export function jobName(key: string, defaultJob: string): string {
  return key === "" ? defaultJob : key;
}
