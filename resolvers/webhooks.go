package resolvers

import (
	"github.com/pointguard/pointguard/domain"
	"github.com/pointguard/pointguard/graph/model"
)

// webhookSecretPayload is the answer of a mutation that shows an
// endpoint's secret: the secret only with the endpoint it belongs to.
func webhookSecretPayload(w *domain.WebhookEndpoint, secret string, err error) (*model.CreateWebhookEndpointPayload, error) {
	ue, err := userErrors(err)
	if err != nil {
		return nil, err
	}
	p := &model.CreateWebhookEndpointPayload{WebhookEndpoint: w, UserErrors: ue}
	if w != nil {
		p.Secret = &secret
	}
	return p, nil
}
