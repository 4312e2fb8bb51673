/** Exit codes of every command (docs/cli.md, "Exit codes"). */
export const EXIT = {
  OK: 0,
  /** Any failure: an API error, a bad argument, an invalid file. */
  FAILED: 1,
  /** `request --wait`: the ticket was rejected or cancelled. */
  REJECTED: 2,
  /** `request --wait`: no decision (or no active access) before `--timeout`. */
  TIMED_OUT: 3,
} as const;

/** A failure the CLI reports as `<code>: <message>` on stderr, exiting with `exitCode`. */
export class CliError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly exitCode: number = EXIT.FAILED,
    readonly status?: number,
  ) {
    super(message);
  }
}
