/**
 * Reading schemathesis's JUnit report: which operations broke a check (a 5xx, a response outside its
 * schema), which could not be tested because the API misbehaved (no answer, connection refused), and
 * which hit an error inside schemathesis or Hypothesis themselves (a KeyError while generating examples,
 * "Inconsistent results" when replaying one). Only the last kind is the fuzzer's problem, not the API's.
 */

export interface OperationOutcome {
  /** The operation's label (`PUT /apps/{appId}`), or the phase's for stateful runs. */
  operation: string;
  failures: string[];
  errors: string[];
}

export interface ClassifiedReport {
  /** Check failures and API errors, one line each: every one fails the test. */
  problems: string[];
  /** Errors of the fuzzer itself: reported, and the operation is fuzzed once more. */
  fuzzerErrors: { operation: string; message: string }[];
}

/**
 * Titles schemathesis gives errors that come from its own machinery. "Runtime Error" is its title for any
 * exception it does not classify (a KeyError, Hypothesis's flaky replay); a failed health check means the
 * generator could not produce inputs fast enough. Every other title (Network Error, Unresponsive
 * Operation, Unhealthy API, Server Unavailable, Schema Error, ...) is about the API or its document.
 */
const FUZZER_ERROR_TITLES = new Set(['Runtime Error', 'Failed Health Check']);

function unescapeXml(text: string): string {
  return text
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&#(\d+);/g, (_, n: string) => String.fromCodePoint(Number(n)))
    .replace(/&#x([0-9a-f]+);/gi, (_, n: string) => String.fromCodePoint(parseInt(n, 16)))
    .replace(/&amp;/g, '&');
}

/** The outcomes in a schemathesis JUnit report (its writer's fixed shape: one testcase per operation). */
export function parseJunitReport(xml: string): OperationOutcome[] {
  const outcomes: OperationOutcome[] = [];
  for (const match of xml.matchAll(/<testcase\b([^>]*?)(\/>|>([\s\S]*?)<\/testcase>)/g)) {
    const name = /\bname="([^"]*)"/.exec(match[1])?.[1];
    if (name === undefined) continue;
    const body = match[3] ?? '';
    const texts = (kind: string) =>
      [...body.matchAll(new RegExp(`<${kind}\\b([^>]*?)(?:/>|>([\\s\\S]*?)</${kind}>)`, 'g'))].map((m) => {
        const message = /\bmessage="([^"]*)"/.exec(m[1])?.[1];
        return unescapeXml(m[2] ?? message ?? '').trim();
      });
    outcomes.push({ operation: unescapeXml(name), failures: texts('failure'), errors: texts('error') });
  }
  return outcomes;
}

/** The title schemathesis puts on the first line of an error's text. */
function errorTitle(text: string): string {
  return text.split('\n', 1)[0].trim();
}

function firstLines(text: string, n = 3): string {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .slice(0, n)
    .join(' / ');
}

export function classifyReport(outcomes: OperationOutcome[]): ClassifiedReport {
  const problems: string[] = [];
  const fuzzerErrors: ClassifiedReport['fuzzerErrors'] = [];
  for (const { operation, failures, errors } of outcomes) {
    for (const failure of failures) problems.push(`${operation}: ${firstLines(failure)}`);
    for (const error of errors) {
      if (FUZZER_ERROR_TITLES.has(errorTitle(error))) fuzzerErrors.push({ operation, message: firstLines(error) });
      else problems.push(`${operation}: ${firstLines(error)}`);
    }
  }
  return { problems, fuzzerErrors };
}

/** Operations are labelled `METHOD /path`; anything else (a stateful phase) can only be rerun as a whole. */
export function isOperationLabel(label: string): boolean {
  return /^(GET|PUT|POST|PATCH|DELETE|HEAD|OPTIONS|TRACE) \//.test(label);
}
