#!/usr/bin/env node
// Self-test of the test identity provider, without a browser.
//
//   node selftest.mjs              starts server.mjs on a free port, tests it, stops it
//   node selftest.mjs --url URL    tests an already running provider (default clients/users)
//
// Walks the flows the portal relies on with plain HTTP (fetch + a small cookie jar):
// discovery, authorization code + PKCE (S256) + state + nonce for welkin-portal, the
// login form (wrong password, then the right one), automatic consent, the code
// exchange with the client secret, ID token signature and claims (groups!), userinfo,
// code replay, SSO, RP-initiated logout, Cancel -> access_denied, and the public
// kubectl client. Prints one line per check and ends with "N passed, N failed".

import { spawn } from 'node:child_process';
import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const PORTAL = {
  clientId: 'welkin-portal',
  secret: process.env.IDP_PORTAL_CLIENT_SECRET || 'portal-secret',
  redirectUri: 'http://127.0.0.1:3000/auth/callback',
  postLogoutUri: 'http://127.0.0.1:3000/',
};
const SCOPE = 'openid email profile groups';

// ---------------------------------------------------------------- tiny harness

let passed = 0;
let failed = 0;
async function check(name, fn) {
  try {
    await fn();
    passed += 1;
    console.log(`ok - ${name}`);
  } catch (err) {
    failed += 1;
    console.log(`not ok - ${name}\n  ${String(err?.stack || err).split('\n').join('\n  ')}`);
  }
}

// ---------------------------------------------------------------- HTTP with cookies

class Browser {
  constructor() { this.cookies = new Map(); } // name -> { value, path }

  cookieHeader(url) {
    const { pathname } = new URL(url);
    return [...this.cookies.entries()]
      .filter(([, c]) => pathname === c.path || pathname.startsWith(c.path.endsWith('/') ? c.path : `${c.path}/`))
      .map(([name, c]) => `${name}=${c.value}`).join('; ');
  }

  store(res) {
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(';').map((s) => s.trim());
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq);
      const value = pair.slice(eq + 1);
      let cookiePath = '/';
      let expired = value === '';
      for (const attr of attrs) {
        const [k, v = ''] = attr.split('=');
        if (k.toLowerCase() === 'path') cookiePath = v;
        if (k.toLowerCase() === 'expires' && Date.parse(v) <= Date.now()) expired = true;
        if (k.toLowerCase() === 'max-age' && Number(v) <= 0) expired = true;
      }
      if (expired) this.cookies.delete(name);
      else this.cookies.set(name, { value, path: cookiePath });
    }
  }

  async request(url, { method = 'GET', form, headers = {} } = {}) {
    const h = { ...headers };
    const cookie = this.cookieHeader(url);
    if (cookie) h.cookie = cookie;
    let body;
    if (form) {
      body = new URLSearchParams(form).toString();
      h['content-type'] = 'application/x-www-form-urlencoded';
    }
    const res = await fetch(url, { method, headers: h, body, redirect: 'manual' });
    this.store(res);
    const text = await res.text();
    const location = res.headers.get('location');
    return {
      status: res.status,
      headers: res.headers,
      text,
      location: location ? new URL(location, url).href : undefined,
    };
  }

  // Follows redirects until one leaves the provider (e.g. to the client's
  // redirect URI) or a page is rendered. Returns the last response and, if the
  // chain left the provider, the URL it pointed at.
  async follow(url, issuer, init) {
    let res = await this.request(url, init);
    const trail = [url];
    for (let i = 0; i < 10 && res.location; i += 1) {
      trail.push(res.location);
      if (!res.location.startsWith(`${issuer}/`)) return { res, left: new URL(res.location), trail };
      res = await this.request(res.location);
    }
    return { res, left: undefined, trail, url: trail.at(-1) };
  }
}

// ---------------------------------------------------------------- helpers

const b64url = (buf) => Buffer.from(buf).toString('base64url');
const random = () => b64url(crypto.randomBytes(32));

