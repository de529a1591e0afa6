'use strict';
// Thin fakes of the Apps Script services SheetBrainAuth.js uses, with real HTTP:
// UrlFetchApp.fetch() blocks (as in Apps Script) and talks to the live test server;
// ScriptApp.getIdentityToken() returns an ID token signed with the test Google key the
// server trusts; CacheService, PropertiesService and LockService keep state in memory.
// The add-on's files run in their own V8 context, as Apps Script runs a project's files
// in one global scope.
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const vm = require('node:vm');
const { SyncHttp } = require('./sync_http');

const ADDON_DIR = path.join(__dirname, '..', '..');
// What UrlFetchApp sends as User-Agent.
const USER_AGENT =
  'Mozilla/5.0 (compatible; Google-Apps-Script; beanserver; +https://script.google.com; id: UAEmdDd-test)';

/** The live server and Google test key, set by tests/addon/test_addon_sign_in.py. */
function testServer() {
  const read = (name) => {
    const value = process.env[name];
    if (!value) {
      throw new Error(`${name} is not set: run these tests through pytest (tests/addon)`);
    }
    return value;
  };
  return {
    apiUrl: read('SHEETBRAIN_TEST_API_URL'),
    googleKey: read('SHEETBRAIN_TEST_GOOGLE_KEY'),
    googleKid: read('SHEETBRAIN_TEST_GOOGLE_KID'),
    clientId: read('SHEETBRAIN_TEST_CLIENT_ID'),
    memberEmail: read('SHEETBRAIN_TEST_MEMBER_EMAIL'),
    strangerEmail: read('SHEETBRAIN_TEST_STRANGER_EMAIL'),
  };
}

function base64url(text) {
  return Buffer.from(text).toString('base64url');
}

/** A Google ID token as ScriptApp.getIdentityToken() returns one, signed RS256. */
function googleIdToken(server, email) {
  const now = Math.floor(Date.now() / 1000);
  const header = { alg: 'RS256', typ: 'JWT', kid: server.googleKid };
  const claims = {
    iss: 'https://accounts.google.com',
    azp: server.clientId,
    aud: server.clientId,
    sub: String(1e15 + (crypto.createHash('sha256').update(email).digest().readUInt32BE(0) % 1e9)),
    email,
    email_verified: true,
    iat: now,
    exp: now + 3600,
  };
  const input = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(claims))}`;
  const signature = crypto.sign('RSA-SHA256', Buffer.from(input), server.googleKey);
  return `${input}.${signature.toString('base64url')}`;
}

class FakeResponse {
  constructor(answer) {
    this.answer = answer;
  }

  getResponseCode() {
    return this.answer.status;
  }

  getContentText() {
    return this.answer.body;
  }

  getHeaders() {
    return this.answer.headers;
  }
}

class FakeUrlFetchApp {
  constructor(http) {
    this.http = http;
    this.log = []; // {method, path, headers, body, status}
    this.rewrite = (request) => request; // a test may alter what reaches the wire
  }

  fetch(url, params = {}) {
    const headers = { 'User-Agent': USER_AGENT, ...(params.headers || {}) };
    if (params.contentType) {
      headers['Content-Type'] = params.contentType;
    }
    if (params.payload !== undefined && typeof params.payload !== 'string') {
      throw new Error('this fake sends string payloads only (JSON.stringify them)');
    }
    const request = this.rewrite({
      url,
      method: (params.method || 'get').toUpperCase(),
      headers,
      body: params.payload,
    });
    const answer = this.http.request(request);
    this.log.push({
      method: request.method,
      path: new URL(url).pathname,
      headers: request.headers,
      body: request.body === undefined ? undefined : JSON.parse(request.body),
      status: answer.status,
    });
    if (!params.muteHttpExceptions && answer.status >= 400) {
      throw new Error(`Request failed for ${url} returned code ${answer.status}`);
    }
    return new FakeResponse(answer);
  }
}

class FakeCache {
  constructor() {
    this.entries = new Map();
    this.lifetimes = new Map(); // key -> seconds asked for by the last put
  }

  get(key) {
    return this.entries.has(key) ? this.entries.get(key) : null;
  }

  put(key, value, seconds) {
    if (!(seconds > 0 && seconds <= 21600)) {
      throw new Error(`CacheService keeps entries 1-21600 s, not ${seconds}`);
    }
    this.entries.set(key, String(value));
    this.lifetimes.set(key, seconds);
  }

  remove(key) {
    this.entries.delete(key);
  }
}

class FakeProperties {
  constructor(values = {}) {
    this.values = new Map(Object.entries(values));
  }

  getProperty(key) {
    return this.values.has(key) ? this.values.get(key) : null;
  }

  setProperty(key, value) {
    this.values.set(key, String(value));
    return this;
  }

  deleteProperty(key) {
    this.values.delete(key);
    return this;
  }
}

class FakeLock {
  constructor() {
    this.events = [];
  }

  waitLock(timeoutMs) {
    this.events.push(`waitLock(${timeoutMs})`);
  }

  releaseLock() {
    this.events.push('releaseLock');
  }
}

let sharedHttp = null;

/**
 * A fresh Apps Script environment for one add-on user, with SheetBrainAuth.js loaded.
 * `email` is the Google account signed in; `openid: false` withholds the identity
 * token (the manifest lacks the scope).
 */
function loadAddon({ email, openid = true, apiUrl } = {}) {
  const server = testServer();
  sharedHttp = sharedHttp || new SyncHttp();
  const identity = { email: email || server.memberEmail, openid, tokensIssued: 0 };
  const urlFetch = new FakeUrlFetchApp(sharedHttp);
  const cache = new FakeCache();
  const userProperties = new FakeProperties();
  const scriptProperties = new FakeProperties(
    apiUrl === null ? {} : { SHEETBRAIN_API_URL: apiUrl || server.apiUrl }
  );
  const lock = new FakeLock();
  const context = vm.createContext({
    ScriptApp: {
      getIdentityToken() {
        if (!identity.openid) {
          return null;
        }
        identity.tokensIssued += 1;
        return googleIdToken(server, identity.email);
      },
    },
    UrlFetchApp: urlFetch,
    CacheService: { getUserCache: () => cache },
    PropertiesService: {
      getUserProperties: () => userProperties,
      getScriptProperties: () => scriptProperties,
    },
    LockService: { getUserLock: () => lock },
    console,
  });
  const file = path.join(ADDON_DIR, 'SheetBrainAuth.js');
  vm.runInContext(fs.readFileSync(file, 'utf8'), context, { filename: file });
  return { addon: context, identity, urlFetch, cache, userProperties, lock, server };
}

function closeHttp() {
  const http = sharedHttp;
  sharedHttp = null;
  return http ? http.close() : undefined;
}

module.exports = { ADDON_DIR, closeHttp, loadAddon, testServer };
