// Package bank starts a complete sandbox bank from a configuration. It is the small
// public entry point used by the `sandbox` command, by tests, and by the conformance
// harness to run the bank in-process; everything it wires lives in sandbox/internal.
package bank

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/jr0185/harness/fakedata"
	"github.com/jr0185/harness/sandbox/internal/accounts"
	"github.com/jr0185/harness/sandbox/internal/apis"
	"github.com/jr0185/harness/sandbox/internal/apps"
	"github.com/jr0185/harness/sandbox/internal/audit"
	"github.com/jr0185/harness/sandbox/internal/clock"
	"github.com/jr0185/harness/sandbox/internal/config"
	"github.com/jr0185/harness/sandbox/internal/consent"
	"github.com/jr0185/harness/sandbox/internal/dashboard"
	"github.com/jr0185/harness/sandbox/internal/gateway"
	"github.com/jr0185/harness/sandbox/internal/health"
	"github.com/jr0185/harness/sandbox/internal/ledger"
	"github.com/jr0185/harness/sandbox/internal/monitor"
	"github.com/jr0185/harness/sandbox/internal/mutant"
	"github.com/jr0185/harness/sandbox/internal/notify"
	"github.com/jr0185/harness/sandbox/internal/otp"
	"github.com/jr0185/harness/sandbox/internal/partners"
	"github.com/jr0185/harness/sandbox/internal/payments"
	"github.com/jr0185/harness/sandbox/internal/pki"
	"github.com/jr0185/harness/sandbox/internal/products"
	"github.com/jr0185/harness/sandbox/internal/seed"
	"github.com/jr0185/harness/sandbox/internal/server"
	"github.com/jr0185/harness/sandbox/internal/sessions"
	"github.com/jr0185/harness/sandbox/internal/signing"
	"github.com/jr0185/harness/sandbox/internal/store"
	"github.com/jr0185/harness/sandbox/protocol"
	"github.com/jr0185/harness/sandbox/sdk"
)

// Config is the sandbox configuration (see the README's table).
type Config = config.Config

// DefaultConfig returns the embedded defaults.
func DefaultConfig() Config { return config.Defaults() }

// Bank is a running sandbox bank.
type Bank struct {
	URL            string // https://host:port
	Addr           string // actual listen address
	DataDir        string
	DemoDir        string // the demo partner's credential folder
	DemoAppID      string
	AdminTokenFile string
	AdminToken     string // the admin token (read from AdminTokenFile)
	TLSCAFile      string
	AuditFile      string
	FirstStart     bool

	srv    *server.Server
	db     *store.DB
	writer *store.Committer
	reader *sql.DB
	// readStmts prepares the per-request reads on reader once.
	readStmts *store.Prepared
	audit     *audit.Log
	ln        net.Listener
	done      chan error
	cancel    context.CancelFunc
	log       *slog.Logger
}

// File names inside the data folder.
const (
	dbFile         = "bank.db"
	auditFile      = "audit.db"
	pkiDir         = "pki"
	demoDir        = "demo-partner"
	adminTokenFile = "admin-token"
	demoOrg        = "Demo Partner Co., Ltd."
)

// Start brings up the bank: PKI, database, seed data, demo partner, audit log, and the
// HTTPS listener. It returns once the bank accepts connections.
func Start(ctx context.Context, cfg Config, log *slog.Logger) (*Bank, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	b, err := start(ctx, cfg, log)
	return b, startError(cfg.DataDir, err) // a storage failure names the data folder (durability.go)
}

