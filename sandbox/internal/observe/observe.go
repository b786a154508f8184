// Package observe keeps, in memory, what each App_ID sent the sandbox bank and what the
// bank answered, so the partner-side conformance suite can judge a partner by what it
// does on the wire (sandbox test control, sandbox mode only): the TLS version and
// certificate of every API and token call, whether its signature verified, whether its
// nonce was fresh, its idempotency key, the injected fault that changed the answer, and
// every notification the bank delivered to the partner. Refused TLS handshakes, which
// cannot be attributed to an App_ID, are kept in a log of their own.
//
// Each App_ID has a ring of its most recent observations; the least recently observed
// App_ID is dropped when there are too many. Sequence numbers come from one counter
// shared by every App_ID and the handshake log, so "after" works across them.
package observe

import (
	"container/list"
	"sync"
	"time"
)

// Kinds of observation.
const (
	KindAPI          = "api"          // an /a1 or /a2 call (fallback routes included)
	KindOAuth        = "oauth"        // the token and revocation endpoints
	KindNotification = "notification" // a bank -> partner delivery, real or probe
)

// Check results.
const (
	Pass = "pass"
	Fail = "fail"
)

// Check is one verification step the bank ran on a request, in order.
type Check struct {
	Step   string `json:"step"`
	Result string `json:"result"` // Pass or Fail
	Code   string `json:"code,omitempty"`
}

// Notification describes a bank -> partner delivery.
type Notification struct {
	URL          string `json:"url"`
	Probe        string `json:"probe"` // "" for a real delivery; the probe kind otherwise
	PaymentID    string `json:"payment_id"`
	AnswerStatus int    `json:"answer_status"` // the partner's HTTP status; 0 if none
	Error        string `json:"error"`         // transport error text
}

// Observation is one call or delivery as the bank saw it.
type Observation struct {
	Seq              int64         `json:"seq"`
	Time             time.Time     `json:"time"`
	Kind             string        `json:"kind"`
	Method           string        `json:"method"`
	Path             string        `json:"path"`
	API              string        `json:"api"`
	UAPIID           string        `json:"uapi_id"`
	Remote           string        `json:"remote"`
	TLSVersion       string        `json:"tls_version"`
	ClientCertSHA256 string        `json:"client_cert_sha256"`
	ClientCertBound  bool          `json:"client_cert_bound"`
	Scheme           string        `json:"scheme"`
	Serial           string        `json:"serial"`
	Timestamp        string        `json:"timestamp"`
	Nonce            string        `json:"nonce"`
	TimestampSkewMS  int64         `json:"timestamp_skew_ms"`
	SignatureValid   *bool         `json:"signature_valid,omitempty"` // nil: never verified
	NonceReused      bool          `json:"nonce_reused"`
	AccessToken      bool          `json:"access_token"`
	IdempotencyKey   string        `json:"idempotency_key"`
	Checks           []Check       `json:"checks"`
	Status           int           `json:"status"`
	Code             string        `json:"code"`
	RequestID        string        `json:"request_id"`
	Fault            string        `json:"fault"`
	DurationMS       int64         `json:"duration_ms"`
	Notification     *Notification `json:"notification,omitempty"`
}

// Handshake is a TLS handshake the bank refused.
type Handshake struct {
	Seq     int64     `json:"seq"`
	Time    time.Time `json:"time"`
	Remote  string    `json:"remote"`
	Offered string    `json:"offered"` // the client's highest offered version
	Reason  string    `json:"reason"`
}

// Bounds of the store.
const (
	DefaultPerApp     = 5000
	DefaultMaxApps    = 1000
	DefaultHandshakes = 1000
	MaxLimit          = 5000
	DefaultLimit      = 500
)

// Options bound the store; zero fields take the defaults.
type Options struct {
	PerApp     int // observations kept per App_ID
	MaxApps    int // App_IDs kept (least recently observed dropped)
	Handshakes int // refused handshakes kept
}

// Store keeps the observations. Safe for concurrent use.
type Store struct {
	mu         sync.Mutex
	seq        int64
	opts       Options
	apps       map[string]*list.Element // value: *appRing
	lru        *list.List               // front: most recently observed
	handshakes ring[Handshake]
	now        func() time.Time
	feed       feed                  // live fan-out to the request inspector (feed.go)
	secrets    map[string]*secretSet // credential fingerprints per App_ID (secrets.go)
}

type appRing struct {
	id   string
	ring ring[Observation]
}

