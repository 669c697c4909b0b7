package resolvers

import (
	"context"
	"errors"
	"fmt"

	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/pointguard/pointguard/apierror"
	"github.com/pointguard/pointguard/domain"
	"github.com/pointguard/pointguard/eventstream"
	"github.com/pointguard/pointguard/graph/model"
	"github.com/pointguard/pointguard/policy"
)

// complianceFilter is what complianceChanged's arguments select, read as
// the token may: an organization it may not see is refused as one that
// does not exist, as a mutation naming it is; so is an after event of
// another organization, or of an account the token may not see.
func (r *subscriptionResolver) complianceFilter(ctx context.Context, pr *policy.Principal, organizationID string,
	filter *model.ComplianceChangedFilter, after *string) (eventstream.Filter, error) {
	f := eventstream.Filter{Scope: pr.Scope(), OrganizationID: organizationID, Type: domain.EventIntegrationComplianceChanged}
	read := r.reader(ctx)
	orgs, err := read.FindOrganizationsByIDs(ctx, []string{organizationID})
	if err != nil {
		return f, err
	}
	if len(orgs) == 0 {
		return f, &domain.InputError{Message: fmt.Sprintf("No organization has the ID %q (organizationId)", organizationID)}
	}
	if filter != nil {
		if filter.AccountID != nil {
			f.AccountID = *filter.AccountID
		}
		var point, status string
		if filter.IntegrationPointID != nil {
			point = *filter.IntegrationPointID
		}
		if filter.Status != nil {
			status = string(*filter.Status)
		}
		if point != "" || status != "" {
			f.Match = func(e *domain.Event) bool {
				return (point == "" || field(e.Data, "integration", "integrationPointId") == point) &&
					(status == "" || field(e.Data, "after", "status") == status)
			}
		}
	}
	if after == nil {
		f.Live = true
		return f, nil
	}
	e, err := read.FindEvent(ctx, *after)
	switch {
	case errors.Is(err, domain.ErrNotFound) || err == nil && e.OrganizationID != organizationID:
		return f, &domain.InputError{Message: fmt.Sprintf("No event of this organization has the ID %q (after)", *after)}
	case err != nil:
		return f, err
	}
	f.After = e.Seq
	return f, nil
}

// field is data[object][name] when it is a string (data is an event's
// as read from the store: a map).
func field(data any, object, name string) string {
	d, _ := data.(map[string]any)
	o, _ := d[object].(map[string]any)
	s, _ := o[name].(string)
	return s
}

// subscribeError is a refusal of the broker, as the client sees it.
func subscribeError(err error) error {
	code := apierror.CodeOverloaded
	if errors.Is(err, eventstream.ErrHolderFull) {
		code = apierror.CodeTooManySubscriptions
	} else if !errors.Is(err, eventstream.ErrFull) && !errors.Is(err, eventstream.ErrUnavailable) {
		return err // the context ended: nobody to tell
	}
	return &gqlerror.Error{Message: err.Error(), Extensions: map[string]any{"code": code}}
}