func start(ctx context.Context, cfg Config, log *slog.Logger) (*Bank, error) {
	mut := cfg.Mutants()
	if log == nil {
		log = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	if err := checkDataDir(cfg.DataDir); err != nil { // one real write first (durability.go)
		return nil, err
	}
	clk := clock.New()
	b := &Bank{DataDir: cfg.DataDir, DemoDir: filepath.Join(cfg.DataDir, demoDir),
		AdminTokenFile: filepath.Join(cfg.DataDir, adminTokenFile), AuditFile: filepath.Join(cfg.DataDir, auditFile), log: log}

	// PKI (generated on first start, reloaded after).
	popts := pki.DefaultOptions(filepath.Join(cfg.DataDir, pkiDir))
	popts.Hosts = append(append([]string{}, pki.DefaultHosts...), cfg.Hosts...)
	popts.Now = clk.Now
	pk, created, err := pki.LoadOrCreateBank(popts)
	if err != nil {
		return nil, fmt.Errorf("PKI: %w", err)
	}
	b.TLSCAFile = pk.Paths.TLSCACert
	b.FirstStart = created

	db, err := store.OpenSQLite(ctx, filepath.Join(cfg.DataDir, dbFile), cfg.Durable)
	if err != nil {
		return nil, err
	}
	b.db = db
	// Group commit for the payment path's writes: concurrent payments share one
	// transaction and one fsync, and each is acknowledged only after that commit.
	b.writer = store.NewCommitter(db.DB, 0)
	ok := false
	defer func() {
		if !ok {
			_ = b.closeStores()
		}
	}()
	if seeded, err := seed.IfEmpty(ctx, db, cfg.Seed, fakedata.Size{Customers: cfg.Customers, Products: cfg.Products}); err != nil {
		return nil, err
	} else if seeded {
		log.Info("seeded fake data", "seed", cfg.Seed, "customers", cfg.Customers, "products", cfg.Products)
	}

	accountIDs, err := seed.AccountIDs(ctx, db)
	if err != nil {
		return nil, fmt.Errorf("account ids: %w", err)
	}
	if err := seed.Holdings(ctx, db, cfg.Seed); err != nil {
		return nil, fmt.Errorf("seed holdings: %w", err)
	}

	// The ledger starts from the seeded balances (one opening posting per account).
	if err := ledger.InitOpeningBalances(ctx, db.DB, clk.Now()); err != nil {
		return nil, fmt.Errorf("ledger: %w", err)
	}

	cat, err := apis.Build(cfg.InstitutionCode, mut)
	if err != nil {
		return nil, err
	}
	appSvc := apps.NewService(&apps.SQLStore{DB: db.DB}, clk, apps.Options{
		DefaultLimits:  apps.Limits{RPS: cfg.RateRPS, Burst: cfg.RateBurst, MaxConcurrent: cfg.MaxConcurrent},
		SecretValidity: secretValidity(mut),
		Mutant:         mut,
		KnownScopes:    cat.KnownScope,
	})
	life, err := apis.NewLifecycle(ctx, db.DB, clk, cat, apis.LifecycleOptions{Partners: grantees{appSvc}, Mutant: mut})
	if err != nil {
		return nil, err
	}

	// A2 user side: one-time codes, bank login sessions, consents and tokens.
	otpSvc := otp.NewService(&otp.SQLStore{DB: db.DB}, clk, otp.Options{MaxPaymentCodesPerHour: cfg.OTPPaymentCodesPerHour, Mutant: mut})
	sessSvc := sessions.NewService(&sessions.SQLStore{DB: db.DB}, otpSvc, clk, sessions.Options{Mutant: mut})
	// The gateway's per-request token and consent reads run on a read-only pool beside
	// the writing connection.
	if b.reader, err = store.OpenSQLiteReader(ctx, filepath.Join(cfg.DataDir, dbFile), 4); err != nil {
		return nil, err
	}
	b.readStmts = store.NewPrepared(b.reader)
	consentStore := &consent.SQLStore{DB: db.DB, W: b.writer, R: b.readStmts}
	consentSvc := consent.NewService(consent.Deps{Store: consentStore, Apps: consent.AppRegistry{Registry: appSvc},
		Sessions: sessSvc, Codes: otpSvc, Accounts: consentStore, Clock: clk}, consent.Options{Mutant: mut})
	endConsentsAtExit(appSvc, consentSvc, mut)
	acctSvc := accounts.NewService(&accounts.SQLStore{DB: db.DB}, clk.Now).WithMutant(mut)

	token, err := ensureAdminToken(ctx, db, b.AdminTokenFile)
	if err != nil {
		return nil, err
	}
	b.AdminToken = token

	metrics := monitor.NewMetrics()
	metrics.WatchWriter(b.writer)
	alarms := monitor.NewAlarms(1000, metrics, log, clk.Now)
	alarms.Silent = mut.Is(mutant.NoAlarms)
	// Every change of a payment writes its audit record in its own transaction, into the
	// outbox the audit log folds in (durability.go; JR/T 0185-2020 7.3.3/1, 12.3/1).
	if err := markOutboxSince(ctx, db, clk); err != nil {
		return nil, fmt.Errorf("audit outbox: %w", err)
	}
	paySvc := payments.NewService(&payments.SQLStore{DB: db.DB, W: b.writer}, clk, payments.Options{Alarms: alarms, Mutant: mut,
		Journal: journal{}})
	if n, err := paySvc.ResumeProcessing(ctx); err != nil {
		return nil, fmt.Errorf("payments: %w", err)
	} else if n > 0 {
		log.Info("settled payments interrupted by the last stop", "count", n)
	}
	nonces, err := gateway.NewSQLNonces(ctx, db.DB)
	if err != nil {
		return nil, err
	}
	nonces.W = store.Relaxed(b.writer) // replay protection must not wait for fsync (see TxRelaxed)
	gw := gateway.New(appSvc, clientCerts{pk}, consentSvc, life, nonces, alarms, clk, gateway.Options{
		TimestampWindow: cfg.TimestampWindow, AuthFailLimit: cfg.AuthFailLimit, AuthFailWindow: cfg.AuthFailWindow,
		AuthLockFor: cfg.AuthLockFor, Debug: cfg.Sandbox(), Mutant: mut,
	})

	signer := signing.New(pk.SignKey, pk.SignKeySerial())
	auditLog, err := audit.Open(b.AuditFile, &signing.Checkpoints{C: signer}, audit.Options{
		CheckpointEvery: cfg.AuditCheckpoint, Clock: clk.Now, Logger: log, Unchained: mut.Is(mutant.AuditUnchained),
		Source: &audit.SQLOutbox{Read: b.reader, Write: store.Relaxed(b.writer).Tx},
	})
	if err != nil {
		return nil, fmt.Errorf("audit log: %w", err)
	}
	b.audit = auditLog

	tokenHash := protocol.SM3Hex([]byte(token))
	encKey, encCertPEM := encryptionKey(pk, mut)
	published, err := loadSignCerts(pk.Paths.Dir)
	if err != nil {
		return nil, fmt.Errorf("bank signing certificates: %w", err)
	}
	sd := serviceDeps(cfg, clk, alarms, auditLog)
	if cfg.Sandbox() {
		// The retired-key fault's key: its expired certificate is published with the
		// others (retiredSignKey in signcerts.go).
		if sd.Spoiler.Retired, err = retiredSignKey(pk, published); err != nil {
			return nil, err
		}
	}
	var notifier *notify.Notifier // built below: it renders payments through the server
	// Health from real probes (package health): a write to the data folder and to the
	// business database, free space, the audit writer, the notifications' lag.
	monitorHealth := health.New(health.Options{DataDir: cfg.DataDir, MinFreeBytes: uint64(cfg.MinFreeMiB) << 20, // #nosec G115 -- validated positive

		Write: healthWrite(b.writer), Audit: auditLog, Alarms: alarms, Registry: metrics.Registry,
		NotificationLag: func(ctx context.Context) (map[string]time.Duration, error) { return notifier.Lag(ctx) }})
	sd.Health = monitorHealth
	// trainer.go: the dashboard (sandbox mode)
	console := newConsole(cfg, sd.Faults, db, accountIDs)
	if sd.Observe != nil {
		sd.ProbeNotification = func(ctx context.Context, appID, kind, paymentID string, st payments.Status) (notify.Attempt, error) {
			return notifier.Probe(ctx, appID, kind, paymentID, st)
		}
	}
	b.srv = server.New(server.Deps{
		Clock: clk, ClockCtl: clk, Log: log, Catalogue: cat, Lifecycle: life, Gateway: gw, Apps: appSvc,
		Products: products.NewService(&products.SQLStore{DB: db.DB}), Audit: auditAdapter{auditLog, log},
		Metrics: metrics, Alarms: alarms,
		OTP: otpSvc, Sessions: sessSvc, Consent: consentSvc, Accounts: acctSvc, AccountIDs: accountIDs,
		Payments: paySvc, EncKey: encKey,
		Signer: signer, Rotate: rotator(pk, signer, published, b.DemoDir, log), BankCerts: published.Get,
		EncCertPEM: encCertPEM,
		AdminToken: tokenHash, Debug: cfg.Sandbox(), BodyLimit: cfg.MaxBodyBytes, Mutant: mut,
		Limits: map[string]server.LimitSection{
			// JR/T 0185-2020 7.2.2/2, 10.1.2/1a, 10.1.2/1b: the gateway's windows and counters.
			"gateway": {
				"timestamp_window_seconds": int(cfg.TimestampWindow.Seconds()),
				"nonce_memory_seconds":     int(2 * cfg.TimestampWindow.Seconds()),
				// The Authorization header's nonce: its lengths (alphabet 0-9 A-Z a-z - _).
				"nonce_min_length":         protocol.MinNonceLen,
				"nonce_max_length":         protocol.MaxNonceLen,
				"auth_fail_limit":          cfg.AuthFailLimit,
				"auth_fail_window_seconds": int(cfg.AuthFailWindow.Seconds()),
				"auth_lock_seconds":        int(cfg.AuthLockFor.Seconds()),
				"max_body_bytes":           cfg.MaxBodyBytes,
				"default_rate_rps":         cfg.RateRPS,
				"default_rate_burst":       cfg.RateBurst,
				"default_max_concurrent":   cfg.MaxConcurrent,
			},
			// JR/T 0185-2020 7.2.1/b2, 10.2.2/1, 9.3.1/3, 9.2.1/b3, 9.3.2/1c, 7.2.2/3b: the
			// users' and money controls (limits_users.go).
			"users":    usersLimits(otpSvc, sessSvc, consentSvc),
			"payments": paymentsLimits(consentSvc),
			"masking":  maskingRules(),
			// Issue 14: the operator's and registration's bounds, and the admin token's
			// brute-force guard (7.2.2/1, 10.1.2/1b).
			"operator": {
				"max_rate_rps":                   apps.MaxRPS,
				"max_rate_burst":                 apps.MaxBurst,
				"max_concurrent":                 apps.MaxConcurrent,
				"max_redirect_uris":              apps.MaxRedirectURIs,
				"audit_limit_max":                server.AuditLimitMax,
				"admin_auth_fail_limit":          server.AdminMaxFails,
				"admin_auth_fail_window_seconds": int(server.AdminFailWindow.Seconds()),
				"admin_lock_seconds":             int(server.AdminPenalty.Seconds()),
			},
		},
		IssueTestServerCert:      pk.IssueTestServerCertFor,
		ServiceDeps:              sd,
		FinancialInstitutionCode: cfg.FinancialInstitutionCode,
		Partners: &partners.Service{Apps: appSvc, DB: db.DB, Clock: clk, Mutant: mut, PKI: pk,
			AutoApprove: cfg.PartnerAutoApprove && cfg.Sandbox()},
		Ready:     func() error { return db.PingContext(context.Background()) },
		Dashboard: console,
		Reset:     resetFor(cfg, db, accountIDs, otpSvc, clk),
		TestUsers: testUsers(cfg, db),
	})

	raw, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", cfg.Addr, err)
	}
	tlsCfg := server.TLSConfig(pk.ServerTLSCertificate())
	if mut.Is(mutant.AcceptTLS11) {
		tlsCfg.MinVersion = tls.VersionTLS10 // #nosec G402 -- the accept-tls11 mutant bank, sandbox mode only
		tlsCfg.CipherSuites = append(tlsCfg.CipherSuites, tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA)
	}
	if mut.Is(mutant.LongSessionTickets) {
		tlsCfg.SessionTicketsDisabled = false // Go's default: 7-day TLS 1.3 tickets
	}
	if sd.Observe != nil {
		server.WatchHandshakes(tlsCfg, sd.Observe) // sandbox: refused handshakes are observed
	}
	b.ln = tls.NewListener(raw, tlsCfg)
	if mut.Is(mutant.PlainHTTP) {
		b.ln = &plainHTTPMutant{Listener: raw, tls: tlsCfg}
	}
	b.Addr = raw.Addr().String()
	b.URL = publicURL(cfg, raw.Addr())

	if err := ensureDemoPartner(ctx, db, appSvc, pk, cat, b); err != nil {
		_ = b.ln.Close()
		return nil, fmt.Errorf("demo partner: %w", err)
	}
	if console != nil {
		console.Trainer.Setup = func(ctx context.Context) (dashboard.Partner, error) {
			return ensureTrainerPartner(ctx, db, appSvc, pk, cat, b)
		}
	}

	bg, cancel := context.WithCancel(context.Background())
	b.cancel = cancel
	go purgeNonces(bg, nonces, clk, log)
	notifier = &notify.Notifier{Outbox: paySvc, Apps: appSvc, Signer: signer, Clock: clk, Log: log,
		Render: b.srv.PaymentJSON, HTTP: notify.NewHTTPClient([]*x509.Certificate{pk.TLSCA}, 5*time.Second)}
	if sd.Observe != nil {
		notifier.Observe = b.srv.ObserveNotification
	}
	notifier.Faults, notifier.Spoiler = sd.Faults, sd.Spoiler
	notifier.WithoutRequestIDs = mut.Is(mutant.NotifyWithoutRequestIDs)
	go notifier.Run(bg)
	go monitorHealth.Run(bg)
	b.done = make(chan error, 1)
	go func() { b.done <- b.srv.Serve(b.ln) }()
	ok = true
	return b, nil
}

