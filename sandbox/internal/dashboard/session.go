// Package dashboard is the sandbox's request inspector and trainer dashboard (sandbox
// mode only): who may open it (sessions started with the admin token), what its
// metrics panel shows (a summary of the live feed), and the guided flows a trainer runs
// from it with the bank's own trainer partner (trainer.go).
//
// The inspector shows every partner's calls, so it is an operator tool: a session is
// started only by presenting the admin token to the login form, and is then carried by
// an HttpOnly, Secure, SameSite=Strict cookie. The token never travels in a URL.
package dashboard

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"sync"
	"time"
)

// Bounds of the sessions.
const (
	SessionTTL  = 8 * time.Hour
	MaxSessions = 32
)

// Sessions are the open dashboard sessions, in memory (a restart logs everyone out).
// Only a digest of each session id is kept. Safe for concurrent use.
type Sessions struct {
	mu  sync.Mutex
	m   map[string]time.Time // sha256(id) -> expiry
	key []byte               // per-process key of the form tokens
	now func() time.Time
}

// NewSessions returns an empty set; now is the wall clock (not the sandbox's
// advanceable clock: advancing it must not log the trainer out).
func NewSessions(now func() time.Time) *Sessions {
	if now == nil {
		now = time.Now
	}
	k := make([]byte, 32)
	if _, err := rand.Read(k); err != nil {
		panic("dashboard: no randomness: " + err.Error())
	}
	return &Sessions{m: map[string]time.Time{}, key: k, now: now}
}

func digest(id string) string {
	s := sha256.Sum256([]byte(id))
	return string(s[:])
}

// Start opens a session and returns its id (256 random bits). The caller has checked
// the admin token. The oldest session is closed when MaxSessions are open.
func (s *Sessions) Start() string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	id := base64.RawURLEncoding.EncodeToString(b[:])
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, exp := range s.m {
		if !now.Before(exp) {
			delete(s.m, k)
		}
	}
	if len(s.m) >= MaxSessions {
		var oldest string
		var at time.Time
		for k, exp := range s.m {
			if oldest == "" || exp.Before(at) {
				oldest, at = k, exp
			}
		}
		delete(s.m, oldest)
	}
	s.m[digest(id)] = now.Add(SessionTTL)
	return id
}

// Valid reports whether id is an open, unexpired session.
func (s *Sessions) Valid(id string) bool {
	if len(id) != 43 {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	exp, ok := s.m[digest(id)]
	if ok && !s.now().Before(exp) {
		delete(s.m, digest(id))
		return false
	}
	return ok
}

// End closes a session (logout).
func (s *Sessions) End(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.m, digest(id))
}

// FormToken is the anti-forgery token of a session's POSTs (flows, logout): an HMAC
// of the session id under the per-process key, useless without the cookie.
func (s *Sessions) FormToken(id string) string {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte("jr-dashboard\x00" + id))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// FormTokenOK checks a submitted form token against the session it must belong to.
func (s *Sessions) FormTokenOK(id, token string) bool {
	return id != "" && token != "" && hmac.Equal([]byte(s.FormToken(id)), []byte(token))
}

// Console is what the server needs to serve the dashboard.
type Console struct {
	Sessions *Sessions
	Trainer  *Trainer
}
