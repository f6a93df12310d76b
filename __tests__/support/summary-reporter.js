/**
 * Prints one plain closing line, "tests: N passed, N failed, N skipped", that
 * any CI can read whatever the test runner.
 */
class SummaryReporter {
  onRunComplete(_contexts, results) {
    const { numPassedTests, numFailedTests, numPendingTests, numTodoTests, numRuntimeErrorTestSuites } = results;
    if (numRuntimeErrorTestSuites > 0) process.stdout.write(`suites that could not run: ${numRuntimeErrorTestSuites}\n`);
    process.stdout.write(
      `\ntests: ${numPassedTests} passed, ${numFailedTests + numRuntimeErrorTestSuites} failed, ${numPendingTests + numTodoTests} skipped\n`,
    );
  }
}
module.exports = SummaryReporter;