// Wait blocks until the server stops.
func (b *Bank) Wait() error { return <-b.done }

// Close shuts down gracefully: stop accepting, finish in-flight calls, flush the audit
// log (with a final signed checkpoint) and close the database.
func (b *Bank) Close(ctx context.Context) error {
	b.cancel()
	err := b.srv.Shutdown(ctx)
	if cerr := b.closeStores(); err == nil {
		err = cerr
	}
	return err
}

func (b *Bank) closeStores() error {
	var errs []error
	if b.audit != nil {
		errs = append(errs, b.audit.Close())
		b.audit = nil
	}
	if b.writer != nil {
		b.writer.Close() // after the server stopped: nothing new is submitted
		b.writer = nil
	}
	if b.readStmts != nil {
		errs = append(errs, b.readStmts.Close())
		b.readStmts = nil
	}
	if b.reader != nil {
		errs = append(errs, b.reader.Close())
		b.reader = nil
	}
	if b.db != nil {
		errs = append(errs, b.db.Close())
		b.db = nil
	}
	return errors.Join(errs...)
}

// FlushAudit makes every audit record so far durable (tests read the file afterwards).
func (b *Bank) FlushAudit() error { return b.audit.Flush() }

// Snapshot dumps the business tables, for tests asserting that nothing changed.
func (b *Bank) Snapshot(ctx context.Context) (map[string][]string, error) { return b.db.Snapshot(ctx) }

