// Package signing holds the bank's current SM2 signing key. Rotation swaps it
// atomically: every response, notification and audit checkpoint is signed by one
// whole (key, serial) pair, never a mix (JR/T 0185-2020 7.3.4/3).
package signing

import (
	"crypto/rand"
	"sync/atomic"

	"github.com/emmansun/gmsm/sm2"
)

// Key is a signing key and its certificate's serial.
type Key struct {
	Priv   *sm2.PrivateKey
	Serial string
}

// Current is the key in use.
type Current struct{ p atomic.Pointer[Key] }

// New starts with a key.
func New(priv *sm2.PrivateKey, serial string) *Current {
	c := &Current{}
	c.Set(priv, serial)
	return c
}

// Get returns the key in use.
func (c *Current) Get() *Key { return c.p.Load() }

// Set switches to a new key.
func (c *Current) Set(priv *sm2.PrivateKey, serial string) {
	c.p.Store(&Key{Priv: priv, Serial: serial})
}

// Checkpoints adapts Current to a signer that is asked for the serial, then to sign,
// from one goroutine (the audit writer): the serial call pins the key the signature
// will use, so a rotation in between cannot mix them.
type Checkpoints struct {
	C      *Current
	pinned *Key
}

// Serial pins and returns the current key's serial.
func (s *Checkpoints) Serial() string {
	s.pinned = s.C.Get()
	return s.pinned.Serial
}

// Sign signs with the pinned key (the current one if none is pinned).
func (s *Checkpoints) Sign(msg []byte) ([]byte, error) {
	k := s.pinned
	if k == nil {
		k = s.C.Get()
	}
	s.pinned = nil
	return k.Priv.SignWithSM2(rand.Reader, nil, msg)
}
