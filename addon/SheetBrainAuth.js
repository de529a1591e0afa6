/**
 * SheetBrain sign-in for the Google Sheets add-on (Apps Script, V8 runtime).
 *
 * Replaces the add-on's getBackendToken(), which called /api/auth/debug-login: that
 * endpoint exists only on a developer's machine (local mode), so a deployed service
 * refuses it. Here the add-on proves who its user is with ScriptApp.getIdentityToken()
 * (an OpenID Connect ID token Google signs for the script's OAuth client; it needs the
 * `openid` and `userinfo.email` scopes) and exchanges it at POST /api/auth/token for
 * SheetBrain tokens:
 *   - the access token (15 minutes) is kept in the user's cache (CacheService),
 *   - the refresh token (7 days, replaced on every use) in the user's properties
 *     (PropertiesService); neither is visible to other users of the add-on.
 * sheetBrainFetch() sends a call with the access token and, when the service answers
 * 401, renews the tokens once and retries once.
 *
 * Setup: script property SHEETBRAIN_API_URL = the service's base URL (no secret lives
 * in the script). Plain ES2019: no optional chaining, no nullish coalescing.
 */

var SHEETBRAIN_ACCESS_TOKEN_KEY = 'sheetbrain.accessToken';
var SHEETBRAIN_REFRESH_TOKEN_KEY = 'sheetbrain.refreshToken';
// Renew a little before the service's expiry, so a token never dies in flight.
var SHEETBRAIN_EXPIRY_MARGIN_SECONDS = 60;
// CacheService keeps an entry at most 6 hours.
var SHEETBRAIN_CACHE_MAX_SECONDS = 21600;
var SHEETBRAIN_LOCK_WAIT_MS = 30000;

/**
 * A valid SheetBrain access token for the current user: the cached one, else a renewed
 * one (refresh token first, Google sign-in when that is refused). Drop-in replacement
 * for the add-on's getBackendToken(); send it as `Authorization: Bearer <token>`.
 */
function getBackendToken() {
  var cached = CacheService.getUserCache().get(SHEETBRAIN_ACCESS_TOKEN_KEY);
  if (cached) {
    return cached;
  }
  return sheetBrainRenewTokens_(null);
}

/**
 * UrlFetchApp.fetch() to the SheetBrain service with the user's access token: `path`
 * is appended to SHEETBRAIN_API_URL, `options` are UrlFetchApp's (method, payload,
 * contentType, headers...). A 401 renews the tokens once and retries once; any other
 * answer (errors included) is returned as it is.
 */
function sheetBrainFetch(path, options) {
  var sentToken = getBackendToken();
  var response = sheetBrainSend_(path, options, sentToken);
  if (response.getResponseCode() !== 401) {
    return response;
  }
  return sheetBrainSend_(path, options, sheetBrainRenewTokens_(sentToken));
}

/** Ends the user's SheetBrain sign-in on the service and forgets its tokens. */
function signOutOfSheetBrain() {
  var properties = PropertiesService.getUserProperties();
  var refreshToken = properties.getProperty(SHEETBRAIN_REFRESH_TOKEN_KEY);
  CacheService.getUserCache().remove(SHEETBRAIN_ACCESS_TOKEN_KEY);
  properties.deleteProperty(SHEETBRAIN_REFRESH_TOKEN_KEY);
  if (refreshToken) {
    sheetBrainPostToken_('/api/auth/logout', { refreshToken: refreshToken });
  }
}

/**
 * New tokens, under the user's lock: two executions refreshing at once would present
 * the same refresh token twice, which the service treats as theft and revokes the
 * sign-in. `staleToken` is the access token the service just refused, if any.
 */
