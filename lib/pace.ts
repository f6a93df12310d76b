/**
 * A steady client's pace: the loads that run while a deploy, a drain or a
 * release goes on (the tour's, the end-to-end suite's) send at most so many
 * requests a second, however fast the answers come. Unpaced, one such loop
 * kept about a core busy (the load balancer, the services and the emulator's
 * DynamoDB: 16 ms of CPU a request, 60 requests a second one after another),
 * taken from the deploys it was there to watch. Ten a second is still a
 * request every 100 ms through each transition (a few hundred per deploy),
 * at a sixth of a core.
 */
export const STEADY_REQUESTS_PER_SECOND = 10;

/** Waits for the next request's turn: one every 1/rate s, shared by every caller of the returned function. */
export function pacer(ratePerSecond = STEADY_REQUESTS_PER_SECOND): () => Promise<void> {
  const gapMs = 1000 / ratePerSecond;
  let next = Date.now();
  return async () => {
    const at = Math.max(next, Date.now());
    next = at + gapMs;
    const waitMs = at - Date.now();
    if (waitMs > 0) await new Promise((resolve) => setTimeout(resolve, waitMs));
  };
}
