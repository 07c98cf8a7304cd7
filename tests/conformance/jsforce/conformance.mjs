// Conformance of the moveforce sandbox with jsforce, a Salesforce client this team did not
// write. Runs against a `moveforce sandbox` already listening on loopback.
//
//   SANDBOX_URL=http://127.0.0.1:7878 node conformance.mjs      (or: node conformance.mjs URL)
//
// Optional: SF_CLIENT_ID, SF_CLIENT_SECRET, SF_USERNAME, SF_PASSWORD (the sandbox defaults
// otherwise), SF_API_VERSION (62.0). Start the sandbox with a small page size
// (`--query-page-size 200`) so paging really happens. For https, set NODE_EXTRA_CA_CERTS to
// the sandbox's --cert-out file.
//
// Prints one line per failed check and a summary; exits 1 on any mismatch.

import { createRequire } from 'node:module';
import jsforce from 'jsforce';

const require = createRequire(import.meta.url);
const JSFORCE_VERSION = require('jsforce/package.json').version;

const BASE = (process.argv[2] || process.env.SANDBOX_URL || '').replace(/\/+$/, '');
if (!/^https?:\/\/(127\.0\.0\.1|localhost|\[::1\])(:\d+)?$/.test(BASE)) {
  console.error('usage: node conformance.mjs http://127.0.0.1:PORT  (or set SANDBOX_URL); loopback only');
  process.exit(2);
}
const CLIENT_ID = process.env.SF_CLIENT_ID || 'moveforce-sandbox';
const CLIENT_SECRET = process.env.SF_CLIENT_SECRET || 'sandbox-secret';
const USERNAME = process.env.SF_USERNAME || 'integration@moveforce.sandbox';
const PASSWORD = process.env.SF_PASSWORD || 'sandbox-password';
const VERSION = process.env.SF_API_VERSION || '62.0';
const COUNT = 450;
const RUN = `js${Date.now().toString(36)}`;

// ------------------------------------------------------------------ bookkeeping

let checks = 0;
const failures = [];

function check(name, ok, detail) {
  checks += 1;
  if (!ok) {
    const text = detail === undefined ? '' : `: ${typeof detail === 'string' ? detail : JSON.stringify(detail)}`;
    failures.push(`${name}${text}`);
    console.log(`MISMATCH ${name}${text}`.slice(0, 2000));
  }
  return ok;
}

function equal(name, actual, expected) {
  return check(name, JSON.stringify(actual) === JSON.stringify(expected), { actual, expected });
}

/** Runs one step; an exception is a mismatch for that step, and the walk goes on. */
async function step(name, fn) {
  try {
    await fn();
  } catch (err) {
    check(`${name} (threw)`, false, `${err && err.name}: ${err && err.message}`);
  }
}

/** The error a call throws (or a marker when it does not throw). */
async function thrown(fn) {
  try {
    const value = await fn();
    return { didNotThrow: true, value };
  } catch (err) {
    return err;
  }
}

/** Records every HTTP request a connection makes (method, path, records in the body). */
function recordRequests(conn) {
  const seen = [];
  const transport = conn._transport;
  const original = transport.httpRequest.bind(transport);
  transport.httpRequest = (req, options) => {
    let records = null;
    try {
      const body = typeof req.body === 'string' ? JSON.parse(req.body) : null;
      if (body && Array.isArray(body.records)) records = body.records.length;
    } catch {
      // not JSON
    }
    const url = new URL(req.url);
    const ids = url.searchParams.get('ids');
    seen.push({
      method: req.method,
      path: url.pathname,
      records: records ?? (ids ? ids.split(',').length : null),
    });
    return original(req, options);
  };
  return seen;
}

async function postForm(path, form) {
  const res = await fetch(`${BASE}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form).toString(),
  });
  const text = await res.text();
  let body = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = text;
  }
  return { status: res.status, body };
}

async function control(path, body) {
  const res = await fetch(`${BASE}/__sandbox/${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body ?? {}),
  });
  return res.status;
}

// ------------------------------------------------------------------ the walk

const started = Date.now();
const expectedFields = {
  ExternalID__c: { type: 'string', length: 255, externalId: true, idLookup: true },
  Department__c: { type: 'string', length: 255, externalId: false },
  Team__c: { type: 'string', length: 255, externalId: false },
  CurrentSeat__c: { type: 'string', length: 255, externalId: false },
  NewSeat__c: { type: 'string', length: 255, externalId: false },
  EmployeeAssets__c: { type: 'textarea', length: 1024, extraTypeInfo: 'plaintextarea', htmlFormatted: false, filterable: false },
  EmployeeNotes__c: { type: 'textarea', length: 1024, extraTypeInfo: 'plaintextarea', htmlFormatted: false, filterable: false },
};

