package bank_test

import (
	"crypto/tls"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// readmeBlock returns the shell block between <!-- tour:NAME:start --> and :end.
func readmeBlock(t *testing.T, name string) string {
	t.Helper()
	raw, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	s := string(raw)
	start := strings.Index(s, "<!-- tour:"+name+":start -->")
	end := strings.Index(s, "<!-- tour:"+name+":end -->")
	if start < 0 || end < start {
		t.Fatalf("README has no tour:%s block", name)
	}
	block := s[start:end]
	block = block[strings.Index(block, "```sh\n")+len("```sh\n"):]
	return block[:strings.LastIndex(block, "```")]
}

// TestReadmeOpenSSLCurlTour is the independent-implementation check: the A1 MAC is
// computed by the OpenSSL command line and the call made by curl, following only the
// README; the bank's SM2 response signature and MAC are verified by OpenSSL too.
func TestReadmeOpenSSLCurlTour(t *testing.T) {
	t.Parallel()
	for _, tool := range []string{"bash", "openssl", "curl"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is required (make test installs it): %v", tool, err)
		}
	}
	tb := startBank(t, nil)
	work := t.TempDir()
	script := readmeBlock(t, "a1-openssl")
	cmd := exec.Command("bash", "-euo", "pipefail", "-c", script)
	cmd.Dir = work
	cmd.Env = append(os.Environ(), "BANK="+tb.b.URL, "CRED="+tb.b.DemoDir)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("README tour failed: %v\n%s", err, out)
	}
	for _, want := range []string{`"items":[`, `"category":"deposit"`, "Signature Verified Successfully", "Response MAC verified"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("README tour output lacks %q:\n%s", want, out)
		}
	}

	// The same OpenSSL check must fail on a response changed by one byte.
	sts := filepath.Join(work, "response.sts")
	b, err := os.ReadFile(sts)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)-3] ^= 1
	if err := os.WriteFile(sts, b, 0o600); err != nil {
		t.Fatal(err)
	}
	verify := exec.Command("openssl", "pkeyutl", "-verify", "-pubin", "-inkey", "bank-sign.pub", "-rawin", "-digest", "sm3",
		"-pkeyopt", "distid:1234567812345678", "-in", "response.sts", "-sigfile", "response.sig")
	verify.Dir = work
	if out, err := verify.CombinedOutput(); err == nil {
		t.Fatalf("OpenSSL verified a tampered response:\n%s", out)
	}

}

// TestReadmeRegisterTour runs the tour's self-service registration block verbatim:
// keys made by OpenSSL, the registration posted by curl; the bank answers with an
// App_ID and the three certificates, and the client certificate pairs with the key
// OpenSSL made.
func TestReadmeRegisterTour(t *testing.T) {
	t.Parallel()
	for _, tool := range []string{"bash", "openssl", "curl", "awk"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is required (make test installs it): %v", tool, err)
		}
	}
	tb := startBank(t, nil)
	work := t.TempDir()
	cmd := exec.Command("bash", "-euo", "pipefail", "-c", readmeBlock(t, "register"))
	cmd.Dir = work
	cmd.Env = append(os.Environ(), "BANK="+tb.b.URL, "CA="+tb.b.TLSCAFile)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("README registration tour failed: %v\n%s", err, out)
	}
	var res struct {
		App struct {
			ID     string `json:"app_id"`
			Status string
		}
		Credentials struct {
			AppSecret string `json:"app_secret"`
		}
		Certificates []rgCert
	}
	raw, err := os.ReadFile(filepath.Join(work, "registration.out"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &res); err != nil || res.App.ID == "" || res.Credentials.AppSecret == "" || len(res.Certificates) != 3 || res.App.Status != "pending" {
		t.Fatalf("registration answer: %v\n%s", err, raw)
	}
	if err := os.WriteFile(filepath.Join(work, "client.crt"), []byte(res.Certificates[0].Certificate), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := tls.LoadX509KeyPair(filepath.Join(work, "client.crt"), filepath.Join(work, "client.key")); err != nil || res.Certificates[0].Kind != "client_cert" {
		t.Errorf("the issued client certificate (%s) does not pair with OpenSSL's key: %v", res.Certificates[0].Kind, err)
	}
}
