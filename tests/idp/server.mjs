#!/usr/bin/env node
// OpenID Provider for the portal's tests and local runs.
//
// A thin configuration of the `oidc-provider` package (authorization code + PKCE,
// RS256 ID tokens with a `groups` claim, RP-initiated logout) plus its own small
// login page. See README.md in this folder for how to use it.
//
// stdout carries exactly one line, `idp ready http://127.0.0.1:PORT`, once the
// provider accepts requests; everything else (oidc-provider notices, logs) goes
// to stderr.

import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

import Provider from 'oidc-provider';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const HOST = '127.0.0.1';

// oidc-provider prints its NOTICEs with console.info (stdout); keep stdout for the
// ready line only so that a harness can read it without filtering.
console.info = (...args) => console.error(...args);

const log = (...args) => console.error('idp:', ...args);

// ---------------------------------------------------------------- arguments

function usage() {
  return `usage: node server.mjs [--port PORT] [--exit-on-stdin-close]

  --port PORT             port on 127.0.0.1 (default: $IDP_PORT or 5556; 0 = any free port,
                          the chosen one is printed in the ready line)
  --exit-on-stdin-close   exit when standard input reaches end of file
  --tls-cert FILE         serve https with this PEM certificate (chain) ...
  --tls-key FILE          ... and this PEM key; the issuer is then https://127.0.0.1:PORT
                          (kube-apiserver accepts only an https issuer)
`;
}

function parseArgs(argv) {
  const opts = { port: undefined, exitOnStdinClose: false, tlsCert: undefined, tlsKey: undefined };
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    if (arg === '--port') {
      opts.port = argv[i + 1];
      i += 1;
    } else if (arg.startsWith('--port=')) {
      opts.port = arg.slice('--port='.length);
    } else if (arg === '--tls-cert' || arg === '--tls-key') {
      opts[arg === '--tls-cert' ? 'tlsCert' : 'tlsKey'] = argv[i + 1];
      i += 1;
    } else if (arg === '--exit-on-stdin-close') {
      opts.exitOnStdinClose = true;
    } else if (arg === '-h' || arg === '--help') {
      process.stdout.write(usage());
      process.exit(0);
    } else {
      process.stderr.write(`unknown argument: ${arg}\n${usage()}`);
      process.exit(2);
    }
  }
  const raw = opts.port ?? process.env.IDP_PORT ?? '5556';
  const port = Number(raw);
  if (!/^\d+$/.test(String(raw)) || port > 65535) {
    process.stderr.write(`invalid port: ${raw}\n`);
    process.exit(2);
  }
  opts.port = port;
  if (Boolean(opts.tlsCert) !== Boolean(opts.tlsKey)) {
    process.stderr.write('--tls-cert and --tls-key go together\n');
    process.exit(2);
  }
  return opts;
}

const opts = parseArgs(process.argv.slice(2));

// ---------------------------------------------------------------- users

const USERS_FILE = path.resolve(process.env.IDP_USERS || path.join(HERE, 'users.json'));

function readUsers() {
  const parsed = JSON.parse(fs.readFileSync(USERS_FILE, 'utf8'));
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new Error(`${USERS_FILE}: expected an object keyed by username`);
  }
  for (const [name, u] of Object.entries(parsed)) {
    if (typeof u?.password !== 'string') throw new Error(`${USERS_FILE}: user ${name} has no password`);
    if (u.groups !== undefined && !(Array.isArray(u.groups) && u.groups.every((g) => typeof g === 'string'))) {
      throw new Error(`${USERS_FILE}: user ${name}: groups must be an array of strings`);
    }
  }
  return parsed;
}

// Read at start (fail fast on a broken file) and again on every use, so a test may
// edit the file while the provider runs (e.g. move a user to another group).
let lastGoodUsers = readUsers();
function users() {
  try {
    lastGoodUsers = readUsers();
  } catch (err) {
    log(`could not re-read ${USERS_FILE}, keeping the previous users: ${err.message}`);
  }
  return lastGoodUsers;
}

function findUser(username) {
  const all = users();
  return Object.hasOwn(all, username) ? all[username] : undefined;
}

// ---------------------------------------------------------------- clients

const csv = (value, fallback) => (value || fallback)
  .split(',').map((s) => s.trim()).filter(Boolean);

