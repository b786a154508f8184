package bank_test

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"io"
	"io/fs"
	"math/big"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/jr0185/harness/sandbox/protocol"
)

// adminAs calls the admin API with the given Authorization header ("" sends none) and
// returns the response (checked by tb.do: problem+json with a request id on errors)
// with its JSON body decoded. body is sent as is when it is a string, else as JSON.
func (tb *testBank) adminAs(auth, method, path string, body any) (*resp, map[string]any) {
	tb.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			tb.t.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, tb.b.URL+path, rd)
	if err != nil {
		tb.t.Fatal(err)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	r := tb.do(req, false)
	var out map[string]any
	_ = json.Unmarshal(r.Body, &out)
	return r, out
}

// adminCall is adminAs with the bank's admin token.
func (tb *testBank) adminCall(method, path string, body any) (*resp, map[string]any) {
	tb.t.Helper()
	return tb.adminAs("Bearer "+tb.b.AdminToken, method, path, body)
}

// register registers an app through the admin API without approving it.
func (tb *testBank) register(reg map[string]any) (a1App, map[string]any) {
	tb.t.Helper()
	r, out := tb.adminCall("POST", "/admin/v1/apps", reg)
	if r.Status != 201 {
		tb.t.Fatalf("register: %s", r)
	}
	app := out["app"].(map[string]any)
	creds := out["credentials"].(map[string]any)
	a := a1App{ID: app["app_id"].(string), Secret: creds["app_secret"].(string), Serial: creds["serial"].(string)}
	a.MACKey = protocol.DeriveMACKey(a.Secret, a.ID)
	return a, out
}

// rotate issues a new App_Secret for a with the given overlap and returns the app as
// it must call from now on.
func (tb *testBank) rotate(a a1App, overlapSeconds int) a1App {
	tb.t.Helper()
	r, out := tb.adminCall("POST", "/admin/v1/apps/"+a.ID+"/secrets", map[string]any{"overlap_seconds": overlapSeconds})
	if r.Status != 201 {
		tb.t.Fatalf("rotate secret: %s", r)
	}
	creds := out["credentials"].(map[string]any)
	n := a1App{ID: a.ID, Secret: creds["app_secret"].(string), Serial: creds["serial"].(string)}
	if n.Secret == "" || n.Secret == a.Secret || n.Serial == a.Serial {
		tb.t.Fatalf("rotation did not issue a fresh secret and serial: %s", r)
	}
	n.MACKey = protocol.DeriveMACKey(n.Secret, n.ID)
	return n
}

// appView is GET /admin/v1/apps/<id>.
type appView struct {
	App struct {
		ID     string `json:"app_id"`
		Status string
		Scopes []string
	}
	Credentials []struct {
		Serial, Kind, Status string
		NotAfter             time.Time `json:"not_after"`
	}
	History []struct {
		AppID          string `json:"app_id"`
		At             time.Time
		Action, Detail string
	}
}

func (tb *testBank) appView(id string) appView {
	tb.t.Helper()
	r, _ := tb.adminCall("GET", "/admin/v1/apps/"+id, nil)
	if r.Status != 200 {
		tb.t.Fatalf("get app %s: %s", id, r)
	}
	var v appView
	if err := json.Unmarshal(r.Body, &v); err != nil {
		tb.t.Fatalf("get app %s: %v in %s", id, err, r.Body)
	}
	return v
}

func (v appView) credential(serial string) (status string, notAfter time.Time, ok bool) {
	for _, c := range v.Credentials {
		if c.Serial == serial {
			return c.Status, c.NotAfter, true
		}
	}
	return "", time.Time{}, false
}

func (v appView) actions() []string {
	out := []string{}
	for _, e := range v.History {
		out = append(out, e.Action)
	}
	return out
}