let conn; // OAuth2 username-password login
let cc; // client-credentials token passed in as accessToken + instanceUrl
let ids = [];
const ext = (i) => `${RUN}-${String(i).padStart(4, '0')}`;
const mine = (records) => records.filter((r) => String(r.ExternalID__c || '').startsWith(`${RUN}-`));

await step('login: OAuth2 username-password flow', async () => {
  conn = new jsforce.Connection({
    oauth2: { loginUrl: BASE, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET },
    version: VERSION,
  });
  const user = await conn.login(USERNAME, PASSWORD);
  check('password login: access token', typeof conn.accessToken === 'string' && conn.accessToken.includes('!'), conn.accessToken);
  equal('password login: instance URL is the sandbox', conn.instanceUrl, BASE);
  check('password login: org id from the identity URL', /^00D[0-9A-Za-z]{15}$/.test(user.organizationId), user);
  check('password login: user id from the identity URL', /^005[0-9A-Za-z]{15}$/.test(user.id), user);
  const identity = await conn.identity();
  equal('identity: username', identity.username, USERNAME);
});

await step('login: client-credentials token', async () => {
  const tok = await postForm('/services/oauth2/token', {
    grant_type: 'client_credentials',
    client_id: CLIENT_ID,
    client_secret: CLIENT_SECRET,
  });
  equal('client credentials: status', tok.status, 200);
  equal('client credentials: instance_url', tok.body.instance_url, BASE);
  equal('client credentials: token_type', tok.body.token_type, 'Bearer');
  check('client credentials: issued_at is a 13-digit string', /^\d{13}$/.test(tok.body.issued_at), tok.body.issued_at);
  cc = new jsforce.Connection({ instanceUrl: tok.body.instance_url, accessToken: tok.body.access_token, version: VERSION });
  const limits = await cc.limits();
  check('client credentials: /limits answers', limits.DailyApiRequests && limits.DailyApiRequests.Max > 0, limits);
});

await step('describe Case: the seven fields', async () => {
  const d = await cc.sobject('Case').describe();
  equal('describe: name', d.name, 'Case');
  equal('describe: keyPrefix', d.keyPrefix, '500');
  const byName = Object.fromEntries(d.fields.map((f) => [f.name, f]));
  for (const [name, want] of Object.entries(expectedFields)) {
    const f = byName[name];
    if (!check(`describe: ${name} present`, !!f)) continue;
    check(`describe: ${name} is custom`, f.custom === true, f.custom);
    check(`describe: ${name} is createable and updateable`, f.createable && f.updateable, f);
    for (const [key, value] of Object.entries(want)) {
      equal(`describe: ${name}.${key}`, f[key], value);
    }
  }
  const global = await cc.describeGlobal();
  check('describeGlobal lists Case', global.sobjects.some((s) => s.name === 'Case'), global.sobjects.length);
});

const records = Array.from({ length: COUNT }, (_, i) => ({
  ExternalID__c: ext(i),
  Subject: `Move ${i}`,
  Department__c: 'Finance',
  Team__c: `Team ${i % 7}`,
  CurrentSeat__c: `3F-${i}`,
  NewSeat__c: `4B-${i}`,
  EmployeeAssets__c: 'Laptop; dock',
  EmployeeNotes__c: 'Needs a standing desk',
}));

await step(`upsert ${COUNT} Cases by ExternalID__c (allowRecursive)`, async () => {
  const seen = recordRequests(cc);
  const results = await cc.sobject('Case').upsert(records, 'ExternalID__c', { allowRecursive: true });
  const calls = seen.filter((r) => r.path.endsWith('/composite/sobjects/Case/ExternalID__c'));
  equal('upsert: split into collection calls of 200/200/50', calls.map((c) => `${c.method} ${c.records}`), ['PATCH 200', 'PATCH 200', 'PATCH 50']);
  equal('upsert: one result per record', results.length, COUNT);
  check('upsert: all succeeded', results.every((r) => r.success === true), results.find((r) => !r.success));
  check('upsert: all created', results.every((r) => r.created === true), results.find((r) => r.created !== true));
  check('upsert: 18-char Case ids', results.every((r) => /^500[0-9A-Za-z]{15}$/.test(r.id)), results[0]);
  check('upsert: empty errors arrays', results.every((r) => Array.isArray(r.errors) && r.errors.length === 0));
  ids = results.map((r) => r.id);
  equal('upsert: distinct ids', new Set(ids).size, COUNT);
});

