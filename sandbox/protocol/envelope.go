package protocol

import (
	"crypto/cipher"
	"crypto/ecdsa"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/sm4"
)

// EnvelopeAlg names the field-encryption scheme: an SM4-GCM content key, itself
// encrypted with SM2 (ASN.1, C1C3C2) to the recipient's encryption certificate.
const EnvelopeAlg = "SM2-SM4-GCM"

// Envelope carries an encrypted value on the wire (JR/T 0185-2020 7.2.2/3b: account and
// card numbers, names, ID and phone numbers are encrypted in transit; 7.3.4/1: to an
// encryption key separate from the signing key).
type Envelope struct {
	Alg        string `json:"alg"`
	Serial     string `json:"serial"`     // serial of the recipient's encryption certificate
	Key        string `json:"key"`        // base64 SM2 ciphertext (ASN.1 C1C3C2) of the 16-byte SM4 key
	IV         string `json:"iv"`         // base64 12-byte GCM nonce
	Ciphertext string `json:"ciphertext"` // base64 SM4-GCM ciphertext with its 16-byte tag
}

// Seal encrypts plaintext to pub. aad binds the ciphertext to its context (e.g. the
// field name), so a value cannot be moved to another field unnoticed.
func Seal(pub *ecdsa.PublicKey, serial string, plaintext, aad []byte) (Envelope, error) {
	key := make([]byte, 16)
	iv := make([]byte, 12)
	if _, err := rand.Read(key); err != nil {
		return Envelope{}, err
	}
	if _, err := rand.Read(iv); err != nil {
		return Envelope{}, err
	}
	gcm, err := NewSM4GCM(key)
	if err != nil {
		return Envelope{}, err
	}
	wrapped, err := sm2.EncryptASN1(rand.Reader, pub, key)
	if err != nil {
		return Envelope{}, err
	}
	enc := base64.StdEncoding
	return Envelope{Alg: EnvelopeAlg, Serial: serial, Key: enc.EncodeToString(wrapped), IV: enc.EncodeToString(iv),
		Ciphertext: enc.EncodeToString(gcm.Seal(nil, iv, plaintext, aad))}, nil
}

// ErrEnvelope is wrapped by every Open failure.
var ErrEnvelope = errors.New("cannot open envelope")

// Open decrypts an envelope with the recipient's SM2 encryption key.
func Open(priv *sm2.PrivateKey, e Envelope, aad []byte) ([]byte, error) {
	if e.Alg != EnvelopeAlg {
		return nil, fmt.Errorf("%w: alg %q, want %s", ErrEnvelope, clip(e.Alg), EnvelopeAlg)
	}
	enc := base64.StdEncoding
	wrapped, err1 := enc.DecodeString(e.Key)
	iv, err2 := enc.DecodeString(e.IV)
	ct, err3 := enc.DecodeString(e.Ciphertext)
	if err1 != nil || err2 != nil || err3 != nil || len(iv) != 12 || len(wrapped) > 512 {
		return nil, fmt.Errorf("%w: malformed base64 fields", ErrEnvelope)
	}
	key, err := sm2.Decrypt(priv, wrapped)
	if err != nil || len(key) != 16 {
		return nil, fmt.Errorf("%w: the content key does not decrypt with this key (serial %s?)", ErrEnvelope, clip(e.Serial))
	}
	gcm, err := NewSM4GCM(key)
	if err != nil {
		return nil, err
	}
	pt, err := gcm.Open(nil, iv, ct, aad)
	if err != nil {
		return nil, fmt.Errorf("%w: authentication failed (tampered, or wrong field)", ErrEnvelope)
	}
	return pt, nil
}

// ParseEnvelope reads an envelope from JSON.
func ParseEnvelope(raw []byte) (Envelope, error) {
	var e Envelope
	if len(raw) > 4096 {
		return e, fmt.Errorf("%w: larger than 4096 bytes", ErrEnvelope)
	}
	if err := json.Unmarshal(raw, &e); err != nil {
		return e, fmt.Errorf("%w: not JSON", ErrEnvelope)
	}
	return e, nil
}

// NewSM4GCM builds SM4-GCM, the envelope's content encryption, with the standard
// cipher.NewGCM (not a hand-rolled mode).
func NewSM4GCM(key []byte) (cipher.AEAD, error) {
	block, err := sm4.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}
