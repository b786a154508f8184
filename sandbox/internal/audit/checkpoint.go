package audit

import (
	"crypto/ecdsa"
	"crypto/rand"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/emmansun/gmsm/sm2"
)

// JR/T 0185-2020 12.3: a hash chain alone does not stop someone with write
// access from editing a record and recomputing every later hash. Checkpoints
// bind the chain head to the bank's SM2 key: every CheckpointEvery records,
// every CheckpointInterval (if anything new) and on Close the writer signs
//
//	"JR0185-AUDIT-CHECKPOINT\n" + decimal(seq) + "\n" + hex(head_hash) + "\n" + created_at
//
// with SM2-with-SM3 (default distinguishing ID 1234567812345678, DER), where
// created_at is RFC 3339 with nanoseconds in UTC, exactly as stored.

const checkpointTag = "JR0185-AUDIT-CHECKPOINT\n"

// Signer signs checkpoint messages with SM2-with-SM3 under the default
// distinguishing ID, returning a DER signature. Serial names the key so a
// verifier can find the public key (certificate serial or key id).
type Signer interface {
	Sign(msg []byte) ([]byte, error)
	Serial() string
}

// VerifierLookup returns the SM2 public key for a key serial found in the log.
// The serial is read from an untrusted file.
type VerifierLookup func(serial string) (*ecdsa.PublicKey, error)

// Checkpoint is a signed statement that the chain up to record Seq has head
// hash HeadHash.
type Checkpoint struct {
	Seq       int64     `json:"seq"`
	HeadHash  string    `json:"head_hash"` // hex SM3
	CreatedAt time.Time `json:"created_at"`
	KeySerial string    `json:"key_serial"`
	Signature []byte    `json:"signature"` // DER SM2 signature (base64 in JSON)
}

// Message returns the bytes the checkpoint's signature covers.
func (c Checkpoint) Message() []byte {
	return checkpointMessage(c.Seq, c.HeadHash, formatCreatedAt(c.CreatedAt))
}

func checkpointMessage(seq int64, headHex, createdAt string) []byte {
	b := make([]byte, 0, len(checkpointTag)+20+1+len(headHex)+1+len(createdAt))
	b = append(b, checkpointTag...)
	b = strconv.AppendInt(b, seq, 10)
	b = append(b, '\n')
	b = append(b, headHex...)
	b = append(b, '\n')
	return append(b, createdAt...)
}

func formatCreatedAt(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// sm2Signer adapts an SM2 private key to Signer.
type sm2Signer struct {
	priv   *sm2.PrivateKey
	serial string
}

var _ Signer = (*sm2Signer)(nil)

// NewSM2Signer returns a Signer that signs with priv (SM2-with-SM3, default
// distinguishing ID, DER) and reports serial as the key's serial.
func NewSM2Signer(priv *sm2.PrivateKey, serial string) Signer {
	return &sm2Signer{priv: priv, serial: serial}
}

// Sign signs msg. It is equivalent to priv.SignWithSM2(rand.Reader, nil, msg),
// which gmsm v0.44 marks deprecated in favour of this form.
func (s *sm2Signer) Sign(msg []byte) ([]byte, error) {
	return s.priv.Sign(rand.Reader, msg, sm2.DefaultSM2SignerOpts)
}

func (s *sm2Signer) Serial() string { return s.serial }

// errBadSignature is returned by verifySignature for a signature that does
// not verify under the key.
var errBadSignature = errors.New("signature does not verify")

// verifySignature checks sig over msg under pub. Everything here comes from
// an untrusted file (or a caller's lookup), so it never panics.
func verifySignature(pub *ecdsa.PublicKey, msg, sig []byte) (err error) {
	if pub == nil || pub.Curve == nil {
		return errors.New("lookup returned no usable public key")
	}
	if pub.Curve.Params() != sm2.P256().Params() {
		return errors.New("public key is not on the SM2 curve")
	}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("signature verification failed: %v", r)
		}
	}()
	if !sm2.VerifyASN1WithSM2(pub, nil, msg, sig) {
		return errBadSignature
	}
	return nil
}
