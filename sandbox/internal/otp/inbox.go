package otp

import (
	"sync"
	"time"
)

// maxPhones bounds the simulated phones kept in memory; beyond it the inbox starts over.
const maxPhones = 10000

// inbox is the simulated phone: the plaintext of recent codes, in memory only.
type inbox struct {
	size int
	mu   sync.Mutex
	by   map[string][]Message // customer -> oldest first, at most size
}

func newInbox(size int) *inbox { return &inbox{size: size, by: map[string][]Message{}} }

func (b *inbox) add(m Message) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, ok := b.by[m.CustomerID]; !ok && len(b.by) >= maxPhones {
		b.by = map[string][]Message{}
	}
	msgs := append(b.by[m.CustomerID], m)
	if len(msgs) > b.size {
		msgs = append([]Message(nil), msgs[len(msgs)-b.size:]...)
	}
	b.by[m.CustomerID] = msgs
}

func (b *inbox) markUsed(customerID, id string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for i := range b.by[customerID] {
		if b.by[customerID][i].ID == id {
			b.by[customerID][i].Used = true
		}
	}
}

// list returns a copy, newest first.
func (b *inbox) list(customerID string) []Message {
	b.mu.Lock()
	defer b.mu.Unlock()
	msgs := b.by[customerID]
	out := make([]Message, 0, len(msgs))
	for i := len(msgs) - 1; i >= 0; i-- {
		out = append(out, msgs[i])
	}
	return out
}

// backdate moves the customer's messages d into the past, as their stored codes.
func (b *inbox) backdate(customerID string, d time.Duration) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for i := range b.by[customerID] {
		b.by[customerID][i].SentAt = b.by[customerID][i].SentAt.Add(-d)
		b.by[customerID][i].ExpiresAt = b.by[customerID][i].ExpiresAt.Add(-d)
	}
}
