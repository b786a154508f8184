package driver

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"
)

// MaxAnswer bounds an envelope (and, for commands, the stderr kept per action).
const MaxAnswer = 4 << 20

// HTTP is the HTTP transport: POST {base}/{action}.
type HTTP struct {
	base   string
	client *http.Client
}

// NewHTTP returns an HTTP driver; client nil means a plain client with a generous timeout
// (a payment action includes the partner's own retries and back-off).
func NewHTTP(base string, client *http.Client) *HTTP {
	if client == nil {
		client = &http.Client{Timeout: 60 * time.Second}
	}
	return &HTTP{base: strings.TrimRight(base, "/"), client: client}
}

// Describe names the driver.
func (h *HTTP) Describe() string { return h.base }

// Close releases idle connections.
func (h *HTTP) Close() error { h.client.CloseIdleConnections(); return nil }

// Do posts one action.
func (h *HTTP) Do(ctx context.Context, action string, params, out any) error {
	if params == nil {
		params = struct{}{}
	}
	body, err := json.Marshal(params)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.base+"/"+action, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := h.client.Do(req)
	if err != nil {
		return fmt.Errorf("driver %s: %w", action, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, MaxAnswer))
	if err != nil {
		return fmt.Errorf("driver %s: reading the answer: %w", action, err)
	}
	var env Envelope
	if err := json.Unmarshal(raw, &env); err != nil {
		return fmt.Errorf("driver %s: HTTP %d, not an envelope: %s", action, resp.StatusCode, clip(raw))
	}
	return decode(action, env, out)
}

// Log asks for the partner's log.
func (h *HTTP) Log(ctx context.Context) ([]string, error) {
	var l LogResult
	err := h.Do(ctx, Log, nil, &l)
	return l.Lines, err
}

// Command is the command transport: `<command> <action>`, parameters on stdin, the
// envelope on stdout, the partner's log on stderr.
type Command struct {
	argv  []string
	state string
	owned bool

	mu  sync.Mutex
	log []string
}

// NewCommand returns a command driver. The command line is split on spaces (quote
// nothing; wrap complex commands in a script). state is the directory handed to the
// command as JR0185_DRIVER_STATE; "" makes a temporary one, removed by Close.
func NewCommand(commandLine, state string) (*Command, error) {
	argv := strings.Fields(commandLine)
	if len(argv) == 0 {
		return nil, fmt.Errorf("driver: exec: no command given")
	}
	c := &Command{argv: argv, state: state}
	if state == "" {
		dir, err := os.MkdirTemp("", "jr0185-driver-")
		if err != nil {
			return nil, err
		}
		c.state, c.owned = dir, true
	}
	return c, nil
}

// Describe names the driver.
func (c *Command) Describe() string { return "exec:" + strings.Join(c.argv, " ") }

// Close removes the state directory the driver made.
func (c *Command) Close() error {
	if c.owned {
		return os.RemoveAll(c.state)
	}
	return nil
}

// Do runs the command once.
func (c *Command) Do(ctx context.Context, action string, params, out any) error {
	if params == nil {
		params = struct{}{}
	}
	in, err := json.Marshal(params)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 120*time.Second)
	defer cancel()
	args := append(append([]string(nil), c.argv[1:]...), action)
	cmd := exec.CommandContext(ctx, c.argv[0], args...) // #nosec G204 -- the operator's own partner command
	cmd.Env = append(os.Environ(), "JR0185_DRIVER_STATE="+c.state)
	cmd.Stdin = bytes.NewReader(in)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &limited{w: &stdout}, &limited{w: &stderr}
	runErr := cmd.Run()
	c.keepLog(stderr.Bytes())
	if action == Reset {
		c.mu.Lock()
		c.log = nil
		c.mu.Unlock()
	}
	var env Envelope
	if err := json.Unmarshal(bytes.TrimSpace(stdout.Bytes()), &env); err != nil {
		if runErr != nil {
			return fmt.Errorf("driver %s: %v; stderr: %s", action, runErr, clip(stderr.Bytes()))
		}
		return fmt.Errorf("driver %s: stdout is not an envelope: %s", action, clip(stdout.Bytes()))
	}
	return decode(action, env, out)
}

func (c *Command) keepLog(b []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 64<<10), MaxAnswer)
	for sc.Scan() {
		c.log = append(c.log, sc.Text())
	}
}

// Log returns what the command wrote to stderr since the last reset.
func (c *Command) Log(context.Context) ([]string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.log...), nil
}

// limited keeps at most MaxAnswer bytes.
type limited struct {
	w *bytes.Buffer
}

func (l *limited) Write(p []byte) (int, error) {
	if room := MaxAnswer - l.w.Len(); room > 0 {
		if len(p) > room {
			l.w.Write(p[:room])
		} else {
			l.w.Write(p)
		}
	}
	return len(p), nil
}

func clip(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return s
}
