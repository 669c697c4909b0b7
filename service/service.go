// Package service is where every mutation happens: it validates the input,
// then in one transaction loads what the change depends on, asks the rule
// checker (package rules) and writes. A refused change writes nothing.
//
// Errors: domain.UserErrors for anything the caller can fix; any other
// error is internal.
//
// One file per aggregate (organizations.go, accounts.go,
// integration_points.go, integrations.go, tokens.go), each with its
// create, update and delete; access.go decides who may, audit.go records
// what changed, validate.go checks inputs, recheck.go re-judges
// integrations when their rules or their account change, use.go is the
// use-time gate.
package service

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"

	"github.com/pointguard/pointguard/domain"
	"github.com/pointguard/pointguard/policy"
	"github.com/pointguard/pointguard/rules"
	"github.com/pointguard/pointguard/store"
	"github.com/pointguard/pointguard/webhooks"
)

// Service runs the mutations against a store.
type Service struct {
	store *store.Store
	// clock is the time source (SetClock); now reads it.
	clock func() time.Time
	// programs caches compiled custom rules by their text (ruleText).
	// Not by point and version: a version written in a transaction that
	// then rolled back (an Atomically that did not commit, or ran again
	// after a deadlock) may be cached from inside it, and the next version
	// of that number, other rules, would find its program.
	programs *lru.Cache[[sha256.Size]byte, *rules.Program]
	// webhookURLs checks endpoints' URLs (SetWebhookPolicy).
	webhookURLs webhooks.Policy
	// observer counts the re-checks (SetObserver).
	observer Observer
}

// ruleText is what a program is compiled from, every field length-prefixed
// so that no two lists of rules share it.
func ruleText(list []domain.Rule) [sha256.Size]byte {
	h := sha256.New()
	var n [8]byte
	field := func(s string) {
		binary.LittleEndian.PutUint64(n[:], uint64(len(s)))
		h.Write(n[:])
		io.WriteString(h, s)
	}
	for _, r := range list {
		field(r.Name)
		field(r.Expression)
		field(r.Message)
		field(strconv.FormatBool(r.MessageExpression))
		field(string(r.Enforcement))
	}
	var sum [sha256.Size]byte
	h.Sum(sum[:0])
	return sum
}

// New returns a service writing to s.
func New(s *store.Store) *Service {
	programs, _ := lru.New[[sha256.Size]byte, *rules.Program](4096)
	return &Service{store: s, programs: programs, clock: time.Now, observer: noObserver{}}
}

// SetClock makes clock the service's time source: what tokens expire by,
// what the audit log and compliance results are stamped with. Tests move
// it instead of sleeping.
func (s *Service) SetClock(clock func() time.Time) { s.clock = clock }

// Now is the service's time, in microseconds: what PostgreSQL keeps, so a
// value reads back as written.
func (s *Service) Now() time.Time { return s.clock().UTC().Truncate(time.Microsecond) }

// Program returns the point's compiled custom rules, compiling the same
// rules at most once, whether their version is committed or not.
func (s *Service) Program(p *domain.IntegrationPoint) (*rules.Program, error) {
	key := ruleText(p.Rules)
	if prg, ok := s.programs.Get(key); ok {
		return prg, nil
	}
	prg, errs := rules.Compile(p.Rules)
	if len(errs) > 0 {
		// Rules are compiled before they are saved, so a stored rule that
		// does not compile is a broken invariant.
		return nil, fmt.Errorf("point %s version %d: stored rule does not compile: %s", p.ID, p.Version, errs[0].Message)
	}
	s.programs.Add(key, prg)
	return prg, nil
}

// notFound turns the store's ErrNotFound into a user error on field; other
// errors pass through.
func notFound(err error, kind domain.Kind, id string, field ...string) error {
	if errors.Is(err, domain.ErrNotFound) {
		return domain.NewUserError(domain.CodeNotFound, fmt.Sprintf("No %s has the ID %q", kind.Name(), id), field...)
	}
	return err
}

func slugTaken(err error, slug, parent string, field ...string) error {
	if errors.Is(err, domain.ErrSlugTaken) {
		return domain.NewUserError(domain.CodeSlugTaken, fmt.Sprintf("The slug %q is already used%s", slug, parent), field...)
	}
	return err
}

func deleteTarget[T any](s *Service, ctx context.Context, id string, kind domain.Kind, what string,
	find func(*store.Tx) (T, error), decide func(*policy.Principal, T) (policy.Decision, string), del func(*store.Tx) error) (string, error) {
	var p problems
	p.id(id, kind, "input", "id")
	if err := p.err(); err != nil {
		return "", err
	}
	pr, err := principal(ctx)
	if err != nil {
		return "", err
	}
	err = s.inTx(ctx, pr, func(tx *store.Tx) error {
		target, err := find(tx)
		if err != nil {
			return notFound(err, kind, id, "input", "id")
		}
		decision, organizationID := decide(pr, target)
		if err := allow(pr, decision, what, kind, id, "input", "id"); err != nil {
			return err
		}
		if err := s.audit(ctx, tx, pr, "delete"+typeNames[kind], organizationID, kind, id, target, nil); err != nil {
			return err
		}
		err = del(tx)
		if errors.Is(err, domain.ErrHasIntegrations) {
			return domain.NewUserError(domain.CodeHasIntegrations,
				fmt.Sprintf("The %s %s still has integrations; delete them first", kind.Name(), id), "input", "id")
		}
		return notFound(err, kind, id, "input", "id")
	})
	if err != nil {
		return "", err
	}
	return id, nil
}
