/**
 * The order jest hands suites to its three workers. At most two whole-journey
 * suites run at once (support/turns.ts): the refactor step by step, the
 * longest, starts first; the other suites run beside it on the other two
 * workers, then the README's blocks, then the tour on whichever worker is
 * free first (it waits for the refactor suite's turn when the README has the
 * other); the rest keep jest's own order.
 */
const Sequencer = require('@jest/test-sequencer').default;

const FIRST = ['e2e/emulator.test.ts'];
const LAST = ['docs/readme.test.ts', 'e2e/tour.test.ts'];
const rank = (test) => {
  const first = FIRST.findIndex((suffix) => test.path.endsWith(suffix));
  if (first !== -1) return first;
  const last = LAST.findIndex((suffix) => test.path.endsWith(suffix));
  return last === -1 ? FIRST.length : FIRST.length + 1 + last;
};

class JourneysInTurn extends Sequencer {
  async sort(tests) {
    const ordered = await super.sort(tests);
    return [...ordered].sort((a, b) => rank(a) - rank(b));
  }
}

module.exports = JourneysInTurn;