// selfSignedCertPEM is a throwaway client certificate, to register as a credential.
func selfSignedCertPEM(t *testing.T, cn string) string {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	tmpl := &x509.Certificate{SerialNumber: serial, Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}

// TestAdminRefusesMissingOrWrongToken: every admin route, and /metrics, answers 401
// ADMIN_UNAUTHORIZED as problem+json without the admin token, and changes nothing.
func TestAdminRefusesMissingOrWrongToken(t *testing.T) {
	t.Parallel()
	tb := startBank(t, nil)
	demo := tb.b.DemoAppID
	routes := []struct {
		method, path string
		body         any
	}{
		{"GET", "/admin/v1/apps", nil},
		{"POST", "/admin/v1/apps", map[string]any{"name": "Intruder", "level": "A1", "scopes": []string{"products:read"}}},
		{"GET", "/admin/v1/apps/" + demo, nil},
		{"POST", "/admin/v1/apps/" + demo + "/actions/suspend", map[string]any{"reason": "x"}},
		{"PUT", "/admin/v1/apps/" + demo + "/scopes", map[string]any{"scopes": []string{"rates:read"}}},
		{"POST", "/admin/v1/apps/" + demo + "/secrets", map[string]any{"overlap_seconds": 0}},
		{"POST", "/admin/v1/apps/" + demo + "/exit", nil},
		{"PUT", "/admin/v1/apis/a1.products.list/state", map[string]any{"state": "terminated"}},
		{"GET", "/admin/v1/alarms", nil},
		{"GET", "/admin/v1/audit", nil},
		{"GET", "/admin/v1/no-such-route", nil}, // unknown admin routes are not revealed either
		{"GET", "/metrics", nil},
	}
	auths := []struct{ name, header string }{
		{"no Authorization header", ""},
		{"wrong token", "Bearer adm_0000000000000000000000000000000000000000000000"},
		{"token with a suffix", "Bearer " + tb.b.AdminToken + "x"},
		{"token without the Bearer scheme", tb.b.AdminToken},
		{"token under the Basic scheme", "Basic " + tb.b.AdminToken},
		{"stored SM3 digest of the token", "Bearer " + protocol.SM3Hex([]byte(tb.b.AdminToken))},
		{"empty bearer token", "Bearer "},
	}
	for _, a := range auths {
		for _, rt := range routes {
			t.Run("401/"+a.name+"/"+rt.method+" "+rt.path, func(t *testing.T) {
				// A right token first: each case is one wrong attempt, not the run of
				// them that shuts the address out (TestAdminTokenBruteForceIsThrottled).
				if st, _ := tb.admin("GET", "/admin/v1/apis", nil); st != 200 {
					t.Fatalf("the right admin token: HTTP %d", st)
				}
				before := tb.snapshot()
				r, _ := tb.adminAs(a.header, rt.method, rt.path, rt.body)
				if r.Status != 401 || r.Prob.Code != "ADMIN_UNAUTHORIZED" {
					t.Fatalf("got %s, want 401 ADMIN_UNAUTHORIZED", r)
				}
				if r.Prob.Type != "/docs/errors#ADMIN_UNAUTHORIZED" || r.Prob.Detail == "" {
					t.Errorf("problem lacks its type or detail: %s", r.Body)
				}
				if strings.Contains(string(r.Body), tb.b.AdminToken) {
					t.Errorf("refusal echoes the admin token: %s", r.Body)
				}
				tb.assertUnchanged(before, "refused admin call")
			})
		}
	}
	t.Run("200/right token", func(t *testing.T) {
		r, out := tb.adminCall("GET", "/admin/v1/apps", nil)
		if r.Status != 200 || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
			t.Fatalf("got %s", r)
		}
		if list, _ := out["apps"].([]any); len(list) != 1 {
			t.Fatalf("want only the demo partner, got %s", r.Body)
		}
	})
}

