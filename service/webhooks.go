package service

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/99designs/gqlgen/graphql"

	"github.com/pointguard/pointguard/domain"
	"github.com/pointguard/pointguard/policy"
	"github.com/pointguard/pointguard/store"
	"github.com/pointguard/pointguard/webhooks"
)

// SetWebhookPolicy sets what endpoints' URLs may be (loopback for
// development and tests).
func (s *Service) SetWebhookPolicy(p webhooks.Policy) { s.webhookURLs = p }

type CreateWebhookEndpointInput struct {
	OrganizationID string
	AccountID      *string
	URL            string
	EventTypes     []string
	// AccountSelector, when given, narrows the accounts whose events it
	// gets (not with AccountID).
	AccountSelector *domain.AccountSelector
	Description     *string
}

// maxWebhookEndpoints bounds an organization's endpoints.
const maxWebhookEndpoints = 50

func (p *problems) eventTypes(types []string, field ...string) {
	seen := map[string]bool{}
	for n, t := range types {
		at := append(slices.Clone(field), strconv.Itoa(n))
		switch {
		case !slices.Contains(domain.EventTypes, t):
			p.invalid(fmt.Sprintf("%q is not an event type; the types are %v", t, domain.EventTypes), at...)
		case seen[t]:
			p.invalid(fmt.Sprintf("%q is listed twice", t), at...)
		}
		seen[t] = true
	}
}

func (s *Service) webhookURL(ctx context.Context, p *problems, url string, field ...string) {
	if err := s.webhookURLs.CheckURL(ctx, url); err != nil {
		p.invalid("input.url "+err.Error(), field...)
	}
}

// CreateWebhookEndpoint registers an endpoint and returns its secret,
// which is shown this once.
func (s *Service) CreateWebhookEndpoint(ctx context.Context, in CreateWebhookEndpointInput) (*domain.WebhookEndpoint, string, error) {
	var p problems
	p.id(in.OrganizationID, domain.KindOrganization, "input", "organizationId")
	accountID := ""
	if in.AccountID != nil {
		accountID = *in.AccountID
		p.id(accountID, domain.KindAccount, "input", "accountId")
	}
	s.webhookURL(ctx, &p, in.URL, "input", "url")
	p.eventTypes(in.EventTypes, "input", "eventTypes")
	p.endpointSelector(in.AccountSelector, accountID, "input", "accountSelector")
	description := ""
	if in.Description != nil {
		description = *in.Description
		p.prose(description, 500, "input", "description")
	}
	if err := p.err(); err != nil {
		return nil, "", err
	}
	pr, err := principal(ctx)
	if err != nil {
		return nil, "", err
	}
	now := s.Now()
	w := &domain.WebhookEndpoint{ID: domain.NewID(domain.KindWebhookEndpoint), OrganizationID: in.OrganizationID, AccountID: accountID,
		URL: in.URL, Description: description, EventTypes: domain.OrEmpty(in.EventTypes), Enabled: true, CreatedAt: now, UpdatedAt: now}
	secret := webhooks.NewSecret()
	err = s.inTx(ctx, pr, func(tx *store.Tx) error {
		orgs, err := tx.FindOrganizationsByIDs(ctx, []string{in.OrganizationID})
		if err != nil {
			return err
		}
		if len(orgs) == 0 {
			return notFound(domain.ErrNotFound, domain.KindOrganization, in.OrganizationID, "input", "organizationId")
		}
		if accountID != "" {
			a, err := tx.LockAccount(ctx, accountID)
			if err != nil {
				return notFound(err, domain.KindAccount, accountID, "input", "accountId")
			}
			if a.OrganizationID != in.OrganizationID {
				return domain.NewUserError(domain.CodeInvalidInput, "input.accountId names an account of another organization", "input", "accountId")
			}
		}
		field := []string{"input", "organizationId"}
		if accountID != "" {
			field = []string{"input", "accountId"}
		}
		if err := allow(pr, pr.ManageWebhooks(in.OrganizationID, accountID), "manage webhook endpoints here", domain.KindOrganization, in.OrganizationID, field...); err != nil {
			return err
		}
		existing, err := tx.FindWebhookEndpoints(ctx, in.OrganizationID)
		if err != nil {
			return err
		}
		if len(existing) >= maxWebhookEndpoints {
			return domain.NewUserError(domain.CodeInvalidInput, fmt.Sprintf("An organization has at most %d webhook endpoints", maxWebhookEndpoints), "input", "organizationId")
		}
		if err := tx.CreateWebhookEndpoint(ctx, w, secret); err != nil {
			return err
		}
		if in.AccountSelector == nil {
			return nil
		}
		return tx.SetWebhookEndpointSelector(ctx, w.ID, endpointSelector(in.AccountSelector))
	})
	if err != nil {
		return nil, "", err
	}
	return w, secret, nil
}

