package apps

import (
	"math"
	"net"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/jr0185/harness/sandbox/internal/mutant"
)

// Bounds of what an operator or a registering partner may set (issue 14: every admin
// and registration field bounded; JR/T 0185-2020 7.2.2/1 有效性校验).
const (
	MaxRPS           = 1e6 // calls per second: far above any real partner, far below 1e308
	MaxBurst         = 10_000_000
	MaxConcurrent    = 100_000
	MaxRedirectURIs  = 10
	MaxURLLength     = 2048
	MaxScopesPerApp  = 64
	MaxNameBytes     = 100
	maxHostLabelSize = 63
)

// checkLimits bounds flow-control limits: positive, finite, at most the maxima.
func (s *Service) checkLimits(l Limits) error {
	if l.RPS <= 0 || l.Burst <= 0 || l.MaxConcurrent <= 0 {
		return invalid("limits must be positive")
	}
	if s.opts.Mutant.Is(mutant.UnboundedFields) {
		return nil
	}
	if math.IsNaN(l.RPS) || math.IsInf(l.RPS, 0) || l.RPS > MaxRPS || l.Burst > MaxBurst || l.MaxConcurrent > MaxConcurrent {
		return invalid("limits: rate_rps at most %g, rate_burst at most %d, max_concurrent at most %d", MaxRPS, MaxBurst, MaxConcurrent)
	}
	return nil
}

// CheckText refuses text with control characters (NUL, line breaks, bidi controls
// included) or invalid UTF-8: names end up in pages, logs and notices.
func CheckText(field, v string, maxBytes int) error {
	if v == "" || len(v) > maxBytes {
		return invalid("%s is required (at most %d bytes)", field, maxBytes)
	}
	if !utf8.ValidString(v) {
		return invalid("%s is not valid UTF-8", field)
	}
	for _, r := range v {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return invalid("%s must not contain control or format characters (U+%04X)", field, r)
		}
	}
	return nil
}

// checkURL accepts an absolute https URL to one concrete host: no wildcard, no
// user-info, no fragment, a host of DNS labels or an IP address.
func checkURL(u string) error {
	p, err := url.Parse(u)
	if err != nil || p.Scheme != "https" || p.Host == "" || p.Fragment != "" || strings.Contains(u, "#") {
		return invalid("redirect and notification URLs must be absolute https URLs without a fragment: %q", clip(u))
	}
	if len(u) > MaxURLLength || p.User != nil || p.Opaque != "" {
		return invalid("redirect and notification URLs: at most %d bytes, no user-info: %q", MaxURLLength, clip(u))
	}
	if !validHost(p.Hostname()) {
		return invalid("redirect and notification URLs name one concrete host (no wildcard): %q", clip(u))
	}
	for _, r := range u {
		if r <= ' ' || r == 0x7f || r > 0x7e {
			return invalid("redirect and notification URLs are ASCII without spaces or controls: %q", clip(u))
		}
	}
	return nil
}

func validHost(h string) bool {
	if net.ParseIP(h) != nil {
		return true
	}
	if h == "" || len(h) > 253 {
		return false
	}
	for label := range strings.SplitSeq(h, ".") {
		if label == "" || len(label) > maxHostLabelSize || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
				return false
			}
		}
	}
	return true
}

func clip(s string) string {
	if len(s) > 80 {
		return s[:80] + "…"
	}
	return s
}

// checkName bounds an app's name (the unbounded-fields mutant only its length).
func (s *Service) checkName(name string) error {
	if s.opts.Mutant.Is(mutant.UnboundedFields) {
		if name == "" || len(name) > MaxNameBytes {
			return invalid("name is required (at most %d bytes)", MaxNameBytes)
		}
		return nil
	}
	return CheckText("name", name, MaxNameBytes)
}

// checkURLs checks a registration's redirect and notification URLs.
func (s *Service) checkURLs(r Registration) error {
	if len(r.RedirectURIs) > MaxRedirectURIs {
		return invalid("at most %d redirect_uris", MaxRedirectURIs)
	}
	for _, u := range append(append([]string{}, r.RedirectURIs...), r.NotifyURL) {
		if u == "" {
			continue
		}
		if s.opts.Mutant.Is(mutant.UnboundedFields) {
			if p, err := url.Parse(u); err != nil || p.Scheme != "https" || p.Host == "" || p.Fragment != "" {
				return invalid("redirect and notification URLs must be absolute https URLs without a fragment: %q", clip(u))
			}
			continue
		}
		if err := checkURL(u); err != nil {
			return err
		}
	}
	return nil
}
