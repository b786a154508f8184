package server

import (
	_ "embed"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/jr0185/harness/sandbox/protocol"
)

// The developer manual's worked test vectors (JR/T 0185-2020 12.1/5: 开发手册包括…集成示例).
//
// One source: this file. The page (/docs/manual) and its data (/docs/manual/vectors.json)
// render the same []vector, and TestManualVectorsReproduceWithOpenSSL (sandbox/bank) runs
// each vector's shell script exactly as the page shows it, with the openssl command line,
// and compares the output with the published value.
//
// Every vector is deterministic:
//   - HMAC-SM3 key derivation, the SM3 digest of a string to sign, the request and
//     response MACs and the SM4-GCM ciphertext are computed here, at start, by the bank's
//     own protocol code from fixed inputs;
//   - SM2 signing is randomized (a fresh k per signature), so the SM2 vectors are
//     verification vectors: a public key, a message and a signature that verifies. They
//     were generated once (cd sandbox/internal/server && go run gen_manual_sm2_vector.go)
//     and only the public key, the messages and the signatures are
//     committed (manual_sm2_vector.json); the private key was never written anywhere. A
//     vector signed at every start would change with each restart, so a partner could not
//     pin it in a test suite; a committed private key would be a signing key anybody can
//     use, which a manual must not teach.

// manualSM2JSON is the committed SM2 verification vector.
//
//go:embed manual_sm2_vector.json
var manualSM2JSON []byte

// sm2Vector is the committed SM2 verification vector: one request signature and one
// response signature under a key made for the manual only (never the bank's).
type sm2Vector struct {
	Note              string `json:"note"`
	PublicKeyPEM      string `json:"public_key_pem"`
	Method            string `json:"method"`
	Path              string `json:"path"`
	Timestamp         string `json:"timestamp"`
	Nonce             string `json:"nonce"`
	Body              string `json:"body"`
	RequestSignature  string `json:"request_signature"`
	ResponseTimestamp string `json:"response_timestamp"`
	ResponseNonce     string `json:"response_nonce"`
	ResponseBody      string `json:"response_body"`
	ResponseSignature string `json:"response_signature"`
}

func loadSM2Vector() (sm2Vector, error) {
	var v sm2Vector
	err := json.Unmarshal(manualSM2JSON, &v)
	return v, err
}

// vector is one worked example: files to create, a command, and its expected output.
type vector struct {
	ID       string       `json:"id"`
	Title    string       `json:"title"`
	Clause   string       `json:"clause"`
	Explain  string       `json:"explain"`
	Files    []vectorFile `json:"files"`
	Command  string       `json:"command"`
	Script   string       `json:"script"`   // the files' creation, then Command: what the page shows and the test runs
	Expected string       `json:"expected"` // the script's standard output, trimmed
}

type vectorFile struct {
	Name    string `json:"name"`
	Content string `json:"content"`
}

// The fixed inputs of the deterministic vectors.
const (
	vecAppID     = "APPDEMO000001"
	vecAppSecret = "demo-secret" // #nosec G101 -- a published example value, not a credential
	vecTimestamp = "1700000000"
	vecA1Path    = "/a1/v1/products?page=1"
	vecA1Nonce   = "n0nce-0001"
	vecRespNonce = "b4nk-n0nce-0001"
	vecRespBody  = `{"products":[],"page":1}`
	vecSM4Key    = "0123456789abcdeffedcba9876543210"
	vecSM4IV     = "00112233445566778899aabb"
	vecPayee     = `{"account":"6217000011112222333","name":"王小二"}`
	vecPayeeAAD  = "payee"
	verifiedOK   = "Signature Verified Successfully"
	distIDOpt    = "-pkeyopt distid:" + protocol.DefaultUID
)