// Routes lists every registered route as "METHOD /path", for the documentation tests.
func (b *Bank) Routes() []string {
	var out []string
	for _, r := range b.srv.App().GetRoutes(true) {
		if r.Method == "HEAD" || r.Method == "CONNECT" || r.Method == "TRACE" || r.Method == "OPTIONS" {
			continue
		}
		out = append(out, r.Method+" "+r.Path)
	}
	return out
}

// clientCerts adapts the PKI to the gateway.
type clientCerts struct{ pk *pki.Bank }

func (c clientCerts) VerifyClientCert(cert *x509.Certificate, now time.Time) error {
	return c.pk.VerifyClientCert(cert, now)
}

func (c clientCerts) AppIDFromClientCert(cert *x509.Certificate) (string, error) {
	return pki.AppIDFromClientCert(cert)
}

// auditAdapter logs the rare append failure instead of failing the request.
type auditAdapter struct {
	*audit.Log
	log *slog.Logger
}

func (a auditAdapter) Append(r audit.Record) {
	if err := a.Log.Append(r); err != nil {
		a.log.Error("audit append failed", "request_id", r.RequestID, "err", err)
	}
}

func publicURL(cfg Config, addr net.Addr) string {
	if cfg.PublicURL != "" {
		return strings.TrimRight(cfg.PublicURL, "/")
	}
	host, port, _ := net.SplitHostPort(addr.String())
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return "https://" + net.JoinHostPort(host, port)
}