// endpointSelector checks an endpoint's account selector: an account's
// endpoint gets that account's events only, and a selector beside it
// would select nothing more.
func (p *problems) endpointSelector(s *domain.AccountSelector, accountID string, field ...string) {
	if s == nil {
		return
	}
	if accountID != "" {
		p.invalid("input.accountSelector: an endpoint of one account (accountId) takes no account selector", field...)
		return
	}
	p.selector(s, field...)
}

// endpointSelector is the selector stored (nil: every account), its lists
// never null.
func endpointSelector(s *domain.AccountSelector) *domain.AccountSelector {
	if s == nil {
		return nil
	}
	n := normalizeSelector(s)
	return &n
}

// lockEndpoint reads an endpoint the caller may manage, or NOT_FOUND.
func (s *Service) lockEndpoint(ctx context.Context, tx *store.Tx, pr *policy.Principal, id string, field ...string) (*domain.WebhookEndpoint, error) {
	if len(field) == 0 {
		field = []string{"input", "id"}
	}
	w, err := tx.LockWebhookEndpoint(ctx, id)
	if err != nil {
		if errors.Is(err, domain.ErrNotFound) {
			return nil, domain.NewUserError(domain.CodeNotFound, fmt.Sprintf("No webhook endpoint has the ID %q", id), field...)
		}
		return nil, err
	}
	if err := allow(pr, pr.ManageWebhooks(w.OrganizationID, w.AccountID), "manage webhook endpoints here", domain.KindWebhookEndpoint, id, field...); err != nil {
		return nil, err
	}
	return w, nil
}

// endpointID refuses what is not a webhook endpoint's ID ("whe_" and 32
// hex digits) as NOT_FOUND, naming it.
func (p *problems) endpointID(id string, field ...string) {
	hex, ok := strings.CutPrefix(id, string(domain.KindWebhookEndpoint)+"_")
	ok = ok && len(hex) == 32 && strings.Trim(hex, "0123456789abcdef") == ""
	if !ok {
		p.add(domain.CodeNotFound, fmt.Sprintf("No webhook endpoint has the ID %q", id), field...)
	}
}

// DeleteWebhookEndpoint deletes an endpoint and its delivery log.
func (s *Service) DeleteWebhookEndpoint(ctx context.Context, id string) (string, error) {
	var p problems
	p.endpointID(id, "input", "id")
	if err := p.err(); err != nil {
		return "", err
	}
	pr, err := principal(ctx)
	if err != nil {
		return "", err
	}
	err = s.inTx(ctx, pr, func(tx *store.Tx) error {
		if _, err := s.lockEndpoint(ctx, tx, pr, id); err != nil {
			return err
		}
		return tx.DeleteWebhookEndpoint(ctx, id)
	})
	if err != nil {
		return "", err
	}
	return id, nil
}

// RotateWebhookSecret gives an endpoint a new secret, returned this once;
// the old one signs nothing from now on.
func (s *Service) RotateWebhookSecret(ctx context.Context, id string) (*domain.WebhookEndpoint, string, error) {
	var p problems
	p.endpointID(id, "input", "id")
	if err := p.err(); err != nil {
		return nil, "", err
	}
	pr, err := principal(ctx)
	if err != nil {
		return nil, "", err
	}
	secret := webhooks.NewSecret()
	var w *domain.WebhookEndpoint
	err = s.inTx(ctx, pr, func(tx *store.Tx) error {
		if w, err = s.lockEndpoint(ctx, tx, pr, id); err != nil {
			return err
		}
		w.UpdatedAt = s.Now()
		return tx.SetWebhookSecret(ctx, id, secret, w.UpdatedAt)
	})
	if err != nil {
		return nil, "", err
	}
	return w, secret, nil
}

