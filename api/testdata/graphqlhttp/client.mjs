// graphql-request, the npm client, against POINTGUARD_URL with the Bearer
// token POINTGUARD_TOKEN: a query, a mutation with variables, a query that
// reads what the mutation wrote, and a refused document, whose error the
// client must surface. Prints one JSON line of what it got;
// api/graphqlhttp_test.go runs it and judges.
import { GraphQLClient, ClientError, gql } from 'graphql-request';

const endpoint = new URL('/graphql', process.env.POINTGUARD_URL).toString();
const client = new GraphQLClient(endpoint, {
  headers: { authorization: `Bearer ${process.env.POINTGUARD_TOKEN}` },
});

const out = {};
out.viewer = await client.request(gql`
  query Viewer {
    viewer {
      name
      role
    }
  }
`);
out.created = await client.request(
  gql`
    mutation Create($input: CreateOrganizationInput!) {
      createOrganization(input: $input) {
        organization {
          slug
          name
        }
        userErrors {
          code
          message
        }
      }
    }
  `,
  { input: { slug: process.env.POINTGUARD_SLUG, name: 'Made by graphql-request' } },
);
out.read = await client.request(
  gql`
    query Read($slug: String!) {
      organization(slug: $slug) {
        slug
        name
      }
    }
  `,
  { slug: process.env.POINTGUARD_SLUG },
);
try {
  await client.request(gql`
    {
      noSuchField
    }
  `);
  out.refused = 'not refused';
} catch (e) {
  if (!(e instanceof ClientError)) throw e;
  out.refused = {
    status: e.response.status,
    codes: (e.response.errors || []).map((err) => err.extensions?.code),
    hasData: 'data' in e.response && e.response.data !== undefined,
  };
}
console.log(JSON.stringify(out));