func purgeNonces(ctx context.Context, n *gateway.SQLNonces, clk clock.Clock, log *slog.Logger) {
	t := time.NewTicker(time.Minute)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if _, err := n.Purge(ctx, clk.Now()); err != nil && ctx.Err() == nil {
				log.Warn("nonce purge failed", "err", err)
			}
		}
	}
}

// ensureAdminToken creates the admin token on first start: the bank stores its SM3
// digest; the operator reads the token from a 0600 file in the data folder.
func ensureAdminToken(ctx context.Context, db *store.DB, file string) (string, error) {
	if b, err := os.ReadFile(file); err == nil {
		tok := strings.TrimSpace(string(b))
		if h, ok, err := db.GetMeta(ctx, "admin_token_sm3"); err != nil {
			return "", err
		} else if ok && h == protocol.SM3Hex([]byte(tok)) {
			return tok, nil
		}
	}
	var raw [24]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return "", err
	}
	tok := "adm_" + hex.EncodeToString(raw[:])
	if err := os.WriteFile(file, []byte(tok+"\n"), 0o600); err != nil {
		return "", err
	}
	return tok, db.SetMeta(ctx, "admin_token_sm3", protocol.SM3Hex([]byte(tok)))
}

// issuePartnerKeys generates an in-house partner's (the demo's, the trainer's) client
// certificate and separate SM2 signing and encryption keys into dir, and registers them
// as the app's credentials.
func issuePartnerKeys(ctx context.Context, svc *apps.Service, pk *pki.Bank, dir, appID, org string) (*pki.PartnerCredentials, error) {
	pc, err := pk.GeneratePartnerKeys(dir, appID, org, pki.A2KeyValidity)
	if err != nil {
		return nil, err
	}
	for _, c := range []apps.Credential{
		{AppID: appID, Kind: apps.KindClientCert, Serial: pki.SerialHex(pc.ClientCert.SerialNumber), Material: string(pki.EncodeCertPEM(pc.ClientCert.Raw)),
			Fingerprint: protocol.SM3Hex(pc.ClientCert.Raw), NotBefore: pc.ClientCert.NotBefore, NotAfter: pc.ClientCert.NotAfter},
		{AppID: appID, Kind: apps.KindSM2Sign, Serial: pc.SignKeySerial(), Material: string(pki.EncodeCertPEM(pc.SignCert.Raw)),
			NotBefore: pc.SignCert.NotBefore, NotAfter: pc.SignCert.NotAfter},
		{AppID: appID, Kind: apps.KindSM2Enc, Serial: pc.EncKeySerial(), Material: string(pki.EncodeCertPEM(pc.EncCert.Raw)),
			NotBefore: pc.EncCert.NotBefore, NotAfter: pc.EncCert.NotAfter},
	} {
		if err := svc.AddCredential(ctx, c); err != nil {
			return nil, err
		}
	}
	return pc, nil
}

