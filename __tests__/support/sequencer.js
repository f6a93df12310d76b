/**
 * The order jest hands suites to its four workers: the three whole journeys
 * first, longest first (the refactor step by step, the tour, the README's
 * blocks), one per worker. At most two of them run at once
 * (support/turns.ts): the README waits for the first to end, then runs
 * beside the other, about when the light suites on the fourth worker end.
 * The rest keep jest's own order.
 */
const Sequencer = require('@jest/test-sequencer').default;

const FIRST = ['e2e/emulator.test.ts', 'e2e/tour.test.ts', 'docs/readme.test.ts'];
const rank = (test) => {
  const first = FIRST.findIndex((suffix) => test.path.endsWith(suffix));
  return first === -1 ? FIRST.length : first;
};

class JourneysInTurn extends Sequencer {
  async sort(tests) {
    const ordered = await super.sort(tests);
    return [...ordered].sort((a, b) => rank(a) - rank(b));
  }
}

module.exports = JourneysInTurn;
