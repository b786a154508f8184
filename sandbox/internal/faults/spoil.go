package faults

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/jr0185/harness/sandbox/internal/signing"
	"github.com/jr0185/harness/sandbox/protocol"
)

// Signed is a message the bank signed for a partner (an API answer or a notification):
// its body and the signature headers (X-JR-Timestamp, X-JR-Nonce, X-JR-Signature,
// X-JR-Serial). Signature and Serial are "" when the message goes unsigned.
type Signed struct {
	Body                                []byte
	Timestamp, Nonce, Signature, Serial string
}

// Spoiler spoils signed messages the way an adversary bank, an attacker on the path or
// a broken proxy would (the spoiling kinds): a correct partner refuses every one and
// acts on none (JR/T 0185-2020 9.3.3/1, 9.2.2/2). One spoiler serves the API answers
// and the notifications, so both surfaces get exactly the same spoiling.
type Spoiler struct {
	// Retired is the bank's retired signing key (sandbox): its certificate is in the
	// published bundle, for verifying what it once signed, but its validity has ended.
	Retired *signing.Key
}

// ErrNoRetiredKey: a retired-key fault needs the bank's retired key (sandbox mode).
var ErrNoRetiredKey = errors.New("faults: the bank has no retired signing key")

// Spoil returns m spoiled by kind k; a kind that does not spoil returns m unchanged.
// TamperBody changes one digit of the body, or appends a space to a body without one
// (the JSON stays valid either way); TamperSignature
// flips one bit of the signature; StripSignature removes signature and serial;
// UnknownSerial names a serial the bank never published (the signature stays the
// current key's); RetiredKey signs the same timestamp, nonce and body again with the
// retired key and names its serial.
func (s Spoiler) Spoil(k Kind, m Signed) (Signed, error) {
	switch k {
	case TamperBody:
		var ok bool
		if m.Body, ok = MangleBody(m.Body); !ok { // no digit ({"revoked":true}): one byte more
			m.Body = append(append(make([]byte, 0, len(m.Body)+1), m.Body...), ' ')
		}
	case TamperSignature:
		m.Signature = FlipSignatureBit(m.Signature)
	case StripSignature:
		m.Signature, m.Serial = "", ""
	case UnknownSerial:
		m.Serial = UnpublishedSerial()
	case RetiredKey:
		if s.Retired == nil {
			return m, ErrNoRetiredKey
		}
		sig, err := protocol.SignSM2(s.Retired.Priv, protocol.ResponseStringToSign(m.Timestamp, m.Nonce, m.Body))
		if err != nil {
			return m, fmt.Errorf("faults: signing with the retired key: %w", err)
		}
		m.Signature, m.Serial = sig, s.Retired.Serial
	}
	return m, nil
}

// UnpublishedSerial is a fresh key serial the bank never issued: "0f" then 14 random
// hex digits (a wire serial has no leading zero, so no certificate can ever have it).
func UnpublishedSerial() string {
	b := make([]byte, 7)
	_, _ = rand.Read(b)
	return "0f" + hex.EncodeToString(b)
}