// ensureDemoPartner registers and approves the demo partner on first start and writes
// its credential folder, the way a real partner would receive its credentials.
func ensureDemoPartner(ctx context.Context, db *store.DB, svc *apps.Service, pk *pki.Bank, cat *apis.Catalogue, b *Bank) error {
	if id, ok, err := db.GetMeta(ctx, "demo_app_id"); err != nil {
		return err
	} else if ok {
		if _, err := os.Stat(filepath.Join(b.DemoDir, sdk.CredentialsFile)); err == nil {
			b.DemoAppID = id
			return updateDemoURL(b)
		}
		// The folder was removed: issue a fresh demo partner below.
	}
	appID, err := onboardInHouse(ctx, svc, pk, b.URL, apps.Registration{
		Name: demoOrg, Level: apps.LevelA2, Scopes: cat.Scopes(),
		RedirectURIs: []string{"https://partner.example/callback"}, NotifyURL: "https://partner.example/notify",
	}, "demo partner approved at first start", b.DemoDir, true)
	if err != nil {
		return err
	}
	b.DemoAppID = appID
	return db.SetMeta(ctx, "demo_app_id", appID)
}

// onboardInHouse registers and approves one of the bank's own partners (reg.Name is its
// organisation), issues its keys into the folder dir and writes its credentials there
// (with the App_Secret only when withSecret); it returns the App_ID.
func onboardInHouse(ctx context.Context, svc *apps.Service, pk *pki.Bank, baseURL string, reg apps.Registration, approval, dir string, withSecret bool) (string, error) {
	app, issued, err := svc.Register(ctx, reg)
	if err != nil {
		return "", err
	}
	if _, err := svc.Apply(ctx, app.ID, apps.Approve, approval); err != nil {
		return "", err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", err
	}
	pc, err := issuePartnerKeys(ctx, svc, pk, dir, app.ID, reg.Name)
	if err != nil {
		return "", err
	}
	creds := sdk.Credentials{BaseURL: baseURL, AppID: app.ID, SecretSerial: issued.Serial,
		SignSerial: pc.SignKeySerial(), EncSerial: pc.EncKeySerial(), BankSerial: pk.SignKeySerial()}
	if withSecret {
		creds.AppSecret = issued.AppSecret
	}
	if err := writeJSON(filepath.Join(dir, sdk.CredentialsFile), creds); err != nil {
		return "", err
	}
	return app.ID, nil
}

