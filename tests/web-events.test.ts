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

/**
 * Counts the hub's polls (each reads data_version once), so a test that checks nothing was sent
 * waits for polls to pass rather than for a fixed time: `passed(n)` resolves after n more polls
 * and a turn of the event loop for what they wrote to reach the reader.
 */
function pollCounter(read: () => number): { read: () => number; passed: (polls: number) => Promise<void> } {
  let count = 0;
  return {
    read: () => {
      count++;
      return read();
    },
    async passed(polls) {
      const target = count + polls;
      await waitFor(() => count >= target, 1000, `${polls} polls`);
      await Bun.sleep(0);
    },
  };
}

describe("EventHub", () => {
  test("one change per commit seen through data_version, none without", async () => {
    let version = 1;
    const polls = pollCounter(() => version);
    const hub = new EventHub({ dataVersion: polls.read, nextDeadlineMs: () => null, clock: () => new Date(0), pollMs: 10 });
    const client = listen(hub);
    await waitFor(() => client.text().includes("event: hello"), 1000, "hello");
    await polls.passed(5);
    expect(changes(client.text())).toEqual([]);
    version = 2;
    await waitFor(() => changes(client.text()).length === 1, 1000, "one change");
    await polls.passed(5);
    expect(changes(client.text())).toEqual(["data"]);
    hub.stop();
  });

  test("a deadline passing (a job turning late) is a change, once", async () => {
    let nowMs = 1000;
    const polls = pollCounter(() => 1);
    const hub = new EventHub({ dataVersion: polls.read, nextDeadlineMs: () => (nowMs < 5000 ? 5000 : null), clock: () => new Date(nowMs), pollMs: 10 });
    const client = listen(hub);
    await polls.passed(5);
    expect(changes(client.text())).toEqual([]);
    nowMs = 5000;
    await waitFor(() => changes(client.text()).length === 1, 1000, "time change");
    await polls.passed(5);
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
    await Bun.sleep(60); // polling has stopped: no poll to wait for, so a fixed span (6 periods) shows none comes
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

  test("a change for a commit is held back until pages see it (settledAtMs), then sent once", async () => {
    let version = 1;
    let monotonicMs = 100;
    const polls = pollCounter(() => version);
    const hub = new EventHub({ dataVersion: polls.read, nextDeadlineMs: () => null, clock: () => new Date(0), pollMs: 10, monotonicMs: () => monotonicMs, settledAtMs: () => 500 });
    const client = listen(hub);
    await waitFor(() => client.text().includes("event: hello"), 1000, "hello");
    version = 2;
    await polls.passed(6);
    expect(changes(client.text())).toEqual([]);
    monotonicMs = 500;
    await waitFor(() => changes(client.text()).length === 1, 1000, "the held change");
    await polls.passed(5);
    expect(changes(client.text())).toEqual(["data"]);
    hub.stop();
  });

  test("commits seen while a change is held get their own, scheduled when the first goes out (a steady ingest cannot starve them)", async () => {
    let version = 1;
    let monotonicMs = 0;
    // Every request recomputes as soon as it may: the settled instant always lies a window ahead.
    const polls = pollCounter(() => version);
    const hub = new EventHub({ dataVersion: polls.read, nextDeadlineMs: () => null, clock: () => new Date(0), pollMs: 10, monotonicMs: () => monotonicMs, settledAtMs: () => monotonicMs + 250 });
    const client = listen(hub);
    await waitFor(() => client.text().includes("event: hello"), 1000, "hello");
    version = 2; // held until 250
    await polls.passed(4);
    monotonicMs = 100;
    version = 3; // seen while held
    await polls.passed(4);
    expect(changes(client.text())).toEqual([]);
    monotonicMs = 250;
    await waitFor(() => changes(client.text()).length === 1, 1000, "the first change");
    monotonicMs = 499;
    await polls.passed(4);
    expect(changes(client.text())).toEqual(["data"]);
    monotonicMs = 500;
    await waitFor(() => changes(client.text()).length === 2, 1000, "the change for the later commit");
    await polls.passed(4);
    expect(changes(client.text())).toEqual(["data", "data"]);
    hub.stop();
  });

  test("documents are forgotten before a deadline's change goes out", async () => {
    let nowMs = 1000;
    const order: string[] = [];
    const polls = pollCounter(() => 1);
    const hub = new EventHub({ dataVersion: polls.read, nextDeadlineMs: () => (nowMs < 5000 ? 5000 : null), clock: () => new Date(nowMs), pollMs: 10, onDeadline: () => order.push("forget") });
    const client = listen(hub);
    await polls.passed(4);
    nowMs = 5000;
    await waitFor(() => changes(client.text()).length === 1, 1000, "time change");
    order.push("change");
    expect(order).toEqual(["forget", "change"]);
    hub.stop();
  });
});
