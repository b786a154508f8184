package steps

import (
	"context"
	"crypto/rand"
	"fmt"
	"math/big"
	"strings"

	"github.com/cucumber/godog"
)

// Partner self-service registration with identity materials (9.1.2). The harness makes
// its own valid (and deliberately invalid) codes: unified social credit codes by
// GB 32100-2015 and ID numbers by GB 11643-1999.

const usccAlphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"

func randDigits(n int) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		d, _ := rand.Int(rand.Reader, big.NewInt(10))
		b.WriteString(d.String())
	}
	return b.String()
}

// newUSCC makes a valid unified social credit code: 9 (market regulator) 1 (company),
// division 110000, an organisation code with its GB 11714 check, and the GB 32100 check.
func newUSCC() string {
	body := randDigits(8)
	w := []int{3, 7, 9, 10, 5, 8, 4, 2}
	sum := 0
	for i := range body {
		sum += int(body[i]-'0') * w[i]
	}
	c := (11 - sum%11) % 11
	org := body + map[bool]string{true: "X", false: fmt.Sprint(c)}[c == 10]
	s := "91110000" + org
	sum, weight := 0, 1
	for i := 0; i < 17; i++ {
		sum += strings.IndexByte(usccAlphabet, s[i]) * weight
		weight = weight * 3 % 31
	}
	return s + string(usccAlphabet[(31-sum%31)%31])
}

// wrongCheck replaces a code's last character with another valid character.
func wrongCheck(code string) string {
	last := strings.IndexByte(usccAlphabet, code[len(code)-1])
	return code[:len(code)-1] + string(usccAlphabet[(last+1)%len(usccAlphabet)])
}

// newIDNumber makes a valid resident ID number for someone born in 1990.
func newIDNumber() string {
	s := "110101" + "19900307" + randDigits(3)
	w := []int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
	sum := 0
	for i := 0; i < 17; i++ {
		sum += int(s[i]-'0') * w[i]
	}
	return s + string("10X98765432"[sum%11])
}

// registration is a complete submission for an A1 app.
func registration(e *Env, name string) map[string]any {
	return map[string]any{
		"organization": map[string]any{"name": name + " 科技有限公司", "unified_social_credit_code": newUSCC(),
			"operating_qualification": "增值电信业务经营许可证 京B2-20200218"},
		"legal_representative": map[string]any{"name": "赵六", "id_number": newIDNumber()},
		"developers":           []any{map[string]any{"name": "钱七", "id_number": newIDNumber()}},
		"app":                  map[string]any{"name": name, "level": "A1", "scopes": A1Scopes, "redirect_uris": []string{e.T.RedirectURI}},
	}
}

// submit posts a registration to the public self-service endpoint, without credentials.
func submit(ctx context.Context, reg map[string]any) (*Exchange, error) {
	w := W(ctx)
	x := &Exchange{Method: "POST", URI: "/partners/v1/registrations", ReqHeader: map[string][]string{"Content-Type": {"application/json"}}}
	if err := x.send(ctx, w.Env, w.Env.plain, w.Env.T.BaseURL, jsonBody(reg)); err != nil {
		return nil, err
	}
	w.record(x)
	return x, nil
}

func registerPublishPartners(sc *godog.ScenarioContext) {
	sc.Step(`^a partner registers an A1 app with complete identity materials$`, func(ctx context.Context) error {
		w := W(ctx)
		name := "Conformance partner " + randomNonce()[:8]
		reg := registration(w.Env, name)
		x, err := submit(ctx, reg)
		if err != nil {
			return err
		}
		if x.Status != 201 {
			return fmt.Errorf("registration with complete materials: HTTP %d %s", x.Status, clip(string(x.Body), 300))
		}
		j := x.JSON()
		a := &App{Level: "A1", Scopes: A1Scopes, client: w.Env.plain}
		a.ID, _ = dig(j, "app", "app_id").(string)
		a.Secret, _ = dig(j, "credentials", "app_secret").(string)
		a.SecretSerial, _ = dig(j, "credentials", "serial").(string)
		if a.ID == "" || a.Secret == "" {
			return fmt.Errorf("the registration answer has no App_ID and App_Secret: %s", clip(string(x.Body), 300))
		}
		if st, _ := dig(j, "app", "status").(string); st != "pending" {
			return fmt.Errorf("a newly registered App_ID is %q, want pending review", st)
		}
		a.MACKey = macKey(a.Secret, a.ID)
		w.Apps["the app"] = a
		pub(ctx).regName = name
		pub(ctx).noted["uscc"] = dig(reg, "organization", "unified_social_credit_code").(string)
		pub(ctx).noted["legal_id"] = dig(reg, "legal_representative", "id_number").(string)
		return nil
	})
	sc.Step(`^a partner submits a registration whose (unified social credit code has a wrong check character|legal representative has no ID number|developers are missing)$`, func(ctx context.Context, fault string) error {
		w := W(ctx)
		name := "Conformance partner " + randomNonce()[:8]
		reg := registration(w.Env, name)
		switch {
		case strings.HasPrefix(fault, "unified"):
			org := reg["organization"].(map[string]any)
			org["unified_social_credit_code"] = wrongCheck(org["unified_social_credit_code"].(string))
		case strings.HasPrefix(fault, "legal"):
			reg["legal_representative"] = map[string]any{"name": "赵六"}
		default:
			delete(reg, "developers")
		}
		pub(ctx).regName = name
		_, err := submit(ctx, reg)
		return err
	})
	sc.Step(`^the problem's detail names "([^"]+)"$`, func(ctx context.Context, field string) error {
		x, err := W(ctx).last()
		if err != nil {
			return err
		}
		if d, _ := x.JSON()["detail"].(string); !strings.Contains(d, field) {
			return fmt.Errorf("detail %q does not name %s", d, field)
		}
		return nil
	})
	sc.Step(`^the bank registered no app for that submission$`, func(ctx context.Context) error {
		out, err := W(ctx).Env.adminOK(ctx, "GET", "/admin/v1/apps", nil, 200)
		if err != nil {
			return err
		}
		list, _ := out["apps"].([]any)
		for _, a := range list {
			if m, _ := a.(map[string]any); m["name"] == pub(ctx).regName {
				return fmt.Errorf("a refused registration created App_ID %v", m["app_id"])
			}
		}
		return nil
	})
	sc.Step(`^the bank keeps the materials for review, ID numbers masked$`, func(ctx context.Context) error {
		w := W(ctx)
		a, err := w.App("the app")
		if err != nil {
			return err
		}
		out, err := w.Env.adminOK(ctx, "GET", "/admin/v1/partners/"+a.ID, nil, 200)
		if err != nil {
			return err
		}
		if got := dig(out, "partner", "organization", "unified_social_credit_code"); got != pub(ctx).noted["uscc"] {
			return fmt.Errorf("kept unified social credit code %v, submitted %s", got, pub(ctx).noted["uscc"])
		}
		id, _ := dig(out, "partner", "legal_representative", "id_number").(string)
		full := pub(ctx).noted["legal_id"]
		if id == "" || id == full || !strings.Contains(id, "*") {
			return fmt.Errorf("the legal representative's ID number is shown as %q, want it kept and masked", id)
		}
		return nil
	})
	sc.Step(`^the operator approves the app$`, func(ctx context.Context) error {
		w := W(ctx)
		a, err := w.App("the app")
		if err != nil {
			return err
		}
		_, err = w.Env.adminOK(ctx, "POST", "/admin/v1/apps/"+a.ID+"/actions/approve", map[string]any{"reason": "materials reviewed"}, 200)
		return err
	})
}