function buildClients() {
  const anyPort = /^(1|true|yes)$/i.test(process.env.IDP_PORTAL_ANY_PORT || '');
  const portal = {
    client_id: 'welkin-portal',
    client_name: 'Welkin Portal',
    client_secret: process.env.IDP_PORTAL_CLIENT_SECRET || 'portal-secret',
    redirect_uris: csv(process.env.IDP_PORTAL_REDIRECT_URIS, 'http://127.0.0.1:3000/auth/callback'),
    post_logout_redirect_uris: csv(process.env.IDP_PORTAL_POST_LOGOUT_URIS, 'http://127.0.0.1:3000/'),
    // The portal re-reads a user's groups with the refresh token (as it does with Dex).
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    // oidc-provider also accepts client_secret_post for a client registered with
    // client_secret_basic (and the other way round).
    token_endpoint_auth_method: 'client_secret_basic',
    // "native" makes oidc-provider accept http loopback redirect URIs on any port
    // (RFC 8252 §7.3), handy when the portal under test listens on a random port.
    application_type: anyPort ? 'native' : 'web',
  };
  const kubectl = {
    client_id: 'kubectl',
    client_name: 'kubectl (kubelogin)',
    application_type: 'native',
    token_endpoint_auth_method: 'none',
    redirect_uris: ['http://localhost:8000', 'http://localhost:18000'],
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
  };
  // As Welkin's Dex registers kubectl's client: `kubelogin`, confidential, with a shared secret.
  const kubelogin = {
    client_id: 'kubelogin',
    client_name: 'kubelogin',
    client_secret: process.env.IDP_KUBELOGIN_CLIENT_SECRET || 'kubelogin-secret',
    application_type: 'native',
    token_endpoint_auth_method: 'client_secret_basic',
    redirect_uris: ['http://localhost:8000', 'http://localhost:18000'],
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
  };
  const clients = [portal, kubectl, kubelogin];
  if (process.env.IDP_CLIENTS_FILE) {
    const extra = JSON.parse(fs.readFileSync(process.env.IDP_CLIENTS_FILE, 'utf8'));
    if (!Array.isArray(extra)) throw new Error('IDP_CLIENTS_FILE must hold a JSON array of client metadata');
    for (const c of extra) {
      const i = clients.findIndex((x) => x.client_id === c.client_id);
      if (i === -1) clients.push(c); else clients[i] = c;
    }
  }
  return clients;
}

// ---------------------------------------------------------------- signing keys

function generateSigningKey() {
  const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = privateKey.export({ format: 'jwk' });
  return { ...jwk, kid: `idp-${crypto.randomBytes(6).toString('hex')}`, alg: 'RS256', use: 'sig' };
}

// Default: a fresh RS256 key per start (nothing secret is committed). With IDP_JWKS
// set, the key set is read from that file, or generated and written there on the
// first start, so that a long-running portal keeps validating tokens across
// provider restarts.
function loadJwks() {
  const file = process.env.IDP_JWKS;
  if (!file) return { keys: [generateSigningKey()] };
  if (fs.existsSync(file)) return JSON.parse(fs.readFileSync(file, 'utf8'));
  const jwks = { keys: [generateSigningKey()] };
  fs.writeFileSync(file, `${JSON.stringify(jwks, null, 2)}\n`, { mode: 0o600 });
  log(`wrote a new signing key to ${file}`);
  return jwks;
}

// ---------------------------------------------------------------- HTML

const esc = (value) => String(value ?? '').replace(/[&<>"']/g, (c) => ({
  '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;',
}[c]));

// No external resources (the default oidc-provider pages import a web font).
const STYLE = `
body{font-family:system-ui,sans-serif;background:#f3f4f6;margin:0;padding:40px 12px;color:#111}
main{max-width:340px;margin:0 auto;background:#fff;border-radius:6px;padding:24px 28px;box-shadow:0 1px 3px rgba(0,0,0,.2)}
h1{font-size:1.4em;margin:0 0 8px}
label{display:block;margin:12px 0 4px;font-size:.9em}
input[type=text],input[type=password]{width:100%;box-sizing:border-box;padding:8px;font-size:1em;border:1px solid #bbb;border-radius:4px}
button,input[type=submit]{width:100%;margin-top:16px;padding:9px;font-size:1em;border-radius:4px;border:1px solid #1d4ed8;background:#2563eb;color:#fff;cursor:pointer}
#cancel{background:#fff;color:#333;border-color:#bbb;margin-top:8px}
.error{color:#b91c1c;background:#fee2e2;padding:8px;border-radius:4px}
.hint{font-size:.8em;color:#666;margin-top:16px}
pre{white-space:pre-wrap;word-break:break-all}`;

