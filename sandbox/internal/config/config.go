// Package config is the sandbox's configuration: embedded defaults, then an optional
// YAML file, then SANDBOX_* environment variables, then command-line flags, each layer
// overriding the one before. Every setting is declared once, in Settings, which also
// feeds the README's configuration table (a test keeps them in step).
package config

import (
	"github.com/jr0185/harness/sandbox/internal/mutant"

	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"
	"gopkg.in/yaml.v3"
)

// Mode is sandbox (diagnostics on, test controls and mutants allowed) or production
// (only catalogued errors, no test controls).
const (
	ModeSandbox    = "sandbox"
	ModeProduction = "production"
)

// Config is the whole configuration. Field tags: yaml key, env variable, flag name and
// the help text; defaults live in Defaults.
type Config struct {
	Addr            string   `yaml:"addr" env:"SANDBOX_ADDR" flag:"addr" help:"HTTPS listen address (host:port)"`
	PublicURL       string   `yaml:"public_url" env:"SANDBOX_PUBLIC_URL" flag:"public-url" help:"Base URL printed for clients; empty = derived from addr"`
	Hosts           []string `yaml:"hosts" env:"SANDBOX_HOSTS" flag:"hosts" help:"Extra DNS names/IPs for the server certificate (comma-separated)"`
	DataDir         string   `yaml:"data_dir" env:"SANDBOX_DATA_DIR" flag:"data-dir" help:"Where PKI, databases and demo credentials are kept (git-ignored)"`
	Durable         bool     `yaml:"durable" env:"SANDBOX_DURABLE" flag:"durable" help:"Fsync every commit before acknowledging it (SQLite synchronous=FULL), except replay-protection nonces, which survive a killed process but not a power loss; false: synchronous=NORMAL for every commit"`
	Mode            string   `yaml:"mode" env:"SANDBOX_MODE" flag:"mode" help:"sandbox (diagnostics, test controls) or production (catalogued errors only)"`
	Seed            int64    `yaml:"seed" env:"SANDBOX_SEED" flag:"seed" help:"Fake-data seed used on first start"`
	Customers       int      `yaml:"customers" env:"SANDBOX_CUSTOMERS" flag:"customers" help:"Number of seeded customers"`
	Products        int      `yaml:"products" env:"SANDBOX_PRODUCTS" flag:"products" help:"Number of seeded products"`
	InstitutionCode string   `yaml:"institution_code" env:"SANDBOX_INSTITUTION_CODE" flag:"institution-code" help:"Six-character institution code used in U_API_IDs (JR/T 0124, annex B.3.3)"`
	// FinancialInstitutionCode is the bank's whole JR/T 0124-2014 financial institution
	// code, published in the API catalogue; U_API_IDs use its first six characters.
	FinancialInstitutionCode string        `yaml:"financial_institution_code" env:"SANDBOX_FINANCIAL_INSTITUTION_CODE" flag:"financial-institution-code" help:"The bank's 14-character JR/T 0124 financial institution code, published in the API catalogue; its first six characters must be institution_code"`
	TimestampWindow          time.Duration `yaml:"timestamp_window" env:"SANDBOX_TIMESTAMP_WINDOW" flag:"timestamp-window" help:"Accepted clock skew of request timestamps (either way)"`
	MaxBodyBytes             int           `yaml:"max_body_bytes" env:"SANDBOX_MAX_BODY_BYTES" flag:"max-body-bytes" help:"Largest accepted request body"`
	RateRPS                  float64       `yaml:"rate_rps" env:"SANDBOX_RATE_RPS" flag:"rate-rps" help:"Default per-app requests per second (flow control)"`
	RateBurst                int           `yaml:"rate_burst" env:"SANDBOX_RATE_BURST" flag:"rate-burst" help:"Default per-app burst size"`
	MaxConcurrent            int           `yaml:"max_concurrent" env:"SANDBOX_MAX_CONCURRENT" flag:"max-concurrent" help:"Default per-app concurrent calls"`
	AuthFailLimit            int           `yaml:"auth_fail_limit" env:"SANDBOX_AUTH_FAIL_LIMIT" flag:"auth-fail-limit" help:"Authentication failures within auth-fail-window that pause an App_ID"`
	AuthFailWindow           time.Duration `yaml:"auth_fail_window" env:"SANDBOX_AUTH_FAIL_WINDOW" flag:"auth-fail-window" help:"Window for counting authentication failures"`
	AuthLockFor              time.Duration `yaml:"auth_lock_for" env:"SANDBOX_AUTH_LOCK_FOR" flag:"auth-lock-for" help:"How long an App_ID stays paused after too many failures"`
	AuditCheckpoint          int           `yaml:"audit_checkpoint_every" env:"SANDBOX_AUDIT_CHECKPOINT_EVERY" flag:"audit-checkpoint-every" help:"Sign an audit checkpoint every N records"`
	LogLevel                 string        `yaml:"log_level" env:"SANDBOX_LOG_LEVEL" flag:"log-level" help:"debug, info, warn or error"`
	LogFormat                string        `yaml:"log_format" env:"SANDBOX_LOG_FORMAT" flag:"log-format" help:"text or json"`
	AbnormalFailures         int           `yaml:"abnormal_failures" env:"SANDBOX_ABNORMAL_FAILURES" flag:"abnormal-failures" help:"Failed business calls of one App_ID within a minute that throttle it for 5 minutes (abnormal-pattern rule, JR/T 0185-2020 10.2.1/2)"`
	OTPPaymentCodesPerHour   int           `yaml:"otp_payment_codes_per_hour" env:"SANDBOX_OTP_PAYMENT_CODES_PER_HOUR" flag:"otp-payment-codes-per-hour" help:"Payment confirmation codes one App_ID may have sent to one customer within a rolling hour (JR/T 0185-2020 7.2.1 b) 2); a load test's app needs more)"`
	PartnerAutoApprove       bool          `yaml:"partner_auto_approve" env:"SANDBOX_PARTNER_AUTO_APPROVE" flag:"partner-auto-approve" help:"Approve self-service partner registrations at once, so a newcomer can call right away (sandbox mode only; off: the App_ID waits for the operator's review, JR/T 0185-2020 9.1.2)"`
	Mutant                   string        `yaml:"mutant" env:"SANDBOX_MUTANT" flag:"mutant" help:"Start a mutant bank with one control broken (sandbox mode only; see sandbox conform --list-mutants)"`
	MinFreeMiB               int           `yaml:"min_free_mib" env:"SANDBOX_MIN_FREE_MIB" flag:"min-free-mib" help:"Free space (MiB) the data folder keeps in reserve: below it health is down and calls that could change state get 503 STORAGE_UNAVAILABLE"`
}

