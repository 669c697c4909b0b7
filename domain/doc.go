// Package domain holds Pointguard's words: the types every other package
// speaks (Organization, Account, IntegrationPoint, Integration, Provider,
// Violation), their IDs, and the errors a caller can act on.
//
// gqlgen binds the GraphQL schema to these types directly (autobind), so a
// field added here with a matching name shows up in the API without a
// converter.
package domain
