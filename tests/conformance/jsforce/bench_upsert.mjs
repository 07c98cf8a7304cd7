// Benchmark reference: the same push made with jsforce's upsert (sObject Collections, 200 a
// request, one request at a time), as an operator might script it. Prints one JSON line.
//   SF_URL=http://127.0.0.1:PORT SF_CLIENT_ID=.. SF_CLIENT_SECRET=.. SF_USERNAME=.. SF_PASSWORD=.. N=10000 node bench_upsert.mjs
import jsforce from 'jsforce';

const url = process.env.SF_URL;
const n = Number(process.env.N || '10000');
const conn = new jsforce.Connection({
  oauth2: {
    loginUrl: url,
    clientId: process.env.SF_CLIENT_ID,
    clientSecret: process.env.SF_CLIENT_SECRET,
  },
  version: '62.0',
});
const records = [];
for (let i = 0; i < n; i++) {
  records.push({
    ExternalID__c: `mv-${String(i).padStart(7, '0')}`,
    Subject: `Seat move: Person ${i} — SFO-HQ · 03 · 3.${i % 10000} → SFO-ANX · 02 · 2/B-${i % 10000}`,
    Description: 'Move after 4pm; on call until then. Keep the desk plant and the footrest with them.',
    Department__c: 'Engineering',
    Team__c: `Team ${i % 37}`,
    CurrentSeat__c: `SFO-HQ · 03 · 3.${i % 10000}`,
    NewSeat__c: `SFO-ANX · 02 · 2/B-${i % 10000}`,
    EmployeeAssets__c: 'Dual 27" monitors\nStanding desk (electric)\nUSB-C docking station',
    EmployeeNotes__c: 'Move after 4pm; on call until then.',
  });
}
const started = performance.now();
await conn.login(process.env.SF_USERNAME, process.env.SF_PASSWORD);
const results = await conn.sobject('Case').upsert(records, 'ExternalID__c', { allowRecursive: true });
const ms = performance.now() - started;
const failed = results.filter((r) => !r.success).length;
console.log(JSON.stringify({ ms, records: n, failed }));