// TestAdminRegisterShowsSecretOnceAndNeverStoresIt: JR/T 0185-2020 7.3.4/2 and 9.2.1 a) 1).
// The App_Secret is in the registration (and rotation) answer only; no table, database
// file, WAL, audit file or later admin answer holds it.
func TestAdminRegisterShowsSecretOnceAndNeverStoresIt(t *testing.T) {
	t.Parallel()
	tb := startBank(t, nil)
	start := time.Now()
	a, out := tb.register(map[string]any{"name": "Secret Keeper Ltd", "level": "A1", "scopes": []string{"products:read"},
		"redirect_uris": []string{"https://partner.example/cb"}, "notify_url": "https://partner.example/notify"})

	t.Run("201/registration answers the secret once, with its serial and validity", func(t *testing.T) {
		app := out["app"].(map[string]any)
		if app["status"] != "pending" || app["level"] != "A1" {
			t.Errorf("new app = %v, want pending A1", app)
		}
		if len(a.Secret) < 32 {
			t.Errorf("App_Secret %q is too short to be a secret", a.Secret)
		}
		if n, _ := out["notice"].(string); !strings.Contains(n, "once") {
			t.Errorf("registration answer lacks the shown-once notice: %v", out)
		}
		// 7.3.4/3: key validity set by API level (two years for A1 secrets).
		na, err := time.Parse(time.RFC3339, out["credentials"].(map[string]any)["not_after"].(string))
		if err != nil {
			t.Fatal(err)
		}
		if want := start.Add(2 * 365 * 24 * time.Hour); na.Before(want.Add(-time.Minute)) || na.After(want.Add(time.Minute)) {
			t.Errorf("A1 secret valid until %s, want about %s", na, want)
		}
	})

	// Use the app, rotate its secret, use the new one: every path that could persist it.
	tb.adminCall("POST", "/admin/v1/apps/"+a.ID+"/actions/approve", nil)
	if r := tb.call(a, "/a1/v1/products", callOpts{}); r.Status != 200 {
		t.Fatalf("call with the issued secret: %s", r)
	}
	if r := tb.call(a, "/a1/v1/products", callOpts{mac: protocol.MACBase64([]byte(a.Secret), []byte("x"))}); r.Status != 401 {
		t.Fatalf("wrong MAC: %s", r)
	}
	a2 := tb.rotate(a, 3600)
	if r := tb.call(a2, "/a1/v1/products", callOpts{}); r.Status != 200 {
		t.Fatalf("call with the rotated secret: %s", r)
	}
	secrets := []string{a.Secret, a2.Secret}

	t.Run("200/admin answers never show the secret again", func(t *testing.T) {
		for _, path := range []string{"/admin/v1/apps/" + a.ID, "/admin/v1/apps", "/admin/v1/audit?app_id=" + a.ID, "/admin/v1/alarms"} {
			r, _ := tb.adminCall("GET", path, nil)
			if r.Status != 200 {
				t.Fatalf("GET %s: %s", path, r)
			}
			for _, s := range secrets {
				if strings.Contains(string(r.Body), s) {
					t.Errorf("GET %s shows an App_Secret: %s", path, r.Body)
				}
			}
			if path == "/admin/v1/apps/"+a.ID && (strings.Contains(string(r.Body), "material") || strings.Contains(string(r.Body), "app_secret")) {
				t.Errorf("credential listing exposes key material: %s", r.Body)
			}
		}
	})

	t.Run("absent/no table row holds the secret", func(t *testing.T) {
		snap := tb.snapshot()
		if len(snap["app_credentials"]) == 0 {
			t.Fatal("snapshot has no app_credentials rows: the scan would prove nothing")
		}
		for table, rows := range snap {
			for _, row := range rows {
				for _, s := range secrets {
					if strings.Contains(row, s) {
						t.Errorf("table %s stores an App_Secret: %s", table, row)
					}
				}
			}
		}
	})

	t.Run("absent/no file in the data folder holds the secret", func(t *testing.T) {
		if err := tb.b.FlushAudit(); err != nil {
			t.Fatal(err)
		}
		var dbFiles []string
		err := filepath.WalkDir(tb.cfg.DataDir, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			raw, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			name := filepath.Base(path)
			if strings.HasPrefix(name, "bank.db") || strings.HasPrefix(name, "audit.db") {
				dbFiles = append(dbFiles, name)
			}
			for _, s := range secrets {
				if bytes.Contains(raw, []byte(s)) {
					t.Errorf("%s contains an App_Secret", path)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		have := strings.Join(dbFiles, " ")
		if !strings.Contains(have, "bank.db") || !strings.Contains(have, "audit.db") {
			t.Fatalf("database files not found in the data folder (have %q): the scan would prove nothing", have)
		}
	})
}

// TestAdminPendingAppRefusedUntilApproved: JR/T 0185-2020 9.1.1/1, 9.2.1 a) 2).
func TestAdminPendingAppRefusedUntilApproved(t *testing.T) {
	t.Parallel()
	tb := startBank(t, nil)
	a, _ := tb.register(map[string]any{"name": "Waiting Partner", "level": "A1", "scopes": []string{"products:read"}})
	t.Run("403/pending app", func(t *testing.T) {
		before := tb.snapshot()
		r := tb.call(a, "/a1/v1/products", callOpts{})
		if r.Status != 403 || r.Prob.Code != "APP_PENDING_REVIEW" {
			t.Fatalf("got %s, want 403 APP_PENDING_REVIEW", r)
		}
		tb.assertUnchanged(before, "pending app call")
	})
	t.Run("401/pending app with a wrong MAC is not told its status", func(t *testing.T) {
		r := tb.call(a, "/a1/v1/products", callOpts{mac: protocol.MACBase64([]byte("nope"), []byte("x"))})
		if r.Status != 401 || r.Prob.Code != "MAC_INVALID" {
			t.Fatalf("got %s, want 401 MAC_INVALID", r)
		}
	})
	t.Run("200/approved app", func(t *testing.T) {
		if r, _ := tb.adminCall("POST", "/admin/v1/apps/"+a.ID+"/actions/approve", map[string]any{"reason": "KYC done"}); r.Status != 200 {
			t.Fatalf("approve: %s", r)
		}
		if r := tb.call(a, "/a1/v1/products", callOpts{}); r.Status != 200 {
			t.Fatalf("approved app refused: %s", r)
		}
	})
}

// TestAdminTransitions walks one app through every status change and its illegal
// versions (JR/T 0185-2020 9.2.1 a) 2) 状态校验, 10.1.2/1d 黑名单). Each step also checks
// what the app's next call gets.
func TestAdminTransitions(t *testing.T) {
	t.Parallel()
	tb := startBank(t, nil)
	a, _ := tb.register(map[string]any{"name": "Transitions Ltd", "level": "A1", "scopes": []string{"products:read"}})
	pending2, _ := tb.register(map[string]any{"name": "Pending Two", "level": "A1", "scopes": []string{"products:read"}})

	type want struct {
		status     int
		code       string
		appStatus  string // after the step
		callStatus int
		callCode   string
	}
	steps := []struct {
		name, app, action string
		want
	}{
		{"409/suspend a pending app", a.ID, "suspend", want{409, "STATE_CONFLICT", "pending", 403, "APP_PENDING_REVIEW"}},
		{"409/reactivate a pending app", a.ID, "reactivate", want{409, "STATE_CONFLICT", "pending", 403, "APP_PENDING_REVIEW"}},
		{"409/unblacklist a pending app", a.ID, "unblacklist", want{409, "STATE_CONFLICT", "pending", 403, "APP_PENDING_REVIEW"}},
		{"200/approve a pending app", a.ID, "approve", want{200, "", "active", 200, ""}},
		{"409/approve an active app", a.ID, "approve", want{409, "STATE_CONFLICT", "active", 200, ""}},
		{"409/reactivate an active app", a.ID, "reactivate", want{409, "STATE_CONFLICT", "active", 200, ""}},
		{"409/unblacklist an active app", a.ID, "unblacklist", want{409, "STATE_CONFLICT", "active", 200, ""}},
		{"200/suspend an active app", a.ID, "suspend", want{200, "", "suspended", 403, "APP_SUSPENDED"}},
		{"409/suspend a suspended app", a.ID, "suspend", want{409, "STATE_CONFLICT", "suspended", 403, "APP_SUSPENDED"}},
		{"409/approve a suspended app", a.ID, "approve", want{409, "STATE_CONFLICT", "suspended", 403, "APP_SUSPENDED"}},
		{"200/reactivate a suspended app", a.ID, "reactivate", want{200, "", "active", 200, ""}},
		{"200/blacklist an active app", a.ID, "blacklist", want{200, "", "blacklisted", 403, "APP_BLACKLISTED"}},
		{"409/blacklist a blacklisted app", a.ID, "blacklist", want{409, "STATE_CONFLICT", "blacklisted", 403, "APP_BLACKLISTED"}},
		{"409/approve a blacklisted app", a.ID, "approve", want{409, "STATE_CONFLICT", "blacklisted", 403, "APP_BLACKLISTED"}},
		{"409/reactivate a blacklisted app", a.ID, "reactivate", want{409, "STATE_CONFLICT", "blacklisted", 403, "APP_BLACKLISTED"}},
		{"409/suspend a blacklisted app", a.ID, "suspend", want{409, "STATE_CONFLICT", "blacklisted", 403, "APP_BLACKLISTED"}},
		{"200/unblacklist a blacklisted app (back to suspended, not active)", a.ID, "unblacklist", want{200, "", "suspended", 403, "APP_SUSPENDED"}},
		{"200/blacklist a suspended app", a.ID, "blacklist", want{200, "", "blacklisted", 403, "APP_BLACKLISTED"}},
		{"200/unblacklist again", a.ID, "unblacklist", want{200, "", "suspended", 403, "APP_SUSPENDED"}},
		{"200/reactivate after unblacklisting", a.ID, "reactivate", want{200, "", "active", 200, ""}},
		{"400/unknown action", a.ID, "promote", want{400, "PARAMETER_INVALID", "active", 200, ""}},
		{"200/blacklist a pending app", pending2.ID, "blacklist", want{200, "", "blacklisted", 403, "APP_BLACKLISTED"}},
		{"404/unknown app", "APPNOSUCHAPP00001", "approve", want{404, "NOT_FOUND", "", 0, ""}},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			before := tb.snapshot()
			r, out := tb.adminCall("POST", "/admin/v1/apps/"+st.app+"/actions/"+st.action, map[string]any{"reason": "test: " + st.name})
			if r.Status != st.status || r.Prob.Code != st.code {
				t.Fatalf("got %s, want %d %s", r, st.status, st.code)
			}
			if st.status != 200 {
				tb.assertUnchanged(before, st.name)
			} else if got := out["app"].(map[string]any)["status"]; got != st.appStatus {
				t.Errorf("answer shows status %v, want %s", got, st.appStatus)
			}
			if st.appStatus == "" {
				return
			}
			if v := tb.appView(st.app); v.App.Status != st.appStatus {
				t.Errorf("app is %s, want %s", v.App.Status, st.appStatus)
			}
			caller := a
			if st.app == pending2.ID {
				caller = pending2
			}
			c := tb.call(caller, "/a1/v1/products", callOpts{})
			if c.Status != st.callStatus || c.Prob.Code != st.callCode {
				t.Errorf("next call got %s, want %d %s", c, st.callStatus, st.callCode)
			}
		})
	}
}

// TestAdminScopeChangeTakesEffectOnNextCall: JR/T 0185-2020 7.3.1 (least privilege,
// adjusted when the service needs change).
func TestAdminScopeChangeTakesEffectOnNextCall(t *testing.T) {
	t.Parallel()
	tb := startBank(t, nil)
	a := tb.newA1App([]string{"rates:read"}, nil)
	steps := []struct {
		name     string
		scopes   any // nil: no change in this step
		status   int
		code     string
		products string // code expected from the products API ("" = 200)
		rates    string // code expected from the rates API ("" = 200)
	}{
		{"403/products refused with rates:read only", nil, 0, "", "SCOPE_NOT_GRANTED", ""},
		{"200/grant products:read only", []string{"products:read"}, 200, "", "", "SCOPE_NOT_GRANTED"},
		{"200/grant both", []string{"products:read", "rates:read", "products:read"}, 200, "", "", ""},
		{"400/no scope at all", []string{}, 400, "PARAMETER_INVALID", "", ""},
		{"400/unknown scope", []string{"rates:read", "accounts:write"}, 400, "PARAMETER_INVALID", "", ""},
		{"400/unknown field", map[string]any{"scopes": []string{"rates:read"}, "extra": true}, 400, "BODY_INVALID", "", ""},
		{"200/back to rates:read only", []string{"rates:read"}, 200, "", "SCOPE_NOT_GRANTED", ""},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			if st.scopes != nil {
				before := tb.snapshot()
				body := st.scopes
				if s, ok := body.([]string); ok {
					body = map[string]any{"scopes": s}
				}
				r, out := tb.adminCall("PUT", "/admin/v1/apps/"+a.ID+"/scopes", body)
				if r.Status != st.status || r.Prob.Code != st.code {
					t.Fatalf("set scopes: got %s, want %d %s", r, st.status, st.code)
				}
				if st.status != 200 {
					tb.assertUnchanged(before, st.name)
				} else {
					// Granted as asked, duplicates dropped, order kept.
					var want []any
					seen := map[string]bool{}
					for _, s := range st.scopes.([]string) {
						if !seen[s] {
							seen[s] = true
							want = append(want, s)
						}
					}
					if got := out["app"].(map[string]any)["scopes"]; !reflect.DeepEqual(got, want) {
						t.Errorf("scopes now %v, want %v", got, want)
					}
				}
			}
			for _, c := range []struct{ uri, code string }{{"/a1/v1/products", st.products}, {"/a1/v1/deposit-rates", st.rates}} {
				r := tb.call(a, c.uri, callOpts{})
				switch {
				case c.code == "" && r.Status != 200:
					t.Errorf("%s: got %s, want 200", c.uri, r)
				case c.code != "" && (r.Status != 403 || r.Prob.Code != c.code):
					t.Errorf("%s: got %s, want 403 %s", c.uri, r, c.code)
				}
			}
		})
	}
}

