package protocol

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/hmac"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"math/big"
	"strconv"
	"time"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/sm3"
)

// DefaultUID is the SM2 distinguishing ID used on the wire (GB/T 32918 / GM/T 0009 default).
const DefaultUID = "1234567812345678"

// Response and tracing headers.
const (
	HeaderRequestID  = "X-Request-Id"   // 交易流水号, on every response (JR/T 0185-2020 7.3.3)
	HeaderUAPIID     = "X-JR-U-API-ID"  // the API's U_API_ID (JR/T 0185-2020 12.1, annex B)
	HeaderTimestamp  = "X-JR-Timestamp" // response signature: unix seconds
	HeaderNonce      = "X-JR-Nonce"     // response signature: nonce
	HeaderSignature  = "X-JR-Signature" // response signature: base64 DER SM2
	HeaderSerial     = "X-JR-Serial"    // response signature: bank signing key serial
	HeaderMAC        = "X-JR-MAC"       // A1 response MAC: base64 HMAC-SM3
	HeaderIdempotKey = "Idempotency-Key"
)

// StringToSign returns the byte-exact request string that is signed or MACed:
// method, path with query, timestamp, nonce and body, each followed by "\n".
func StringToSign(method, pathWithQuery, timestamp, nonce string, body []byte) []byte {
	var b bytes.Buffer
	b.Grow(len(method) + len(pathWithQuery) + len(timestamp) + len(nonce) + len(body) + 5)
	b.WriteString(method)
	b.WriteByte('\n')
	b.WriteString(pathWithQuery)
	b.WriteByte('\n')
	b.WriteString(timestamp)
	b.WriteByte('\n')
	b.WriteString(nonce)
	b.WriteByte('\n')
	b.Write(body)
	b.WriteByte('\n')
	return b.Bytes()
}

// ResponseStringToSign returns the byte-exact response string the bank signs:
// timestamp, nonce and body, each followed by "\n".
func ResponseStringToSign(timestamp, nonce string, body []byte) []byte {
	var b bytes.Buffer
	b.Grow(len(timestamp) + len(nonce) + len(body) + 3)
	b.WriteString(timestamp)
	b.WriteByte('\n')
	b.WriteString(nonce)
	b.WriteByte('\n')
	b.Write(body)
	b.WriteByte('\n')
	return b.Bytes()
}

// DeriveMACKey turns an App_Secret into the app's MAC key: HMAC-SM3 keyed by the
// App_Secret over the App_ID. The bank keeps only this salted one-way value, never the
// App_Secret (JR/T 0185-2020 7.3.4); a partner computes it once, e.g.
//
//	printf '%s' "$APP_ID" | openssl dgst -sm3 -hmac "$APP_SECRET"
func DeriveMACKey(appSecret, appID string) []byte {
	return MAC([]byte(appSecret), []byte(appID))
}

// MAC is HMAC-SM3.
func MAC(key, msg []byte) []byte {
	m := hmac.New(sm3.New, key)
	m.Write(msg)
	return m.Sum(nil)
}

// MACBase64 is base64(HMAC-SM3(key, msg)), the form carried on the wire.
func MACBase64(key, msg []byte) string {
	return base64.StdEncoding.EncodeToString(MAC(key, msg))
}

// VerifyMAC checks a base64 MAC in constant time.
func VerifyMAC(key, msg []byte, macB64 string) bool {
	got, err := base64.StdEncoding.DecodeString(macB64)
	if err != nil {
		return false
	}
	return hmac.Equal(got, MAC(key, msg))
}

// SignSM2 signs msg with SM2-with-SM3 under the default distinguishing ID and returns
// the DER signature, base64-encoded.
func SignSM2(priv *sm2.PrivateKey, msg []byte) (string, error) {
	sig, err := priv.SignWithSM2(rand.Reader, nil, msg)
	if err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(sig), nil
}

// VerifySM2 checks a base64 DER SM2-with-SM3 signature under the default distinguishing ID.
func VerifySM2(pub *ecdsa.PublicKey, msg []byte, sigB64 string) bool {
	sig, err := base64.StdEncoding.DecodeString(sigB64)
	if err != nil {
		return false
	}
	return sm2.VerifyASN1WithSM2(pub, nil, msg, sig)
}

// SM3Hex is the lowercase hex SM3 digest of b.
func SM3Hex(b []byte) string {
	d := sm3.Sum(b)
	return hex.EncodeToString(d[:])
}

// Timestamp formats t as the wire timestamp (unix seconds).
func Timestamp(t time.Time) string { return strconv.FormatInt(t.Unix(), 10) }

// NewNonce returns a random 32-character hex nonce.
func NewNonce() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// SerialHex renders a certificate serial as the wire key serial: lowercase hex without
// leading zeros.
func SerialHex(n *big.Int) string { return n.Text(16) }
