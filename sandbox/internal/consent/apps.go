package consent

import (
	"context"

	"github.com/jr0185/harness/sandbox/internal/apps"
)

// AppRegistry adapts the bank's app registry (apps.Service, whose Authn lookup is
// cached) to Apps.
type AppRegistry struct {
	Registry interface {
		Authn(ctx context.Context, appID string) (apps.App, []apps.Credential, bool, error)
	}
}

var _ Apps = AppRegistry{}

// Client implements Apps.
func (r AppRegistry) Client(ctx context.Context, appID string) (Client, bool, error) {
	a, _, found, err := r.Registry.Authn(ctx, appID)
	if err != nil || !found {
		return Client{}, false, err
	}
	return Client{ID: a.ID, Name: a.Name, Status: string(a.Status), Scopes: a.Scopes, RedirectURIs: a.RedirectURIs}, true, nil
}
