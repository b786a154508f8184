package apps

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jr0185/harness/sandbox/internal/clock"
	"github.com/jr0185/harness/sandbox/internal/mutant"
	"github.com/jr0185/harness/sandbox/internal/problem"
	"github.com/jr0185/harness/sandbox/protocol"
)

// Options configure the service.
type Options struct {
	DefaultLimits  Limits
	SecretValidity map[Level]time.Duration // JR/T 0185-2020 7.3.4/3: validity by API level
	KnownScopes    func(scope string) bool // scopes that exist in the API catalogue
	// Mutant breaks one control on purpose (mutant banks); the zero Set is correct.
	Mutant mutant.Set
}

// Service manages apps. Lookups used on every request (Authn) are served from a cache
// that every mutation invalidates.
type Service struct {
	store Store
	clock clock.Clock
	opts  Options

	gen    atomic.Uint64
	mu     sync.RWMutex
	cache  map[string]cached
	onExit []func(ctx context.Context, appID, reason string) error
}

// OnExit registers what else must happen when an app exits (the consent service ends
// its customers' consents, JR/T 0185-2020 9.4/1). Call it while wiring, before serving.
func (s *Service) OnExit(f func(ctx context.Context, appID, reason string) error) {
	s.onExit = append(s.onExit, f)
}

type cached struct {
	gen   uint64
	app   App
	creds []Credential
}

// NewService wires a service.
func NewService(st Store, c clock.Clock, opts Options) *Service {
	if opts.KnownScopes == nil {
		opts.KnownScopes = func(string) bool { return true }
	}
	return &Service{store: st, clock: c, opts: opts, cache: map[string]cached{}}
}

// Registration is a request to register an app.
type Registration struct {
	AppID        string   `json:"app_id,omitempty"` // normally empty: the bank assigns one
	Name         string   `json:"name"`
	Level        Level    `json:"level"`
	Scopes       []string `json:"scopes"`
	RedirectURIs []string `json:"redirect_uris"`
	NotifyURL    string   `json:"notify_url"`
	Limits       *Limits  `json:"limits,omitempty"`
}

// Issued is an App_Secret, shown once.
type Issued struct {
	Serial    string    `json:"serial"`
	AppSecret string    `json:"app_secret"`
	NotAfter  time.Time `json:"not_after"`
}

func invalid(format string, args ...any) error {
	return problem.ParameterInvalid.WithDetail(format, args...)
}

// Register creates a pending app and its first App_Secret (JR/T 0185-2020 9.2.1 a) 1)).
func (s *Service) Register(ctx context.Context, r Registration) (App, Issued, error) {
	now := s.clock.Now()
	r.Name = strings.TrimSpace(r.Name)
	if err := s.checkName(r.Name); err != nil {
		return App{}, Issued{}, err
	}
	if r.Level != LevelA1 && r.Level != LevelA2 {
		return App{}, Issued{}, invalid("level must be A1 or A2")
	}
	if err := s.checkScopes(r.Scopes); err != nil {
		return App{}, Issued{}, err
	}
	if err := s.checkURLs(r); err != nil {
		return App{}, Issued{}, err
	}
	limits := s.opts.DefaultLimits
	if r.Limits != nil {
		if err := s.checkLimits(*r.Limits); err != nil {
			return App{}, Issued{}, err
		}
		limits = *r.Limits
	}
	id := r.AppID
	if id == "" {
		id = NewAppID()
	} else if !validAppID(id) {
		return App{}, Issued{}, invalid("app_id must be 6 to 32 characters of A-Z and 0-9")
	}
	a := App{ID: id, Name: r.Name, Level: r.Level, Status: StatusPending, Scopes: dedupe(r.Scopes),
		RedirectURIs: append([]string{}, r.RedirectURIs...), NotifyURL: r.NotifyURL, Limits: limits, CreatedAt: now, UpdatedAt: now}
	cred, issued := s.newSecret(id, a.Level, now)
	if err := s.store.InsertApp(ctx, a, cred, Event{AppID: id, At: now, Action: "registered", Detail: "level " + string(a.Level)}); err != nil {
		if _, getErr := s.store.GetApp(ctx, id); getErr == nil {
			return App{}, Issued{}, problem.StateConflict.WithDetail("app %s already exists", id)
		}
		return App{}, Issued{}, problem.Internal.Wrap(err)
	}
	s.invalidate()
	return a, issued, nil
}