function sheetBrainRenewTokens_(staleToken) {
  var lock = LockService.getUserLock();
  lock.waitLock(SHEETBRAIN_LOCK_WAIT_MS);
  try {
    var cache = CacheService.getUserCache();
    var cached = cache.get(SHEETBRAIN_ACCESS_TOKEN_KEY);
    if (cached && cached !== staleToken) {
      return cached; // another execution renewed it while we waited
    }
    cache.remove(SHEETBRAIN_ACCESS_TOKEN_KEY);
    var refreshToken = PropertiesService.getUserProperties().getProperty(SHEETBRAIN_REFRESH_TOKEN_KEY);
    if (refreshToken) {
      var refreshed = sheetBrainPostToken_('/api/auth/token', { refreshToken: refreshToken });
      if (refreshed.getResponseCode() === 200) {
        return sheetBrainKeepTokens_(refreshed);
      }
      if (refreshed.getResponseCode() !== 401) {
        throw sheetBrainError_(refreshed, 'SheetBrain could not renew your sign-in');
      }
      // Expired, revoked or already used: sign in again with the Google identity.
    }
    return sheetBrainSignIn_();
  } finally {
    lock.releaseLock();
  }
}

/** Exchanges the user's Google identity token for SheetBrain tokens. */
function sheetBrainSignIn_() {
  var idToken = ScriptApp.getIdentityToken();
  if (!idToken) {
    throw new Error(
      'SheetBrain sign-in needs your Google identity: add the scopes "openid" and ' +
        '"https://www.googleapis.com/auth/userinfo.email" to appsscript.json, then ' +
        'open the add-on again.'
    );
  }
  var response = sheetBrainPostToken_('/api/auth/token', { idToken: idToken });
  var status = response.getResponseCode();
  if (status === 200) {
    return sheetBrainKeepTokens_(response);
  }
  PropertiesService.getUserProperties().deleteProperty(SHEETBRAIN_REFRESH_TOKEN_KEY);
  if (status === 403) {
    throw sheetBrainError_(
      response,
      'This Google account is not a member of any SheetBrain organization. Ask your ' +
        "organization's SheetBrain admin to invite it"
    );
  }
  throw sheetBrainError_(response, 'SheetBrain sign-in failed');
}

/** Stores a /api/auth/token answer's tokens and returns the access token. */
function sheetBrainKeepTokens_(response) {
  var body = JSON.parse(response.getContentText());
  var lifetime = Math.min(
    Number(body.expiresIn) - SHEETBRAIN_EXPIRY_MARGIN_SECONDS,
    SHEETBRAIN_CACHE_MAX_SECONDS
  );
  if (lifetime > 0) {
    CacheService.getUserCache().put(SHEETBRAIN_ACCESS_TOKEN_KEY, body.accessToken, lifetime);
  }
  PropertiesService.getUserProperties().setProperty(SHEETBRAIN_REFRESH_TOKEN_KEY, body.refreshToken);
  return body.accessToken;
}

function sheetBrainPostToken_(path, body) {
  return UrlFetchApp.fetch(sheetBrainUrl_(path), {
    method: 'post',
    contentType: 'application/json',
    payload: JSON.stringify(body),
    muteHttpExceptions: true,
  });
}

function sheetBrainSend_(path, options, accessToken) {
  var params = {};
  var given = options || {};
  Object.keys(given).forEach(function (key) {
    params[key] = given[key];
  });
  var headers = {};
  Object.keys(given.headers || {}).forEach(function (key) {
    headers[key] = given.headers[key];
  });
  headers.Authorization = 'Bearer ' + accessToken;
  params.headers = headers;
  params.muteHttpExceptions = true;
  return UrlFetchApp.fetch(sheetBrainUrl_(path), params);
}

function sheetBrainUrl_(path) {
  var base = PropertiesService.getScriptProperties().getProperty('SHEETBRAIN_API_URL');
  if (!base) {
    throw new Error(
      'Set the script property SHEETBRAIN_API_URL to the SheetBrain service URL ' +
        '(Project Settings > Script properties).'
    );
  }
  return base.replace(/\/+$/, '') + path;
}

/** An Error with `message` and the service's own explanation (its `error` field). */
function sheetBrainError_(response, message) {
  var detail = '';
  try {
    detail = JSON.parse(response.getContentText()).error || '';
  } catch (ignored) {
    detail = '';
  }
  return new Error(message + ' (HTTP ' + response.getResponseCode() + ')' + (detail ? ': ' + detail : '.'));
}
