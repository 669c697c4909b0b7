// Subscribes to complianceChanged with the graphql-ws client (the
// graphql-transport-ws protocol) and prints one JSON line per happening:
// {"connected":true}, {"next": <payload>}, {"error": ...}, {"closed": {code, reason}}.
// It exits after POINTGUARD_COUNT events, or once the socket is closed.
// Environment: POINTGUARD_URL (ws://…/graphql), POINTGUARD_TOKEN, POINTGUARD_ORG,
// POINTGUARD_AFTER (optional), POINTGUARD_COUNT.
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';

const print = (o) => process.stdout.write(JSON.stringify(o) + '\n');
const count = Number(process.env.POINTGUARD_COUNT || '1');

const client = createClient({
  url: process.env.POINTGUARD_URL,
  webSocketImpl: WebSocket,
  connectionParams: { authorization: `Bearer ${process.env.POINTGUARD_TOKEN}` },
  retryAttempts: 0,
  lazy: false,
  on: {
    connected: () => print({ connected: true }),
    closed: (e) => print({ closed: { code: e.code, reason: e.reason } }),
  },
});

const variables = { org: process.env.POINTGUARD_ORG };
if (process.env.POINTGUARD_AFTER) variables.after = process.env.POINTGUARD_AFTER;
const query = `subscription($org: ID!, $after: ID) {
  complianceChanged(organizationId: $org, after: $after) {
    event { id type sequence accountId data }
    integration { id name compliance { status } }
  }
}`;

let seen = 0;
const done = (code) => { client.dispose(); setTimeout(() => process.exit(code), 100); };
client.subscribe({ query, variables }, {
  next: (payload) => {
    print({ next: payload });
    if (++seen >= count) done(0);
  },
  error: (err) => {
    print({ error: err instanceof Error ? err.message : err });
    done(0);
  },
  complete: () => done(0),
});
