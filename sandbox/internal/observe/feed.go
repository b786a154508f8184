package observe

import "sync"

// Event is one observation or refused handshake as it is recorded, for the sandbox's
// live request inspector (server-sent events). Exactly one of Observation and
// Handshake is set.
type Event struct {
	Seq         int64        `json:"seq"`
	AppID       string       `json:"app_id,omitempty"`
	Observation *Observation `json:"observation,omitempty"`
	Handshake   *Handshake   `json:"handshake,omitempty"`
}

// Bounds of the feed.
const (
	// FeedBacklog events are kept so a subscriber that reconnects (Last-Event-ID) or
	// opens the inspector sees the most recent calls.
	FeedBacklog = 500
	// FeedBuffer is a subscriber's buffer: a subscriber that falls this far behind is
	// dropped (its channel closed), never waited for.
	FeedBuffer = 256
	// MaxSubscribers bounds the open subscriptions.
	MaxSubscribers = 64
)

// feed fans recorded events out to subscribers. publish never blocks: the request
// path only ever does a non-blocking send per subscriber.
type feed struct {
	mu      sync.Mutex
	backlog ring[Event]
	subs    map[*Subscription]struct{}
}

// Subscription receives the events recorded after it was made. C is closed when the
// subscriber was too slow (dropped) or Cancel was called.
type Subscription struct {
	C       <-chan Event
	c       chan Event
	f       *feed
	dropped bool
	closed  bool
}

// Dropped reports whether the feed dropped this subscriber for falling behind (read
// after C is closed).
func (s *Subscription) Dropped() bool {
	s.f.mu.Lock()
	defer s.f.mu.Unlock()
	return s.dropped
}

// Cancel ends the subscription (idempotent).
func (s *Subscription) Cancel() {
	s.f.mu.Lock()
	defer s.f.mu.Unlock()
	s.f.remove(s)
}

// remove closes and forgets s (f.mu held).
func (f *feed) remove(s *Subscription) {
	if s.closed {
		return
	}
	s.closed = true
	delete(f.subs, s)
	close(s.c)
}

func (f *feed) publish(e Event) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.backlog.max == 0 {
		f.backlog.max = FeedBacklog
	}
	f.backlog.add(e)
	for s := range f.subs {
		select {
		case s.c <- e:
		default: // too slow: drop it rather than wait (the request path never blocks)
			s.dropped = true
			f.remove(s)
		}
	}
}

// Subscribe returns the kept events with seq > after (oldest first; at most
// FeedBacklog) and a subscription to every event recorded from now on, with no gap
// between the two. ok is false when MaxSubscribers are already open.
func (s *Store) Subscribe(after int64) (backlog []Event, sub *Subscription, ok bool) {
	if s == nil {
		return nil, nil, false
	}
	f := &s.feed
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.subs) >= MaxSubscribers {
		return nil, nil, false
	}
	backlog, _ = after_(&f.backlog, after, FeedBacklog, func(e *Event) int64 { return e.Seq })
	c := make(chan Event, FeedBuffer)
	sub = &Subscription{C: c, c: c, f: f}
	if f.subs == nil {
		f.subs = map[*Subscription]struct{}{}
	}
	f.subs[sub] = struct{}{}
	return backlog, sub, true
}

// Subscribers is how many subscriptions are open.
func (s *Store) Subscribers() int {
	s.feed.mu.Lock()
	defer s.feed.mu.Unlock()
	return len(s.feed.subs)
}

// Recent returns the kept events with seq > after, oldest first.
func (s *Store) Recent(after int64) []Event {
	s.feed.mu.Lock()
	defer s.feed.mu.Unlock()
	out, _ := after_(&s.feed.backlog, after, FeedBacklog, func(e *Event) int64 { return e.Seq })
	return out
}
