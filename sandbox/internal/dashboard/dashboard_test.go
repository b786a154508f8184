package dashboard

import (
	"sync"
	"testing"
	"time"

	"github.com/jr0185/harness/sandbox/internal/observe"
)

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func TestSessions(t *testing.T) {
	tests := []struct {
		name string
		run  func(t *testing.T, s *Sessions, c *fakeClock)
	}{
		{"valid/a started session", func(t *testing.T, s *Sessions, _ *fakeClock) {
			if id := s.Start(); !s.Valid(id) {
				t.Fatal("a new session is not valid")
			}
		}},
		{"refused/an id never started", func(t *testing.T, s *Sessions, _ *fakeClock) {
			s.Start()
			if s.Valid("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA") || s.Valid("") || s.Valid("short") {
				t.Fatal("an unknown id is valid")
			}
		}},
		{"refused/after logout", func(t *testing.T, s *Sessions, _ *fakeClock) {
			id := s.Start()
			s.End(id)
			if s.Valid(id) {
				t.Fatal("an ended session is valid")
			}
		}},
		{"refused/after the session's lifetime", func(t *testing.T, s *Sessions, c *fakeClock) {
			id := s.Start()
			c.add(SessionTTL - time.Second)
			if !s.Valid(id) {
				t.Fatal("expired early")
			}
			c.add(time.Second)
			if s.Valid(id) {
				t.Fatal("valid after SessionTTL")
			}
		}},
		{"bounded/the oldest session closes beyond MaxSessions", func(t *testing.T, s *Sessions, c *fakeClock) {
			first := s.Start()
			var last string
			for i := 0; i < MaxSessions; i++ {
				c.add(time.Second)
				last = s.Start()
			}
			if s.Valid(first) || !s.Valid(last) {
				t.Fatalf("first valid %v, last valid %v; want the oldest closed", s.Valid(first), s.Valid(last))
			}
		}},
		{"form token/bound to its session", func(t *testing.T, s *Sessions, _ *fakeClock) {
			a, b := s.Start(), s.Start()
			if !s.FormTokenOK(a, s.FormToken(a)) {
				t.Fatal("a session's own token refused")
			}
			if s.FormTokenOK(a, s.FormToken(b)) || s.FormTokenOK(a, "") || s.FormTokenOK("", s.FormToken(a)) {
				t.Fatal("a token of another session, or an empty one, accepted")
			}
		}},
		{"form token/useless in another process", func(t *testing.T, s *Sessions, _ *fakeClock) {
			id := s.Start()
			if NewSessions(nil).FormTokenOK(id, s.FormToken(id)) {
				t.Fatal("a token made under another process's key accepted")
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := &fakeClock{t: time.Unix(1_800_000_000, 0)}
			tc.run(t, NewSessions(c.now), c)
		})
	}
}

func TestSummarize(t *testing.T) {
	call := func(app string, status int, ms int64) observe.Event {
		return observe.Event{AppID: app, Observation: &observe.Observation{Kind: "api", Status: status, DurationMS: ms}}
	}
	events := []observe.Event{
		call("A", 200, 10), call("A", 201, 30), call("B", 401, 1), call("B", 429, 2), call("A", 503, 50),
		{AppID: "A", Observation: &observe.Observation{Kind: observe.KindNotification, Status: 204}},
		{Handshake: &observe.Handshake{}},
		{AppID: "C"}, // neither: ignored
	}
	s := Summarize(events)
	want := Summary{Calls: 5, Succeeded: 2, Refused: 2, Failed: 1, RateLimited: 1, SuccessRate: 0.4,
		P50MS: 10, P95MS: 30, MaxMS: 50, Handshakes: 1, Apps: 2, Notices: 1}
	if s != want {
		t.Fatalf("Summarize = %+v\nwant        %+v", s, want)
	}
	if z := Summarize(nil); z != (Summary{}) {
		t.Fatalf("no events: %+v, want zeros", z)
	}
}
