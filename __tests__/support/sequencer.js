/**
 * The order jest hands suites to its two workers. The whole-journey suites
 * take turns (support/turns.ts): the refactor step by step starts first, the
 * other suites run beside it on the second worker, and the README's blocks
 * and the tour come last, so that each starts when the one before is done
 * instead of holding a worker while it waits; the rest keep jest's own order.
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
