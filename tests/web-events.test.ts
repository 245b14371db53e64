/** The event hub: a change per commit, a change when a deadline passes, pings, unsubscribe. */
import { describe, expect, test } from "bun:test";
import { EventHub } from "../src/web/events.ts";
import { waitFor } from "./helpers.ts";

function listen(hub: EventHub): { text: () => string; abort: () => void } {
  const controller = new AbortController();
  const response = hub.subscribe(controller.signal);
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  let text = "";
  void (async () => {
    for (;;) {
      const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true }));
      if (done) return;
      text += new TextDecoder().decode(value);
    }
  })();
  return { text: () => text, abort: () => controller.abort() };
}

const changes = (text: string): string[] => [...text.matchAll(/event: change\ndata: (.*)\n/g)].map((match) => (JSON.parse(match[1] ?? "{}") as { reason: string }).reason);

describe("EventHub", () => {
  test("one change per commit seen through data_version, none without", async () => {
    let version = 1;
    const hub = new EventHub({ dataVersion: () => version, nextDeadlineMs: () => null, clock: () => new Date(0), pollMs: 10 });
    const client = listen(hub);
    await waitFor(() => client.text().includes("event: hello"), 1000, "hello");
    await Bun.sleep(50);
    expect(changes(client.text())).toEqual([]);
    version = 2;
    await waitFor(() => changes(client.text()).length === 1, 1000, "one change");
    await Bun.sleep(50);
    expect(changes(client.text())).toEqual(["data"]);
    hub.stop();
  });

  test("a deadline passing (a job turning late) is a change, once", async () => {
    let nowMs = 1000;
    const hub = new EventHub({ dataVersion: () => 1, nextDeadlineMs: () => (nowMs < 5000 ? 5000 : null), clock: () => new Date(nowMs), pollMs: 10 });
    const client = listen(hub);
    await Bun.sleep(50);
    expect(changes(client.text())).toEqual([]);
    nowMs = 5000;
    await waitFor(() => changes(client.text()).length === 1, 1000, "time change");
    await Bun.sleep(50);
    expect(changes(client.text())).toEqual(["time"]);
    hub.stop();
  });

  test("pings keep the stream open; an aborted client is removed and polling stops", async () => {
    let polls = 0;
    const hub = new EventHub({ dataVersion: () => ++polls, nextDeadlineMs: () => null, clock: () => new Date(0), pollMs: 10, pingMs: 20 });
    const client = listen(hub);
    await waitFor(() => client.text().includes(": ping\n\n"), 1000, "ping");
    expect(hub.size).toBe(1);
    client.abort();
    await waitFor(() => hub.size === 0, 1000, "unsubscribed");
    const after = polls;
    await Bun.sleep(60);
    expect(polls).toBe(after);
    hub.stop();
  });

  test("broadcast reaches every listener", async () => {
    const hub = new EventHub({ dataVersion: () => 1, nextDeadlineMs: () => null, clock: () => new Date(0), pollMs: 1000 });
    const clients = [listen(hub), listen(hub), listen(hub)];
    hub.broadcast("pause");
    await waitFor(() => clients.every((client) => changes(client.text()).includes("pause")), 1000, "all three");
    hub.stop();
  });
});
