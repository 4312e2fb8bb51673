import { describe, expect, it } from 'vitest';
import { errorText, flagText, ticketIdIn } from './errorText';
import { cleanToken, looksLikeJwt } from './session';

describe('errors in plain words', () => {
  it('explains NOT_AN_APPROVER without jargon', () => {
    expect(errorText({ status: 403, code: 'NOT_AN_APPROVER', message: 'alice may not approve' })).toMatch(
      /not an approver of this ticket/,
    );
  });
  it('keeps the server detail of a duplicate ticket, and finds the ticket id to link', () => {
    const text = errorText({
      status: 409,
      code: 'DUPLICATE_OPEN_TICKET',
      message: 'Ticket TCK-1042 for the same access is still pending.',
    });
    expect(text).toMatch(/open ticket for the same access already exists/);
    expect(text).toContain('TCK-1042');
    expect(ticketIdIn('Ticket TCK-1042 for the same access is still pending.')).toBe('TCK-1042');
  });
  it('lets the place of an error reword it (a 404 on an endpoint the gateway lacks)', () => {
    expect(
      errorText(
        { status: 404, code: 'NOT_FOUND', message: 'Cannot POST /tickets/TCK-1/extend' },
        { NOT_FOUND: 'Extending is not offered.' },
      ),
    ).toBe('Extending is not offered.');
  });
  it('says a 5xx is the server’s problem and a network failure is the connection', () => {
    expect(errorText({ status: 500, code: 'INTERNAL', message: 'boom' })).toMatch(/server ran into a problem/);
    expect(errorText({ status: 0, code: 'NETWORK_ERROR', message: 'Failed to fetch' })).toMatch(/could not be reached/);
  });
  it('maps policy flags to sentences, keeping the limits the server names', () => {
    expect(
      flagText({
        code: 'MAX_DURATION_EXCEEDED',
        message: 'Access may last at most 1d; this asks for 3d.',
        field: 'duration.end',
      }),
    ).toBe('Longer than this application allows. Access may last at most 1d; this asks for 3d.');
    expect(flagText({ code: 'REASON_REQUIRED', message: 'A reason is required for this application.' })).toMatch(
      /Please give a reason/,
    );
    expect(flagText({ code: 'SOMETHING_NEW', message: 'Server words.' })).toBe('Server words.');
  });
  it('says plainly when the access policies refuse, keeping the entitlement and the policy’s advice', () => {
    expect(errorText({ status: 403, code: 'NOT_ELIGIBLE', message: 'not eligible' })).toMatch(
      /access policies do not let you request/,
    );
    expect(
      flagText({
        code: 'NOT_ELIGIBLE',
        field: 'changes[0].entitlementId',
        message: 'prod-admin: forbidden by contractors-baseline: contractors never get production access',
      }),
    ).toBe(
      'You may not request this: the access policies do not permit it. prod-admin: forbidden by contractors-baseline: contractors never get production access',
    );
    expect(errorText({ status: 403, code: 'USER_INACTIVE', message: 'inactive' })).toMatch(/deactivated/);
  });
});

describe('pasted tokens', () => {
  const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl';
  it('accepts a bare token, a Bearer header, an export line and npm output', () => {
    expect(cleanToken(`  ${jwt}\n`)).toBe(jwt);
    expect(cleanToken(`Bearer ${jwt}`)).toBe(jwt);
    expect(cleanToken(`export ALICE_TOKEN=${jwt}`)).toBe(jwt);
    expect(cleanToken(`\n> gatehouse@0.1.0 token\n> node tools/dist/token-cli.js alice\n\n${jwt}\n`)).toBe(jwt);
  });
  it('tells a token from other text', () => {
    expect(looksLikeJwt(jwt)).toBe(true);
    expect(looksLikeJwt('hello world')).toBe(false);
  });
});