await step('upsert the same Cases again: all updated', async () => {
  const changed = records.map((r) => ({ ...r, NewSeat__c: `${r.NewSeat__c}-b` }));
  const results = await cc.sobject('Case').upsert(changed, 'ExternalID__c', { allowRecursive: true });
  equal('re-upsert: one result per record', results.length, COUNT);
  check('re-upsert: all succeeded', results.every((r) => r.success === true), results.find((r) => !r.success));
  check('re-upsert: none created', results.every((r) => r.created === false), results.find((r) => r.created !== false));
  equal('re-upsert: same ids in the same order', results.map((r) => r.id), ids);
});

await step('upsert 450 without allowRecursive is refused', async () => {
  const err = await thrown(() => cc.sobject('Case').upsert(records, 'ExternalID__c'));
  equal('over 200 records: error code', err.errorCode, 'EXCEEDED_ID_LIMIT');
});

await step('single-record upsert: 201 created, then 200 updated', async () => {
  const one = await conn.sobject('Case').upsert({ ExternalID__c: `${RUN}-single`, Subject: 'one' }, 'ExternalID__c');
  check('single upsert insert: success + created', one.success === true && one.created === true, one);
  const again = await conn.sobject('Case').upsert({ ExternalID__c: `${RUN}-single`, Subject: 'two' }, 'ExternalID__c');
  check('single upsert update: success, not created, same id', again.success === true && again.created === false && again.id === one.id, again);
  const gone = await conn.sobject('Case').destroy(one.id);
  check('single destroy: success', gone.success === true && gone.id === one.id, gone);
});

await step('query back with paging', async () => {
  const seen = recordRequests(conn);
  const soql = 'SELECT Id, ExternalID__c, NewSeat__c FROM Case';
  const first = await conn.query(soql);
  check('query: first page is not the whole result', first.done === false && !!first.nextRecordsUrl, { done: first.done, size: first.records.length });
  check('query: totalSize counts every row', first.totalSize >= COUNT, first.totalSize);
  let all = [...first.records];
  let page = first;
  let pages = 1;
  while (!page.done && pages < 50) {
    page = await conn.queryMore(page.nextRecordsUrl);
    all = all.concat(page.records);
    pages += 1;
  }
  check('queryMore: several pages', pages >= 3, pages);
  equal('queryMore: every row once', all.length, first.totalSize);
  const found = mine(all);
  equal('query: our Cases', found.length, COUNT);
  check('query: updated values', found.every((r) => r.NewSeat__c.endsWith('-b')), found[0]);
  check('query: records carry attributes', found.every((r) => r.attributes && r.attributes.type === 'Case' && r.attributes.url.endsWith(r.Id)), found[0]);

  const auto = await conn.query(soql).autoFetch(true).maxFetch(100000).execute();
  equal('autoFetch: fetched everything', auto.records.length, first.totalSize);
  const locatorCalls = seen.filter((r) => /\/query\/[^/]+$/.test(r.path)).length;
  check('autoFetch: followed nextRecordsUrl', locatorCalls >= 4, locatorCalls);

  const count = await conn.sobject('Case').count();
  check('count(): COUNT() query', count >= COUNT, count);
});

await step('retrieve by Id', async () => {
  const rec = await conn.sobject('Case').retrieve(ids[0]);
  equal('retrieve: Id', rec.Id, ids[0]);
  equal('retrieve: ExternalID__c', rec.ExternalID__c, ext(0));
  equal('retrieve: attributes.type', rec.attributes && rec.attributes.type, 'Case');
  const some = await conn.sobject('Case').retrieve(ids.slice(0, 3));
  equal('retrieve many: three records in order', some.map((r) => r && r.Id), ids.slice(0, 3));
  const missing = await thrown(() => conn.sobject('Case').retrieve('500000000000000AAA'));
  equal('retrieve: unknown id is NOT_FOUND', missing.errorCode, 'NOT_FOUND');
  const byFind = await conn.sobject('Case').find({ ExternalID__c: ext(5) }, ['Id', 'ExternalID__c']);
  equal('find by ExternalID__c', byFind.map((r) => r.Id), [ids[5]]);
});