// updateDemoURL keeps the demo credentials' base URL in step with the listen address.
func updateDemoURL(b *Bank) error {
	file := filepath.Join(b.DemoDir, sdk.CredentialsFile)
	raw, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	var c sdk.Credentials
	if err := json.Unmarshal(raw, &c); err != nil {
		return err
	}
	if c.BaseURL == b.URL {
		return nil
	}
	c.BaseURL = b.URL
	return writeJSON(file, c)
}

func writeJSON(file string, v any) error {
	raw, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	tmp := file + ".tmp"
	if err := os.WriteFile(tmp, append(raw, '\n'), 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, file)
}

// BankKeys returns every bank response-signing public key by serial — the current key
// and retired ones, whose signatures (responses, notifications, audit checkpoints)
// stay verifiable.
func BankKeys(dataDir string) (map[string]*ecdsa.PublicKey, error) {
	certs, err := pki.SignCerts(filepath.Join(dataDir, pkiDir))
	if err != nil {
		return nil, err
	}
	out := map[string]*ecdsa.PublicKey{}
	for _, c := range certs {
		if pub, ok := c.PublicKey.(*ecdsa.PublicKey); ok {
			out[pki.SerialHex(c.SerialNumber)] = pub
		}
	}
	return out, nil
}

// rotator switches the bank to a new signing key; one rotation at a time. The demo
// partner's folder gets the new certificate set, as a partner would fetch it.
func rotator(pk *pki.Bank, signer *signing.Current, published *signCerts, demoDir string, log *slog.Logger) func() error {
	var mu sync.Mutex
	return func() error {
		mu.Lock()
		defer mu.Unlock()
		key, cert, err := pk.RotateSignKey()
		if err != nil {
			return err
		}
		published.rotated(pki.EncodeCertPEM(cert.Raw)) // published before anything is signed with it
		signer.Set(key, pki.SerialHex(cert.SerialNumber))
		log.Warn("bank signing key rotated", "serial", pki.SerialHex(cert.SerialNumber))
		all := bytes.Join(published.Get(), nil)
		if err := os.WriteFile(filepath.Join(demoDir, "bank-sign-certs.pem"), all, 0o600); err != nil {
			log.Warn("updating the demo partner's bank certificates failed", "err", err)
		}
		return os.WriteFile(filepath.Join(demoDir, "bank-sign.crt"), pki.EncodeCertPEM(cert.Raw), 0o600)
	}
}

