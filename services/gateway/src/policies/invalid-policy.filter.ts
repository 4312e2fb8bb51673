import { Catch, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { Response } from 'express';
import { GatehouseError } from '../common/errors';
import type { Diagnostic } from './cedar';

/** 422 INVALID_POLICY, carrying Cedar's findings on the document. */
export class InvalidPolicyError extends GatehouseError {
  constructor(readonly diagnostics: Diagnostic[]) {
    const first = diagnostics[0];
    super(
      'INVALID_POLICY',
      `The policy is not valid Cedar for Gatehouse's schema: line ${first?.line}: ${first?.message}`,
    );
  }
}

/**
 * Answers an invalid policy with the contract's error body plus `diagnostics`. Bound to the policies
 * controller only; every other error goes on to the gateway's ErrorFilter.
 */
@Catch(InvalidPolicyError)
export class InvalidPolicyFilter implements ExceptionFilter {
  catch(err: InvalidPolicyError, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<Response>();
    res
      .status(err.status)
      .json({ statusCode: err.status, code: err.code, message: err.message, diagnostics: err.diagnostics });
  }
}