function pkce() {
  const verifier = random();
  return { verifier, challenge: b64url(crypto.createHash('sha256').update(verifier).digest()) };
}

function authUrl(meta, params) {
  const u = new URL(meta.authorization_endpoint);
  for (const [k, v] of Object.entries(params)) if (v !== undefined) u.searchParams.set(k, v);
  return u.href;
}

function portalAuthParams(p, state, nonce, extra = {}) {
  return {
    response_type: 'code',
    client_id: PORTAL.clientId,
    redirect_uri: PORTAL.redirectUri,
    scope: SCOPE,
    state,
    nonce,
    code_challenge: p.challenge,
    code_challenge_method: 'S256',
    ...extra,
  };
}

function parseLoginForm(html) {
  const form = /<form[^>]*id="login-form"[^>]*action="([^"]+)"/.exec(html);
  const cancel = /<form[^>]*id="cancel-form"[^>]*action="([^"]+)"/.exec(html);
  return {
    action: form?.[1],
    cancelAction: cancel?.[1],
    hasLogin: /<input[^>]*name="login"/.test(html),
    hasPassword: /<input[^>]*name="password"[^>]*type="password"/.test(html),
    submitButtons: (html.match(/<button[^>]*type="submit"/g) || []).length,
    error: /id="error"[^>]*>([^<]*)</.exec(html)?.[1],
  };
}

function decodeJwt(jwt) {
  const [h, p, s] = jwt.split('.');
  return {
    header: JSON.parse(Buffer.from(h, 'base64url')),
    payload: JSON.parse(Buffer.from(p, 'base64url')),
    signingInput: `${h}.${p}`,
    signature: Buffer.from(s, 'base64url'),
  };
}

function verifyRs256(jwt, jwks) {
  const { header, payload, signingInput, signature } = decodeJwt(jwt);
  assert.equal(header.alg, 'RS256');
  const jwk = jwks.keys.find((k) => k.kid === header.kid);
  assert.ok(jwk, `kid ${header.kid} not in JWKS`);
  const key = crypto.createPublicKey({ key: jwk, format: 'jwk' });
  assert.ok(crypto.verify('sha256', Buffer.from(signingInput), key, signature), 'bad signature');
  return payload;
}

async function tokenRequest(meta, form, { basic } = {}) {
  const headers = { 'content-type': 'application/x-www-form-urlencoded' };
  if (basic) {
    const enc = (s) => encodeURIComponent(s);
    headers.authorization = `Basic ${Buffer.from(`${enc(basic[0])}:${enc(basic[1])}`).toString('base64')}`;
  }
  const res = await fetch(meta.token_endpoint, {
    method: 'POST', headers, body: new URLSearchParams(form).toString(),
  });
  return { status: res.status, json: await res.json() };
}

// Logs in through the form and returns the URL the provider sent the browser back to.
async function loginFlow(browser, meta, issuer, url, user, password) {
  const start = await browser.follow(url, issuer);
  assert.equal(start.left, undefined, `expected the login page, was sent to ${start.left}`);
  assert.equal(start.res.status, 200);
  const form = parseLoginForm(start.res.text);
  assert.ok(form.action, 'login form not found');
  const posted = await browser.request(new URL(form.action, issuer).href, {
    method: 'POST', form: { login: user, password },
  });
  assert.equal(posted.status, 303, `login POST gave ${posted.status}`);
  const done = await browser.follow(posted.location, issuer);
  assert.ok(done.left, `flow did not leave the provider; ended at ${done.url} (${done.res.status})`);
  return done.left;
}

// ---------------------------------------------------------------- server