// manualVectors computes the vectors. macOverride, when non-nil, replaces the bytes the
// request MAC is computed over (the manual-example-wrong mutant).
func manualVectors(macOverride func([]byte) []byte) ([]vector, error) {
	key := protocol.DeriveMACKey(vecAppSecret, vecAppID)
	keyHex := hex.EncodeToString(key)
	a1 := protocol.StringToSign("GET", vecA1Path, vecTimestamp, vecA1Nonce, nil)
	macd := a1
	if macOverride != nil {
		macd = macOverride(a1)
	}
	resp := protocol.ResponseStringToSign(vecTimestamp, vecRespNonce, []byte(vecRespBody))
	sv, err := loadSM2Vector()
	if err != nil {
		return nil, fmt.Errorf("manual SM2 vector: %w", err)
	}
	a2 := protocol.StringToSign(sv.Method, sv.Path, sv.Timestamp, sv.Nonce, []byte(sv.Body))
	a2resp := protocol.ResponseStringToSign(sv.ResponseTimestamp, sv.ResponseNonce, []byte(sv.ResponseBody))
	ct, tag, err := sm4GCM(vecSM4Key, vecSM4IV, vecPayee, vecPayeeAAD)
	if err != nil {
		return nil, err
	}
	vs := []vector{
		{ID: "mac-key", Title: "A1 MAC key K = HMAC-SM3(key = App_Secret, message = App_ID)", Clause: "9.2.2/1, 7.3.4",
			Explain:  "The bank stores only K, never the App_Secret. Output: K in hex.",
			Command:  fmt.Sprintf("printf '%%s' '%s' | openssl dgst -sm3 -hmac '%s' -r | cut -d' ' -f1", vecAppID, vecAppSecret),
			Expected: keyHex},
		{ID: "request-sm3", Title: "SM3 digest of an A1 string to sign", Clause: "7.2.2/1",
			Explain: "The string to sign of GET " + vecA1Path + " with an empty body: method, path with query, timestamp, nonce, body, each followed by \\n. In sandbox mode a refused signature echoes this digest.",
			Files:   []vectorFile{{"a1-request.sts", string(a1)}},
			Command: "openssl dgst -sm3 -r a1-request.sts | cut -d' ' -f1", Expected: protocol.SM3Hex(a1)},
		{ID: "request-mac", Title: "A1 request MAC = base64(HMAC-SM3(K, string to sign))", Clause: "9.2.2/1",
			Explain:  "The value of signature=\"…\" in the Authorization header.",
			Files:    []vectorFile{{"a1-request.sts", string(a1)}},
			Command:  "openssl dgst -sm3 -mac HMAC -macopt hexkey:" + keyHex + " -binary a1-request.sts | base64 -w0",
			Expected: protocol.MACBase64(key, macd)},
		{ID: "response-mac", Title: "A1 answer MAC (X-JR-MAC) = base64(HMAC-SM3(K, timestamp\\nnonce\\nbody\\n))", Clause: "9.2.2/1, 9.3.3/1",
			Explain:  "The answer's string is its X-JR-Timestamp, X-JR-Nonce and body, each followed by \\n.",
			Files:    []vectorFile{{"a1-response.sts", string(resp)}},
			Command:  "openssl dgst -sm3 -mac HMAC -macopt hexkey:" + keyHex + " -binary a1-response.sts | base64 -w0",
			Expected: protocol.MACBase64(key, resp)},
		{ID: "request-signature", Title: "A2 request signature: SM2 with SM3, distinguishing ID " + protocol.DefaultUID + ", DER, base64", Clause: "7.2.1 a) 2), 9.2.2/2",
			Explain: "A verification vector (SM2 signing is randomized, so a signature cannot be recomputed, only verified). The key was made for this manual only.",
			Files: []vectorFile{{"manual-sm2.pub", sv.PublicKeyPEM}, {"a2-request.sts", string(a2)},
				{"a2-request.sig.b64", sv.RequestSignature + "\n"}},
			Command:  "base64 -d a2-request.sig.b64 > a2-request.sig\nopenssl pkeyutl -verify -pubin -inkey manual-sm2.pub -rawin -digest sm3 " + distIDOpt + " -in a2-request.sts -sigfile a2-request.sig",
			Expected: verifiedOK},
		{ID: "response-signature", Title: "Answer signature (X-JR-Signature) over timestamp\\nnonce\\nbody\\n", Clause: "9.3.3/1",
			Explain: "Verify every answer before using it; here the manual's key stands in for the bank's (take the bank's from /pki/bank-sign-certs.pem by X-JR-Serial).",
			Files: []vectorFile{{"manual-sm2.pub", sv.PublicKeyPEM}, {"a2-response.sts", string(a2resp)},
				{"a2-response.sig.b64", sv.ResponseSignature + "\n"}},
			Command:  "base64 -d a2-response.sig.b64 > a2-response.sig\nopenssl pkeyutl -verify -pubin -inkey manual-sm2.pub -rawin -digest sm3 " + distIDOpt + " -in a2-response.sts -sigfile a2-response.sig",
			Expected: verifiedOK},
		{ID: "sm4-gcm", Title: "Field encryption: SM4-GCM ciphertext of a payee", Clause: "7.2.2/3",
			Explain: "SM4-GCM with a 12-byte IV encrypts with SM4-CTR from the counter block IV‖00000002, so openssl enc -sm4-ctr reproduces the ciphertext; the envelope's ciphertext field is this ciphertext followed by the 16-byte GCM tag " +
				base64.StdEncoding.EncodeToString(tag) + " (over aad \"" + vecPayeeAAD + "\"), which openssl's command line cannot compute: check it with your GCM implementation. SM4 key " + vecSM4Key + ", IV " + vecSM4IV + ".",
			Files:    []vectorFile{{"payee.json", vecPayee}},
			Command:  "openssl enc -sm4-ctr -K " + vecSM4Key + " -iv " + vecSM4IV + "00000002 -in payee.json | base64 -w0",
			Expected: base64.StdEncoding.EncodeToString(ct)},
	}
	for i := range vs {
		vs[i].Script = vs[i].script()
	}
	return vs, nil
}

// sm4GCM is the envelope's content encryption with a given key and IV (protocol.Seal
// draws both at random): ciphertext and tag.
func sm4GCM(keyHex, ivHex, plain, aad string) (ct, tag []byte, err error) {
	key, _ := hex.DecodeString(keyHex)
	iv, _ := hex.DecodeString(ivHex)
	gcm, err := protocol.NewSM4GCM(key)
	if err != nil {
		return nil, nil, err
	}
	out := gcm.Seal(nil, iv, []byte(plain), []byte(aad)) // #nosec G407 -- a published test vector: the fixed IV is the point
	n := len(out) - gcm.Overhead()
	return out[:n], out[n:], nil
}

// script creates the vector's files byte for byte (printf, or a quoted here-document
// for PEM), then runs the command: copy it into a shell and compare with Expected.
func (v vector) script() string {
	var b strings.Builder
	for _, f := range v.Files {
		if strings.HasPrefix(f.Content, "-----BEGIN") {
			fmt.Fprintf(&b, "cat > %s <<'EOF'\n%sEOF\n", f.Name, f.Content)
			continue
		}
		fmt.Fprintf(&b, "printf '%s' > %s\n", printfEscape(f.Content), f.Name)
	}
	b.WriteString(v.Command)
	return b.String()
}

// printfEscape writes s as a printf format inside single quotes.
func printfEscape(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `%%`, "\n", `\n`, `'`, `'\''`)
	return r.Replace(s)
}
