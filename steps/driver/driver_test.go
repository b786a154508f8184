package driver

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

func TestHTTPTransport(t *testing.T) {
	srv := httptest.NewServer(Handler(func(_ context.Context, action string, params json.RawMessage) Envelope {
		switch action {
		case Balance:
			var p AccountParams
			if json.Unmarshal(params, &p) != nil || p.AccountID == "" {
				return Fail(CodeInvalid, "account_id is required")
			}
			env, _ := OKEnvelope(BalanceResult{AccountID: p.AccountID, Available: "1.00", Currency: "CNY"})
			return env
		case Log:
			env, _ := OKEnvelope(LogResult{Lines: []string{"one", "two"}})
			return env
		}
		return Fail(CodeUnsupported, "%s is not implemented", action)
	}))
	defer srv.Close()
	d, err := Open(srv.URL + "/driver/")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var b BalanceResult
	if err := d.Do(ctx, Balance, AccountParams{AccountID: "ac_1"}, &b); err != nil || b.Available != "1.00" {
		t.Fatalf("balance: %v %+v", err, b)
	}
	if err := d.Do(ctx, Balance, AccountParams{}, nil); Code(err) != CodeInvalid {
		t.Fatalf("a refused action gives its code: %v", err)
	}
	if err := d.Do(ctx, Holdings, nil, nil); Code(err) != CodeUnsupported {
		t.Fatalf("an unknown action gives unsupported: %v", err)
	}
	if lines, err := d.Log(ctx); err != nil || len(lines) != 2 {
		t.Fatalf("log: %v %v", lines, err)
	}
}

func TestCommandTransport(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("the test partner is a shell script")
	}
	dir := t.TempDir()
	script := filepath.Join(dir, "partner.sh")
	// Keeps a counter in its state directory, logs to stderr, answers on stdout.
	src := `#!/bin/sh
params=$(cat)
n=$(cat "$JR0185_DRIVER_STATE/n" 2>/dev/null || echo 0); n=$((n+1)); echo $n > "$JR0185_DRIVER_STATE/n"
echo "call $n: $1 $params" >&2
case "$1" in
  list_products) echo '{"ok":true,"result":{"products":[{"product_id":"p1","name":"Deposit"}]}}' ;;
  reset) echo '{"ok":true,"result":{}}' ;;
  garbage) echo 'not json' ;;
  *) echo '{"ok":false,"error":{"code":"unsupported","message":"no"}}' ;;
esac
`
	if err := os.WriteFile(script, []byte(src), 0o700); err != nil { // #nosec G306 -- an executable test script
		t.Fatal(err)
	}
	d, err := Open("exec:" + script)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	ctx := context.Background()
	var p ProductsResult
	if err := d.Do(ctx, ListProducts, nil, &p); err != nil || len(p.Products) != 1 || p.Products[0].ProductID != "p1" {
		t.Fatalf("list_products: %v %+v", err, p)
	}
	if err := d.Do(ctx, Balance, AccountParams{AccountID: "x"}, nil); Code(err) != CodeUnsupported {
		t.Fatalf("refusal: %v", err)
	}
	if err := d.Do(ctx, "garbage", nil, nil); err == nil || Code(err) != "" {
		t.Fatalf("a non-envelope is a transport error: %v", err)
	}
	lines, _ := d.Log(ctx)
	if len(lines) != 3 || lines[2] != "call 3: garbage {}" {
		t.Fatalf("stderr is the log, and state persists between calls: %q", lines)
	}
	if err := d.Do(ctx, Reset, nil, nil); err != nil {
		t.Fatal(err)
	}
	if lines, _ := d.Log(ctx); len(lines) != 0 {
		t.Fatalf("reset empties the log: %q", lines)
	}
}

func TestOpenRefusesUnknownSchemes(t *testing.T) {
	if _, err := Open("ftp://x"); err == nil {
		t.Fatal("ftp accepted")
	}
	if _, err := Open("exec:"); err == nil {
		t.Fatal("empty command accepted")
	}
}
