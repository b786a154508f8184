package server

import (
	"crypto/ecdsa"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"os/exec"
	"testing"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/smx509"

	"github.com/jr0185/harness/sandbox/protocol"
)

func vectorPub(t *testing.T, v sm2Vector) *ecdsa.PublicKey {
	t.Helper()
	block, _ := pem.Decode([]byte(v.PublicKeyPEM))
	if block == nil {
		t.Fatal("the vector's public key is not PEM")
	}
	k, err := smx509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	pub, ok := k.(*ecdsa.PublicKey)
	if !ok {
		t.Fatalf("the vector's key is %T", k)
	}
	return pub
}

// The committed SM2 vector verifies with the bank's own protocol code over the bank's
// own canonical strings (if the string-to-sign format changed, regenerate it).
func TestManualSM2VectorVerifiesWithTheBanksCode(t *testing.T) {
	v, err := loadSM2Vector()
	if err != nil {
		t.Fatal(err)
	}
	pub := vectorPub(t, v)
	if !protocol.VerifySM2(pub, protocol.StringToSign(v.Method, v.Path, v.Timestamp, v.Nonce, []byte(v.Body)), v.RequestSignature) {
		t.Error("the request signature does not verify")
	}
	if !protocol.VerifySM2(pub, protocol.ResponseStringToSign(v.ResponseTimestamp, v.ResponseNonce, []byte(v.ResponseBody)), v.ResponseSignature) {
		t.Error("the response signature does not verify")
	}
}

// The SM4-GCM vector is the bank's envelope format: wrapped to a recipient key, the
// published ciphertext and tag open with protocol.Open under aad "payee".
func TestManualSM4VectorOpensAsAnEnvelope(t *testing.T) {
	ct, tag, err := sm4GCM(vecSM4Key, vecSM4IV, vecPayee, vecPayeeAAD)
	if err != nil {
		t.Fatal(err)
	}
	priv, err := sm2.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	key := mustHex(t, vecSM4Key)
	wrapped, err := sm2.EncryptASN1(rand.Reader, &priv.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	enc := base64.StdEncoding
	env := protocol.Envelope{Alg: protocol.EnvelopeAlg, Serial: "1", Key: enc.EncodeToString(wrapped),
		IV: enc.EncodeToString(mustHex(t, vecSM4IV)), Ciphertext: enc.EncodeToString(append(ct, tag...))}
	plain, err := protocol.Open(priv, env, []byte(vecPayeeAAD))
	if err != nil || string(plain) != vecPayee {
		t.Fatalf("the vector does not open as an envelope: %q %v", plain, err)
	}
}

// Every published vector's expected value is what the bank's code computes, and the
// manual-example-wrong mutant changes exactly the request MAC.
func TestManualVectorsAreTheBanksValues(t *testing.T) {
	vs, err := manualVectors(nil)
	if err != nil {
		t.Fatal(err)
	}
	bad, err := manualVectors(func(b []byte) []byte { return b[:len(b)-1] })
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	for i, v := range vs {
		if ids[v.ID] || v.Expected == "" || v.Script == "" {
			t.Errorf("vector %d (%s): duplicate id or empty", i, v.ID)
		}
		ids[v.ID] = true
		if (bad[i].Expected != v.Expected) != (v.ID == "request-mac") {
			t.Errorf("vector %s: the mutant changes it: %v", v.ID, bad[i].Expected != v.Expected)
		}
	}
	key := protocol.DeriveMACKey(vecAppSecret, vecAppID)
	if got := vs[2].Expected; got != protocol.MACBase64(key, protocol.StringToSign("GET", vecA1Path, vecTimestamp, vecA1Nonce, nil)) {
		t.Errorf("request MAC %s", got)
	}
}

// printf with the escaped format prints the content byte for byte.
func TestPrintfEscapeRoundTrips(t *testing.T) {
	for _, s := range []string{"a\nb\n", `100% \n '"` + "\n", "王小二\n", "GET\n/a1/v1/products?page=1\n1700000000\nn0nce-0001\n\n"} {
		out, err := exec.Command("bash", "-c", "printf '"+printfEscape(s)+"'").Output()
		if err != nil || string(out) != s {
			t.Errorf("%q printed as %q (%v)", s, out, err)
		}
	}
}

func mustHex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
