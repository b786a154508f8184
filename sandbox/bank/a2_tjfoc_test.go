package bank_test

import (
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	tjsm2 "github.com/tjfoc/gmsm/sm2"
	tjx509 "github.com/tjfoc/gmsm/x509"
)

// TestA2TjfocInterop signs an A2 request with a second, independent SM2 implementation
// (tjfoc/gmsm; the bank uses emmansun/gmsm), builds the string to sign by hand from
// the documented contract, and verifies the bank's response signature with tjfoc too.
func TestA2TjfocInterop(t *testing.T) {
	t.Parallel()
	tb := startBank(t, nil)
	dir := tb.b.DemoDir
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	key, err := tjx509.ReadPrivateKeyFromPem(read("sign.key"), nil)
	if err != nil {
		t.Fatalf("tjfoc cannot read the partner's SM2 key: %v", err)
	}
	signCert, err := tjx509.ReadCertificateFromPem(read("sign.crt"))
	if err != nil {
		t.Fatal(err)
	}
	bankCert, err := tjx509.ReadCertificateFromPem(read("bank-sign.crt"))
	if err != nil {
		t.Fatal(err)
	}
	ec, ok := bankCert.PublicKey.(*ecdsa.PublicKey) // tjfoc's parser returns the SM2 key as ECDSA
	if !ok {
		t.Fatalf("bank certificate key is %T", bankCert.PublicKey)
	}
	//lint:ignore SA1019 tjfoc's key type is built from raw coordinates; nothing is modified
	bankPub := &tjsm2.PublicKey{Curve: tjsm2.P256Sm2(), X: ec.X, Y: ec.Y}
	var creds struct {
		AppID string `json:"app_id"`
	}
	raw := string(read("credentials.json"))
	creds.AppID = strings.Split(strings.Split(raw, `"app_id": "`)[1], `"`)[0]

	uri, body := "/a2/v1/oauth/revoke", "token=at_not_a_real_token"
	ts, nonce := strconv.FormatInt(time.Now().Unix(), 10), "tjfoc-nonce-0001"
	sts := "POST\n" + uri + "\n" + ts + "\n" + nonce + "\n" + body + "\n"
	sig, err := key.Sign(rand.Reader, []byte(sts), nil) // tjfoc: signs the message, default ID, DER
	if err != nil {
		t.Fatal(err)
	}
	serial := fmt.Sprintf("%x", signCert.SerialNumber)

	clientCert, err := tls.X509KeyPair(read("client.crt"), read("client.key"))
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(read("tls-ca.crt"))
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{
		MinVersion: tls.VersionTLS12, RootCAs: pool, Certificates: []tls.Certificate{clientCert}}}}
	req, _ := http.NewRequest("POST", tb.b.URL+uri, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", fmt.Sprintf(`JR0185-SM2-SM3 app_id="%s",serial="%s",timestamp="%s",nonce="%s",signature="%s"`,
		creds.AppID, serial, ts, nonce, base64.StdEncoding.EncodeToString(sig)))
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	rb, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || !strings.Contains(string(rb), `"revoked":true`) {
		t.Fatalf("tjfoc-signed call refused: %d %s", resp.StatusCode, rb)
	}
	rsig, _ := base64.StdEncoding.DecodeString(resp.Header.Get("X-JR-Signature"))
	msg := resp.Header.Get("X-JR-Timestamp") + "\n" + resp.Header.Get("X-JR-Nonce") + "\n" + string(rb) + "\n"
	if !bankPub.Verify([]byte(msg), rsig) {
		t.Fatal("tjfoc does not verify the bank's response signature")
	}
	if bankPub.Verify([]byte(msg+" "), rsig) {
		t.Fatal("tjfoc verified a changed response")
	}
}
