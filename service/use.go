package service

import (
	"github.com/pointguard/pointguard/domain"
	"github.com/pointguard/pointguard/store"
)

// UseDecision is the use-time gate's answer.
type UseDecision struct {
	Allowed      bool
	Integration  *domain.Integration
	PointVersion *int
	// Violations are the DENY and WARN ones.
	Violations []domain.Violation
	// EffectiveConfig is the config to use: the point's defaults merged
	// with the integration's own, secrets removed.
	EffectiveConfig map[string]any
}

// Decide judges an integration against its point's current rules, not its
// stored result, so that a rule change takes effect at once. It reads
// nothing: uc comes from one indexed read (store.FindUseContexts), and the
// point's rules are compiled once per version.
func (s *Service) Decide(uc *store.UseContext) (*UseDecision, error) {
	prg, err := s.Program(uc.Point)
	if err != nil {
		return nil, err
	}
	i := uc.Integration
	violations := check(i, uc.Account, uc.Point, prg, uc.Earlier)
	// An integration out of use is refused whatever its rules say; the
	// status comes with the same read.
	if out := outOfUse(i); out != nil {
		violations = append([]domain.Violation{*out}, violations...)
	}
	version := uc.Point.Version
	return &UseDecision{
		Allowed: !domain.Denies(violations), Integration: i, PointVersion: &version, Violations: visible(violations),
		EffectiveConfig: EffectiveConfig(uc.Point, i),
	}, nil
}
