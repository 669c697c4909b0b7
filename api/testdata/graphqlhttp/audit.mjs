// Runs graphql-http's server audits (serverAudits) against POINTGUARD_URL
// with the Bearer token POINTGUARD_TOKEN, and prints one JSON line: the
// number of audits, and every one that did not pass with its reason and
// the status it got. api/graphqlhttp_test.go runs it and judges.
import { serverAudits } from 'graphql-http';

const url = process.env.POINTGUARD_URL;
const token = process.env.POINTGUARD_TOKEN;
if (!url || !token) {
  console.error('set POINTGUARD_URL and POINTGUARD_TOKEN');
  process.exit(2);
}

// Every request the audits make carries the token: without one the API
// answers 401 before anything the audits look at.
const fetchFn = (input, init = {}) => {
  const headers = new Headers(init.headers);
  headers.set('authorization', `Bearer ${token}`);
  return fetch(input, { ...init, headers });
};

const audits = serverAudits({ url, fetchFn });
const failed = [];
for (const { fn } of audits) {
  const result = await fn();
  if (result.status === 'ok') continue;
  let body = '';
  try {
    body = await result.response.text();
  } catch {
    body = '(body already read by the audit)';
  }
  failed.push({
    id: result.id,
    name: result.name,
    level: result.status,
    reason: result.reason,
    status: result.response?.status,
    contentType: result.response?.headers.get('content-type'),
    body: body.slice(0, 500),
  });
}
console.log(JSON.stringify({ total: audits.length, failed }));