await step(`destroy the ${COUNT} Cases`, async () => {
  const seen = recordRequests(conn);
  const results = await conn.sobject('Case').destroy(ids, { allowRecursive: true });
  const calls = seen.filter((r) => r.method === 'DELETE' && r.path.endsWith('/composite/sobjects'));
  equal('destroy: collection calls of 200/200/50', calls.map((c) => c.records), [200, 200, 50]);
  equal('destroy: one result per id', results.length, COUNT);
  check('destroy: all succeeded', results.every((r) => r.success === true), results.find((r) => !r.success));
  equal('destroy: ids in order', results.map((r) => r.id), ids);
  const again = await conn.sobject('Case').destroy(ids.slice(0, 2));
  check('destroy again: per-record ENTITY_IS_DELETED', again.every((r) => r.success === false && r.errors[0] && r.errors[0].statusCode === 'ENTITY_IS_DELETED'), again);
  const single = await thrown(() => conn.sobject('Case').destroy(ids[0]));
  equal('destroy one again: ENTITY_IS_DELETED', single.errorCode, 'ENTITY_IS_DELETED');
});

await step('query again: none left', async () => {
  const res = await conn.query('SELECT Id, ExternalID__c FROM Case').autoFetch(true).maxFetch(100000).execute();
  equal('after destroy: none of ours', mine(res.records).length, 0);
  const all = await conn.query('SELECT Id, ExternalID__c, IsDeleted FROM Case').scanAll(true).autoFetch(true).maxFetch(100000).execute();
  const deleted = mine(all.records);
  equal('queryAll: ours are in the recycle bin', deleted.length, COUNT + 1);
  check('queryAll: IsDeleted = true', deleted.every((r) => r.IsDeleted === true), deleted[0]);
});

// ------------------------------------------------------------------ error paths

await step('error: too-long value', async () => {
  const err = await thrown(() => cc.sobject('Case').create({ Subject: 'x', Team__c: 'x'.repeat(256) }));
  equal('too long: errorCode', err.errorCode, 'STRING_TOO_LONG');
  equal('too long: fields', err.data && err.data.fields, ['Team__c']);
  const batch = await cc.sobject('Case').upsert(
    [{ ExternalID__c: `${RUN}-long`, EmployeeNotes__c: 'n'.repeat(1025) }],
    'ExternalID__c',
  );
  check('too long in a collection: per-record STRING_TOO_LONG', batch[0].success === false && batch[0].errors[0].statusCode === 'STRING_TOO_LONG', batch);
});

await step('error: unknown field', async () => {
  const err = await thrown(() => cc.sobject('Case').create({ Subject: 'x', Bogus__c: 'y' }));
  equal('unknown field: errorCode', err.errorCode, 'INVALID_FIELD');
  const q = await thrown(() => cc.query('SELECT Bogus__c FROM Case'));
  equal('unknown field in a query: errorCode', q.errorCode, 'INVALID_FIELD');
});

await step('error: malformed query', async () => {
  const err = await thrown(() => cc.query('SELEC Id FROM Case'));
  equal('malformed query: errorCode', err.errorCode, 'MALFORMED_QUERY');
  check('malformed query: message', typeof err.message === 'string' && err.message.length > 0, err.message);
});

await step('error: wrong password', async () => {
  const bad = new jsforce.Connection({
    oauth2: { loginUrl: BASE, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET },
    version: VERSION,
  });
  const err = await thrown(() => bad.login(USERNAME, `${PASSWORD}-wrong`));
  equal('wrong password: error', err.name, 'invalid_grant');
  equal('wrong password: description', err.message, 'authentication failure');
});

await step('error: request after the token was revoked', async () => {
  // A connection built from a bare token cannot log in again: it must surface the 401.
  const revoke = await postForm('/services/oauth2/revoke', { token: cc.accessToken });
  equal('revoke: status', revoke.status, 200);
  const err = await thrown(() => cc.query('SELECT Id FROM Case'));
  equal('after revoke: errorCode', err.errorCode, 'INVALID_SESSION_ID');

  // conn.logout() revokes through the OAuth2 revoke endpoint.
  const token = conn.accessToken;
  await conn.logout();
  const res = await fetch(`${BASE}/services/data/v${VERSION}/limits`, { headers: { Authorization: `Bearer ${token}` } });
  equal('after logout: the old token gets 401', res.status, 401);
  const body = await res.json();
  equal('after logout: INVALID_SESSION_ID', body[0] && body[0].errorCode, 'INVALID_SESSION_ID');
});

