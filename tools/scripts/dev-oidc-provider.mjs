// DEV ONLY: a local OpenID Connect provider for `npm run dev` and the tests, built on the certified
// `oidc-provider` package. It signs people in from a fixed list of accounts (no passwords), so that the
// dashboard's single sign-on runs end to end on one machine. Never expose it: anyone who reaches it can
// sign in as anyone on its list.
//
// Run with `node tools/scripts/dev-oidc-provider.mjs` and DEV_OIDC_CONFIG set to a JSON object:
//   port              where to listen on 127.0.0.1 (0: any free port)
//   host              the host name in the issuer URL (default 127.0.0.1; `npm run dev` uses localhost)
//   clientId          the dashboard's client id (a public client: PKCE, no secret)
//   cliClientId       optional: the command line's client id (a public client for the device flow, RFC 8628,
//                     with refresh tokens; no secret)
//   deviceCodeTtl     seconds a device flow's user code can be entered (default 600)
//   redirectUris      where the dashboard may be sent back after sign-in (and after sign-out)
//   audience          the resource indicator access tokens are issued for: their `aud`
//   accessTokenTtl    seconds an access token (and ID token) lives (default 600)
//   accounts          [{ sub, name, email, groups, roles, refused? }]: who may sign in; a `refused` account
//                     is shown but the provider answers access_denied for it (a leaver, say)
// It prints `DEV_OIDC_LISTENING <port>` once it accepts requests (stack.js waits for that line).
//
// Access tokens are JWTs (RS256) for the resource `audience` (resource indicators, with the audience as
// the default resource), carrying the account's name, email, groups and roles, so the gateway verifies
// them offline against the provider's JWKS like any IdP's.
import { generateKeyPairSync } from 'node:crypto';
import http from 'node:http';
import Provider from 'oidc-provider';

const config = JSON.parse(process.env.DEV_OIDC_CONFIG || '{}');
for (const key of ['clientId', 'redirectUris', 'audience', 'accounts'])
  if (config[key] === undefined) {
    console.error(`DEV_OIDC_CONFIG needs "${key}"`);
    process.exit(2);
  }
const accounts = new Map(config.accounts.map((a) => [a.sub, a]));
const ttl = config.accessTokenTtl ?? 600;
const SCOPES = 'openid profile email groups';
/** offline_access is what a client asks for to get a refresh token (the CLI does; the dashboard does not). */
const OIDC_SCOPES = [...SCOPES.split(' '), 'offline_access'];

const escape = (s) =>
  String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);

