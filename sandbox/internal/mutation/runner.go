package mutation

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Status is a mutant's verdict.
type Status string

// The verdicts.
const (
	Killed    Status = "killed"     // a scenario failed (or the bank would not start)
	Survived  Status = "survived"   // the whole suite passed
	NotViable Status = "not-viable" // does not compile
	TimedOut  Status = "timed-out"  // the suite did not finish in time
)

// Result is one mutant's run.
type Result struct {
	Mutant
	Status   Status  `json:"status"`
	Detail   string  `json:"detail,omitempty"` // the first failing scenario, or the compile error
	Seed     string  `json:"seed,omitempty"`   // the suite's random order (sandbox conform --seed)
	Seconds  float64 `json:"seconds"`
	Cached   bool    `json:"cached,omitempty"`
	cacheKey string
	index    int
	mutated  []byte
}

// Config configures a run.
type Config struct {
	Root     string   // module root
	Packages []string // folders (relative to Root) to mutate
	// SkipFiles are file base names left alone in every package: sandbox test
	// controls, debugging aids, simulations.
	SkipFiles []string
	Scope     Scope
	Main      string   // the package built, default ./sandbox/cmd/sandbox
	Suite     []string // the arguments that run the suite; default DefaultSuite
	Workers   int      // mutants built and run at once (default 2)
	// RunTimeout caps one suite run; 0: 4× the unmutated run, at least 90 s.
	RunTimeout   time.Duration
	BuildTimeout time.Duration // default 5 minutes
	Sample       int           // run only this many mutants, drawn with Seed (0: all)
	// Deadline: no mutant starts after it (zero: none); those not reached are left out
	// of the report, which then covers a uniform random sample (see Order).
	Deadline  time.Time
	Seed      uint64
	Operators []Operator     // only these operators (nil: all)
	Only      *regexp.Regexp // only mutants whose ID matches (nil: all)
	CacheFile string         // verdicts kept across runs, keyed by the mutant and the tree
	Log       io.Writer
}

// DefaultSuite runs the bank suite as `sandbox conform` does (random order, concurrency
// 2), without files, stopping at the first failing scenario.
var DefaultSuite = []string{"conform", "--random", "--concurrency", "2", "--format", "progress", "--no-colors",
	"--out", "", "--stop-on-failure"}

// DefaultPackages are the bank's security controls.
var DefaultPackages = []string{"sandbox/internal/gateway", "sandbox/internal/consent", "sandbox/internal/otp",
	"sandbox/internal/sessions", "sandbox/internal/payments", "sandbox/internal/pki", "sandbox/protocol",
	"sandbox/internal/apps"}

// DefaultSkipFiles are not controls: sandbox test controls (backdate, expire, renotify,
// magic values), the signature debugger and trace, the simulated phone, the partner test
// server's certificate.
var DefaultSkipFiles = []string{"debug.go", "trace.go", "backdate.go", "sandbox.go", "testserver.go", "magic.go",
	"renotify.go", "inbox.go", "doc.go"}

// Collect lists the mutants of the configured packages, in file and position order.
func Collect(c Config) ([]Mutant, error) {
	var all []Mutant
	for _, pkg := range c.Packages {
		entries, err := os.ReadDir(filepath.Join(c.Root, pkg))
		if err != nil {
			return nil, err
		}
		for _, e := range entries {
			name := e.Name()
			if e.IsDir() || !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") ||
				matchAny(c.SkipFiles, name) {
				continue
			}
			file := filepath.ToSlash(filepath.Join(pkg, name))
			src, err := os.ReadFile(filepath.Join(c.Root, file))
			if err != nil {
				return nil, err
			}
			ms, err := Find(pkg, file, src, c.Scope)
			if err != nil {
				return nil, err
			}
			for _, m := range ms {
				if (len(c.Operators) == 0 || contains(c.Operators, m.Operator)) && (c.Only == nil || c.Only.MatchString(m.ID)) {
					all = append(all, m)
				}
			}
		}
	}
	return all, nil
}