await step('session refresh: a password login survives an expired session', async () => {
  const again = new jsforce.Connection({
    oauth2: { loginUrl: BASE, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET },
    version: VERSION,
  });
  await again.login(USERNAME, PASSWORD);
  const before = again.accessToken;
  let refreshed = false;
  again.on('refresh', () => {
    refreshed = true;
  });
  equal('expire sessions (control API)', await control('sessions/expire'), 204);
  const res = await again.query('SELECT COUNT() FROM Case');
  check('after expiry: jsforce logged in again and retried', refreshed && again.accessToken !== before, { refreshed });
  check('after expiry: the query answered', typeof res.totalSize === 'number', res);
});

await step('faults as jsforce surfaces them', async () => {
  const tok = await postForm('/services/oauth2/token', {
    grant_type: 'client_credentials',
    client_id: CLIENT_ID,
    client_secret: CLIENT_SECRET,
  });
  const c = new jsforce.Connection({ instanceUrl: BASE, accessToken: tok.body.access_token, version: VERSION });
  const injected = async () => (await (await fetch(`${BASE}/__sandbox/stats`)).json()).faultsInjected;
  // jsforce retries GET/DELETE on 5xx and on connection resets (up to 5 times, 0.5 s backoff):
  // a 503 and a dropped connection must look retryable to it.
  let before = await injected();
  equal('force a 503 (control API)', await control('fault', { status: 503, times: 1 }), 204);
  const afterRetry = await thrown(() => c.query('SELECT COUNT() FROM Case'));
  check('503 on a GET: jsforce retried and got the answer', afterRetry.didNotThrow && typeof afterRetry.value.totalSize === 'number', `${afterRetry.name}: ${afterRetry.message}`);
  equal('503 on a GET: the fault fired once', (await injected()) - before, 1);
  before = await injected();
  equal('force a dropped connection', await control('fault', { drop: true, times: 1 }), 204);
  const afterDrop = await thrown(() => c.query('SELECT COUNT() FROM Case'));
  check('dropped connection on a GET: jsforce retried and got the answer', afterDrop.didNotThrow, `${afterDrop.name}: ${afterDrop.message}`);
  equal('dropped connection: the fault fired once', (await injected()) - before, 1);
  // PATCH is not retried: the 503 reaches the caller with Salesforce's error code.
  equal('force a 503 for the next write', await control('fault', { status: 503, times: 1 }), 204);
  const unavailable = await thrown(() => c.sobject('Case').upsert([{ ExternalID__c: `${RUN}-503` }], 'ExternalID__c'));
  equal('503 on a collections upsert: errorCode', unavailable.errorCode, 'SERVER_UNAVAILABLE');
  equal('force a dropped connection on a write', await control('fault', { drop: true, times: 1 }), 204);
  const dropped = await thrown(() => c.sobject('Case').upsert([{ ExternalID__c: `${RUN}-drop` }], 'ExternalID__c'));
  check('dropped connection on a write: a network error, not an HTTP answer', !dropped.didNotThrow && !String(dropped.errorCode || '').startsWith('ERROR_HTTP'), `${dropped.name}: ${dropped.message}`);
  equal('force a row lock', await control('fault', { rowLock: true, times: 1 }), 204);
  const batch = await c.sobject('Case').upsert(
    [0, 1, 2].map((k) => ({ ExternalID__c: `${RUN}-lock-${k}` })),
    'ExternalID__c',
  );
  const locked = batch.filter((r) => !r.success);
  check('row lock: one record fails with UNABLE_TO_LOCK_ROW, the rest succeed',
    locked.length === 1 && locked[0].errors[0].statusCode === 'UNABLE_TO_LOCK_ROW', batch);
  const old = new jsforce.Connection({ instanceUrl: BASE, accessToken: tok.body.access_token, version: '30.0' });
  const gone = await thrown(() => old.query('SELECT Id FROM Case'));
  equal('retired version 30.0: errorCode', gone.errorCode, 'GONE');
});

const seconds = ((Date.now() - started) / 1000).toFixed(1);
const verdict = failures.length === 0 ? 'PASS' : 'FAIL';
console.log(`jsforce ${JSFORCE_VERSION} against ${BASE} (API ${VERSION}): ${verdict} — ${checks} checks, ${failures.length} mismatches, ${seconds} s`);
process.exit(failures.length === 0 ? 0 : 1);