function page(title, body) {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escape(title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem;color:#1f2933}
.dev{background:#fff4d6;border:1px solid #e5b94e;padding:.5rem .75rem;border-radius:6px}
button{display:block;width:100%;text-align:left;margin:.4rem 0;padding:.6rem .8rem;font:inherit;border:1px solid #9aa5b1;border-radius:6px;background:#fff;cursor:pointer}
button span{display:block;color:#52606d;font-size:.9em}</style></head>
<body><h1>${escape(title)}</h1><p class="dev"><strong>Development identity provider.</strong> For npm run dev and tests only: anyone who reaches it can sign in as anyone below.</p>${body}</body></html>`;
}

function accountClaims(account) {
  return {
    sub: account.sub,
    name: account.name,
    email: account.email,
    groups: account.groups ?? [],
    roles: account.roles ?? [],
  };
}

function readForm(req) {
  return new Promise((resolve, reject) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk) => {
      body += chunk;
      if (body.length > 10_000) reject(new Error('form too large'));
    });
    req.on('end', () => resolve(new URLSearchParams(body)));
    req.on('error', reject);
  });
}

/** The sign-in page: one button per account, and a way to cancel (access_denied). */
function loginPage(uid, client) {
  const buttons = [...accounts.values()]
    .map(
      (a) =>
        `<button type="submit" name="account" value="${escape(a.sub)}"><strong>${escape(a.name ?? a.sub)}</strong>` +
        `<span>${escape(a.sub)}${a.refused ? ' — this provider refuses to sign them in' : ''}</span></button>`,
    )
    .join('');
  return page(
    'Sign in',
    `<p>Sign in to ${escape(client)} as:</p><form method="post" action="/interaction/${escape(uid)}/login">${buttons}</form>` +
      `<form method="post" action="/interaction/${escape(uid)}/abort"><button type="submit">Cancel</button></form>`,
  );
}

/** The device flow's pages (RFC 8628): enter the code, confirm it, done. `form` is the provider's own. */
const deviceFlowPages = {
  async userCodeInputSource(ctx, form, _out, err) {
    const problem = err ? `<p class="dev">That code is not valid (${escape(err.name ?? 'error')}). Try again.</p>` : '';
    ctx.body = page(
      'Connect a device',
      `${problem}<p>Enter the code your terminal shows:</p>${form}<button type="submit" form="op.deviceInputForm">Continue</button>`,
    );
  },
  async userCodeConfirmSource(ctx, form, client, _deviceInfo, userCode) {
    ctx.body = page(
      'Confirm the device',
      `<p>${escape(client.clientName ?? client.clientId)} asks to sign in with the code <code>${escape(userCode)}</code>. ` +
        `Continue only if your terminal shows the same code.</p>${form}` +
        '<button autofocus type="submit" form="op.deviceConfirmForm">Continue</button>' +
        '<button type="submit" form="op.deviceConfirmForm" value="yes" name="abort">Cancel</button>',
    );
  },
  async successSource(ctx) {
    ctx.body = page('Signed in', '<p>You are signed in. Go back to your terminal; you can close this page.</p>');
  },
};

/** The command line's client: public (no secret), device flow and refresh tokens only. */
const cliClient = (clientId) => ({
  client_id: clientId,
  client_name: 'Gatehouse CLI',
  application_type: 'native',
  token_endpoint_auth_method: 'none',
  grant_types: ['urn:ietf:params:oauth:grant-type:device_code', 'refresh_token'],
  response_types: [],
  redirect_uris: [],
});

/** Grants what the dashboard or the CLI asked for (first-party clients: no consent screen). */
async function grantConsent(provider, details) {
  const {
    prompt: { details: missing },
    params,
    session,
  } = details;
  const grant = details.grantId
    ? await provider.Grant.find(details.grantId)
    : new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
  if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
  if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
  for (const [resource, scopes] of Object.entries(missing.missingResourceScopes ?? {}))
    grant.addResourceScope(resource, scopes.join(' '));
  const grantId = await grant.save();
  return details.grantId ? {} : { grantId };
}

async function interaction(provider, req, res) {
  const [, , uid, action] = new URL(req.url, 'http://x').pathname.split('/');
  const details = await provider.interactionDetails(req, res);
  if (details.uid !== uid) throw new Error('interaction mismatch');
  if (req.method === 'GET' && details.prompt.name === 'consent') {
    const consent = await grantConsent(provider, details);
    return provider.interactionFinished(req, res, { consent }, { mergeWithLastSubmission: true });
  }
  if (req.method === 'GET') {
    res.setHeader('content-type', 'text/html; charset=utf-8');
    return res.end(loginPage(uid, details.params.client_id));
  }
  if (req.method === 'POST' && action === 'abort')
    return provider.interactionFinished(req, res, {
      error: 'access_denied',
      error_description: 'The sign-in was cancelled.',
    });
  if (req.method === 'POST' && action === 'login') {
    const account = accounts.get((await readForm(req)).get('account') ?? '');
    if (!account) throw new Error('no such account');
    if (account.refused)
      return provider.interactionFinished(req, res, {
        error: 'access_denied',
        error_description: `${account.name ?? account.sub} is not allowed to sign in to this application.`,
      });
    return provider.interactionFinished(req, res, { login: { accountId: account.sub } });
  }
  res.statusCode = 405;
  res.end();
}

const server = http.createServer();
server.listen(config.port ?? 0, '127.0.0.1', () => {
  const { port } = server.address();
  const issuer = `http://${config.host ?? '127.0.0.1'}:${port}`;
  const jwk = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: config.clientId,
        client_name: 'Gatehouse',
        application_type: 'web',
        token_endpoint_auth_method: 'none',
        grant_types: ['authorization_code'],
        response_types: ['code'],
        redirect_uris: config.redirectUris,
        post_logout_redirect_uris: config.redirectUris,
      },
      ...(config.cliClientId ? [cliClient(config.cliClientId)] : []),
    ],
    jwks: { keys: [{ ...jwk, kid: 'dev-1', alg: 'RS256', use: 'sig' }] },
    // Dev-only cookie signing key.
    cookies: { keys: ['gatehouse-dev-oidc-cookie-key-DO-NOT-USE-IN-PRODUCTION'] },
    pkce: { required: () => true },
    scopes: OIDC_SCOPES,
    claims: { openid: ['sub'], profile: ['name'], email: ['email'], groups: ['groups', 'roles'] },
    async findAccount(_ctx, id) {
      const account = accounts.get(id);
      if (!account || account.refused) return undefined;
      return { accountId: id, claims: async () => accountClaims(account) };
    },
    // JWT access tokens carry who the person is, for the gateway to verify offline.
    async extraTokenClaims(_ctx, token) {
      const account = accounts.get(token.accountId);
      if (!account) return undefined;
      const { sub: _sub, ...claims } = accountClaims(account);
      return claims;
    },
    ttl: {
      AccessToken: ttl,
      IdToken: ttl,
      Interaction: 600,
      Session: 8 * 3600,
      Grant: 8 * 3600,
      DeviceCode: config.deviceCodeTtl ?? 600,
      RefreshToken: 8 * 3600,
    },
    interactions: { url: (_ctx, i) => `/interaction/${i.uid}` },
    features: {
      devInteractions: { enabled: false },
      deviceFlow: { enabled: true, ...deviceFlowPages },
      resourceIndicators: {
        enabled: true,
        defaultResource: async () => config.audience,
        useGrantedResource: async () => true,
        getResourceServerInfo: async (_ctx, resource) => {
          if (resource !== config.audience) throw new Provider.errors.InvalidTarget();
          return { scope: SCOPES, audience: resource, accessTokenTTL: ttl, accessTokenFormat: 'jwt' };
        },
      },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: async (ctx, form) => {
          ctx.body = page(
            'Sign out',
            `${form}<p>Sign out of the development identity provider too?</p>` +
              '<button autofocus type="submit" form="op.logoutForm" value="yes" name="logout">Yes, sign me out</button>' +
              '<button type="submit" form="op.logoutForm">No, stay signed in</button>',
          );
        },
        postLogoutSuccessSource: async (ctx) => {
          ctx.body = page('Signed out', '<p>You are signed out.</p>');
        },
      },
    },
    clientBasedCORS: (_ctx, origin, client) => client.redirectUris.some((uri) => new URL(uri).origin === origin),
    renderError: async (ctx, out) => {
      ctx.type = 'html';
      ctx.body = page('Sign-in error', `<p>${escape(out.error)}: ${escape(out.error_description ?? '')}</p>`);
    },
  });
  provider.on('server_error', (_ctx, err) => console.error('dev OIDC provider error:', err));
  const callback = provider.callback();
  server.on('request', (req, res) => {
    if (!req.url.startsWith('/interaction/')) return callback(req, res);
    interaction(provider, req, res).catch((err) => {
      res.statusCode = 400;
      res.setHeader('content-type', 'text/html; charset=utf-8');
      res.end(page('Sign-in error', `<p>${escape(err.message)}</p>`));
    });
  });
  console.log(`DEV_OIDC_LISTENING ${port}`);
});

process.on('SIGTERM', () => server.close(() => process.exit(0)));