// TestAdminSecretRotation: JR/T 0185-2020 7.3.4/3 (keys renewed regularly). With no
// overlap the old secret dies at once; with an overlap both work until it ends.
func TestAdminSecretRotation(t *testing.T) {
	t.Parallel()
	tb := startBank(t, nil)
	first := tb.newA1App([]string{"products:read"}, nil)
	var second, third a1App

	t.Run("401/old secret refused at once after rotation with overlap 0", func(t *testing.T) {
		second = tb.rotate(first, 0)
		r := tb.call(first, "/a1/v1/products", callOpts{})
		if r.Status != 401 || r.Prob.Code != "KEY_SERIAL_UNKNOWN" {
			t.Fatalf("old secret: got %s, want 401 KEY_SERIAL_UNKNOWN", r)
		}
		if st, _, _ := tb.appView(first.ID).credential(first.Serial); st != "revoked" {
			t.Errorf("old credential is %q, want revoked", st)
		}
	})
	t.Run("200/new secret accepted after rotation with overlap 0", func(t *testing.T) {
		if r := tb.call(second, "/a1/v1/products", callOpts{}); r.Status != 200 {
			t.Fatalf("new secret: %s", r)
		}
	})
	t.Run("200/both secrets accepted during an overlap of 3600 s", func(t *testing.T) {
		rotatedAt := time.Now()
		third = tb.rotate(second, 3600)
		for _, a := range []a1App{second, third} {
			if r := tb.call(a, "/a1/v1/products", callOpts{}); r.Status != 200 {
				t.Errorf("serial %s: %s", a.Serial, r)
			}
		}
		st, notAfter, ok := tb.appView(first.ID).credential(second.Serial)
		if !ok || st != "active" {
			t.Fatalf("retiring credential is %q, want active", st)
		}
		if want := rotatedAt.Add(time.Hour); notAfter.Before(want.Add(-time.Minute)) || notAfter.After(want.Add(time.Minute)) {
			t.Errorf("retiring credential valid until %s, want about %s", notAfter, want)
		}
	})
	t.Run("401/secret revoked earlier stays refused", func(t *testing.T) {
		r := tb.call(first, "/a1/v1/products", callOpts{})
		if r.Status != 401 || r.Prob.Code != "KEY_SERIAL_UNKNOWN" {
			t.Fatalf("got %s, want 401 KEY_SERIAL_UNKNOWN", r)
		}
	})
	for _, tc := range []struct {
		name string
		body any
		code string
	}{
		{"400/negative overlap", map[string]any{"overlap_seconds": -1}, "PARAMETER_INVALID"},
		{"400/overlap longer than 30 days", map[string]any{"overlap_seconds": 30*86400 + 1}, "PARAMETER_INVALID"},
		{"400/unknown field", map[string]any{"overlap": 60}, "BODY_INVALID"},
		{"400/overlap not a number", `{"overlap_seconds":"soon"}`, "BODY_INVALID"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := tb.snapshot()
			r, _ := tb.adminCall("POST", "/admin/v1/apps/"+first.ID+"/secrets", tc.body)
			if r.Status != 400 || r.Prob.Code != tc.code {
				t.Fatalf("got %s, want 400 %s", r, tc.code)
			}
			tb.assertUnchanged(before, tc.name)
			for _, a := range []a1App{second, third} {
				if c := tb.call(a, "/a1/v1/products", callOpts{}); c.Status != 200 {
					t.Errorf("refused rotation changed serial %s: %s", a.Serial, c)
				}
			}
		})
	}
}