func (s *Service) newSecret(appID string, level Level, now time.Time) (Credential, Issued) {
	var raw [24]byte
	_, _ = rand.Read(raw[:])
	secret := base64.RawURLEncoding.EncodeToString(raw[:])
	validity := s.opts.SecretValidity[level]
	if validity <= 0 {
		validity = 365 * 24 * time.Hour
	}
	serial := newSerial()
	c := Credential{AppID: appID, Serial: serial, Kind: KindSecret,
		Material:  hex.EncodeToString(protocol.DeriveMACKey(secret, appID)),
		NotBefore: now, NotAfter: now.Add(validity), Status: CredActive, CreatedAt: now}
	return c, Issued{Serial: serial, AppSecret: secret, NotAfter: c.NotAfter}
}

// Transition names an administrative status change.
type Transition string

// Transitions an admin can apply.
const (
	Approve    Transition = "approve"
	Suspend    Transition = "suspend"
	Reactivate Transition = "reactivate"
	Blacklist  Transition = "blacklist"
	Unblock    Transition = "unblacklist"
)

var transitions = map[Transition]struct {
	from []Status
	to   Status
}{
	Approve:    {[]Status{StatusPending}, StatusActive},
	Suspend:    {[]Status{StatusActive}, StatusSuspended},
	Reactivate: {[]Status{StatusSuspended}, StatusActive},
	Blacklist:  {[]Status{StatusPending, StatusActive, StatusSuspended}, StatusBlacklisted},
	Unblock:    {[]Status{StatusBlacklisted}, StatusSuspended},
}

// Apply changes an app's status (JR/T 0185-2020 9.2.1 a) 2) 状态校验; 10.1.2/1d 黑名单).
func (s *Service) Apply(ctx context.Context, id string, t Transition, reason string) (App, error) {
	rule, ok := transitions[t]
	if !ok {
		return App{}, invalid("unknown action %q", t)
	}
	a, err := s.get(ctx, id)
	if err != nil {
		return App{}, err
	}
	allowed := false
	for _, f := range rule.from {
		allowed = allowed || a.Status == f
	}
	if !allowed {
		return App{}, problem.StateConflict.WithDetail("cannot %s an app that is %s", t, a.Status)
	}
	a.Status, a.UpdatedAt = rule.to, s.clock.Now()
	return a, s.update(ctx, a, string(t), reason)
}

// SetScopes replaces an app's scopes (JR/T 0185-2020 7.3.1: least privilege, adjusted as needs change).
func (s *Service) SetScopes(ctx context.Context, id string, scopes []string) (App, error) {
	if err := s.checkScopes(scopes); err != nil {
		return App{}, err
	}
	a, err := s.mutable(ctx, id)
	if err != nil {
		return App{}, err
	}
	a.Scopes, a.UpdatedAt = dedupe(scopes), s.clock.Now()
	return a, s.update(ctx, a, "scopes", strings.Join(a.Scopes, " "))
}

// SetLimits replaces an app's flow-control limits (10.1.2/1a).
func (s *Service) SetLimits(ctx context.Context, id string, l Limits) (App, error) {
	if err := s.checkLimits(l); err != nil {
		return App{}, err
	}
	a, err := s.mutable(ctx, id)
	if err != nil {
		return App{}, err
	}
	a.Limits, a.UpdatedAt = l, s.clock.Now()
	return a, s.update(ctx, a, "limits", fmt.Sprintf("%g rps, burst %d, %d concurrent", l.RPS, l.Burst, l.MaxConcurrent))
}

