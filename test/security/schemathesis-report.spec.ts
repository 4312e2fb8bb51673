/**
 * The fuzz test fails on what the API did wrong, never on schemathesis's own errors: these samples are
 * reports in the shape schemathesis 4 writes them.
 */
import { classifyReport, isOperationLabel, parseJunitReport } from './schemathesis-report';

const report = (cases: string) => `<?xml version="1.0" encoding="utf-8"?>
<testsuites errors="0" failures="0" skipped="0" tests="3" time="1.0">
  <testsuite name="schemathesis" hostname="ci" errors="0" failures="0" skipped="0" tests="3" time="1.0">
${cases}
  </testsuite>
</testsuites>`;

const passing = `    <testcase name="GET /apps" time="0.5" />
    <testcase name="GET /tickets/{ticketId}" time="0.4" />`;

// The flake seen in CI: Hypothesis replayed an example of PUT /apps/{appId} and got a KeyError it had not seen before.
const inconsistentResults = `    <testcase name="PUT /apps/{appId}" time="3.2">
      <error type="error">Runtime Error

Inconsistent results from replaying a test case!
  last: INTERESTING from KeyError at /venv/lib/python3.11/site-packages/schemathesis/generation/coverage.py:412
  this: VALID

    Traceback (most recent call last):
      KeyError: &apos;appId&apos;</error>
    </testcase>`;

const serverError = `    <testcase name="POST /tickets" time="1.1">
      <failure type="failure" message="not_a_server_error">1. Server error

[500] Internal Server Error:

    \`{"error":{"code":"INTERNAL","message":"Something &amp; nothing"}}\`

Reproduce with:

    curl -X POST -H 'Authorization: [Filtered]' http://127.0.0.1:4000/tickets</failure>
    </testcase>`;

const schemaViolation = `    <testcase name="GET /grants" time="0.9">
      <failure type="failure" message="response_schema_conformance">1. Response violates schema

    &apos;expiresAt&apos; is a required property</failure>
    </testcase>`;

const networkError = `    <testcase name="DELETE /webhooks/{webhookId}" time="30.0">
      <error type="error">Network Error

Read timed out after 10.00 seconds</error>
    </testcase>`;

const healthCheck = `    <testcase name="PATCH /apps/{appId}/policy" time="2.0">
      <error type="error">Failed Health Check

Data generation is extremely slow</error>
    </testcase>`;

test('a clean run has no problems and no fuzzer errors', () => {
  const outcomes = parseJunitReport(report(passing));
  expect(outcomes.map((o) => o.operation)).toEqual(['GET /apps', 'GET /tickets/{ticketId}']);
  expect(classifyReport(outcomes)).toEqual({ problems: [], fuzzerErrors: [] });
});

test("schemathesis's own runtime error (Inconsistent results, a KeyError) is the fuzzer's, not a problem of the API", () => {
  const classified = classifyReport(parseJunitReport(report(passing + '\n' + inconsistentResults)));
  expect(classified.problems).toEqual([]);
  expect(classified.fuzzerErrors).toEqual([
    {
      operation: 'PUT /apps/{appId}',
      message: expect.stringContaining('Inconsistent results from replaying a test case!'),
    },
  ]);
});

test("a failed health check of the generator is the fuzzer's too", () => {
  expect(classifyReport(parseJunitReport(report(healthCheck))).fuzzerErrors.map((e) => e.operation)).toEqual([
    'PATCH /apps/{appId}/policy',
  ]);
});

test('a 5xx and a schema violation are problems, even next to a fuzzer error', () => {
  const classified = classifyReport(
    parseJunitReport(report([serverError, inconsistentResults, schemaViolation].join('\n'))),
  );
  expect(classified.problems).toEqual([
    expect.stringMatching(/^POST \/tickets: 1\. Server error \/ \[500\] Internal Server Error:/),
    expect.stringMatching(/^GET \/grants: 1\. Response violates schema \/ 'expiresAt' is a required property/),
  ]);
  expect(classified.fuzzerErrors.map((e) => e.operation)).toEqual(['PUT /apps/{appId}']);
});

test('an API that does not answer is a problem of the API, not of the fuzzer', () => {
  const classified = classifyReport(parseJunitReport(report(networkError)));
  expect(classified.problems).toEqual([
    'DELETE /webhooks/{webhookId}: Network Error / Read timed out after 10.00 seconds',
  ]);
  expect(classified.fuzzerErrors).toEqual([]);
});

test('operations can be fuzzed again by name; a stateful phase cannot', () => {
  expect(isOperationLabel('PUT /apps/{appId}')).toBe(true);
  expect(isOperationLabel('Stateful tests')).toBe(false);
});