func contains[T comparable](s []T, v T) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// Order is the order mutants run in: a permutation drawn with the seed, so that any
// prefix of it (a --sample, or a run stopped by its deadline) is a uniform random sample.
// n > 0 keeps the first n.
func Order(ms []Mutant, n int, seed uint64) []Mutant {
	out := make([]Mutant, len(ms))
	for i, j := range rand.New(rand.NewPCG(seed, seed^0x5bd1e995)).Perm(len(ms)) { // #nosec G404 -- a reproducible sample order from a published seed, not a secret
		out[i] = ms[j]
	}
	if n > 0 && n < len(out) {
		out = out[:n]
	}
	return out
}

// Run is a finished mutation run.
type Run struct {
	Results         []Result
	Total           int // mutants found before sampling
	BaselineSeconds float64
	RunTimeout      time.Duration
	Tree            string // digest of the tree the verdicts hold for
}

// Execute builds and runs every mutant (cached verdicts are reused), after checking
// that the unmutated sandbox passes the suite.
func Execute(ctx context.Context, c Config) (Run, error) {
	c = c.withDefaults()
	all, err := Collect(c)
	if err != nil {
		return Run{}, err
	}
	ms := Order(all, c.Sample, c.Seed)
	tree, err := TreeDigest(c.Root)
	if err != nil {
		return Run{}, err
	}
	run := Run{Total: len(all), Tree: tree}
	cache := loadCache(c.CacheFile)

	// The unmutated bank must pass: otherwise every verdict would be noise.
	base := Result{Mutant: Mutant{ID: "baseline"}}
	c.runOne(ctx, &base, nil, 30*time.Minute)
	if base.Status != Survived {
		return run, fmt.Errorf("the unmutated sandbox does not pass the suite (%s): %s", base.Status, base.Detail)
	}
	run.BaselineSeconds = base.Seconds
	run.RunTimeout = c.RunTimeout
	if run.RunTimeout == 0 {
		run.RunTimeout = max(90*time.Second, 4*time.Duration(base.Seconds*float64(time.Second)))
	}
	fmt.Fprintf(c.Log, "baseline: suite passed in %.1fs; %d mutants (%d found), run timeout %s, %d workers\n",
		base.Seconds, len(ms), len(all), run.RunTimeout, c.Workers)

	run.Results = make([]Result, len(ms))
	jobs := make(chan Result)
	var wg sync.WaitGroup
	var mu sync.Mutex
	done := 0
	record := func(i int, r Result) {
		mu.Lock()
		defer mu.Unlock()
		run.Results[i] = r
		done++
		if r.Status != "" {
			fmt.Fprintf(c.Log, "[%d/%d] %-10s %s %s  %s%s\n", done, len(ms), r.Status, r.ID, r.Change,
				firstLine(r.Detail), map[bool]string{true: " (cached)"}[r.Cached])
		}
	}
	for range c.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := range jobs {
				c.runOne(ctx, &r, r.mutated, run.RunTimeout)
				if r.Status != "" {
					cache.put(r.cacheKey, r, c.CacheFile)
				}
				record(r.index, r)
			}
		}()
	}
	for i, m := range ms {
		r := Result{Mutant: m, index: i}
		src, err := os.ReadFile(filepath.Join(c.Root, m.File))
		if err == nil {
			r.mutated, err = m.Apply(src)
		}
		if err != nil {
			r.Status, r.Detail = NotViable, err.Error()
			record(i, r)
			continue
		}
		r.cacheKey = cacheKey(tree, m, r.mutated)
		if prev, ok := cache.get(r.cacheKey); ok {
			r.Status, r.Detail, r.Seed, r.Seconds, r.Cached = prev.Status, prev.Detail, prev.Seed, prev.Seconds, true
			record(i, r)
			continue
		}
		if ctx.Err() != nil || !c.Deadline.IsZero() && time.Now().After(c.Deadline) {
			continue // past the budget: only cached verdicts from here on
		}
		jobs <- r
	}
	close(jobs)
	wg.Wait()
	if ctx.Err() != nil {
		return run, ctx.Err()
	}
	return run, nil
}