async function startServer(overrides = {}) {
  // The checks below expect the defaults (users.json, default redirect URIs).
  const env = { ...process.env };
  for (const k of ['IDP_PORT', 'IDP_USERS', 'IDP_PORTAL_REDIRECT_URIS', 'IDP_PORTAL_POST_LOGOUT_URIS',
    'IDP_PORTAL_ANY_PORT', 'IDP_CLIENTS_FILE', 'IDP_LOGOUT_PROMPT', 'IDP_JWKS']) delete env[k];
  Object.assign(env, overrides);
  const t0 = process.hrtime.bigint();
  const child = spawn(process.execPath, [path.join(HERE, 'server.mjs'), '--port', '0', '--exit-on-stdin-close'], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env,
  });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  const issuer = await new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`no ready line in 20 s\n${stderr}`)), 20000);
    child.stdout.on('data', (d) => {
      out += d;
      const m = /^idp ready (\S+)$/m.exec(out);
      if (m) { clearTimeout(timer); resolve(m[1]); }
    });
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`server exited ${code}\n${stderr}`)); });
  });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  return { child, issuer, ms, stderr: () => stderr };
}

// ---------------------------------------------------------------- main

const urlArg = process.argv.indexOf('--url');
let server;
let issuer;
if (urlArg !== -1) {
  issuer = process.argv[urlArg + 1].replace(/\/$/, '');
} else {
  server = await startServer();
  issuer = server.issuer;
  console.log(`# started ${issuer} in ${server.ms.toFixed(0)} ms (spawn to ready line)`);
}

let meta;
let jwks;

await check('discovery document at /.well-known/openid-configuration', async () => {
  const res = await fetch(`${issuer}/.well-known/openid-configuration`);
  assert.equal(res.status, 200);
  meta = await res.json();
  assert.equal(meta.issuer, issuer);
  for (const k of ['authorization_endpoint', 'token_endpoint', 'jwks_uri', 'userinfo_endpoint', 'end_session_endpoint']) {
    assert.ok(meta[k]?.startsWith(`${issuer}/`), `${k}: ${meta[k]}`);
  }
  assert.deepEqual(meta.code_challenge_methods_supported, ['S256']);
  for (const s of SCOPE.split(' ')) assert.ok(meta.scopes_supported.includes(s), `scope ${s}`);
  assert.ok(meta.claims_supported.includes('groups'));
  assert.ok(meta.id_token_signing_alg_values_supported.includes('RS256'));
  console.log(`# authorization ${meta.authorization_endpoint}`);
  console.log(`# token         ${meta.token_endpoint}`);
  console.log(`# jwks          ${meta.jwks_uri}`);
  console.log(`# userinfo      ${meta.userinfo_endpoint}`);
  console.log(`# end_session   ${meta.end_session_endpoint}`);
});
if (!meta) {
  console.log(`${passed} passed, ${failed} failed`);
  server?.child.kill('SIGTERM');
  process.exit(1);
}

await check('JWKS holds an RS256 signing key', async () => {
  const res = await fetch(meta.jwks_uri);
  jwks = await res.json();
  assert.ok(jwks.keys.some((k) => k.kty === 'RSA' && k.alg === 'RS256' && k.use === 'sig' && !k.d));
});

// The main flow for alice in one browser.
const alice = new Browser();
const p1 = pkce();
const state1 = random();
const nonce1 = random();
let code1;
let tokens1;
let idClaims;

await check('authorization request redirects to the login page with the form fields', async () => {
  const r = await alice.request(authUrl(meta, portalAuthParams(p1, state1, nonce1)));
  assert.equal(r.status, 303);
  assert.match(new URL(r.location).pathname, /^\/interaction\/[\w-]+$/);
  const page = await alice.request(r.location);
  assert.equal(page.status, 200);
  const f = parseLoginForm(page.text);
  assert.ok(f.hasLogin && f.hasPassword, 'login/password inputs');
  assert.equal(f.submitButtons, 1, 'exactly one button[type=submit]');
  assert.equal(f.action, new URL(r.location).pathname);
  assert.equal(f.cancelAction, `${new URL(r.location).pathname}/abort`);
  alice.loginPage = r.location;
  alice.loginAction = new URL(f.action, issuer).href;
});

