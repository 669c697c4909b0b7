package service

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"

	"github.com/pointguard/pointguard/auth"
	"github.com/pointguard/pointguard/secrets"
)

// EnsureAdminToken makes configured (POINTGUARD_ADMIN_TOKEN), or else the
// token in file (generated there once, mode 0600, and logged then), the
// platform admin's. A revoked file token (replaced by a configured one
// once) is replaced by a new one; a revoked configured token stops the
// start: revoked tokens never come back. warnUnset logs that the file is
// used, where an operator should configure one.
func (s *Service) EnsureAdminToken(ctx context.Context, configured, file string, warnUnset bool, log *slog.Logger) error {
	if configured != "" {
		if _, err := s.SetBootstrapToken(ctx, configured); err != nil {
			return fmt.Errorf("POINTGUARD_ADMIN_TOKEN: %w", err)
		}
		return nil
	}
	if warnUnset {
		log.Warn("POINTGUARD_ADMIN_TOKEN is unset: the platform admin token is the one in " + file)
	}
	for attempt := 0; ; attempt++ {
		token, created, err := secrets.LoadOrCreateFile(file, auth.NewToken)
		if err != nil {
			return fmt.Errorf("admin token file: %w", err)
		}
		_, err = s.SetBootstrapToken(ctx, token)
		if errors.Is(err, ErrTokenUsed) && attempt == 0 {
			log.Warn("the token in " + file + " was revoked; generating a new one")
			if err := os.Remove(file); err != nil {
				return fmt.Errorf("admin token file: %w", err)
			}
			continue
		}
		if err != nil {
			return fmt.Errorf("admin token (%s): %w", file, err)
		}
		if created {
			log.Info("generated the platform admin token; it is shown this once and kept in "+file, "token", token)
		} else {
			log.Info("the platform admin token is in " + file)
		}
		return nil
	}
}
