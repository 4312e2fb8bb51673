/**
 * Connectors reach their targets through the outbound guard the worker hands them: in production a
 * target on loopback is refused before any request reaches it (SCIM against scimmy, Slack's SDK against
 * the Slack fake); allowlisted, it is reached.
 */
import { createConnector, type ConnectorDeps, type DemoMembershipStore } from '@gatehouse/connectors';
import { createOutboundHttp, loadOutboundPolicy } from '@gatehouse/notifiers';
import type { RunningFake } from '../fakes/fake-http';
import { startScimServer, type ScimFakeState } from '../fakes/scim-server';
import { startSlackServer, type SlackFakeState } from '../fakes/slack-server';

const TOKEN_ENV = 'GATEHOUSE_TEST_OUTBOUND_TOKEN';
const noDemo = {} as DemoMembershipStore;

let scim: RunningFake<ScimFakeState>;
let slack: RunningFake<SlackFakeState>;
beforeAll(async () => {
  scim = await startScimServer();
  slack = await startSlackServer({ token: 'xoxb-outbound-test' });
});
afterAll(async () => {
  await scim?.close();
  await slack?.close();
});

function deps(token: string, allowlist?: string): ConnectorDeps {
  return {
    demoMemberships: noDemo,
    env: { [TOKEN_ENV]: token },
    http: createOutboundHttp(loadOutboundPolicy({ NODE_ENV: 'production', OUTBOUND_ALLOWLIST: allowlist })),
  };
}

test('in production a SCIM target on loopback is refused without a request; allowlisted, it is reached', async () => {
  const settings = { type: 'scim' as const, config: { baseUrl: scim.url, tokenEnv: TOKEN_ENV } };
  const before = (await scim.state.requests()).length;
  const refused = await createConnector('scim-app', settings, deps(scim.state.token)).checkConnection();
  expect(refused).toEqual({
    ok: false,
    message: expect.stringMatching(/outbound request refused: 127\.0\.0\.1 is loopback/),
  });
  expect((await scim.state.requests()).length).toBe(before);

  const allowed = await createConnector('scim-app', settings, deps(scim.state.token, '127.0.0.1')).checkConnection();
  expect(allowed).toMatchObject({ ok: true });
});

test('in production a Slack API URL on loopback is refused without a request; allowlisted, it is reached', async () => {
  const settings = { type: 'slack' as const, config: { apiUrl: slack.url, tokenEnv: TOKEN_ENV } };
  const before = slack.state.requests.length;
  const refused = await createConnector('slack-app', settings, deps(slack.state.token)).checkConnection();
  expect(refused).toEqual({
    ok: false,
    message: expect.stringMatching(/outbound request refused: 127\.0\.0\.1 is loopback/),
  });
  expect(slack.state.requests.length).toBe(before);

  const allowed = await createConnector('slack-app', settings, deps(slack.state.token, '127.0.0.1')).checkConnection();
  expect(allowed).toMatchObject({ ok: true });
});