await check('wrong password re-renders the login form with an error', async () => {
  const r = await alice.request(alice.loginAction, { method: 'POST', form: { login: 'alice', password: 'wrong' } });
  assert.equal(r.status, 200);
  assert.equal(alice.loginAction, alice.loginPage, 'the form posts to the login page URL itself');
  assert.equal(r.location, undefined);
  const f = parseLoginForm(r.text);
  assert.ok(f.hasLogin && f.hasPassword);
  assert.equal(f.error, 'Invalid username or password.');
  const unknown = await alice.request(alice.loginAction, { method: 'POST', form: { login: 'mallory', password: 'x' } });
  assert.equal(unknown.status, 200);
  assert.equal(parseLoginForm(unknown.text).error, 'Invalid username or password.');
});

await check('right password -> consent granted automatically -> redirect_uri?code&state&iss', async () => {
  const r = await alice.request(alice.loginAction, { method: 'POST', form: { login: 'alice', password: 'alice' } });
  assert.equal(r.status, 303);
  const done = await alice.follow(r.location, issuer);
  assert.ok(done.left, `did not reach the redirect URI: ${done.trail.join(' -> ')}`);
  assert.equal(`${done.left.origin}${done.left.pathname}`, PORTAL.redirectUri);
  assert.equal(done.left.searchParams.get('state'), state1);
  assert.equal(done.left.searchParams.get('iss'), issuer);
  assert.equal(done.left.searchParams.get('error'), null);
  code1 = done.left.searchParams.get('code');
  assert.ok(code1);
  console.log(`# redirect: ${done.left.origin}${done.left.pathname}?code=…&state=…&iss=${encodeURIComponent(issuer)}`);
});

await check('token endpoint: wrong client secret -> 401 invalid_client', async () => {
  const r = await tokenRequest(meta, {
    grant_type: 'authorization_code', code: 'whatever', redirect_uri: PORTAL.redirectUri, code_verifier: p1.verifier,
  }, { basic: [PORTAL.clientId, 'not-the-secret'] });
  assert.equal(r.status, 401);
  assert.equal(r.json.error, 'invalid_client');
});

await check('code exchange with client secret (basic) + code_verifier', async () => {
  const r = await tokenRequest(meta, {
    grant_type: 'authorization_code', code: code1, redirect_uri: PORTAL.redirectUri, code_verifier: p1.verifier,
  }, { basic: [PORTAL.clientId, PORTAL.secret] });
  assert.equal(r.status, 200, JSON.stringify(r.json));
  assert.equal(r.json.token_type, 'Bearer');
  assert.ok(r.json.access_token && r.json.id_token);
  assert.equal(r.json.scope.split(' ').sort().join(' '), SCOPE.split(' ').sort().join(' '));
  tokens1 = r.json;
});

await check('ID token: RS256 signature, iss, aud, nonce, sub=alice, groups=["team-a"], email, name, 1 h lifetime', async () => {
  idClaims = verifyRs256(tokens1.id_token, jwks);
  assert.equal(idClaims.iss, issuer);
  assert.ok(idClaims.aud === PORTAL.clientId || (Array.isArray(idClaims.aud) && idClaims.aud.includes(PORTAL.clientId)));
  assert.equal(idClaims.nonce, nonce1);
  assert.equal(idClaims.sub, 'alice');
  assert.deepEqual(idClaims.groups, ['team-a']);
  assert.equal(idClaims.email, 'alice@example.com');
  assert.equal(idClaims.email_verified, true);
  assert.equal(idClaims.name, 'Alice Andersson');
  assert.equal(idClaims.preferred_username, 'alice');
  assert.equal(idClaims.exp - idClaims.iat, 3600);
  // Exactly these claims (no at_hash, sid, auth_time, azp, acr).
  assert.deepEqual(Object.keys(idClaims).sort(), [
    'aud', 'email', 'email_verified', 'exp', 'groups', 'iat', 'iss', 'name', 'nonce', 'preferred_username', 'sub',
  ]);
  console.log(`# id_token claims: ${Object.keys(idClaims).sort().join(' ')}`);
});