// Defaults are the embedded defaults: one command, no setup. Durable is on: a bank
// acknowledges a payment only once its commit is on disk (JR/T 0185-2020 6.2 A2; every
// acknowledged payment survives a crash, power loss included).
func Defaults() Config {
	return Config{
		Addr:             "127.0.0.1:8443",
		DataDir:          "data",
		Durable:          true,
		Mode:             ModeSandbox,
		AbnormalFailures: 10,
		Seed:             20200218, // JR/T 0185-2020 was issued on 2020-02-13; any fixed value will do
		Customers:        50,
		Products:         40,
		InstitutionCode:  "C99999",
		// A fictitious code for the sandbox bank (C: banking deposit-taking institution).
		FinancialInstitutionCode: "C9999911000001",
		TimestampWindow:          5 * time.Minute,
		MaxBodyBytes:             64 << 10,
		RateRPS:                  50,
		RateBurst:                100,
		MaxConcurrent:            20,
		AuthFailLimit:            10,
		AuthFailWindow:           time.Minute,
		AuthLockFor:              5 * time.Minute,
		AuditCheckpoint:          256,
		LogLevel:                 "info",
		LogFormat:                "text",
		OTPPaymentCodesPerHour:   20,
		MinFreeMiB:               32,
	}
}

// Setting describes one configuration field, for flags and documentation.
type Setting struct {
	YAML, Env, Flag, Help, Default string
	index                          int
}

