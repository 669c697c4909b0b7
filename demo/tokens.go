package demo

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/pointguard/pointguard/auth"
	"github.com/pointguard/pointguard/service"
	"github.com/pointguard/pointguard/store"
)

// Start loads the demo organization when when says so, and shows its
// tokens in the log: those just made or, when tokensFile is set (the
// embedded default keeps them there, mode 0600), those the file kept from
// an earlier start that still authenticate (someone may have revoked them
// since). It answers the tokens it showed, nil if none.
func Start(ctx context.Context, st *store.Store, svc *service.Service, when When, tokensFile string, log *slog.Logger) (*Tokens, error) {
	var keep func(*Tokens) error
	if tokensFile != "" {
		keep = func(tokens *Tokens) error {
			content := "ORG_ADMIN " + tokens.OrgAdmin + "\nACCOUNT_ADMIN " + tokens.AccountAdmin + "\n"
			if err := os.WriteFile(tokensFile, []byte(content), 0o600); err != nil {
				return fmt.Errorf("demo tokens file: %w", err)
			}
			return nil
		}
	}
	tokens, err := Load(ctx, st, svc, when, keep)
	if err != nil {
		return nil, err
	}
	if tokens != nil {
		log.Info("loaded the demo organization", "slug", OrganizationSlug)
	}
	if tokens == nil && tokensFile != "" {
		if b, err := os.ReadFile(tokensFile); err == nil {
			tokens = &Tokens{}
			fmt.Sscanf(string(b), "ORG_ADMIN %s\nACCOUNT_ADMIN %s", &tokens.OrgAdmin, &tokens.AccountAdmin)
			if !live(ctx, st, tokens.OrgAdmin) || !live(ctx, st, tokens.AccountAdmin) {
				log.Info("the demo tokens in " + tokensFile + " were revoked or have expired")
				tokens = nil
			}
		}
	}
	if tokens != nil {
		log.Info("demo tokens: in GraphiQL, open Headers and paste {\"Authorization\": \"Bearer <token>\"}",
			"org_admin", tokens.OrgAdmin, "account_admin", tokens.AccountAdmin)
	}
	return tokens, nil
}

// live is true when token authenticates now.
func live(ctx context.Context, st *store.Store, token string) bool {
	t, _, err := auth.Lookup(ctx, st, token, time.Now())
	return err == nil && t != nil
}
