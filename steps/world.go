package steps

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
)

// World is one scenario's state, kept in its context.Context.
type World struct {
	Env      *Env
	Scenario string          // the scenario's name
	Apps     map[string]*App // "the app", "the other app"
	Browsers map[string]*Browser
	Tokens   map[string]*Token // by user role
	Vars     map[string]string
	Last     *Exchange
	History  []*Exchange

	mu       sync.Mutex
	evidence []string
	areas    map[any]any // each step area's own state, by its type (areaState)
}

type worldKey struct{}

// NewWorld starts a scenario's state.
func NewWorld(e *Env) *World {
	return &World{Env: e, Apps: map[string]*App{}, Browsers: map[string]*Browser{}, Tokens: map[string]*Token{}, Vars: map[string]string{}}
}

// WithWorld stores w in ctx.
func WithWorld(ctx context.Context, w *World) context.Context {
	return context.WithValue(ctx, worldKey{}, w)
}

// W returns the scenario's world.
func W(ctx context.Context) *World {
	w, _ := ctx.Value(worldKey{}).(*World)
	if w == nil {
		panic("steps: no world in the scenario context (the runner's Before hook sets it)")
	}
	return w
}

// Evidence is what the scenario saw, for the report.
func (w *World) Evidence() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.evidence...)
}

// Note adds an evidence line.
func (w *World) Note(format string, args ...any) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.evidence = append(w.evidence, fmt.Sprintf(format, args...))
}

// areaState returns this scenario's state of one step area, keyed by its type and made
// by mk on first use. It lives and dies with the World, so no area needs a
// package-level map keyed by *World (nor a hook to empty it).
func areaState[T any](w *World, mk func() *T) *T {
	w.mu.Lock()
	defer w.mu.Unlock()
	key := any((*T)(nil))
	if v, ok := w.areas[key]; ok {
		return v.(*T)
	}
	if w.areas == nil {
		w.areas = map[any]any{}
	}
	v := mk()
	w.areas[key] = v
	return v
}

// record keeps an exchange as the last one and as evidence.
func (w *World) record(x *Exchange) {
	w.Last = x
	w.History = append(w.History, x)
	w.Note("%s", x.Evidence())
}

// App returns a registered app by its role ("the app", "the other app").
func (w *World) App(role string) (*App, error) {
	if role == "" {
		role = "the app"
	}
	a, ok := w.Apps[role]
	if !ok {
		return nil, fmt.Errorf("no %s registered in this scenario (start with a Given step that registers it)", role)
	}
	return a, nil
}

// lastOfApp returns the last exchange and the scenario's app ("the app").
func (w *World) lastOfApp() (*Exchange, *App, error) {
	x, err := w.last()
	if err != nil {
		return nil, nil, err
	}
	a, err := w.App("the app")
	return x, a, err
}

// last insists there is a last exchange.
func (w *World) last() (*Exchange, error) {
	if w.Last == nil {
		return nil, errors.New("no request was sent yet")
	}
	return w.Last, nil
}

var varRE = regexp.MustCompile(`\{([A-Za-z0-9_.\-]+)\}`)

// Expand replaces {name} with the scenario's variables (e.g. {zhangsan.account}).
func (w *World) Expand(s string) (string, error) {
	var missing []string
	out := varRE.ReplaceAllStringFunc(s, func(m string) string {
		name := m[1 : len(m)-1]
		if v, ok := w.Vars[name]; ok {
			return v
		}
		missing = append(missing, name)
		return m
	})
	if len(missing) > 0 {
		return "", fmt.Errorf("unknown variable(s) %s in %q", strings.Join(missing, ", "), s)
	}
	return out, nil
}
