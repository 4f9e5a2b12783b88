#!/usr/bin/env node
// A kubectl exec credential plugin for local runs: logs a test user in at the local identity
// provider the way kubelogin would (authorization code with PKCE to http://localhost:8000,
// the `kubelogin` client and its secret, scopes openid email groups), answering the provider's
// login form with the user's password (the test users' password is their name), and prints
// the ID token as an ExecCredential. `.ci/dev.sh` writes kubeconfigs that run it; on a real
// Welkin cluster kubelogin opens a browser instead.
//
//   node kubectl-login.mjs ISSUER USER [CLIENT_ID] [CLIENT_SECRET]
//
// Trust a private CA with NODE_EXTRA_CA_CERTS (the kubeconfig sets it).

import * as crypto from 'node:crypto';

const [issuer, user, clientId = 'kubelogin', clientSecret = 'kubelogin-secret'] =
  process.argv.slice(2);
if (!issuer || !user) {
  process.stderr.write('usage: kubectl-login.mjs ISSUER USER [CLIENT_ID] [CLIENT_SECRET]\n');
  process.exit(2);
}
const redirect = 'http://localhost:8000';
const b64url = (buffer) => buffer.toString('base64url');
const fail = (message) => {
  process.stderr.write(`kubectl-login: ${message}\n`);
  process.exit(1);
};

// Cookies of the provider's login (one host, so a name → value map is enough).
const cookies = new Map();
async function request(url, options = {}) {
  const headers = { ...(options.headers || {}) };
  if (cookies.size) headers.cookie = [...cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  const response = await fetch(url, { ...options, headers, redirect: 'manual' });
  for (const line of response.headers.getSetCookie()) {
    const [pair] = line.split(';');
    const at = pair.indexOf('=');
    cookies.set(pair.slice(0, at).trim(), pair.slice(at + 1).trim());
  }
  return response;
}

const discovery = await (await fetch(`${issuer}/.well-known/openid-configuration`)).json();
const verifier = b64url(crypto.randomBytes(32));
const challenge = b64url(crypto.createHash('sha256').update(verifier).digest());
const state = b64url(crypto.randomBytes(16));
const authorize = new URL(discovery.authorization_endpoint);
for (const [key, value] of Object.entries({
  response_type: 'code',
  client_id: clientId,
  redirect_uri: redirect,
  scope: 'openid email groups',
  state,
  nonce: b64url(crypto.randomBytes(16)),
  code_challenge: challenge,
  code_challenge_method: 'S256',
})) authorize.searchParams.set(key, value);

let url = authorize.toString();
let code;
for (let step = 0; step < 20 && !code; step += 1) {
  if (url.startsWith(redirect)) {
    const back = new URL(url);
    if (back.searchParams.get('state') !== state) fail('the provider returned another state');
    code = back.searchParams.get('code');
    if (!code) fail(`the provider refused: ${back.searchParams.get('error_description') || url}`);
    break;
  }
  const absolute = new URL(url, issuer).toString();
  let response = await request(absolute);
  if (response.status >= 300 && response.status < 400) {
    url = response.headers.get('location');
    continue;
  }
  response = await request(absolute, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ login: user, password: user }).toString(),
  });
  if (!(response.status >= 300 && response.status < 400)) fail(`the login form refused ${user}`);
  url = response.headers.get('location');
}
if (!code) fail('the provider never sent the browser back');

const tokens = await (await fetch(discovery.token_endpoint, {
  method: 'POST',
  headers: {
    'content-type': 'application/x-www-form-urlencoded',
    authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`,
  },
  body: new URLSearchParams({
    grant_type: 'authorization_code',
    code,
    redirect_uri: redirect,
    code_verifier: verifier,
  }).toString(),
})).json();
if (!tokens.id_token) fail(`no ID token: ${JSON.stringify(tokens)}`);
const claims = JSON.parse(Buffer.from(tokens.id_token.split('.')[1], 'base64url').toString());
process.stdout.write(`${JSON.stringify({
  apiVersion: 'client.authentication.k8s.io/v1',
  kind: 'ExecCredential',
  status: {
    token: tokens.id_token,
    expirationTimestamp: new Date(claims.exp * 1000).toISOString(),
  },
})}\n`);
