//go:build ignore

// Command gen_manual_sm2_vector makes a new SM2 key, signs the developer manual's SM2
// verification vector with it, writes manual_sm2_vector.json and forgets the key: the
// private key lives only in this process and is never written (see manual_vectors.go).
//
//	cd sandbox/internal/server && go run gen_manual_sm2_vector.go
package main

import (
	"crypto/rand"
	"encoding/json"
	"encoding/pem"
	"log"
	"os"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/smx509"

	"github.com/jr0185/harness/sandbox/protocol"
)

func main() {
	priv, err := sm2.GenerateKey(rand.Reader)
	if err != nil {
		log.Fatal(err)
	}
	der, err := smx509.MarshalPKIXPublicKey(&priv.PublicKey)
	if err != nil {
		log.Fatal(err)
	}
	v := map[string]string{
		"note":               "JR/T 0185-2020 developer manual SM2 verification vector: the private key was discarded when it was made (see manual_vectors.go)",
		"public_key_pem":     string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})),
		"method":             "POST",
		"path":               "/a2/v1/payments",
		"timestamp":          "1700000000",
		"nonce":              "n0nce-0002",
		"body":               `{"debit_account_id":"acc_demo","amount":"10.00","currency":"CNY","memo":"manual example"}`,
		"response_timestamp": "1700000001",
		"response_nonce":     "b4nk-n0nce-0002",
		"response_body":      `{"payment_id":"pay_demo","status":"pending_confirmation"}`,
	}
	if v["request_signature"], err = protocol.SignSM2(priv, protocol.StringToSign(v["method"], v["path"], v["timestamp"], v["nonce"], []byte(v["body"]))); err != nil {
		log.Fatal(err)
	}
	if v["response_signature"], err = protocol.SignSM2(priv, protocol.ResponseStringToSign(v["response_timestamp"], v["response_nonce"], []byte(v["response_body"]))); err != nil {
		log.Fatal(err)
	}
	out, _ := json.MarshalIndent(v, "", "  ")
	if err := os.WriteFile("manual_sm2_vector.json", append(out, '\n'), 0o600); err != nil {
		log.Fatal(err)
	}
}
