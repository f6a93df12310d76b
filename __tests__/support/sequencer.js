/**
 * The order jest hands suites to its four workers: the three whole journeys
 * first, one per worker, the tour (the longest, about 10 minutes) first. At
 * most two of them run at once (support/turns.ts): the tour, and whichever
 * of the README's blocks and the refactor step by step reaches its turn
 * first (the README, which imports less, usually); the third runs after it,
 * while the light suites run on the fourth worker. The rest keep jest's own
 * order.
 */
const Sequencer = require('@jest/test-sequencer').default;

const FIRST = ['e2e/tour.test.ts', 'docs/readme.test.ts', 'e2e/emulator.test.ts'];
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