// TestAdminExit: JR/T 0185-2020 9.4/2 — after exit the app cannot call, its credentials
// are voided and archived for later inquiry, and nothing about it can change any more.
func TestAdminExit(t *testing.T) {
	t.Parallel()
	tb := startBank(t, nil)
	a := tb.newA1App([]string{"products:read"}, nil)
	certPEM := selfSignedCertPEM(t, a.ID)
	r, out := tb.adminCall("POST", "/admin/v1/apps/"+a.ID+"/credentials", map[string]any{"kind": "client_cert", "pem": certPEM})
	if r.Status != 201 {
		t.Fatalf("add client certificate before exit: %s", r)
	}
	certSerial := out["credential"].(map[string]any)["serial"].(string)
	if c := tb.call(a, "/a1/v1/products", callOpts{}); c.Status != 200 {
		t.Fatalf("call before exit: %s", c)
	}
	exitedAt := time.Now()
	r, out = tb.adminCall("POST", "/admin/v1/apps/"+a.ID+"/exit", map[string]any{"reason": "contract ended"})
	if r.Status != 200 || out["app"].(map[string]any)["status"] != "exited" {
		t.Fatalf("exit: %s", r)
	}

	t.Run("403/exited app calls", func(t *testing.T) {
		before := tb.snapshot()
		c := tb.call(a, "/a1/v1/products", callOpts{})
		if c.Status != 403 || c.Prob.Code != "APP_EXITED" {
			t.Fatalf("got %s, want 403 APP_EXITED", c)
		}
		tb.assertUnchanged(before, "exited app call")
	})
	t.Run("200/credentials archived, not deleted", func(t *testing.T) {
		v := tb.appView(a.ID)
		if v.App.Status != "exited" {
			t.Errorf("status %s, want exited", v.App.Status)
		}
		seen := map[string]bool{}
		for _, c := range v.Credentials {
			seen[c.Serial] = true
			if c.Status != "archived" {
				t.Errorf("credential %s (%s) is %s, want archived", c.Serial, c.Kind, c.Status)
			}
			if c.NotAfter.After(time.Now().Add(time.Second)) {
				t.Errorf("archived credential %s still valid until %s", c.Serial, c.NotAfter)
			}
		}
		if !seen[a.Serial] || !seen[certSerial] {
			t.Errorf("archive lacks a credential: have %v, want %s and %s", seen, a.Serial, certSerial)
		}
		acts := v.actions()
		if len(acts) == 0 || acts[len(acts)-1] != "exited" {
			t.Fatalf("history %v does not end with exited", acts)
		}
		last := v.History[len(v.History)-1]
		if last.Detail != "contract ended" || last.At.Before(exitedAt.Add(-time.Second)) {
			t.Errorf("exit event = %+v, want the reason and the exit time", last)
		}
	})
	changes := []struct {
		name, method, path string
		body               any
	}{
		{"409/approve an exited app", "POST", "/actions/approve", nil},
		{"409/suspend an exited app", "POST", "/actions/suspend", nil},
		{"409/reactivate an exited app", "POST", "/actions/reactivate", nil},
		{"409/blacklist an exited app", "POST", "/actions/blacklist", nil},
		{"409/unblacklist an exited app", "POST", "/actions/unblacklist", nil},
		{"409/change scopes of an exited app", "PUT", "/scopes", map[string]any{"scopes": []string{"rates:read"}}},
		{"409/change limits of an exited app", "PUT", "/limits", map[string]any{"rate_rps": 5, "rate_burst": 5, "max_concurrent": 5}},
		{"409/rotate the secret of an exited app", "POST", "/secrets", map[string]any{"overlap_seconds": 0}},
		{"409/add a credential to an exited app", "POST", "/credentials", map[string]any{"kind": "client_cert", "pem": selfSignedCertPEM(t, a.ID)}},
		{"409/revoke an archived credential", "DELETE", "/credentials/" + certSerial, nil},
		{"409/exit twice", "POST", "/exit", map[string]any{"reason": "again"}},
	}
	for _, ch := range changes {
		t.Run(ch.name, func(t *testing.T) {
			before := tb.snapshot()
			r, _ := tb.adminCall(ch.method, "/admin/v1/apps/"+a.ID+ch.path, ch.body)
			if r.Status != 409 || r.Prob.Code != "STATE_CONFLICT" {
				t.Errorf("got %s, want 409 STATE_CONFLICT", r)
			}
			tb.assertUnchanged(before, ch.name)
		})
	}
	t.Run("200/exited app still listed for inquiry", func(t *testing.T) {
		r, _ := tb.adminCall("GET", "/admin/v1/apps", nil)
		if r.Status != 200 || !strings.Contains(string(r.Body), `"app_id":"`+a.ID+`"`) {
			t.Fatalf("exited app not listed: %s", r)
		}
	})
}

