import { ErrorResponse } from 'oidc-client-ts';
import { describe, expect, it } from 'vitest';
import { describeProblem, isProviderReturn } from './sso';

const ISSUER = 'https://login.example.com';

describe('what the sign-in problem page says', () => {
  it('a refusal by the provider keeps its description', () => {
    const err = new ErrorResponse({ error: 'access_denied', error_description: 'Not assigned to this application.' });
    expect(describeProblem(err, ISSUER)).toEqual({ kind: 'refused', detail: 'Not assigned to this application.' });
  });

  it('a provider that cannot be reached is named', () => {
    expect(describeProblem(new TypeError('Failed to fetch'), ISSUER)).toEqual({ kind: 'unreachable', issuer: ISSUER });
  });

  it('any other answer from the provider is shown as it came', () => {
    const err = new ErrorResponse({ error: 'login_required', error_description: 'Sign in again.' });
    expect(describeProblem(err, ISSUER)).toEqual({ kind: 'failed', detail: 'login_required: Sign in again.' });
  });
});

describe('a page load coming back from the provider', () => {
  it('carries a state, with a code, an error or neither (sign-out)', () => {
    expect(isProviderReturn('?code=abc&state=s1')).toBe(true);
    expect(isProviderReturn('?error=access_denied&state=s1')).toBe(true);
    expect(isProviderReturn('?state=s1')).toBe(true);
    expect(isProviderReturn('')).toBe(false);
    expect(isProviderReturn('?tab=open')).toBe(false);
  });
});