// Settings lists every setting with its default rendered as text.
func Settings() []Setting {
	d := reflect.ValueOf(Defaults())
	t := d.Type()
	out := make([]Setting, 0, t.NumField())
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		out = append(out, Setting{
			YAML: f.Tag.Get("yaml"), Env: f.Tag.Get("env"), Flag: f.Tag.Get("flag"),
			Help: f.Tag.Get("help"), Default: format(d.Field(i)), index: i,
		})
	}
	return out
}

// FileEnv names the optional YAML file (also settable with --config).
const FileEnv = "SANDBOX_CONFIG"

// Load builds the configuration: defaults, file (path, or $SANDBOX_CONFIG), environment,
// then any flags in fs that were set on the command line.
func Load(path string, getenv func(string) string, fs *pflag.FlagSet) (Config, error) {
	c := Defaults()
	if path == "" {
		path = getenv(FileEnv)
	}
	if path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return c, fmt.Errorf("config file: %w", err)
		}
		dec := yaml.NewDecoder(strings.NewReader(string(b)))
		dec.KnownFields(true)
		if err := dec.Decode(&c); err != nil && !errors.Is(err, io.EOF) {
			return c, fmt.Errorf("config file %s: %w", path, err)
		}
	}
	v := reflect.ValueOf(&c).Elem()
	for _, s := range Settings() {
		if raw, ok := lookup(getenv, s.Env); ok {
			if err := parseInto(v.Field(s.index), raw); err != nil {
				return c, fmt.Errorf("%s=%q: %w", s.Env, raw, err)
			}
		}
		if fs != nil {
			if f := fs.Lookup(s.Flag); f != nil && f.Changed {
				if err := parseInto(v.Field(s.index), f.Value.String()); err != nil {
					return c, fmt.Errorf("--%s: %w", s.Flag, err)
				}
			}
		}
	}
	return c, c.Validate()
}

func lookup(getenv func(string) string, key string) (string, bool) {
	v := getenv(key)
	return v, v != ""
}

// RegisterFlags adds one flag per setting to fs (values are read back in Load only when
// the user set them, so defaults stay in one place).
func RegisterFlags(fs *pflag.FlagSet) {
	fs.String("config", "", "YAML configuration file (or $"+FileEnv+")")
	t := reflect.TypeOf(Config{})
	for _, s := range Settings() {
		fs.String(s.Flag, s.Default, s.Help+" ($"+s.Env+")")
		if t.Field(s.index).Type.Kind() == reflect.Bool {
			fs.Lookup(s.Flag).NoOptDefVal = "true" // --durable alone means true
		}
	}
}

