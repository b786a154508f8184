package steps

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html"
	"regexp"
	"strings"

	"github.com/cucumber/godog"
	tjx509 "github.com/tjfoc/gmsm/x509"
)

// The developer manual (12.1/5): its sections, and worked examples the harness
// recomputes with its own implementation of the published rules.

func manual(ctx context.Context) (string, error) {
	st := pub(ctx)
	if m, ok := st.noted["manual"]; ok {
		return m, nil
	}
	w := W(ctx)
	x, err := w.Env.get(ctx, "/docs/manual")
	if err != nil {
		return "", err
	}
	w.Note("GET /docs/manual without credentials: HTTP %d, %d bytes", x.Status, len(x.Body))
	if x.Status != 200 || !strings.HasPrefix(x.Header.Get("Content-Type"), "text/html") {
		return "", fmt.Errorf("GET /docs/manual: HTTP %d %s", x.Status, x.Header.Get("Content-Type"))
	}
	st.noted["manual"] = string(x.Body)
	return string(x.Body), nil
}

// element returns the text of the element with this id, HTML entities decoded.
func element(page, id string) (string, error) {
	re := regexp.MustCompile(`id="` + regexp.QuoteMeta(id) + `"[^>]*>([^<]*)<`)
	m := re.FindStringSubmatch(page)
	if m == nil {
		return "", fmt.Errorf("the manual has no element id=%q", id)
	}
	return strings.TrimSpace(html.UnescapeString(m[1])), nil
}

// jsonText decodes an element holding a JSON string literal.
func jsonText(page, id string) (string, error) {
	raw, err := element(page, id)
	if err != nil {
		return "", err
	}
	var s string
	if err := json.Unmarshal([]byte(raw), &s); err != nil {
		return "", fmt.Errorf("element %s is not a JSON string: %v", id, err)
	}
	return s, nil
}

// sectionText is the text of <section id="id">…</section>, tags removed.
func sectionText(page, id string) (string, error) {
	re := regexp.MustCompile(`(?s)<section id="` + regexp.QuoteMeta(id) + `">(.*?)</section>`)
	m := re.FindStringSubmatch(page)
	if m == nil {
		return "", fmt.Errorf("the manual has no section %q", id)
	}
	text := html.UnescapeString(regexp.MustCompile(`<[^>]+>`).ReplaceAllString(m[1], " "))
	if !regexp.MustCompile(`<h2[^>]*>[^<]+</h2>`).MatchString(m[1]) {
		return "", fmt.Errorf("section %q has no heading", id)
	}
	return text, nil
}

// stsShape checks the published string-to-sign shape: five lines, each ending in \n.
func stsShape(s string) error {
	if !strings.HasSuffix(s, "\n") || strings.Count(s, "\n") < 5 {
		return fmt.Errorf("%q is not method\\npath\\ntimestamp\\nnonce\\nbody\\n", s)
	}
	return nil
}

func registerPublishDocs(sc *godog.ScenarioContext) {
	sc.Step(`^the developer manual is fetched without credentials$`, func(ctx context.Context) error {
		_, err := manual(ctx)
		return err
	})
	sc.Step(`^the manual has a section "([^"]+)" that mentions (.+)$`, func(ctx context.Context, id, list string) error {
		page, err := manual(ctx)
		if err != nil {
			return err
		}
		text, err := sectionText(page, id)
		if err != nil {
			return err
		}
		for _, q := range regexp.MustCompile(`"([^"]+)"`).FindAllStringSubmatch(list, -1) {
			if !strings.Contains(text, q[1]) {
				return fmt.Errorf("section %q does not mention %q", id, q[1])
			}
		}
		return nil
	})
	sc.Step(`^the manual's worked MAC example verifies with the harness's own HMAC-SM3$`, func(ctx context.Context) error {
		page, err := manual(ctx)
		if err != nil {
			return err
		}
		var v [4]string
		for i, id := range []string{"ex-mac-app-id", "ex-mac-app-secret", "ex-mac-key", "ex-mac"} {
			if v[i], err = element(page, id); err != nil {
				return err
			}
		}
		sts, err := jsonText(page, "ex-mac-string-to-sign")
		if err != nil {
			return err
		}
		if err := stsShape(sts); err != nil {
			return err
		}
		k := macKey(v[1], v[0])
		if hex.EncodeToString(k) != v[2] {
			return fmt.Errorf("the manual publishes K as %s; HMAC-SM3(%q, %q) is %x", v[2], v[1], v[0], k)
		}
		if got := mac(k, sts); got != v[3] {
			return fmt.Errorf("MAC published as %s; HMAC-SM3(K, %q) is %s", v[3], sts, got)
		}
		W(ctx).Note("manual MAC example verified: %s", v[3])
		return nil
	})
	sc.Step(`^the manual's worked SM2 example verifies with the harness's own SM2$`, func(ctx context.Context) error {
		page, err := manual(ctx)
		if err != nil {
			return err
		}
		pemText, err := element(page, "ex-sm2-public-key")
		if err != nil {
			return err
		}
		pub, err := tjx509.ReadPublicKeyFromPem([]byte(pemText))
		if err != nil {
			return fmt.Errorf("the manual's SM2 public key: %v", err)
		}
		sts, err := jsonText(page, "ex-sm2-string-to-sign")
		if err != nil {
			return err
		}
		if err := stsShape(sts); err != nil {
			return err
		}
		sigB64, err := element(page, "ex-sm2-signature")
		if err != nil {
			return err
		}
		sig, err := base64.StdEncoding.DecodeString(sigB64)
		if err != nil {
			return fmt.Errorf("the manual's SM2 signature is not base64: %v", err)
		}
		uid, err := element(page, "ex-sm2-uid")
		if err != nil {
			return err
		}
		if uid != string(DefaultUID) {
			return fmt.Errorf("the manual names distinguishing ID %q, the wire contract's is %q", uid, DefaultUID)
		}
		if !verifyDER(pub, []byte(sts), sig) {
			return fmt.Errorf("the manual's SM2 signature does not verify over %q", sts)
		}
		return nil
	})
}
