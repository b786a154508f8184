package steps

import (
	"crypto/cipher"
	"crypto/rand"
	"encoding/asn1"
	"encoding/base64"
	"errors"
	"fmt"
	"math/big"

	"github.com/tjfoc/gmsm/sm2"
	"github.com/tjfoc/gmsm/sm3"
	"github.com/tjfoc/gmsm/sm4"
)

// The harness's own implementation of the published signing and encryption rules, on
// tjfoc/gmsm (the bank uses emmansun/gmsm). Known tjfoc defects are avoided: sm3's
// Sum(prefix) is broken (Sm3Sum only), its SM4-GCM is wrong (cipher.NewGCM), its sm4
// cipher is not goroutine-safe (a new one per use).

// DefaultUID is the SM2 distinguishing ID of GB/T 35276 (the wire contract's).
var DefaultUID = []byte("1234567812345678")

// hmacSM3 is HMAC (RFC 2104) over SM3, built on Sm3Sum.
func hmacSM3(key, msg []byte) []byte {
	const block = 64
	if len(key) > block {
		key = sm3.Sm3Sum(key)
	}
	k := make([]byte, block)
	copy(k, key)
	ipad, opad := make([]byte, block, block+len(msg)), make([]byte, block, block+32)
	for i := range k {
		ipad[i], opad[i] = k[i]^0x36, k[i]^0x5c
	}
	inner := sm3.Sm3Sum(append(ipad, msg...))
	return sm3.Sm3Sum(append(opad, inner...))
}

// macKey is K = HMAC-SM3(App_Secret, App_ID) (wire contract, A1).
func macKey(secret, appID string) []byte { return hmacSM3([]byte(secret), []byte(appID)) }

// mac is base64(HMAC-SM3(K, s)).
func mac(key []byte, s string) string {
	return base64.StdEncoding.EncodeToString(hmacSM3(key, []byte(s)))
}

// signDER signs msg with SM2-with-SM3 under uid, DER-encoded.
func signDER(key *sm2.PrivateKey, msg, uid []byte) ([]byte, error) {
	r, s, err := sm2.Sm2Sign(key, msg, uid, rand.Reader)
	if err != nil {
		return nil, err
	}
	return asn1.Marshal(struct{ R, S *big.Int }{r, s})
}

// signRaw signs msg and returns the raw 64-byte r‖s (a common integration mistake).
func signRaw(key *sm2.PrivateKey, msg []byte) ([]byte, error) {
	r, s, err := sm2.Sm2Sign(key, msg, DefaultUID, rand.Reader)
	if err != nil {
		return nil, err
	}
	out := make([]byte, 64)
	r.FillBytes(out[:32])
	s.FillBytes(out[32:])
	return out, nil
}

// verifyDER checks a DER SM2-with-SM3 signature under the default ID.
func verifyDER(pub *sm2.PublicKey, msg, sig []byte) bool {
	var rs struct{ R, S *big.Int }
	rest, err := asn1.Unmarshal(sig, &rs)
	if err != nil || len(rest) != 0 || rs.R == nil || rs.S == nil {
		return false
	}
	return sm2.Sm2Verify(pub, msg, DefaultUID, rs.R, rs.S)
}

// envelope is the published field-encryption format: an SM4-GCM content key wrapped with
// SM2 (ASN.1 C1C3C2) to the recipient's encryption key.
type envelope struct {
	Alg        string `json:"alg"`
	Serial     string `json:"serial"`
	Key        string `json:"key"`
	IV         string `json:"iv"`
	Ciphertext string `json:"ciphertext"`
}

func seal(pub *sm2.PublicKey, serial string, plaintext, aad []byte) (envelope, error) {
	key, iv := make([]byte, 16), make([]byte, 12)
	if _, err := rand.Read(key); err != nil {
		return envelope{}, err
	}
	if _, err := rand.Read(iv); err != nil {
		return envelope{}, err
	}
	gcm, err := sm4GCM(key)
	if err != nil {
		return envelope{}, err
	}
	wrapped, err := sm2.EncryptAsn1(pub, key, rand.Reader)
	if err != nil {
		return envelope{}, err
	}
	b := base64.StdEncoding
	return envelope{Alg: "SM2-SM4-GCM", Serial: serial, Key: b.EncodeToString(wrapped), IV: b.EncodeToString(iv),
		Ciphertext: b.EncodeToString(gcm.Seal(nil, iv, plaintext, aad))}, nil
}

func open(priv *sm2.PrivateKey, e envelope, aad []byte) ([]byte, error) {
	if e.Alg != "SM2-SM4-GCM" {
		return nil, fmt.Errorf("envelope alg %q", e.Alg)
	}
	b := base64.StdEncoding
	wrapped, err1 := b.DecodeString(e.Key)
	iv, err2 := b.DecodeString(e.IV)
	ct, err3 := b.DecodeString(e.Ciphertext)
	if err := errors.Join(err1, err2, err3); err != nil {
		return nil, fmt.Errorf("envelope: %w", err)
	}
	key, err := sm2.DecryptAsn1(priv, wrapped)
	if err != nil {
		return nil, fmt.Errorf("envelope key: %w", err)
	}
	gcm, err := sm4GCM(key)
	if err != nil {
		return nil, err
	}
	return gcm.Open(nil, iv, ct, aad)
}

func sm4GCM(key []byte) (cipher.AEAD, error) {
	block, err := sm4.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}
