package audit

import (
	"strings"
	"testing"
)

// TestScrubKeepsNoCredential: codes, verifiers, tokens and secrets in JSON, forms, query
// strings and free text are kept only as SM3 fingerprints (issue 14 item 2).
func TestScrubKeepsNoCredential(t *testing.T) {
	t.Parallel()
	code := "ac_" + strings.Repeat("A", 43)
	verifier := strings.Repeat("v", 50)
	access := "at_" + strings.Repeat("b", 43)
	cases := []struct {
		name, in string
		secrets  []string
		viaURI   bool
	}{
		{"form/token exchange", "grant_type=authorization_code&code=" + code + "&code_verifier=" + verifier, []string{code, verifier}, false},
		{"form/revoke", "token=" + access + "&token_type_hint=access_token", []string{access}, false},
		{"json/nested secret", `{"a":{"app_secret":"s3cr3t-s3cr3t-s3cr3t"},"password":"pw-pw-pw-pw-pw-pw"}`, []string{"s3cr3t-s3cr3t-s3cr3t", "pw-pw-pw-pw-pw-pw"}, false},
		{"json/token under another name", `{"memo":"` + access + `"}`, []string{access}, false},
		{"uri/query", "/a2/v1/x?access_token=" + access + "&page=1", []string{access}, true},
		{"uri/code in the path", "/a2/v1/x/" + code, []string{code}, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			var out string
			if c.viaURI {
				out = ScrubURI(c.in)
			} else {
				var ok bool
				if out, ok = ScrubBody([]byte(c.in)); !ok {
					t.Fatalf("not scrubbed: %q", c.in)
				}
			}
			for _, s := range c.secrets {
				if strings.Contains(out, s) {
					t.Errorf("%q keeps %s", out, s)
				}
				if !strings.Contains(out, Fingerprint(s)) {
					t.Errorf("%q lacks the fingerprint of %s", out, s[:6])
				}
			}
		})
	}
	if _, ok := ScrubBody([]byte("code=%zz" + verifier)); ok {
		t.Error("an unreadable body is kept")
	}
	if out, _ := ScrubBody([]byte(`{"amount":"1.00"}`)); out != `{"amount":"1.00"}` {
		t.Errorf("a body without credentials is changed: %q", out)
	}
}