// TestAdminRegistrationValidation: each bad registration gets 400 with its catalogued
// code, and nothing is stored.
func TestAdminRegistrationValidation(t *testing.T) {
	t.Parallel()
	tb := startBank(t, nil)
	ok := func(change func(m map[string]any)) map[string]any {
		m := map[string]any{"name": "Valid Partner", "level": "A1", "scopes": []string{"products:read"},
			"redirect_uris": []string{"https://partner.example/cb"}, "notify_url": "https://partner.example/notify"}
		change(m)
		return m
	}
	tests := []struct {
		name string
		body any
		code string
	}{
		{"400/bad level", ok(func(m map[string]any) { m["level"] = "A3" }), "PARAMETER_INVALID"},
		{"400/lower-case level", ok(func(m map[string]any) { m["level"] = "a1" }), "PARAMETER_INVALID"},
		{"400/empty scopes", ok(func(m map[string]any) { m["scopes"] = []string{} }), "PARAMETER_INVALID"},
		{"400/missing scopes", ok(func(m map[string]any) { delete(m, "scopes") }), "PARAMETER_INVALID"},
		{"400/unknown scope", ok(func(m map[string]any) { m["scopes"] = []string{"products:write"} }), "PARAMETER_INVALID"},
		{"400/non-https redirect URI", ok(func(m map[string]any) { m["redirect_uris"] = []string{"http://partner.example/cb"} }), "PARAMETER_INVALID"},
		{"400/relative redirect URI", ok(func(m map[string]any) { m["redirect_uris"] = []string{"/cb"} }), "PARAMETER_INVALID"},
		{"400/redirect URI with a fragment", ok(func(m map[string]any) { m["redirect_uris"] = []string{"https://partner.example/cb#x"} }), "PARAMETER_INVALID"},
		{"400/non-https notification URL", ok(func(m map[string]any) { m["notify_url"] = "http://partner.example/notify" }), "PARAMETER_INVALID"},
		{"400/empty name", ok(func(m map[string]any) { m["name"] = "   " }), "PARAMETER_INVALID"},
		{"400/name too long", ok(func(m map[string]any) { m["name"] = strings.Repeat("x", 101) }), "PARAMETER_INVALID"},
		{"400/zero limits", ok(func(m map[string]any) {
			m["limits"] = map[string]any{"rate_rps": 0, "rate_burst": 1, "max_concurrent": 1}
		}), "PARAMETER_INVALID"},
		{"400/malformed app_id", ok(func(m map[string]any) { m["app_id"] = "app id!" }), "PARAMETER_INVALID"},
		{"400/unknown JSON field", ok(func(m map[string]any) { m["secret"] = "let me choose" }), "BODY_INVALID"},
		{"400/scopes not a list", ok(func(m map[string]any) { m["scopes"] = "products:read" }), "BODY_INVALID"},
		{"400/not JSON", "level=A1&name=x", "BODY_INVALID"},
		{"400/empty body", "", "BODY_INVALID"},
		{"400/trailing data after the JSON object", `{"name":"Valid Partner","level":"A1","scopes":["products:read"]} {"level":"A2"}`, "BODY_INVALID"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := tb.snapshot()
			r, _ := tb.adminCall("POST", "/admin/v1/apps", tc.body)
			if r.Status != 400 || r.Prob.Code != tc.code {
				t.Fatalf("got %s, want 400 %s", r, tc.code)
			}
			if r.Prob.Detail == "" {
				t.Errorf("refusal does not say what is wrong: %s", r.Body)
			}
			if strings.Contains(r.Prob.Detail, "Go struct") || strings.Contains(r.Prob.Detail, "apps.") {
				t.Errorf("detail names Go types: %s", r.Prob.Detail)
			}
			tb.assertUnchanged(before, tc.name)
		})
	}
	t.Run("409/app_id already registered", func(t *testing.T) {
		reg := ok(func(m map[string]any) { m["app_id"] = "APPFIXEDID0001" })
		if r, _ := tb.adminCall("POST", "/admin/v1/apps", reg); r.Status != 201 {
			t.Fatalf("first registration: %s", r)
		}
		before := tb.snapshot()
		r, _ := tb.adminCall("POST", "/admin/v1/apps", reg)
		if r.Status != 409 || r.Prob.Code != "STATE_CONFLICT" {
			t.Fatalf("got %s, want 409 STATE_CONFLICT", r)
		}
		tb.assertUnchanged(before, "duplicate registration")
	})
}