// RotateSecret issues a new App_Secret. The previous secrets stay valid for overlap
// (zero: revoked at once), so a partner can roll over without downtime (7.3.4/3).
func (s *Service) RotateSecret(ctx context.Context, id string, overlap time.Duration) (Issued, error) {
	a, err := s.mutable(ctx, id)
	if err != nil {
		return Issued{}, err
	}
	now := s.clock.Now()
	creds, err := s.store.ListCredentials(ctx, id)
	if err != nil {
		return Issued{}, problem.Internal.Wrap(err)
	}
	cred, issued := s.newSecret(id, a.Level, now)
	if err := s.store.InsertCredential(ctx, cred, Event{AppID: id, At: now, Action: "secret-rotated", Detail: "serial " + cred.Serial}); err != nil {
		return Issued{}, problem.Internal.Wrap(err)
	}
	for _, c := range creds {
		if c.Kind != KindSecret || c.Status != CredActive {
			continue
		}
		end, st := now.Add(overlap), CredActive
		if overlap <= 0 {
			end, st = now, CredRevoked
		}
		if end.After(c.NotAfter) {
			end = c.NotAfter
		}
		if err := s.store.SetCredentialStatus(ctx, id, c.Serial, st, end, Event{AppID: id, At: now, Action: "secret-retiring", Detail: "serial " + c.Serial + " valid until " + end.UTC().Format(time.RFC3339)}); err != nil {
			return Issued{}, problem.Internal.Wrap(err)
		}
	}
	s.invalidate()
	return issued, nil
}

// AddCredential registers a certificate or public key (9.2.1 a) 1): 对应用方上传的公钥进行登记).
func (s *Service) AddCredential(ctx context.Context, c Credential) error {
	if _, err := s.mutable(ctx, c.AppID); err != nil {
		return err
	}
	switch c.Kind {
	case KindClientCert, KindSM2Sign, KindSM2Enc:
	default:
		return invalid("unknown credential kind %q", c.Kind)
	}
	if c.Serial == "" || len(c.Serial) > protocol.MaxSerialLen || !c.NotAfter.After(c.NotBefore) {
		return invalid("credential needs a serial and a validity period")
	}
	now := s.clock.Now()
	c.Status, c.CreatedAt = CredActive, now
	if err := s.store.InsertCredential(ctx, c, Event{AppID: c.AppID, At: now, Action: "credential-added", Detail: string(c.Kind) + " " + c.Serial}); err != nil {
		if s.opts.Mutant.Is(mutant.DuplicateKeySilent) {
			return nil
		}
		return problem.StateConflict.WithDetail("serial %s is already registered for this app", c.Serial)
	}
	s.invalidate()
	return nil
}

// RevokeCredential revokes one active credential at once.
func (s *Service) RevokeCredential(ctx context.Context, appID, serial string) error {
	creds, err := s.store.ListCredentials(ctx, appID)
	if err != nil {
		return problem.Internal.Wrap(err)
	}
	for _, c := range creds {
		if c.Serial == serial && c.Status != CredActive {
			return problem.StateConflict.WithDetail("credential %s is already %s", serial, c.Status)
		}
	}
	now := s.clock.Now()
	err = s.store.SetCredentialStatus(ctx, appID, serial, CredRevoked, now, Event{AppID: appID, At: now, Action: "credential-revoked", Detail: serial})
	if errors.Is(err, ErrNotFound) {
		return problem.AdminNotFound.WithDetail("no credential %s for app %s", serial, appID)
	}
	if err != nil {
		return problem.Internal.Wrap(err)
	}
	s.invalidate()
	return nil
}

// Exit retires an app: it can no longer call, and its credentials are voided and
// archived for later inquiry (JR/T 0185-2020 9.4/1). The OnExit hooks run after.
func (s *Service) Exit(ctx context.Context, id, reason string) (App, error) {
	a, err := s.mutable(ctx, id)
	if err != nil {
		return App{}, err
	}
	a.Status, a.UpdatedAt = StatusExited, s.clock.Now()
	if s.opts.Mutant.Is(mutant.ExitKeepsCredentials) {
		err = s.update(ctx, a, "exited", reason) // credentials left active
	} else if err = s.store.ExitApp(ctx, a, Event{AppID: id, At: a.UpdatedAt, Action: "exited", Detail: reason}); err != nil {
		err = problem.Internal.Wrap(err)
	}
	s.invalidate()
	if err != nil {
		return App{}, err
	}
	for _, f := range s.onExit {
		if err := f(ctx, id, reason); err != nil {
			return App{}, problem.From(err)
		}
	}
	return a, nil
}

// Get returns an app.
func (s *Service) Get(ctx context.Context, id string) (App, error) { return s.get(ctx, id) }