// Validate checks the values that would otherwise fail later and less clearly.
func (c Config) Validate() error {
	var errs []error
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		errs = append(errs, fmt.Errorf("addr %q: %w", c.Addr, err))
	}
	if c.Mode != ModeSandbox && c.Mode != ModeProduction {
		errs = append(errs, fmt.Errorf("mode must be %q or %q", ModeSandbox, ModeProduction))
	}
	if len(c.InstitutionCode) != 6 || strings.ToUpper(c.InstitutionCode) != c.InstitutionCode {
		errs = append(errs, fmt.Errorf("institution_code must be six uppercase characters (JR/T 0185-2020 B.3.3)"))
	}
	if !validFinancialCode(c.FinancialInstitutionCode) || !strings.HasPrefix(c.FinancialInstitutionCode, c.InstitutionCode) {
		errs = append(errs, fmt.Errorf("financial_institution_code must be 14 uppercase letters and digits beginning with institution_code (JR/T 0185-2020 B.3.3)"))
	}
	if c.TimestampWindow <= 0 || c.MaxBodyBytes <= 0 || c.RateRPS <= 0 || c.RateBurst <= 0 || c.MaxConcurrent <= 0 {
		errs = append(errs, errors.New("timestamp_window, max_body_bytes, rate_rps, rate_burst and max_concurrent must be positive"))
	}
	if c.AuthFailLimit <= 0 || c.AuthFailWindow <= 0 || c.AuthLockFor <= 0 || c.AuditCheckpoint <= 0 {
		errs = append(errs, errors.New("auth_fail_limit, auth_fail_window, auth_lock_for and audit_checkpoint_every must be positive"))
	}
	if c.MinFreeMiB <= 0 {
		errs = append(errs, errors.New("min_free_mib must be positive"))
	}
	if c.AbnormalFailures <= 0 {
		errs = append(errs, errors.New("abnormal_failures must be positive"))
	}
	if c.OTPPaymentCodesPerHour <= 0 {
		errs = append(errs, errors.New("otp_payment_codes_per_hour must be positive"))
	}
	if _, err := mutant.Parse(c.Mutant); err != nil {
		errs = append(errs, err)
	} else if c.Mutant != "" && c.Mode != ModeSandbox {
		errs = append(errs, fmt.Errorf("mutant %q: a mutant bank runs in sandbox mode only", c.Mutant))
	}
	if c.PartnerAutoApprove && c.Mode != ModeSandbox {
		errs = append(errs, errors.New("partner_auto_approve: a bank approves registrations without review in sandbox mode only"))
	}
	if c.Customers < 3 || c.Products < 4 {
		errs = append(errs, errors.New("customers must be at least 3 and products at least 4 (the documented test users and one product per category)"))
	}
	return errors.Join(errs...)
}

// Mutants is the mutant this bank runs (the zero Set: none).
func (c Config) Mutants() mutant.Set {
	m, _ := mutant.Parse(c.Mutant)
	return m
}

// Sandbox reports whether sandbox diagnostics and test controls are on.
func (c Config) Sandbox() bool { return c.Mode == ModeSandbox }

func parseInto(f reflect.Value, raw string) error {
	switch f.Kind() {
	case reflect.String:
		f.SetString(raw)
	case reflect.Int, reflect.Int64:
		if f.Type() == reflect.TypeOf(time.Duration(0)) {
			d, err := time.ParseDuration(raw)
			if err != nil {
				return err
			}
			f.SetInt(int64(d))
			return nil
		}
		n, err := strconv.ParseInt(raw, 10, 64)
		if err != nil {
			return err
		}
		f.SetInt(n)
	case reflect.Bool:
		b, err := strconv.ParseBool(raw)
		if err != nil {
			return err
		}
		f.SetBool(b)
	case reflect.Float64:
		n, err := strconv.ParseFloat(raw, 64)
		if err != nil {
			return err
		}
		f.SetFloat(n)
	case reflect.Slice:
		var parts []string
		for _, p := range strings.Split(raw, ",") {
			if p = strings.TrimSpace(p); p != "" {
				parts = append(parts, p)
			}
		}
		f.Set(reflect.ValueOf(parts))
	default:
		return fmt.Errorf("unsupported setting type %s", f.Kind())
	}
	return nil
}

func format(v reflect.Value) string {
	switch x := v.Interface().(type) {
	case time.Duration:
		return x.String()
	case []string:
		return strings.Join(x, ",")
	default:
		return fmt.Sprint(x)
	}
}

// validFinancialCode checks the shape of a JR/T 0124-2014 financial institution code:
// 14 characters, capital letters and digits.
func validFinancialCode(s string) bool {
	if len(s) != 14 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !(s[i] >= '0' && s[i] <= '9' || s[i] >= 'A' && s[i] <= 'Z') {
			return false
		}
	}
	return true
}
