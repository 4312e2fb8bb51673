import { ERROR_STATUS, type ErrorCode, type PolicyFlag } from '@gatehouse/domain';

/** Every error the gateway answers with: a contract code, a message, and the policy flags where they apply. */
export class GatehouseError extends Error {
  readonly status: number;
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly flags?: PolicyFlag[],
  ) {
    super(message);
    this.status = ERROR_STATUS[code];
  }
}

/** Refuses the request. A `function` returning `never`, so TypeScript narrows the code after a call. */
export function fail(code: ErrorCode, message: string, flags?: PolicyFlag[]): never {
  throw new GatehouseError(code, message, flags);
}
