package service

import (
	"time"

	"github.com/pointguard/pointguard/domain"
)

// Observer is told what the service did, for metrics (package metrics
// implements it); the default does nothing.
type Observer interface {
	// Rechecked: a re-check judged n integrations again, in took.
	Rechecked(n int, took time.Duration)
	// Checked: the rules judged one integration (written, or checked
	// with checkIntegration) status, in took.
	Checked(status domain.ComplianceStatus, took time.Duration)
}

type noObserver struct{}

func (noObserver) Rechecked(int, time.Duration)                   {}
func (noObserver) Checked(domain.ComplianceStatus, time.Duration) {}

// SetObserver makes o the service's observer (nil: none).
func (s *Service) SetObserver(o Observer) {
	if o == nil {
		o = noObserver{}
	}
	s.observer = o
}

// rechecked tells the observer of a re-check of n integrations begun at start.
func (s *Service) rechecked(start time.Time, n int) { s.observer.Rechecked(n, time.Since(start)) }
