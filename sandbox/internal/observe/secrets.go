package observe

import (
	"encoding/hex"
	"sort"

	"github.com/emmansun/gmsm/sm3"
)

// Kinds of credential the bank fingerprints for an App_ID: what it issued to the app
// (tokens) and what the app presented (codes, PKCE verifiers, tokens).
const (
	SecretAccessToken  = "access_token"       // #nosec G101 -- the name of a credential kind, not a credential
	SecretRefreshToken = "refresh_token"      // #nosec G101 -- the name of a credential kind, not a credential
	SecretCode         = "authorization_code" // #nosec G101 -- the name of a credential kind, not a credential
	SecretVerifier     = "pkce_verifier"      // #nosec G101 -- the name of a credential kind, not a credential
)

// MaxSecretsPerApp bounds the fingerprints kept per App_ID (the oldest go first).
const MaxSecretsPerApp = 20000

// minSecretLen: shorter values are not credentials the bank issued (and would match by
// chance in a partner's output).
const minSecretLen = 16

// SecretPrint is the SM3 fingerprint of a credential issued to, or presented by, an
// App_ID, with its length: the partner-side suite fingerprints every substring of that
// length of what the partner exposes (log, history, alarms …) and compares, so the
// bank tells the harness what to look for without sending a credential again
// (sandbox test control).
type SecretPrint struct {
	Kind   string `json:"kind"`
	SM3    string `json:"sm3"` // hex SM3 of the credential's bytes
	Length int    `json:"length"`
}

type secretSet struct {
	byHash map[string]bool
	order  []SecretPrint
}

// RecordSecret keeps the fingerprint of value, a credential of the given kind, under
// appID, an App_ID with observations (record the call first): its fingerprints go when
// its observations do. Values shorter than 16 bytes are ignored.
func (s *Store) RecordSecret(appID, kind, value string) {
	if s == nil || appID == "" || len(value) < minSecretLen {
		return
	}
	sum := sm3.Sum([]byte(value))
	p := SecretPrint{Kind: kind, SM3: hex.EncodeToString(sum[:]), Length: len(value)}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, observed := s.apps[appID]; !observed {
		return
	}
	if s.secrets == nil {
		s.secrets = map[string]*secretSet{}
	}
	set := s.secrets[appID]
	if set == nil {
		set = &secretSet{byHash: map[string]bool{}}
		s.secrets[appID] = set
	}
	if set.byHash[p.SM3] {
		return
	}
	if len(set.order) >= MaxSecretsPerApp {
		delete(set.byHash, set.order[0].SM3)
		set.order = set.order[1:]
	}
	set.byHash[p.SM3] = true
	set.order = append(set.order, p)
}

// Secrets returns the fingerprints kept for appID, sorted by kind then fingerprint.
func (s *Store) Secrets(appID string) []SecretPrint {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []SecretPrint{}
	if set := s.secrets[appID]; set != nil {
		out = append(out, set.order...)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Kind != out[j].Kind {
			return out[i].Kind < out[j].Kind
		}
		return out[i].SM3 < out[j].SM3
	})
	return out
}
