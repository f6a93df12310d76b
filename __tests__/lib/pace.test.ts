/** The steady client's pace, on a fake clock: one turn every 1/rate s, shared by its callers, however fast they ask. */
import { pacer } from '../../lib/pace';

beforeEach(() => jest.useFakeTimers());
afterEach(() => jest.useRealTimers());

it('gives concurrent callers one turn each, 1/rate s apart, and does not bank the turns an idle caller missed', async () => {
  const turn = pacer(10);
  const start = Date.now();
  const at: number[] = [];
  const take = () => turn().then(() => at.push(Date.now() - start));
  void Promise.all([take(), take(), take(), take()]);
  await jest.advanceTimersByTimeAsync(1_000);
  expect(at).toEqual([0, 100, 200, 300]);
  // Idle for a second: the next turn is now, not a burst of the ten missed.
  void Promise.all([take(), take()]);
  await jest.advanceTimersByTimeAsync(100);
  expect(at.slice(4)).toEqual([1_000, 1_100]);
});
