'use strict';
// The manifest asks for exactly what the sign-in and the add-on need.
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { test } = require('node:test');
const { ADDON_DIR } = require('./support/apps_script');

const manifest = JSON.parse(fs.readFileSync(path.join(ADDON_DIR, 'appsscript.json'), 'utf8'));

test('the manifest asks for the scopes the sign-in and the add-on need', () => {
  assert.deepEqual(manifest.oauthScopes, [
    'openid',
    'https://www.googleapis.com/auth/userinfo.email',
    'https://www.googleapis.com/auth/script.external_request',
    'https://www.googleapis.com/auth/spreadsheets.currentonly',
    'https://www.googleapis.com/auth/script.container.ui',
  ]);
});

test('the manifest runs on the V8 runtime', () => {
  assert.equal(manifest.runtimeVersion, 'V8');
});