func (c Config) withDefaults() Config {
	if c.Main == "" {
		c.Main = "./sandbox/cmd/sandbox"
	}
	if c.Suite == nil {
		c.Suite = DefaultSuite
	}
	if c.Workers < 1 {
		c.Workers = 2
	}
	if c.BuildTimeout == 0 {
		c.BuildTimeout = 5 * time.Minute
	}
	if c.Log == nil {
		c.Log = io.Discard
	}
	return c
}

// runOne builds the sandbox with the mutated file (nil: unmutated) in a folder of its
// own, runs the suite against it, and removes the folder.
func (c Config) runOne(ctx context.Context, r *Result, mutated []byte, timeout time.Duration) {
	start := time.Now()
	defer func() { r.Seconds = time.Since(start).Seconds() }()
	dir, err := os.MkdirTemp("", "jr0185-mutant-")
	if err != nil {
		r.Status, r.Detail = NotViable, err.Error()
		return
	}
	defer func() { _ = os.RemoveAll(dir) }()
	bin, err := c.build(ctx, dir, r.File, mutated)
	if ctx.Err() != nil {
		return // interrupted: no verdict
	}
	if err != nil {
		r.Status, r.Detail = NotViable, err.Error()
		return
	}
	start = time.Now() // the verdict's time is the suite's
	rctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	// TMPDIR in the mutant's folder: the embedded bank's data goes with it, even when a
	// timed-out run is killed before it cleans up.
	out, err := command(rctx, dir, []string{"TMPDIR=" + dir}, bin, c.Suite...)
	if m := seedRE.FindSubmatch(out); m != nil {
		r.Seed = string(m[1])
	}
	switch {
	case ctx.Err() != nil:
		r.Status = "" // interrupted: no verdict
	case rctx.Err() != nil:
		r.Status, r.Detail = TimedOut, fmt.Sprintf("no verdict after %s", timeout)
	case err == nil:
		r.Status = Survived
	default:
		r.Status, r.Detail = Killed, failure(out)
	}
}

// Overlay writes the go build -overlay file that puts mutated in place of file (relative
// to root), inside dir; it returns the overlay file's path.
func Overlay(dir, root, file string, mutated []byte) (string, error) {
	abs, err := filepath.Abs(filepath.Join(root, file))
	if err != nil {
		return "", err
	}
	src := filepath.Join(dir, filepath.Base(file))
	if err := os.WriteFile(src, mutated, 0o600); err != nil {
		return "", err
	}
	js, err := json.Marshal(map[string]map[string]string{"Replace": {abs: src}})
	if err != nil {
		return "", err
	}
	ov := filepath.Join(dir, "overlay.json")
	return ov, os.WriteFile(ov, js, 0o600)
}

func (c Config) build(ctx context.Context, dir, file string, mutated []byte) (string, error) {
	bin := filepath.Join(dir, "sandbox")
	args := []string{"build", "-ldflags=-s -w", "-o", bin}
	if mutated != nil {
		ov, err := Overlay(dir, c.Root, file, mutated)
		if err != nil {
			return "", err
		}
		args = append(args, "-overlay", ov)
	}
	bctx, cancel := context.WithTimeout(ctx, c.BuildTimeout)
	defer cancel()
	out, err := command(bctx, c.Root, nil, "go", append(args, c.Main)...)
	if err != nil {
		// The compiler names the overlay's copy; the report names the file it replaces.
		msg := strings.ReplaceAll(compileError(out, err), filepath.Join(dir, filepath.Base(file)), file)
		return "", fmt.Errorf("%s", msg)
	}
	return bin, nil
}

