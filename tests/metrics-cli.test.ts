/**
 * The watching collector as a process: metrics.listen and heartbeat.url wired into the daemon.
 * Only a process shows that the watch command starts and stops them.
 */
import { expect, test } from "bun:test";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { cliEnv, NO_DASHBOARD, REPO, tempDir, waitFor } from "./helpers.ts";

test("bun collector.ts serves /metrics on metrics.listen and pings heartbeat.url while watching", async () => {
  const pings: string[] = [];
  const switchboard = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch: (request) => {
      pings.push(`${request.method} ${new URL(request.url).pathname}`);
      return new Response("OK");
    },
  });
  const home = tempDir("cc-metrics-cli-");
  mkdirSync(join(home, "logs"));
  writeFileSync(join(home, "logs", "ladder.jsonl"), `${JSON.stringify({ ts: "2025-07-29T04:00:00Z", exit: 1, msg: "boom", job: "backup", duration_ms: 1500 })}\n`);
  const config = join(home, "config.yaml");
  writeFileSync(
    config,
    `notify: { backend: none }\n${NO_DASHBOARD}metrics: { listen: "127.0.0.1:0" }\nheartbeat: { url: "http://127.0.0.1:${switchboard.port}/ping/cli", interval: 1h }\n`,
  );
  const collector = Bun.spawn(["bun", join(REPO, "collector.ts"), "--config", config], { env: cliEnv(home), stdout: "pipe", stderr: "pipe" });
  try {
    let log = "";
    const reader = collector.stderr.getReader();
    const decoder = new TextDecoder();
    const deadline = Date.now() + 4000;
    let url: string | undefined;
    while (url === undefined && Date.now() < deadline) {
      const chunk = await Promise.race([reader.read(), Bun.sleep(deadline - Date.now()).then(() => null)]);
      if (chunk === null || chunk.done) break;
      log += decoder.decode(chunk.value);
      url = /Serving metrics on (http:\/\/\S+\/metrics)/.exec(log)?.[1];
    }
    if (url === undefined) throw new Error(`no metrics listener in the log:\n${log}`);
    let text = "";
    for (const until = Date.now() + 5000; !text.includes('cronjob="backup",state="failing"} 1') && Date.now() < until; await Bun.sleep(20)) {
      const response = await fetch(url);
      text = response.status === 200 ? await response.text() : "";
    }
    expect(text).toContain('cron_job_state{cronjob="backup",state="failing"} 1\n');
    expect(text).toContain('cron_job_run_duration_seconds_bucket{cronjob="backup",le="5"} 1\n');
    await waitFor(() => pings.length > 0, 5000, "the heartbeat");
    expect(pings[0]).toBe("GET /ping/cli");
    reader.releaseLock();
  } finally {
    collector.kill("SIGTERM");
    expect(await collector.exited).toBe(0);
    await switchboard.stop(true);
  }
});
