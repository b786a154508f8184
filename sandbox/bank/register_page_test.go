package bank_test

import (
	"html"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// rpForm is a complete registration form with the partner's keys.
func rpForm(csrf string, k rgKeys) url.Values {
	return url.Values{"csrf": {csrf}, "org_name": {"页面钱包"}, "uscc": {"91100000100003962T"}, "qualification": {"ICP 京B2-20200218"},
		"legal_name": {"赵六"}, "legal_id": {"11010519491231002X"}, "dev_name": {"钱七"}, "dev_id": {"110101199003070011"},
		"app_name": {"Page Wallet"}, "level": {"A2"}, "scope_products:read": {"on"}, "scope_accounts:read": {"on"},
		"redirect_uri": {pgRedirect}, "client_csr": {k.csr}, "sm2_sign_public_key": {k.signPublic}, "sm2_enc_public_key": {k.encPublic}}
}

func rpAppCount(t *testing.T, tb *testBank) int {
	t.Helper()
	_, out := tb.adminCall("GET", "/admin/v1/apps", nil)
	return len(out["apps"].([]any))
}

func TestRegisterPageIssuesAppIDCertificatesAndTheSecretOnce(t *testing.T) {
	t.Parallel()
	tb := startBank(t, nil)
	b := pgNewBrowser(t, tb)
	p := b.get("/partners/register")
	p.expect(t, 200, "")
	if strings.Contains(strings.ToLower(p.Body), "<script") || !strings.Contains(p.Header.Get("Content-Security-Policy"), "default-src 'none'") {
		t.Fatalf("the page has a script or lacks the pages' CSP %q", p.Header.Get("Content-Security-Policy"))
	}
	csrf := pgField(p.Body, "csrf")
	if csrf == "" {
		t.Fatal("the form carries no CSRF token")
	}
	k := rgNewKeys(t)
	r := b.post("/partners/register", rpForm(csrf, k))
	r.expect(t, 201, "")
	body := html.UnescapeString(r.Body)
	appID := regexp.MustCompile(`<th>App_ID</th><td class="mono">([A-Z0-9]+)</td>`).FindStringSubmatch(r.Body)
	secret := regexp.MustCompile(`<th>App_Secret</th><td class="mono">([^<]+)</td>`).FindStringSubmatch(r.Body)
	if appID == nil || secret == nil {
		t.Fatalf("the result page shows no App_ID or App_Secret:\n%s", r.Body)
	}
	for _, want := range []string{"Shown once", "-----BEGIN CERTIFICATE-----", "client_cert", "sm2_sign", "sm2_enc", `href="/docs/manual"`, "pending"} {
		if !strings.Contains(body, want) {
			t.Errorf("the result page lacks %q", want)
		}
	}
	// The App_ID exists, pending, with the certified keys.
	_, view := tb.adminCall("GET", "/admin/v1/apps/"+appID[1], nil)
	if view["app"].(map[string]any)["status"] != "pending" || strings.Count(jsonText(view["credentials"]), `"serial"`) != 4 {
		t.Errorf("the registered app: %v", view)
	}
}

func TestRegisterPageRefusesAFormWithoutItsToken(t *testing.T) {
	t.Parallel()
	tb := startBank(t, nil)
	b := pgNewBrowser(t, tb)
	b.get("/partners/register").expect(t, 200, "")
	before := rpAppCount(t, tb)
	r := b.post("/partners/register", rpForm("forged", rgNewKeys(t)))
	if r.Status != 403 || !strings.Contains(r.Body, "FORM_TOKEN_INVALID") {
		t.Fatalf("a forged form: %d\n%s", r.Status, r.Body)
	}
	if rpAppCount(t, tb) != before {
		t.Error("a forged form registered an app")
	}
}

func TestRegisterPageShowsTheRefusalAndKeepsTheFields(t *testing.T) {
	t.Parallel()
	tb := startBank(t, nil)
	b := pgNewBrowser(t, tb)
	p := b.get("/partners/register")
	before := rpAppCount(t, tb)
	f := rpForm(pgField(p.Body, "csrf"), rgNewKeys(t))
	f.Set("uscc", "91100000100003962U") // wrong check character
	r := b.post("/partners/register", f)
	if r.Status != 400 || !strings.Contains(r.Body, "PARAMETER_INVALID") || !strings.Contains(r.Body, "unified_social_credit_code") {
		t.Fatalf("a wrong USCC: %d\n%s", r.Status, r.Body)
	}
	if pgField(r.Body, "app_name") != "Page Wallet" || pgField(r.Body, "csrf") == "" {
		t.Error("the refused form lost its fields or its token")
	}
	if rpAppCount(t, tb) != before {
		t.Error("a refused form registered an app")
	}
}