// command runs name in dir, in its own process group (killed whole on cancel), with env
// added to the environment, and returns stdout and stderr together.
func command(ctx context.Context, dir string, env []string, name string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, name, args...) // #nosec G204 -- go and the built test binaries, named by the mutation tool itself
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	var b bytes.Buffer
	cmd.Stdout, cmd.Stderr = &b, &b
	err := cmd.Run()
	return b.Bytes(), err
}

var (
	seedRE    = regexp.MustCompile(`Randomized with seed: (-?\d+)`)
	failedRE  = regexp.MustCompile(`(?m)^FAILED:\n\s+(.+)$`)
	panicRE   = regexp.MustCompile(`(?m)^(panic: .*|fatal error: .*)$`)
	compileRE = regexp.MustCompile(`(?m)^\S+\.go:\d+:\d+: .*$`)
)

const (
	sandboxCrashed = "the sandbox crashed: "
	suiteDidNotRun = "the suite did not run: "
)

// failure says why a run failed: the first failing scenario, or the crash.
func failure(out []byte) string {
	if m := failedRE.FindSubmatch(out); m != nil {
		return string(m[1])
	}
	if m := panicRE.Find(out); m != nil {
		return sandboxCrashed + string(m)
	}
	return suiteDidNotRun + lastLine(out)
}

func compileError(out []byte, err error) string {
	if m := compileRE.Find(out); m != nil {
		return string(m)
	}
	if s := lastLine(out); s != "" {
		return s
	}
	return err.Error()
}

func lastLine(b []byte) string {
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}

func firstLine(s string) string { l, _, _ := strings.Cut(s, "\n"); return l }

// TreeDigest digests everything that can change a verdict: the Go sources (without
// tests), the features and the embedded assets, go.mod and go.sum.
func TreeDigest(root string) (string, error) {
	h := sha256.New()
	var files []string
	for _, top := range []string{"sandbox", "steps", "features", "fakedata", "go.mod", "go.sum"} {
		err := filepath.WalkDir(filepath.Join(root, top), func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				if errors.Is(err, fs.ErrNotExist) {
					return nil
				}
				return err
			}
			if d.IsDir() && (strings.HasSuffix(p, "internal/mutation") || strings.HasSuffix(p, "cmd/mutation")) {
				return filepath.SkipDir // the tool itself is not in the sandbox binary
			}
			if d.IsDir() || strings.HasSuffix(p, "_test.go") || strings.Contains(p, string(filepath.Separator)+"testdata"+string(filepath.Separator)) ||
				strings.HasSuffix(p, "mutation-dispositions.yaml") {
				return nil
			}
			files = append(files, p)
			return nil
		})
		if err != nil {
			return "", err
		}
	}
	sort.Strings(files)
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			return "", err
		}
		rel, _ := filepath.Rel(root, p)
		fmt.Fprintf(h, "%s\x00%d\x00", filepath.ToSlash(rel), len(b))
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil))[:16], nil
}

func cacheKey(tree string, m Mutant, mutated []byte) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00%s\x00", tree, m.File, strings.Join(DefaultSuite, " "))
	h.Write(mutated)
	return hex.EncodeToString(h.Sum(nil))
}

// cache keeps verdicts in a JSON file, rewritten after each new one so an interrupted
// run resumes where it stopped.
type cache struct {
	mu sync.Mutex
	m  map[string]Result
}

func loadCache(path string) *cache {
	c := &cache{m: map[string]Result{}}
	if path == "" {
		return c
	}
	if b, err := os.ReadFile(path); err == nil {
		_ = json.Unmarshal(b, &c.m) // a damaged cache is only a slower run
	}
	return c
}

func (c *cache) get(k string) (Result, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	r, ok := c.m[k]
	return r, ok && r.Status != TimedOut // a timeout is worth another try
}

func (c *cache) put(k string, r Result, path string) {
	if path == "" {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.m[k] = r
	b, err := json.Marshal(c.m)
	if err != nil {
		return
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return
	}
	tmp := path + ".tmp"
	if os.WriteFile(tmp, b, 0o600) == nil {
		_ = os.Rename(tmp, path)
	}
}