type WebhookEndpointIDInput struct {
	ID string
}

type RedeliverWebhookEventInput struct {
	WebhookEndpointID string
	EventID           string
}

// RedeliverWebhookEvent sends an event to an endpoint again, as a new
// delivery (the same webhook-id: the event's), and returns the delivery.
func (s *Service) RedeliverWebhookEvent(ctx context.Context, in RedeliverWebhookEventInput) (*domain.WebhookDelivery, error) {
	var p problems
	p.endpointID(in.WebhookEndpointID, "input", "webhookEndpointId")
	if err := p.err(); err != nil {
		return nil, err
	}
	pr, err := principal(ctx)
	if err != nil {
		return nil, err
	}
	var id string
	err = s.inTx(ctx, pr, func(tx *store.Tx) error {
		w, err := s.lockEndpoint(ctx, tx, pr, in.WebhookEndpointID, "input", "webhookEndpointId")
		if err != nil {
			return err
		}
		if id, err = tx.Redeliver(ctx, w, in.EventID); err != nil {
			if errors.Is(err, domain.ErrNotFound) {
				return domain.NewUserError(domain.CodeNotFound, fmt.Sprintf("No event of this endpoint's has the ID %q", in.EventID), "input", "eventId")
			}
			return err
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	now := s.Now()
	return &domain.WebhookDelivery{ID: id, EndpointID: in.WebhookEndpointID, EventID: in.EventID, Status: domain.DeliveryPending,
		CreatedAt: now, UpdatedAt: now}, nil
}

type UpdateWebhookEndpointInput struct {
	ID         string
	URL        *string
	EventTypes []string
	// AccountSelector: null selects every account again; left out, unchanged.
	AccountSelector graphql.Omittable[*domain.AccountSelector]
	Description     *string
	Enabled         *bool
}

// UpdateWebhookEndpoint changes what is given; enabled: true re-enables
// an endpoint disabled for its failures, which start counting again.
func (s *Service) UpdateWebhookEndpoint(ctx context.Context, in UpdateWebhookEndpointInput) (*domain.WebhookEndpoint, error) {
	var p problems
	p.endpointID(in.ID, "input", "id")
	if in.URL != nil {
		s.webhookURL(ctx, &p, *in.URL, "input", "url")
	}
	p.eventTypes(in.EventTypes, "input", "eventTypes")
	if in.Description != nil {
		p.prose(*in.Description, 500, "input", "description")
	}
	selector, setSelector := in.AccountSelector.ValueOK()
	p.endpointSelector(selector, "", "input", "accountSelector")
	if err := p.err(); err != nil {
		return nil, err
	}
	pr, err := principal(ctx)
	if err != nil {
		return nil, err
	}
	var w *domain.WebhookEndpoint
	err = s.inTx(ctx, pr, func(tx *store.Tx) error {
		if w, err = s.lockEndpoint(ctx, tx, pr, in.ID); err != nil {
			return err
		}
		if setSelector {
			var p problems
			if p.endpointSelector(selector, w.AccountID, "input", "accountSelector"); p.err() != nil {
				return p.err()
			}
			if err := tx.SetWebhookEndpointSelector(ctx, w.ID, endpointSelector(selector)); err != nil {
				return err
			}
		}
		if in.URL != nil {
			w.URL = *in.URL
		}
		if in.EventTypes != nil {
			w.EventTypes = in.EventTypes
		}
		if in.Description != nil {
			w.Description = *in.Description
		}
		if in.Enabled != nil && *in.Enabled != w.Enabled {
			w.Enabled = *in.Enabled
			w.FailingSince = nil
			w.DisabledReason = ""
		}
		w.UpdatedAt = s.Now()
		return tx.UpdateWebhookEndpoint(ctx, w)
	})
	if err != nil {
		return nil, err
	}
	return w, nil
}
