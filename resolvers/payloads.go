package resolvers

// Payloads: what a mutation returns, made from what the service answered.

import (
	"github.com/pointguard/pointguard/domain"
	"github.com/pointguard/pointguard/graph/model"
	"github.com/pointguard/pointguard/service"
)

// userErrors splits a service error into what goes to the payload's
// userErrors and what is an internal failure.
func userErrors(err error) ([]*domain.UserError, error) {
	if err == nil {
		return []*domain.UserError{}, nil
	}
	ue := domain.AsUserErrors(err)
	if ue == nil {
		return nil, err
	}
	out := make([]*domain.UserError, len(ue))
	for i := range ue {
		out[i] = &ue[i]
	}
	return out, nil
}

func violationList(v []domain.Violation) []*domain.Violation {
	out := make([]*domain.Violation, len(v))
	for i := range v {
		out[i] = &v[i]
	}
	return out
}

func integrationPayload(i *domain.Integration, v service.Verdict, err error) (*model.IntegrationPayload, error) {
	ue, err := userErrors(err)
	if err != nil {
		return nil, err
	}
	if len(ue) == 0 && v.Refusal != nil {
		ue = []*domain.UserError{v.Refusal}
	}
	return &model.IntegrationPayload{Integration: i, Violations: violationList(v.Violations), UserErrors: ue}, nil
}

func deletePayload(id string, err error) (*model.DeletePayload, error) {
	ue, err := userErrors(err)
	if err != nil {
		return nil, err
	}
	p := &model.DeletePayload{UserErrors: ue}
	if id != "" {
		p.DeletedID = &id
	}
	return p, nil
}
