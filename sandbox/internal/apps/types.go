// Package apps is the bank's registry of partner applications (应用方): App_IDs, their
// status, scopes, limits and credentials (JR/T 0185-2020 9.2.1 a), 9.4, 7.3.1).
//
// An App_Secret is shown once, when issued, and never stored: the bank keeps only the
// salted one-way MAC key derived from it (protocol.DeriveMACKey; 7.3.4/2).
package apps

import (
	"time"
)

// Level is the API security level an app is admitted to (JR/T 0185-2020 6.2).
type Level string

// Levels.
const (
	LevelA1 Level = "A1"
	LevelA2 Level = "A2"
)

// Status is an app's lifecycle state.
type Status string

// Statuses. pending -> active <-> suspended; any -> blacklisted; any -> exited (final).
const (
	StatusPending     Status = "pending"
	StatusActive      Status = "active"
	StatusSuspended   Status = "suspended"
	StatusBlacklisted Status = "blacklisted"
	StatusExited      Status = "exited"
)

// Limits are an app's flow-control limits (JR/T 0185-2020 10.1.2/1a).
type Limits struct {
	RPS           float64 `json:"rate_rps"`
	Burst         int     `json:"rate_burst"`
	MaxConcurrent int     `json:"max_concurrent"`
}

// App is a registered partner application.
type App struct {
	ID           string    `json:"app_id"`
	Name         string    `json:"name"`
	Level        Level     `json:"level"`
	Status       Status    `json:"status"`
	Scopes       []string  `json:"scopes"`
	RedirectURIs []string  `json:"redirect_uris"`
	NotifyURL    string    `json:"notify_url,omitempty"`
	Limits       Limits    `json:"limits"`
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
}

// HasScope reports whether the app was granted scope.
func (a App) HasScope(scope string) bool {
	for _, s := range a.Scopes {
		if s == scope {
			return true
		}
	}
	return false
}

// CredentialKind says what a credential is.
type CredentialKind string

// Credential kinds.
const (
	KindSecret     CredentialKind = "secret"      // material: hex MAC key derived from the App_Secret
	KindClientCert CredentialKind = "client_cert" // material: PEM certificate for mTLS
	KindSM2Sign    CredentialKind = "sm2_sign"    // material: PEM SM2 certificate or public key (request signing)
	KindSM2Enc     CredentialKind = "sm2_enc"     // material: PEM SM2 certificate or public key (encryption to the partner)
)

// CredentialStatus is a credential's state.
type CredentialStatus string

// Credential statuses. Archived credentials belong to exited apps (9.4/2).
const (
	CredActive   CredentialStatus = "active"
	CredRevoked  CredentialStatus = "revoked"
	CredArchived CredentialStatus = "archived"
)

// Credential is one key, secret or certificate registered for an app.
type Credential struct {
	AppID       string           `json:"app_id"`
	Serial      string           `json:"serial"`
	Kind        CredentialKind   `json:"kind"`
	Material    string           `json:"-"`
	Fingerprint string           `json:"fingerprint,omitempty"`
	NotBefore   time.Time        `json:"not_before"`
	NotAfter    time.Time        `json:"not_after"`
	Status      CredentialStatus `json:"status"`
	CreatedAt   time.Time        `json:"created_at"`
}

// ValidAt reports whether the credential is active and within its validity at t.
func (c Credential) ValidAt(t time.Time) bool {
	return c.Status == CredActive && !t.Before(c.NotBefore) && t.Before(c.NotAfter)
}

// Event is one entry of an app's administrative history.
type Event struct {
	AppID  string    `json:"app_id"`
	At     time.Time `json:"at"`
	Action string    `json:"action"`
	Detail string    `json:"detail,omitempty"`
}