await check('userinfo returns the same claims for the access token', async () => {
  const res = await fetch(meta.userinfo_endpoint, { headers: { authorization: `Bearer ${tokens1.access_token}` } });
  assert.equal(res.status, 200);
  const u = await res.json();
  assert.equal(u.sub, 'alice');
  assert.deepEqual(u.groups, ['team-a']);
  assert.equal(u.email, 'alice@example.com');
});

await check('replayed code -> 400 invalid_grant, and the first access token is revoked', async () => {
  const r = await tokenRequest(meta, {
    grant_type: 'authorization_code', code: code1, redirect_uri: PORTAL.redirectUri, code_verifier: p1.verifier,
  }, { basic: [PORTAL.clientId, PORTAL.secret] });
  assert.equal(r.status, 400);
  assert.equal(r.json.error, 'invalid_grant');
  assert.equal(r.json.error_description, 'grant request is invalid');
  const res = await fetch(meta.userinfo_endpoint, { headers: { authorization: `Bearer ${tokens1.access_token}` } });
  assert.equal(res.status, 401);
});

await check('SSO: a second authorization request in the same browser skips the login form', async () => {
  const p = pkce();
  const state = random();
  const nonce = random();
  const done = await alice.follow(authUrl(meta, portalAuthParams(p, state, nonce)), issuer);
  assert.ok(done.left, 'expected to go straight back to the client');
  assert.equal(done.left.searchParams.get('state'), state);
  const r = await tokenRequest(meta, {
    grant_type: 'authorization_code', code: done.left.searchParams.get('code'), redirect_uri: PORTAL.redirectUri, code_verifier: p.verifier,
  }, { basic: [PORTAL.clientId, PORTAL.secret] });
  assert.equal(r.status, 200);
  const c = verifyRs256(r.json.id_token, jwks);
  assert.equal(c.sub, 'alice');
  assert.equal(c.nonce, nonce);
  alice.idToken = r.json.id_token;
});

await check('prompt=login forces the login form despite the session', async () => {
  const p = pkce();
  const start = await alice.follow(authUrl(meta, portalAuthParams(p, random(), random(), { prompt: 'login' })), issuer);
  assert.equal(start.left, undefined);
  assert.ok(parseLoginForm(start.res.text).hasPassword);
});

await check('RP-initiated logout: end_session -> post_logout_redirect_uri?state, then login form again', async () => {
  const u = new URL(meta.end_session_endpoint);
  u.searchParams.set('id_token_hint', alice.idToken);
  u.searchParams.set('post_logout_redirect_uri', PORTAL.postLogoutUri);
  u.searchParams.set('state', 'bye');
  const page = await alice.request(u.href);
  assert.equal(page.status, 200);
  const action = /<form[^>]*action="([^"]+)"/.exec(page.text)?.[1];
  const xsrf = /name="xsrf" value="([^"]+)"/.exec(page.text)?.[1];
  assert.ok(/name="logout" value="yes"/.test(page.text), 'logout=yes is pre-filled (auto sign-out)');
  const r = await alice.request(new URL(action, issuer).href, { method: 'POST', form: { xsrf, logout: 'yes' } });
  assert.equal(r.status, 303);
  assert.equal(r.location, `${PORTAL.postLogoutUri}?state=bye`);
  const again = await alice.follow(authUrl(meta, portalAuthParams(pkce(), random(), random())), issuer);
  assert.equal(again.left, undefined, 'expected the login form after logout');
  assert.ok(parseLoginForm(again.res.text).hasPassword);
});