// New returns an empty store.
func New(o Options) *Store {
	if o.PerApp <= 0 {
		o.PerApp = DefaultPerApp
	}
	if o.MaxApps <= 0 {
		o.MaxApps = DefaultMaxApps
	}
	if o.Handshakes <= 0 {
		o.Handshakes = DefaultHandshakes
	}
	return &Store{opts: o, apps: map[string]*list.Element{}, lru: list.New(),
		handshakes: ring[Handshake]{max: o.Handshakes}, now: time.Now}
}

// Record keeps o under appID (an App_ID the bank knows; the caller checks) and returns
// its sequence number. Seq and, when zero, Time are set here.
func (s *Store) Record(appID string, o Observation) int64 {
	if s == nil || appID == "" {
		return 0
	}
	if o.Time.IsZero() {
		o.Time = s.now()
	}
	o.Time = o.Time.UTC()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seq++
	o.Seq = s.seq
	e, ok := s.apps[appID]
	if ok {
		s.lru.MoveToFront(e)
	} else {
		e = s.lru.PushFront(&appRing{id: appID, ring: ring[Observation]{max: s.opts.PerApp}})
		s.apps[appID] = e
		if s.lru.Len() > s.opts.MaxApps {
			old := s.lru.Back()
			s.lru.Remove(old)
			delete(s.apps, old.Value.(*appRing).id)
			delete(s.secrets, old.Value.(*appRing).id)
		}
	}
	e.Value.(*appRing).ring.add(o)
	s.feed.publish(Event{Seq: o.Seq, AppID: appID, Observation: &o})
	return o.Seq
}

// RecordHandshake keeps a refused handshake and returns its sequence number.
func (s *Store) RecordHandshake(h Handshake) int64 {
	if s == nil {
		return 0
	}
	if h.Time.IsZero() {
		h.Time = s.now()
	}
	h.Time = h.Time.UTC()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seq++
	h.Seq = s.seq
	s.handshakes.add(h)
	s.feed.publish(Event{Seq: h.Seq, Handshake: &h})
	return h.Seq
}

// List returns appID's observations with seq > after, oldest first, at most limit
// (clamped to 1..MaxLimit; 0 means DefaultLimit). last is the seq of the last one
// returned or, when none is, of the app's newest observation (0 if it has none), so
// polling with after=last never skips one.
func (s *Store) List(appID string, after int64, limit int) (out []Observation, last int64) {
	limit = clampLimit(limit)
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.apps[appID]
	if !ok {
		return []Observation{}, 0
	}
	r := &e.Value.(*appRing).ring
	return after_(r, after, limit, func(o *Observation) int64 { return o.Seq })
}

// Handshakes returns the refused handshakes with seq > after, like List.
func (s *Store) Handshakes(after int64, limit int) ([]Handshake, int64) {
	limit = clampLimit(limit)
	s.mu.Lock()
	defer s.mu.Unlock()
	return after_(&s.handshakes, after, limit, func(h *Handshake) int64 { return h.Seq })
}

// Apps is how many App_IDs have observations.
func (s *Store) Apps() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.apps)
}

func clampLimit(n int) int {
	switch {
	case n <= 0:
		return DefaultLimit
	case n > MaxLimit:
		return MaxLimit
	}
	return n
}

// after_ copies out the entries of r with seq > after (r.mu held by the caller).
func after_[T any](r *ring[T], after int64, limit int, seq func(*T) int64) ([]T, int64) {
	out := []T{}
	n := r.len()
	// Entries are in seq order: binary search the first one past after.
	lo, hi := 0, n
	for lo < hi {
		mid := (lo + hi) / 2
		if seq(r.at(mid)) <= after {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	for i := lo; i < n && len(out) < limit; i++ {
		out = append(out, *r.at(i))
	}
	if len(out) > 0 {
		return out, seq(&out[len(out)-1])
	}
	if n > 0 {
		return out, seq(r.at(n - 1))
	}
	return out, 0
}

// ring keeps the last max entries; it grows on demand up to max.
type ring[T any] struct {
	buf   []T
	start int // index of the oldest entry once full
	max   int
}

func (r *ring[T]) add(v T) {
	if len(r.buf) < r.max {
		r.buf = append(r.buf, v)
		return
	}
	r.buf[r.start] = v
	r.start = (r.start + 1) % r.max
}

func (r *ring[T]) len() int { return len(r.buf) }

// at is the i-th oldest entry.
func (r *ring[T]) at(i int) *T { return &r.buf[(r.start+i)%len(r.buf)] }

var yes, no = true, false

// Bool is a shared *bool for SignatureValid (no allocation per observation). Callers
// must not write through it.
func Bool(b bool) *bool {
	if b {
		return &yes
	}
	return &no
}
