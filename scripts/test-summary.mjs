// Prints "N passed, N failed" from vitest's JSON report. When the run stopped before vitest wrote a
// report (lint or type errors, a failed install), it says so and counts the whole run as 1 failure.
import { existsSync, readFileSync } from 'node:fs';

const [reportPath = '.vitest-report.json', statusText = '0'] = process.argv.slice(2);
const status = Number(statusText);
if (!existsSync(reportPath)) {
  console.log(`no vitest report (the run failed before the tests, exit ${String(status)})`);
  console.log(`0 passed, ${status === 0 ? 0 : 1} failed`);
} else {
  const report = JSON.parse(readFileSync(reportPath, 'utf8'));
  // A file whose beforeAll threw has no failed test, only skipped ones: count such a file as one
  // failure, so the line never says "0 failed" for a red run.
  const brokenFiles = report.testResults.filter((file) => file.status === 'failed'
    && !file.assertionResults.some((test) => test.status === 'failed')).length;
  const failed = report.numFailedTests + Math.max(brokenFiles, report.numRuntimeErrorTestSuites ?? 0);
  console.log(`${String(report.numPassedTests)} passed, ${String(failed)} failed`);
}