await check('Cancel on the login page -> redirect_uri?error=access_denied&state', async () => {
  const b = new Browser();
  const state = random();
  const start = await b.follow(authUrl(meta, portalAuthParams(pkce(), state, random())), issuer);
  const f = parseLoginForm(start.res.text);
  const r = await b.request(new URL(f.cancelAction, issuer).href, { method: 'POST', form: { cancel: 'Cancel' } });
  assert.equal(r.status, 303);
  const done = await b.follow(r.location, issuer);
  assert.ok(done.left);
  assert.equal(`${done.left.origin}${done.left.pathname}`, PORTAL.redirectUri);
  assert.equal(done.left.searchParams.get('error'), 'access_denied');
  assert.equal(done.left.searchParams.get('error_description'), 'End-User aborted interaction');
  assert.equal(done.left.searchParams.get('state'), state);
  assert.equal(done.left.searchParams.get('code'), null);
});

await check('PKCE is enforced: no code_challenge -> redirect with error=invalid_request', async () => {
  const b = new Browser();
  const params = portalAuthParams(pkce(), 's', 'n');
  delete params.code_challenge;
  delete params.code_challenge_method;
  const r = await b.request(authUrl(meta, params));
  assert.equal(r.status, 303);
  const u = new URL(r.location);
  assert.equal(`${u.origin}${u.pathname}`, PORTAL.redirectUri);
  assert.equal(u.searchParams.get('error'), 'invalid_request');
});

await check('PKCE is enforced: wrong code_verifier -> 400 invalid_grant; client_secret_post also works', async () => {
  const b = new Browser();
  const p = pkce();
  const left = await loginFlow(b, meta, issuer, authUrl(meta, portalAuthParams(p, 's', 'n')), 'bob', 'bob');
  const code = left.searchParams.get('code');
  const r = await tokenRequest(meta, {
    grant_type: 'authorization_code', code, redirect_uri: PORTAL.redirectUri, code_verifier: pkce().verifier,
  }, { basic: [PORTAL.clientId, PORTAL.secret] });
  assert.equal(r.status, 400);
  assert.equal(r.json.error, 'invalid_grant');
  // A failed PKCE check does not consume the code; the secret may also go in the body.
  const ok = await tokenRequest(meta, {
    grant_type: 'authorization_code', code, redirect_uri: PORTAL.redirectUri, code_verifier: p.verifier,
    client_id: PORTAL.clientId, client_secret: PORTAL.secret,
  });
  assert.equal(ok.status, 200, JSON.stringify(ok.json));
  assert.deepEqual(verifyRs256(ok.json.id_token, jwks).groups, ['team-b']);
});

await check('unregistered redirect_uri -> 400 error page at the provider (no redirect)', async () => {
  const b = new Browser();
  const r = await b.request(authUrl(meta, portalAuthParams(pkce(), 's', 'n', { redirect_uri: 'http://127.0.0.1:3999/auth/callback' })));
  assert.equal(r.status, 400);
  assert.equal(r.location, undefined);
  assert.match(r.text, /invalid_redirect_uri/);
});

await check('public client kubectl (no secret, PKCE, http://localhost:8000): carol gets groups ["team-a","team-b"]', async () => {
  const b = new Browser();
  const p = pkce();
  const nonce = random();
  const params = {
    response_type: 'code', client_id: 'kubectl', redirect_uri: 'http://localhost:8000', scope: SCOPE,
    state: 'k', nonce, code_challenge: p.challenge, code_challenge_method: 'S256',
  };
  const left = await loginFlow(b, meta, issuer, authUrl(meta, params), 'carol', 'carol');
  assert.equal(left.origin, 'http://localhost:8000');
  const r = await tokenRequest(meta, {
    grant_type: 'authorization_code', client_id: 'kubectl', code: left.searchParams.get('code'), redirect_uri: 'http://localhost:8000', code_verifier: p.verifier,
  });
  assert.equal(r.status, 200, JSON.stringify(r.json));
  const c = verifyRs256(r.json.id_token, jwks);
  assert.equal(c.aud, 'kubectl');
  assert.equal(c.sub, 'carol');
  assert.deepEqual(c.groups, ['team-a', 'team-b']);
  assert.equal(c.nonce, nonce);
});