// List returns every app.
func (s *Service) List(ctx context.Context) ([]App, error) {
	out, err := s.store.ListApps(ctx)
	if err != nil {
		return nil, problem.Internal.Wrap(err)
	}
	return out, nil
}

// Credentials lists an app's credentials (material omitted from JSON).
func (s *Service) Credentials(ctx context.Context, id string) ([]Credential, error) {
	if _, err := s.get(ctx, id); err != nil {
		return nil, err
	}
	out, err := s.store.ListCredentials(ctx, id)
	if err != nil {
		return nil, problem.Internal.Wrap(err)
	}
	return out, nil
}

// History lists an app's events.
func (s *Service) History(ctx context.Context, id string) ([]Event, error) {
	if _, err := s.get(ctx, id); err != nil {
		return nil, err
	}
	out, err := s.store.Events(ctx, id)
	if err != nil {
		return nil, problem.Internal.Wrap(err)
	}
	return out, nil
}

// Authn returns an app and its credentials for request authentication, from the cache
// when nothing has changed since it was filled. found is false for an unknown App_ID.
func (s *Service) Authn(ctx context.Context, id string) (a App, creds []Credential, found bool, err error) {
	gen := s.gen.Load()
	s.mu.RLock()
	c, ok := s.cache[id]
	s.mu.RUnlock()
	if ok && c.gen == gen {
		return c.app, c.creds, true, nil
	}
	a, err = s.store.GetApp(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return App{}, nil, false, nil
	}
	if err != nil {
		return App{}, nil, false, err
	}
	creds, err = s.store.ListCredentials(ctx, id)
	if err != nil {
		return App{}, nil, false, err
	}
	s.mu.Lock()
	if len(s.cache) > 10000 {
		s.cache = map[string]cached{}
	}
	s.cache[id] = cached{gen: gen, app: a, creds: creds}
	s.mu.Unlock()
	return a, creds, true, nil
}

func (s *Service) invalidate() { s.gen.Add(1) }

func (s *Service) get(ctx context.Context, id string) (App, error) {
	a, err := s.store.GetApp(ctx, id)
	if errors.Is(err, ErrNotFound) {
		if s.opts.Mutant.Is(mutant.AdminUnknownAppEmpty) {
			return App{ID: id}, nil
		}
		return App{}, problem.AdminNotFound.WithDetail("no app %q", problem.Clip(id))
	}
	if err != nil {
		return App{}, problem.Internal.Wrap(err)
	}
	return a, nil
}

// mutable loads an app that has not exited.
func (s *Service) mutable(ctx context.Context, id string) (App, error) {
	a, err := s.get(ctx, id)
	if err == nil && a.Status == StatusExited {
		return App{}, problem.StateConflict.WithDetail("app %s has exited", id)
	}
	return a, err
}

func (s *Service) update(ctx context.Context, a App, action, detail string) error {
	if err := s.store.UpdateApp(ctx, a, Event{AppID: a.ID, At: a.UpdatedAt, Action: action, Detail: detail}); err != nil {
		return problem.Internal.Wrap(err)
	}
	s.invalidate()
	return nil
}

func (s *Service) checkScopes(scopes []string) error {
	if len(scopes) == 0 {
		return invalid("at least one scope is required (JR/T 0185-2020 7.3.1: grant only what the service needs)")
	}
	for _, sc := range scopes {
		if !s.opts.KnownScopes(sc) {
			return invalid("unknown scope %q", problem.Clip(sc))
		}
	}
	return nil
}

const idAlphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"

// NewAppID returns a fresh App_ID: "APP" and 13 characters from an unambiguous alphabet.
func NewAppID() string {
	var b [13]byte
	_, _ = rand.Read(b[:])
	out := []byte("APP")
	for _, x := range b {
		out = append(out, idAlphabet[int(x)%len(idAlphabet)])
	}
	return string(out)
}

func validAppID(id string) bool {
	if len(id) < 6 || len(id) > 32 {
		return false
	}
	for i := 0; i < len(id); i++ {
		if !((id[i] >= 'A' && id[i] <= 'Z') || (id[i] >= '0' && id[i] <= '9')) {
			return false
		}
	}
	return true
}

func newSerial() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func dedupe(in []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range in {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}
