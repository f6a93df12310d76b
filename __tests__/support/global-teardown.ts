/** Stops the shared emulator of global-setup.ts: SIGTERM, then SIGKILL if it is still there after 5 s. */
export default async function globalTeardown(): Promise<void> {
  const pid = Number(process.env.FORUM_TEST_AWS_PID);
  if (!pid) return;
  const alive = () => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  if (!alive()) return;
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + 5_000;
  while (alive() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
  if (alive()) process.kill(pid, 'SIGKILL');
}
