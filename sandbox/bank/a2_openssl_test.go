package bank_test

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// a2OpenSSLScript signs an A2 request with the OpenSSL command line (SM2 with SM3 and
// the default distinguishing ID, DER), sends it with curl over mutual TLS, and checks
// the bank's SM2 response signature with OpenSSL: no Go code on the partner's side.
const a2OpenSSLScript = `
field() { sed -n "s/.*\"$1\": *\"\([^\"]*\)\".*/\1/p" "$CRED/credentials.json"; }
APP_ID=$(field app_id); SERIAL=$(field sign_serial)
URI=/a2/v1/oauth/revoke; BODY='token=at_not_a_real_token'
TS=$(date +%s); NONCE=$(openssl rand -hex 16)
printf 'POST\n%s\n%s\n%s\n%s\n' "$URI" "$TS" "$NONCE" "$BODY" > request.sts
openssl pkeyutl -sign -inkey "$CRED/sign.key" -rawin -digest sm3 -pkeyopt distid:1234567812345678 \
  -in request.sts -out request.sig
SIG=$(base64 -w0 request.sig)
curl -sS --fail-with-body --tlsv1.2 --cacert "$CRED/tls-ca.crt" --cert "$CRED/client.crt" --key "$CRED/client.key" \
  -D response.headers -o response.body -H 'Content-Type: application/x-www-form-urlencoded' \
  -H "Authorization: JR0185-SM2-SM3 app_id=\"$APP_ID\",serial=\"$SERIAL\",timestamp=\"$TS\",nonce=\"$NONCE\",signature=\"$SIG\"" \
  --data-binary "$BODY" "$BANK$URI"
cat response.body; echo
header() { grep -i "^$1:" response.headers | cut -d' ' -f2- | tr -d '\r'; }
{ printf '%s\n%s\n' "$(header X-JR-Timestamp)" "$(header X-JR-Nonce)"; cat response.body; printf '\n'; } > response.sts
header X-JR-Signature | base64 -d > response.sig
openssl x509 -in "$CRED/bank-sign.crt" -pubkey -noout > bank-sign.pub
openssl pkeyutl -verify -pubin -inkey bank-sign.pub -rawin -digest sm3 -pkeyopt distid:1234567812345678 \
  -in response.sts -sigfile response.sig
`

func TestA2OpenSSLCurlInterop(t *testing.T) {
	t.Parallel()
	tb := startBank(t, nil)
	cmd := exec.Command("bash", "-euo", "pipefail", "-c", a2OpenSSLScript)
	cmd.Dir = t.TempDir()
	cmd.Env = append(os.Environ(), "BANK="+tb.b.URL, "CRED="+tb.b.DemoDir)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("OpenSSL-signed A2 call failed: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), `"revoked":true`) || !strings.Contains(string(out), "Signature Verified Successfully") {
		t.Fatalf("unexpected output:\n%s", out)
	}
}
