package steps

import (
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"strings"

	"gopkg.in/yaml.v3"
)

// Target is a bank under test: where it is, how to trust it, and the test-control
// access the suite needs to set up its own partners and drive the test users. Any bank
// implementing the sandbox's published API (including its admin/test-control API) can
// be a target; `sandbox conform` fills one in for the embedded sandbox.
type Target struct {
	Name    string `yaml:"name"`     // shown in the report
	BaseURL string `yaml:"base_url"` // https://host:port of the API, pages and /docs
	// CACert is the PEM of the CA that issued the bank's TLS server certificate (inline
	// PEM or a file path).
	CACert string `yaml:"ca_cert"`
	// AdminToken authorizes the test-control (admin) API at /admin/v1: registering the
	// suite's own partner apps, changing grants, advancing the sandbox clock. Inline, or
	// AdminTokenFile.
	AdminToken     string `yaml:"admin_token"`
	AdminTokenFile string `yaml:"admin_token_file"`
	// Users are the test users' credentials, by role name used in the features:
	// "zhangsan" (two active accounts), "lisi" (one account, small balance), "wangwu"
	// (frozen account), and one user of their own for each control that spends a user's
	// codes or locks their logins: "user0004" (password lockout), "user0005" (code
	// attempts), "user0006" (code lifetime), "user0007" (codes bound to their step),
	// "user0008" (codes sent per step and per hour).
	Users map[string]User `yaml:"users"`
	// PhonePath is the simulated phone inbox page, with {user} for the username.
	PhonePath string `yaml:"phone_path"`
	// RedirectURI registered for the suite's apps (never contacted; codes are read from
	// the bank's redirect).
	RedirectURI string `yaml:"redirect_uri"`
	// Sandbox is true when the target exposes sandbox-only test controls (clock advance).
	Sandbox bool `yaml:"sandbox"`
}

// User is a test user's login at the bank.
type User struct {
	Username string `yaml:"username"`
	Password string `yaml:"password"`
}

// DefaultUsers are the embedded sandbox's documented test users (README "Test data").
func DefaultUsers() map[string]User {
	const pw = "Sandbox#2020"
	users := map[string]User{"zhangsan": {"zhangsan", pw}, "lisi": {"lisi", pw}, "wangwu": {"wangwu", pw}}
	for _, u := range []string{lockoutUser, attemptsUser, lifetimeUser, boundUser, sendUser} {
		users[u] = User{u, pw}
	}
	return users
}

// LoadTarget reads a target file (YAML) and fills in defaults.
func LoadTarget(path string) (Target, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return Target{}, fmt.Errorf("target: %w", err)
	}
	var t Target
	if err := yaml.Unmarshal(raw, &t); err != nil {
		return Target{}, fmt.Errorf("target %s: %w", path, err)
	}
	return t, t.complete()
}

func (t *Target) complete() error {
	if t.BaseURL == "" || !strings.HasPrefix(t.BaseURL, "https://") {
		return errors.New("target: base_url must be an https:// URL")
	}
	t.BaseURL = strings.TrimRight(t.BaseURL, "/")
	if t.Name == "" {
		t.Name = t.BaseURL
	}
	if t.AdminToken == "" && t.AdminTokenFile != "" {
		raw, err := os.ReadFile(t.AdminTokenFile)
		if err != nil {
			return fmt.Errorf("target: admin token: %w", err)
		}
		t.AdminToken = strings.TrimSpace(string(raw))
	}
	if t.AdminToken == "" {
		return errors.New("target: admin_token (or admin_token_file) is required: the suite registers its own partner apps")
	}
	if t.Users == nil {
		t.Users = DefaultUsers()
	}
	if t.PhonePath == "" {
		t.PhonePath = "/phone?user={user}"
	}
	if t.RedirectURI == "" {
		t.RedirectURI = "https://partner.example/cb"
	}
	return nil
}

// caPool reads CACert (inline PEM or file): the pool and the PEM text it was built from.
func (t *Target) caPool() (*x509.CertPool, []byte, error) {
	pemText := []byte(t.CACert)
	if !strings.Contains(t.CACert, "-----BEGIN") {
		raw, err := os.ReadFile(t.CACert)
		if err != nil {
			return nil, nil, fmt.Errorf("target: ca_cert: %w", err)
		}
		pemText = raw
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pemText) {
		return nil, nil, errors.New("target: ca_cert holds no PEM certificate")
	}
	return pool, pemText, nil
}