function page(title, body, { head = '' } = {}) {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style>${STYLE}</style>
${head}</head>
<body>
<main>
${body}
</main>
</body>
</html>
`;
}

function loginPage({ uid, client, login = '', error }) {
  const clientName = client?.clientName || client?.clientId || 'the application';
  return page('Sign in - test identity provider', `<h1>Sign in</h1>
<p>to <strong id="client-name">${esc(clientName)}</strong></p>
${error ? `<p id="error" class="error" role="alert">${esc(error)}</p>` : ''}
<form id="login-form" method="post" action="/interaction/${esc(uid)}" autocomplete="off">
<label for="login">Username</label>
<input id="login" name="login" type="text" autocomplete="username" autocapitalize="off" spellcheck="false" value="${esc(login)}"${login ? '' : ' autofocus'}>
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password"${login ? ' autofocus' : ''}>
<button id="submit" type="submit">Sign in</button>
</form>
<form id="cancel-form" method="post" action="/interaction/${esc(uid)}/abort">
<input id="cancel" name="cancel" type="submit" value="Cancel">
</form>
<p class="hint">Test identity provider. Users are listed in users.json.</p>`);
}

// ---------------------------------------------------------------- interactions

async function readForm(req, limit = 64 * 1024) {
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > limit) throw Object.assign(new Error('request body too large'), { status: 413 });
    chunks.push(chunk);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

function redirect303(ctx, location) {
  ctx.status = 303;
  ctx.set('Location', location);
  ctx.body = '';
}

function noStore(ctx) {
  ctx.set('Cache-Control', 'no-store');
}

function interactionError(ctx, status, message) {
  ctx.status = status;
  ctx.type = 'html';
  ctx.body = page('Sign-in error - test identity provider', `<h1>Sign-in error</h1>
<p id="error" class="error" role="alert">${esc(message)}</p>
<p class="hint">Start the sign-in again from the application. The sign-in state lives in
cookies of this provider's host: the whole flow has to use the same host name
(127.0.0.1 is not localhost).</p>`);
}

// GET  /interaction/:uid        login form (or automatic consent)
// POST /interaction/:uid        login form submission (same URL, so a wrong password
//                               leaves the browser on the login page's URL)
// POST /interaction/:uid/abort  Cancel: finishes with error=access_denied
const INTERACTION_ROUTE = /^\/interaction\/([A-Za-z0-9_-]+)(\/abort)?\/?$/;

function interactionRoutes(provider) {
  return async function interactions(ctx, next) {
    const m = INTERACTION_ROUTE.exec(ctx.path);
    if (!m) return next();
    const [, uid, abort] = m;
    noStore(ctx);

    let action;
    if (abort && ctx.method === 'POST') action = 'abort';
    else if (!abort && ctx.method === 'POST') action = 'login';
    else if (!abort && ctx.method === 'GET') action = undefined;
    else {
      ctx.set('Allow', abort ? 'POST' : 'GET, POST');
      return interactionError(ctx, 405, 'method not allowed');
    }

    let details;
    try {
      details = await provider.interactionDetails(ctx.req, ctx.res);
    } catch (err) {
      if (err.name === 'SessionNotFound') {
        return interactionError(ctx, 400, 'This sign-in request was not found or has expired.');
      }
      throw err;
    }
    if (details.uid !== uid) {
      return interactionError(ctx, 400, 'This sign-in request does not match the current one.');
    }
    const { prompt, params } = details;
    const client = await provider.Client.find(params.client_id);

    if (action === 'abort') {
      const returnTo = await provider.interactionResult(ctx.req, ctx.res, {
        error: 'access_denied',
        error_description: 'End-User aborted interaction',
      }, { mergeWithLastSubmission: false });
      log(`sign-in cancelled (client ${params.client_id})`);
      return redirect303(ctx, returnTo);
    }

    if (action === 'login') {
      const form = await readForm(ctx.req);
      if (prompt.name !== 'login') {
        return interactionError(ctx, 400, 'This sign-in request does not expect a password.');
      }
      const login = (form.get('login') || '').trim();
      const password = form.get('password') || '';
      const user = login ? findUser(login) : undefined;
      const ok = user !== undefined && crypto.timingSafeEqual(
        crypto.hash('sha256', password, 'buffer'),
        crypto.hash('sha256', user.password, 'buffer'),
      );
      if (!ok) {
        log(`sign-in failed for ${JSON.stringify(login)} (client ${params.client_id})`);
        ctx.type = 'html';
        ctx.status = 200;
        ctx.body = loginPage({ uid, client, login, error: 'Invalid username or password.' });
        return undefined;
      }
      const returnTo = await provider.interactionResult(ctx.req, ctx.res, {
        login: { accountId: login },
      }, { mergeWithLastSubmission: false });
      log(`signed in ${login} (client ${params.client_id})`);
      return redirect303(ctx, returnTo);
    }

    // GET /interaction/:uid
    switch (prompt.name) {
      case 'login':
        ctx.type = 'html';
        ctx.body = loginPage({ uid, client, login: params.login_hint || '' });
        return undefined;
      case 'consent': {
        // Consent is granted automatically: every client here is first-party.
        const { grantId, session, prompt: { details: missing } } = details;
        const grant = grantId
          ? await provider.Grant.find(grantId)
          : new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
        if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
        if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
        if (missing.missingResourceScopes) {
          for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes)) {
            grant.addResourceScope(indicator, scopes.join(' '));
          }
        }
        if (missing.rar) for (const detail of missing.rar) grant.addRar(detail);
        const returnTo = await provider.interactionResult(ctx.req, ctx.res, {
          consent: { grantId: await grant.save() },
        }, { mergeWithLastSubmission: true });
        return redirect303(ctx, returnTo);
      }
      default:
        return interactionError(ctx, 501, `prompt ${prompt.name} is not implemented`);
    }
  };
}

// ---------------------------------------------------------------- provider

function buildConfiguration() {
  const autoLogout = !/^(1|true|yes)$/i.test(process.env.IDP_LOGOUT_PROMPT || '');
  return {
    clients: buildClients(),
    jwks: loadJwks(),
    async findAccount(_ctx, sub) {
      const user = findUser(sub);
      if (!user) return undefined;
      return {
        accountId: sub,
        async claims() {
          // oidc-provider keeps only what the granted scopes/claims allow.
          return {
            sub,
            email: user.email ?? `${sub}@example.com`,
            email_verified: user.email_verified ?? true,
            name: user.name ?? sub,
            preferred_username: sub,
            groups: [...(user.groups ?? [])],
          };
        },
      };
    },
    scopes: ['openid', 'offline_access', 'email', 'profile', 'groups'],
    claims: {
      acr: null,
      auth_time: null,
      iss: null,
      sid: null,
      openid: ['sub'],
      email: ['email', 'email_verified'],
      profile: ['name', 'preferred_username'],
      groups: ['groups'],
    },
    // Dex issues a refresh token whenever `offline_access` is asked for; oidc-provider drops
    // that scope unless the request also says prompt=consent (which would make Dex show its
    // approval screen), so issue one to every client that may use the grant.
    async issueRefreshToken(_ctx, client) {
      return client.grantTypeAllowed('refresh_token');
    },
    // Put the claims of the requested scopes into the ID token too (as Dex does),
    // not only into the userinfo response.
    conformIdTokenClaims: false,
    responseTypes: ['code'],
    pkce: { required: () => true },
    clientDefaults: {
      grant_types: ['authorization_code'],
      response_types: ['code'],
      id_token_signed_response_alg: 'RS256',
      token_endpoint_auth_method: 'client_secret_basic',
    },
    cookies: {
      keys: [crypto.randomBytes(32).toString('base64url')],
      // Cookies ignore ports: the portal on 127.0.0.1:3000 and this provider on
      // 127.0.0.1:5556 share one cookie jar. Distinct names avoid clashes.
      names: {
        session: 'idp_session',
        interaction: 'idp_interaction',
        resume: 'idp_interaction_resume',
      },
    },
    interactions: {
      url: (_ctx, interaction) => `/interaction/${interaction.uid}`,
    },
    features: {
      devInteractions: { enabled: false },
      userinfo: { enabled: true },
      revocation: { enabled: true },
      rpInitiatedLogout: {
        enabled: true,
        async logoutSource(ctx, form) {
          // Sign out at once (with logout=yes) unless IDP_LOGOUT_PROMPT asks for a
          // confirmation page; the form carries oidc-provider's xsrf token.
          const withYes = form.replace('</form>', '<input type="hidden" name="logout" value="yes"/></form>');
          ctx.type = 'html';
          if (autoLogout) {
            ctx.body = page('Signing out - test identity provider', `<h1>Signing out…</h1>
${withYes}
<noscript><button type="submit" form="op.logoutForm">Continue</button></noscript>`, {
              head: '<script>document.addEventListener("DOMContentLoaded",function(){document.forms[0].submit()});</script>\n',
            });
          } else {
            ctx.body = page('Sign out - test identity provider', `<h1>Sign out of ${esc(ctx.host)}?</h1>
${form}
<button id="logout-yes" autofocus type="submit" form="op.logoutForm" value="yes" name="logout">Yes, sign me out</button>
<button id="logout-no" type="submit" form="op.logoutForm">No, stay signed in</button>`);
          }
        },
        async postLogoutSuccessSource(ctx) {
          ctx.type = 'html';
          ctx.body = page('Signed out - test identity provider', '<h1 id="signed-out">Signed out</h1>\n<p>You have been signed out.</p>');
        },
      },
    },
    ttl: {
      AccessToken: 3600,
      AuthorizationCode: 60,
      IdToken: 3600,
      Interaction: 600,
      Grant: 8 * 3600,
      Session: 8 * 3600,
      RefreshToken: 8 * 3600,
    },
    async renderError(ctx, out, error) {
      ctx.type = 'html';
      ctx.body = page('Error - test identity provider', `<h1>Error</h1>
<p id="error" class="error" role="alert"><code id="error-code">${esc(out.error)}</code></p>
${out.error_description ? `<p id="error-description">${esc(out.error_description)}</p>` : ''}
${error?.error_detail ? `<pre id="error-detail">${esc(error.error_detail)}</pre>` : ''}`);
    },
  };
}

function logProviderEvents(provider) {
  const describe = (err) => [err.error || err.name, err.error_description, err.error_detail]
    .filter(Boolean).join(': ');
  provider.on('server_error', (_ctx, err) => log('server error:', err));
  for (const event of [
    'authorization.error', 'grant.error', 'end_session.error', 'userinfo.error',
    'revocation.error', 'jwks.error', 'discovery.error', 'introspection.error',
  ]) {
    provider.on(event, (ctx, err) => log(`${event} ${ctx?.method ?? ''} ${ctx?.path ?? ''}: ${describe(err)}`));
  }
  if (/^(1|true|yes)$/i.test(process.env.IDP_DEBUG || '')) {
    provider.use(async (ctx, next) => {
      const start = Date.now();
      await next();
      log(`${ctx.method} ${ctx.url} -> ${ctx.status} (${Date.now() - start} ms)`);
    });
  }
}

// ---------------------------------------------------------------- start

let handler = (_req, res) => {
  res.statusCode = 503;
  res.end('starting\n');
};
const server = opts.tlsCert
  ? https.createServer(
    { cert: fs.readFileSync(opts.tlsCert), key: fs.readFileSync(opts.tlsKey) },
    (req, res) => handler(req, res),
  )
  : http.createServer((req, res) => handler(req, res));
server.keepAliveTimeout = 5000;

let shuttingDown = false;
function shutdown(reason, code = 0) {
  if (shuttingDown) return;
  shuttingDown = true;
  log(`stopping (${reason})`);
  const timer = setTimeout(() => process.exit(code), 2000);
  timer.unref();
  server.close(() => process.exit(code));
  server.closeAllConnections();
}
process.on('SIGTERM', () => shutdown('SIGTERM'));
process.on('SIGINT', () => shutdown('SIGINT'));
if (opts.exitOnStdinClose) {
  process.stdin.on('end', () => shutdown('stdin closed'));
  process.stdin.on('error', () => shutdown('stdin error'));
  process.stdin.resume();
}

server.on('error', (err) => {
  process.stderr.write(`idp: cannot listen on ${HOST}:${opts.port}: ${err.message}\n`);
  process.exit(1);
});

server.listen(opts.port, HOST, async () => {
  const { port } = server.address();
  const issuer = `${opts.tlsCert ? 'https' : 'http'}://${HOST}:${port}`;
  let provider;
  try {
    const configuration = buildConfiguration();
    provider = new Provider(issuer, configuration);
    // oidc-provider checks static clients lazily, on first use; check them now so
    // that a bad redirect URI fails the start instead of the first login.
    for (const { client_id: id } of configuration.clients) {
      if (!await provider.Client.find(id)) throw new Error(`client ${id} could not be loaded`);
    }
  } catch (err) {
    process.stderr.write(`idp: bad configuration: ${err.error_description || err.message || err}\n`);
    process.exit(1);
  }
  logProviderEvents(provider);
  provider.use(interactionRoutes(provider));
  handler = provider.callback();
  process.stdout.write(`idp ready ${issuer}\n`);
});
