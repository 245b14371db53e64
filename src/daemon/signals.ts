/**
 * Where the daemon hears signals from: the process in production, a test's own emitter in the
 * tests, so reload (SIGHUP) and shutdown (SIGINT, SIGTERM) are exercised in-process.
 */
export const daemonSignals = ["SIGHUP", "SIGINT", "SIGTERM"] as const;
export type DaemonSignal = (typeof daemonSignals)[number];

export interface SignalSource {
  /** Calls `handler` on each `signal` until the returned function is called. */
  on(signal: DaemonSignal, handler: () => void): () => void;
}

export const processSignals: SignalSource = {
  on(signal, handler) {
    process.on(signal, handler);
    return () => {
      process.off(signal, handler);
    };
  },
};