// VerifyAudit verifies the audit log in a data folder with the bank's signing keys.
func VerifyAudit(ctx context.Context, dataDir string) (audit.Report, error) {
	keys, err := BankKeys(dataDir)
	if err != nil {
		return audit.Report{}, fmt.Errorf("bank signing certificate: %w", err)
	}
	rep, err := audit.Verify(ctx, filepath.Join(dataDir, auditFile), keyLookup(keys, nil))
	if err != nil {
		return rep, err
	}
	// Issue 15: the log must also be complete — every payment has its business record
	// (durability.go), not only an intact chain.
	gaps, pending, err := auditCompleteness(ctx, dataDir)
	if err != nil {
		return rep, fmt.Errorf("audit completeness: %w", err)
	}
	rep.AddGaps(gaps, pending)
	return rep, nil
}

// keyLookup finds a bank signing key by serial in keys (as read by BankKeys); when they
// could not be read (readErr), every lookup fails with readErr.
func keyLookup(keys map[string]*ecdsa.PublicKey, readErr error) func(serial string) (*ecdsa.PublicKey, error) {
	return func(serial string) (*ecdsa.PublicKey, error) {
		if readErr != nil {
			return nil, readErr
		}
		if k, ok := keys[serial]; ok {
			return k, nil
		}
		return nil, fmt.Errorf("no bank signing key with serial %s", serial)
	}
}

// plainHTTPMutant serves TLS and, for the plain-http mutant bank only, plain HTTP on the
// same port: a connection whose first byte is not a TLS handshake record is served in
// the clear.
type plainHTTPMutant struct {
	net.Listener
	tls *tls.Config
}

func (l *plainHTTPMutant) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	first := make([]byte, 1)
	if _, err := io.ReadFull(c, first); err != nil {
		_ = c.Close()
		return &firstByteConn{Conn: c}, nil
	}
	_ = c.SetReadDeadline(time.Time{})
	pc := &firstByteConn{Conn: c, first: first}
	if first[0] == 0x16 { // TLS handshake record
		return tls.Server(pc, l.tls), nil
	}
	return pc, nil
}

// firstByteConn gives back the byte read to sniff the protocol.
type firstByteConn struct {
	net.Conn
	first []byte
}

func (c *firstByteConn) Read(p []byte) (int, error) {
	if len(c.first) > 0 && len(p) > 0 {
		n := copy(p, c.first)
		c.first = c.first[n:]
		return n, nil
	}
	return c.Conn.Read(p)
}

// grantees finds the partners to notify about a change of an API: every app granted its
// scope that has not exited (JR/T 0185-2020 10.3/1, 11/1).
type grantees struct{ apps *apps.Service }

func (g grantees) GrantedScope(ctx context.Context, scope string) ([]string, error) {
	list, err := g.apps.List(ctx)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, a := range list {
		if a.Status != apps.StatusExited && a.HasScope(scope) {
			out = append(out, a.ID)
		}
	}
	return out, nil
}
