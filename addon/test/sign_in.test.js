'use strict';
// SheetBrainAuth.js against a live SheetBrain server in production mode: Google sign-in,
// tokens kept per user, one refresh on 401, and the refusals an add-on user may meet.
// Run through pytest (tests/addon/test_addon_sign_in.py), which starts the server.
const assert = require('node:assert/strict');
const { after, test } = require('node:test');
const { closeHttp, loadAddon, testServer } = require('./support/apps_script');

const ACCESS = 'sheetbrain.accessToken';
const REFRESH = 'sheetbrain.refreshToken';

after(closeHttp);

function calls(urlFetch) {
  return urlFetch.log.map((entry) => `${entry.method} ${entry.path} ${entry.status}`);
}

function me(env) {
  return JSON.parse(env.addon.sheetBrainFetch('/api/auth/me').getContentText());
}

test('getBackendToken exchanges the Google identity token for SheetBrain tokens', () => {
  const env = loadAddon();

  const token = env.addon.getBackendToken();

  assert.deepEqual(calls(env.urlFetch), ['POST /api/auth/token 200']);
  assert.deepEqual(Object.keys(env.urlFetch.log[0].body), ['idToken']);
  assert.equal(env.cache.get(ACCESS), token);
  assert.equal(env.cache.lifetimes.get(ACCESS), 900 - 60);
  assert.match(env.userProperties.getProperty(REFRESH), /^[\w-]{20,}$/);
});

test('the access token signs the user in as the organization member they are', () => {
  const env = loadAddon();

  const body = me(env);

  assert.equal(body.user.email, env.server.memberEmail);
  assert.equal(body.organization.role, 'editor');
});

test('a cached access token is reused without signing in again', () => {
  const env = loadAddon();
  const first = env.addon.getBackendToken();

  const second = env.addon.getBackendToken();

  assert.equal(second, first);
  assert.equal(env.identity.tokensIssued, 1);
  assert.deepEqual(calls(env.urlFetch), ['POST /api/auth/token 200']);
});

test('after the cached token lapses, the refresh token renews it without Google', () => {
  const env = loadAddon();
  env.addon.getBackendToken();
  const firstRefresh = env.userProperties.getProperty(REFRESH);
  env.cache.remove(ACCESS);

  env.addon.getBackendToken();

  assert.deepEqual(calls(env.urlFetch), ['POST /api/auth/token 200', 'POST /api/auth/token 200']);
  assert.deepEqual(env.urlFetch.log[1].body, { refreshToken: firstRefresh });
  assert.equal(env.identity.tokensIssued, 1);
  assert.notEqual(env.userProperties.getProperty(REFRESH), firstRefresh);
});

test('a 401 renews the tokens once and retries the call once', () => {
  const env = loadAddon();
  env.addon.getBackendToken();
  env.cache.put(ACCESS, 'a.token-the-service.no-longer-accepts', 600);

  const body = me(env);

  assert.equal(body.user.email, env.server.memberEmail);
  assert.deepEqual(calls(env.urlFetch), [
    'POST /api/auth/token 200',
    'GET /api/auth/me 401',
    'POST /api/auth/token 200',
    'GET /api/auth/me 200',
  ]);
  assert.deepEqual(Object.keys(env.urlFetch.log[2].body), ['refreshToken']);
});

test('a call still refused after one renewal is answered, not retried again', () => {
  const env = loadAddon();
  env.urlFetch.rewrite = (request) => {
    // A proxy that drops the Authorization header: every API call is 401.
    const headers = { ...request.headers };
    delete headers.Authorization;
    return { ...request, headers };
  };

  const response = env.addon.sheetBrainFetch('/api/auth/me');

  assert.equal(response.getResponseCode(), 401);
  assert.deepEqual(calls(env.urlFetch), [
    'POST /api/auth/token 200',
    'GET /api/auth/me 401',
    'POST /api/auth/token 200',
    'GET /api/auth/me 401',
  ]);
});

test('a refresh token the service refuses leads to a new Google sign-in', () => {
  const env = loadAddon();
  env.userProperties.setProperty(REFRESH, 'a-refresh-token-that-was-revoked');

  env.addon.getBackendToken();

  assert.deepEqual(calls(env.urlFetch), ['POST /api/auth/token 401', 'POST /api/auth/token 200']);
  assert.deepEqual(Object.keys(env.urlFetch.log[1].body), ['idToken']);
  assert.equal(env.identity.tokensIssued, 1);
});

test('tokens are renewed under the user lock, so two executions never spend one refresh token', () => {
  const env = loadAddon();

  env.addon.getBackendToken();

  assert.deepEqual(env.lock.events, ['waitLock(30000)', 'releaseLock']);
});

test('the add-on sends its calls with the token: an audit from the add-on', () => {
  const env = loadAddon();
  const payload = {
    sheetContext: {
      sheetName: 'Budget',
      formulas: [{ cell: 'C5', formula: '=VLOOKUP(A5,Data!A:C,3)', value: 'North' }],
    },
  };

  const response = env.addon.sheetBrainFetch('/api/audit', {
    method: 'post',
    contentType: 'application/json',
    payload: JSON.stringify(payload),
  });

  assert.equal(response.getResponseCode(), 200);
  const [result] = JSON.parse(response.getContentText()).results;
  assert.deepEqual([result.cell, result.compliant], ['C5', false]);
});

test('a Google account in no SheetBrain organization gets a clear message and no tokens', () => {
  const env = loadAddon({ email: testServer().strangerEmail });

  assert.throws(
    () => env.addon.getBackendToken(),
    (error) => {
      assert.match(
        error.message,
        /^This Google account is not a member of any SheetBrain organization\. Ask your organization's SheetBrain admin to invite it \(HTTP 403\): No SheetBrain account uses /
      );
      assert.ok(error.message.includes(env.identity.email));
      return true;
    }
  );
  assert.equal(env.cache.get(ACCESS), null);
  assert.equal(env.userProperties.getProperty(REFRESH), null);
});

test('without the openid scope the message names the scopes to add', () => {
  const env = loadAddon({ openid: false });

  assert.throws(
    () => env.addon.getBackendToken(),
    /add the scopes "openid" and "https:\/\/www\.googleapis\.com\/auth\/userinfo\.email" to appsscript\.json/
  );
  assert.deepEqual(env.urlFetch.log, []);
});

test('without SHEETBRAIN_API_URL the message says where to set it', () => {
  const env = loadAddon({ apiUrl: null });

  assert.throws(() => env.addon.getBackendToken(), /Set the script property SHEETBRAIN_API_URL/);
});

test('signing out revokes the sign-in on the service and forgets the tokens', () => {
  const env = loadAddon();
  env.addon.getBackendToken();
  const refreshToken = env.userProperties.getProperty(REFRESH);

  env.addon.signOutOfSheetBrain();
  const replay = env.urlFetch.fetch(`${env.server.apiUrl}/api/auth/token`, {
    method: 'post',
    contentType: 'application/json',
    payload: JSON.stringify({ refreshToken }),
    muteHttpExceptions: true,
  });

  assert.deepEqual(calls(env.urlFetch).slice(1), ['POST /api/auth/logout 200', 'POST /api/auth/token 401']);
  assert.equal(replay.getResponseCode(), 401);
  assert.equal(env.cache.get(ACCESS), null);
  assert.equal(env.userProperties.getProperty(REFRESH), null);
});