await check('root logs in with groups ["platform-admins"] (redirect via http://localhost:18000)', async () => {
  const b = new Browser();
  const p = pkce();
  const params = {
    response_type: 'code', client_id: 'kubectl', redirect_uri: 'http://localhost:18000', scope: SCOPE,
    state: 'k', nonce: 'n', code_challenge: p.challenge, code_challenge_method: 'S256',
  };
  const left = await loginFlow(b, meta, issuer, authUrl(meta, params), 'root', 'root');
  const r = await tokenRequest(meta, {
    grant_type: 'authorization_code', client_id: 'kubectl', code: left.searchParams.get('code'), redirect_uri: 'http://localhost:18000', code_verifier: p.verifier,
  });
  assert.equal(r.status, 200);
  assert.deepEqual(verifyRs256(r.json.id_token, jwks).groups, ['platform-admins']);
});

if (server) {
  await check('exits with status 0 when its stdin closes (--exit-on-stdin-close)', async () => {
    const exited = new Promise((resolve) => server.child.on('exit', (code, signal) => resolve({ code, signal })));
    server.child.stdin.end();
    const result = await Promise.race([exited, new Promise((r) => setTimeout(() => r('timeout'), 5000))]);
    assert.deepEqual(result, { code: 0, signal: null });
  });
  if (failed) console.log(`# server stderr:\n${server.stderr().replace(/^/gm, '#   ')}`);
  if (server.child.exitCode === null) server.child.kill('SIGTERM');

  // Options: IDP_PORTAL_ANY_PORT, IDP_JWKS, IDP_USERS (a second and third start).
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'idp-selftest-'));
  const jwksFile = path.join(tmp, 'jwks.json');
  const usersFile = path.join(tmp, 'users.json');
  fs.writeFileSync(usersFile, JSON.stringify({ dave: { password: 'pw', groups: ['team-a'] } }));
  const stop = async (s) => {
    const exited = new Promise((resolve) => s.child.on('exit', resolve));
    s.child.kill('SIGTERM');
    await exited;
  };
  let kid;
  await check('IDP_PORTAL_ANY_PORT=1: portal redirect URIs match on any loopback port; IDP_USERS; IDP_JWKS written', async () => {
    const s = await startServer({ IDP_PORTAL_ANY_PORT: '1', IDP_JWKS: jwksFile, IDP_USERS: usersFile });
    try {
      const m = await (await fetch(`${s.issuer}/.well-known/openid-configuration`)).json();
      const redirectUri = 'http://127.0.0.1:41234/auth/callback';
      const p = pkce();
      const left = await loginFlow(new Browser(), m, s.issuer, authUrl(m, portalAuthParams(p, 's', 'n', { redirect_uri: redirectUri })), 'dave', 'pw');
      assert.equal(`${left.origin}${left.pathname}`, redirectUri);
      const r = await tokenRequest(m, {
        grant_type: 'authorization_code', code: left.searchParams.get('code'), redirect_uri: redirectUri, code_verifier: p.verifier,
      }, { basic: [PORTAL.clientId, PORTAL.secret] });
      assert.equal(r.status, 200);
      const keys = await (await fetch(m.jwks_uri)).json();
      const c = verifyRs256(r.json.id_token, keys);
      assert.equal(c.sub, 'dave');
      assert.deepEqual(c.groups, ['team-a']);
      assert.equal(c.email, 'dave@example.com');
      kid = keys.keys[0].kid;
      assert.equal(JSON.parse(fs.readFileSync(jwksFile, 'utf8')).keys[0].kid, kid);
    } finally {
      await stop(s);
    }
  });
  await check('IDP_JWKS: a restart reuses the signing key from the file', async () => {
    const s = await startServer({ IDP_JWKS: jwksFile });
    try {
      const keys = await (await fetch(`${s.issuer}/jwks`)).json();
      assert.equal(keys.keys[0].kid, kid);
    } finally {
      await stop(s);
    }
  });
  fs.rmSync(tmp, { recursive: true, force: true });
}

console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
