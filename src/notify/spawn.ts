/**
 * Running a notifier program with a deadline. terminal-notifier can hang without a GUI session
 * (tmux, root, LaunchDaemon), so every call is killed after the timeout; nothing here throws.
 */
export type DeliveryResult = { readonly ok: true } | { readonly ok: false; readonly error: string };

export async function runWithTimeout(
  argv: readonly string[],
  timeoutMs: number,
  env: Record<string, string | undefined>,
): Promise<DeliveryResult> {
  let child;
  try {
    // Bun.spawn throws synchronously when the program does not exist.
    child = Bun.spawn([...argv], { env, stdin: "ignore", stdout: "ignore", stderr: "pipe", timeout: timeoutMs, killSignal: "SIGKILL" });
  } catch (error) {
    return { ok: false, error: `cannot run "${argv[0]}": ${(error as Error).message}` };
  }
  const stderrText = new Response(child.stderr).text().catch(() => "");
  const exitCode = await child.exited;
  if (child.signalCode === "SIGKILL" && exitCode !== 0) {
    return { ok: false, error: `"${argv[0]}" did not finish within ${timeoutMs / 1000}s and was killed` };
  }
  if (exitCode !== 0) {
    const detail = (await Promise.race([stderrText, Bun.sleep(200).then(() => "")])).trim().split("\n")[0] ?? "";
    return { ok: false, error: `"${argv[0]}" exited with code ${exitCode}${detail ? `: ${detail}` : ""}` };
  }
  return { ok: true };
}
