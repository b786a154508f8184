// Package demo narrates a whole JR/T 0185-2020 integration in the terminal, for a room:
// a partner is onboarded, makes an A1 query, a user logs in and consents at the bank, the
// partner gets a token over mutual TLS, reads a balance, pays, receives the signed
// notification, refuses a tampered answer, and the user revokes. For each step it shows
// what is sent, what is checked and what the standard says. The partner's side is the
// public Go SDK (sandbox/sdk); the user's side is a plain browser at the bank's pages.
package demo

import (
	"bufio"
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/jr0185/harness/sandbox/bank"
	"github.com/jr0185/harness/sandbox/internal/pki"
	"github.com/jr0185/harness/sandbox/sdk"
)

// Options configure a demo run.
type Options struct {
	// URL of a running sandbox; empty starts an embedded one in a temporary folder.
	URL string
	// DataDir is the running sandbox's data folder (its admin token and PKI: the demo
	// plays the bank's operator to onboard the partner). Required with URL.
	DataDir string
	Out     io.Writer
	In      io.Reader // read for Enter between steps when Pause is set
	Pause   bool
	Color   bool
	User    string // the test user (default zhangsan)
}

// step is one narrated step.
type step struct {
	title  string
	clause string // JR/T 0185-2020 clause
	quote  string // one line of the standard
	run    func(r *run, ctx context.Context) error
}

// run is a demo in progress: the bank, the partner's SDK client, the user's browser.
type run struct {
	o          Options
	url        string
	dataDir    string
	adminToken string
	roots      *x509.CertPool
	admin      *http.Client

	appID      string
	secret     string
	client     *sdk.Client
	browser    *browser
	notes      chan notification
	user       *sdk.UserSession
	token      *sdk.Token
	pending    pendingAuth
	payToken   *sdk.Token
	payAccount string
	accountID  string
	paymentID  string
	stopNotify func()
}

// Run plays the demo. It returns nil only when every step succeeded.
func Run(ctx context.Context, o Options) error {
	if o.Out == nil {
		o.Out = os.Stdout
	}
	if o.User == "" {
		o.User = "zhangsan"
	}
	r := &run{o: o, url: o.URL, dataDir: o.DataDir}
	if o.URL == "" {
		stop, err := r.startEmbedded(ctx)
		if err != nil {
			return err
		}
		defer stop()
	} else if o.DataDir == "" {
		return errors.New("demo: --data-dir (the running sandbox's data folder) is needed with --url")
	}
	if err := r.connect(); err != nil {
		return err
	}
	defer func() {
		if r.stopNotify != nil {
			r.stopNotify()
		}
	}()
	steps := r.steps()
	r.say(bold, "JR/T 0185-2020 open banking, step by step, against the sandbox bank at %s\n", r.url)
	in := bufio.NewReader(orEmpty(o.In))
	for i, s := range steps {
		r.say(bold, "\n[%d/%d] %s\n", i+1, len(steps), s.title)
		if err := s.run(r, ctx); err != nil {
			r.say(red, "  ✗ step failed: %v\n", err)
			return fmt.Errorf("demo step %d/%d %q: %w", i+1, len(steps), s.title, err)
		}
		r.say(yellow, "  § JR/T 0185-2020 %s: %s\n", s.clause, s.quote)
		if o.Pause && i < len(steps)-1 {
			r.say(dim, "  (Enter for the next step)")
			_, _ = in.ReadString('\n')
		}
	}
	r.say(green+bold, "\nDemo complete: %d/%d steps succeeded.\n", len(steps), len(steps))
	return nil
}

func orEmpty(r io.Reader) io.Reader {
	if r == nil {
		return strings.NewReader("")
	}
	return r
}

// startEmbedded starts a sandbox in a temporary folder.
func (r *run) startEmbedded(ctx context.Context) (func(), error) {
	dir, err := os.MkdirTemp("", "sandbox-demo-")
	if err != nil {
		return nil, err
	}
	cfg := bank.DefaultConfig()
	cfg.DataDir, cfg.Addr, cfg.Customers, cfg.Products = dir, "127.0.0.1:0", 10, 24
	b, err := bank.Start(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		_ = os.RemoveAll(dir)
		return nil, err
	}
	r.url, r.dataDir = b.URL, dir
	return func() {
		c, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = b.Close(c)
		_ = os.RemoveAll(dir)
	}, nil
}

// connect reads what the operator has: the admin token and the TLS CA.
func (r *run) connect() error {
	tok, err := os.ReadFile(filepath.Join(r.dataDir, "admin-token"))
	if err != nil {
		return fmt.Errorf("demo: the admin token: %w", err)
	}
	r.adminToken = strings.TrimSpace(string(tok))
	ca, err := os.ReadFile(filepath.Join(r.dataDir, "pki", pki.FileTLSCACert))
	if err != nil {
		return fmt.Errorf("demo: the TLS CA: %w", err)
	}
	r.roots = x509.NewCertPool()
	if !r.roots.AppendCertsFromPEM(ca) {
		return errors.New("demo: no certificate in the TLS CA file")
	}
	r.admin = newBrowser(r.url, r.roots).c
	r.browser = newBrowser(r.url, r.roots)
	return nil
}

// Output: colours, and the three kinds of line each step prints.
const (
	bold   = "\033[1m"
	dim    = "\033[2m"
	red    = "\033[31m"
	green  = "\033[32m"
	yellow = "\033[33m"
	cyan   = "\033[36m"
	reset  = "\033[0m"
)

func (r *run) say(color, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if r.o.Color {
		trail := ""
		if strings.HasSuffix(msg, "\n") {
			msg, trail = strings.TrimSuffix(msg, "\n"), "\n"
		}
		msg = color + msg + reset + trail
	}
	fmt.Fprint(r.o.Out, msg)
}

// sent: what goes on the wire. checked: what was verified. note: context.
func (r *run) sent(format string, args ...any)    { r.say(cyan, "  → "+format+"\n", args...) }
func (r *run) checked(format string, args ...any) { r.say(green, "  ✓ "+format+"\n", args...) }
func (r *run) note(format string, args ...any)    { r.say("", "    "+format+"\n", args...) }