// TestAdminHistoryInOrder: the app's history lists every administrative event, oldest
// first, with its reason.
func TestAdminHistoryInOrder(t *testing.T) {
	t.Parallel()
	tb := startBank(t, nil)
	a, _ := tb.register(map[string]any{"name": "History Ltd", "level": "A1", "scopes": []string{"products:read"}})
	steps := []struct{ method, path string }{
		{"POST", "/actions/approve"},
		{"PUT", "/scopes"},
		{"PUT", "/limits"},
		{"POST", "/secrets"},
		{"POST", "/actions/suspend"},
		{"POST", "/actions/reactivate"},
		{"POST", "/actions/blacklist"},
		{"POST", "/actions/unblacklist"},
		{"POST", "/actions/reactivate"},
		{"POST", "/exit"},
	}
	bodies := map[string]any{
		"/scopes":              map[string]any{"scopes": []string{"products:read", "rates:read"}},
		"/limits":              map[string]any{"rate_rps": 5, "rate_burst": 10, "max_concurrent": 2},
		"/secrets":             map[string]any{"overlap_seconds": 60},
		"/actions/suspend":     map[string]any{"reason": "suspicious volume"},
		"/actions/blacklist":   map[string]any{"reason": "fraud confirmed"},
		"/actions/unblacklist": map[string]any{"reason": "appeal upheld"},
		"/exit":                map[string]any{"reason": "contract ended"},
	}
	for _, s := range steps {
		if r, _ := tb.adminCall(s.method, "/admin/v1/apps/"+a.ID+s.path, bodies[s.path]); r.Status/100 != 2 {
			t.Fatalf("%s %s: %s", s.method, s.path, r)
		}
	}
	v := tb.appView(a.ID)
	want := []string{"registered", "approve", "scopes", "limits", "secret-rotated", "secret-retiring", "suspend", "reactivate",
		"blacklist", "unblacklist", "reactivate", "exited"}
	if got := v.actions(); !reflect.DeepEqual(got, want) {
		t.Fatalf("history actions\n got %v\nwant %v", got, want)
	}
	details := map[string]string{"suspend": "suspicious volume", "blacklist": "fraud confirmed", "unblacklist": "appeal upheld",
		"exited": "contract ended", "scopes": "products:read rates:read", "registered": "level A1"}
	for i, e := range v.History {
		if e.AppID != a.ID {
			t.Errorf("event %d belongs to %s", i, e.AppID)
		}
		if i > 0 && e.At.Before(v.History[i-1].At) {
			t.Errorf("event %d (%s at %s) is older than the one before (%s)", i, e.Action, e.At, v.History[i-1].At)
		}
		if d, ok := details[e.Action]; ok && e.Detail != d {
			t.Errorf("event %s has detail %q, want %q", e.Action, e.Detail, d)
		}
	}
}
