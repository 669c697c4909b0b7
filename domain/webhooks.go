package domain

// GetID makes deliveries pages of a connection, and endpoints and
// deliveries nodes.
func (d *WebhookDelivery) GetID() string { return d.ID }

// GetID makes an endpoint a node.
func (w *WebhookEndpoint) GetID() string { return w.ID }

// GetID makes an event a node.
func (e *Event) GetID() string { return e.ID }

// WebhookDeliveryFilter narrows an endpoint's delivery log; nil fields
// match every delivery.
type WebhookDeliveryFilter struct {
	Status    *WebhookDeliveryStatus
	EventType *string
}
