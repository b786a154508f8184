// Package mutation is the bank's uncorrelated mutation test: it changes one conditional
// or comparison in the code that implements a security control, builds the sandbox with
// that change (go build -overlay: the tree is never modified), and runs the bank-side
// conformance suite against it, exactly as `sandbox conform` runs it. The hand-written
// mutants (package mutant) were written by the same hands as the scenarios; these are
// not, so the share they kill is an independent measure of the suite (issue 13, item 4).
//
// This file is the mutator: it finds the mutation sites of one Go file (go/ast) and
// applies one mutant as byte edits at the positions go/ast reports, so every other byte
// (comments, line numbers) stays as it was and a compile error or panic of the mutant
// points at the original line.
package mutation

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/parser"
	"go/printer"
	"go/token"
	"sort"
	"strings"
)

// Operator is one kind of change.
type Operator string

// The operators.
const (
	Boundary   Operator = "boundary"     // <  ↔ <=, >  ↔ >=
	Equality   Operator = "equality"     // == ↔ !=
	Logical    Operator = "logical"      // && ↔ ||
	NegateIf   Operator = "negate-if"    // if c  →  if !(c)
	DropNot    Operator = "drop-not"     // !c    →  c
	ErrorToNil Operator = "error-to-nil" // return …, problem.X  →  return …, nil
	RemoveCall Operator = "remove-call"  // f(x) as a statement  →  removed
)

// Operators lists every operator, in report order.
var Operators = []Operator{Boundary, Equality, Logical, NegateIf, DropNot, ErrorToNil, RemoveCall}

// Edit replaces src[Off:End] with Text.
type Edit struct {
	Off, End int
	Text     string
}

// Mutant is one change to one file.
type Mutant struct {
	ID       string   `json:"id"`       // file:line:col:operator, unique in a run
	Package  string   `json:"package"`  // folder relative to the module root
	File     string   `json:"file"`     // path relative to the module root
	Func     string   `json:"func"`     // enclosing function, e.g. (*Service).Verify
	Line     int      `json:"line"`     //
	Col      int      `json:"col"`      //
	Operator Operator `json:"operator"` //
	Change   string   `json:"change"`   // "left > 0 → left >= 0"
	LineText string   `json:"lineText"` // the original line, trimmed
	Edits    []Edit   `json:"-"`
}

// Apply returns src with the mutant's edits, checked to still parse.
func (m Mutant) Apply(src []byte) ([]byte, error) {
	edits := append([]Edit(nil), m.Edits...)
	sort.Slice(edits, func(i, j int) bool { return edits[i].Off > edits[j].Off })
	out := append([]byte(nil), src...)
	for _, e := range edits {
		if e.Off < 0 || e.End < e.Off || e.End > len(out) {
			return nil, fmt.Errorf("mutant %s: edit %d..%d outside the file", m.ID, e.Off, e.End)
		}
		out = append(out[:e.Off], append([]byte(e.Text), out[e.End:]...)...)
	}
	if _, err := parser.ParseFile(token.NewFileSet(), m.File, out, parser.SkipObjectResolution); err != nil {
		return nil, fmt.Errorf("mutant %s does not parse: %w", m.ID, err)
	}
	return out, nil
}

// Scope says which code is mutated: the functions that implement controls.
type Scope struct {
	// SkipFuncs are function or method names left alone (String methods, constructors'
	// option defaults, ...). A trailing * matches a prefix.
	SkipFuncs []string
	// SkipCalls are calls never removed: locking and bookkeeping whose removal is not a
	// control defect. A name matches the callee's last selector; "x.*" matches every
	// method called on a variable x (tr.* : the sandbox's request trace).
	SkipCalls []string
	// ErrChecks also mutates `err != nil` tests. Off by default: negating the test of a
	// propagated error breaks every request (trivially killed) and hides nothing.
	ErrChecks bool
}

// DefaultScope is the scope `make mutation` uses.
func DefaultScope() Scope {
	return Scope{
		SkipFuncs: []string{"String", "Error", "GoString", "Format", "New*", "init", "Describe*"},
		SkipCalls: []string{"Lock", "Unlock", "RLock", "RUnlock", "Done", "Wait", "cancel", "panic", "Close", "Rollback", "tr.*"},
	}
}

func (s Scope) skipFunc(name string) bool { return matchAny(s.SkipFuncs, name) }

func matchAny(patterns []string, name string) bool {
	for _, p := range patterns {
		if pre, ok := strings.CutSuffix(p, "*"); ok && strings.HasPrefix(name, pre) || p == name {
			return true
		}
	}
	return false
}

// Find lists the mutants of one file. pkg and file are recorded as given (paths relative
// to the module root).
func Find(pkg, file string, src []byte, scope Scope) ([]Mutant, error) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, file, src, parser.SkipObjectResolution)
	if err != nil {
		return nil, err
	}
	fd := &finder{fset: fset, src: src, pkg: pkg, file: file, scope: scope, seen: map[string]int{}}
	for _, d := range f.Decls {
		fn, ok := d.(*ast.FuncDecl)
		if !ok || fn.Body == nil || scope.skipFunc(fn.Name.Name) {
			continue
		}
		fd.fn = funcName(fn)
		fd.results = []*ast.FieldList{fn.Type.Results}
		ast.Inspect(fn.Body, fd.visit)
	}
	return fd.out, nil
}

func funcName(fn *ast.FuncDecl) string {
	if fn.Recv == nil || len(fn.Recv.List) == 0 {
		return fn.Name.Name
	}
	var b bytes.Buffer
	_ = printer.Fprint(&b, token.NewFileSet(), fn.Recv.List[0].Type)
	recv := b.String()
	if strings.HasPrefix(recv, "*") {
		recv = "(" + recv + ")"
	}
	return recv + "." + fn.Name.Name
}

type finder struct {
	fset    *token.FileSet
	src     []byte
	pkg     string
	file    string
	scope   Scope
	fn      string
	results []*ast.FieldList // result lists of the enclosing functions, innermost last
	stack   []ast.Node
	seen    map[string]int
	out     []Mutant
}

func (fd *finder) visit(n ast.Node) bool {
	if n == nil {
		top := fd.stack[len(fd.stack)-1]
		fd.stack = fd.stack[:len(fd.stack)-1]
		if _, ok := top.(*ast.FuncLit); ok {
			fd.results = fd.results[:len(fd.results)-1]
		}
		return false
	}
	switch n.(type) {
	case *ast.BinaryExpr, *ast.UnaryExpr, *ast.ParenExpr:
		// A condition that asks a hand-written mutant switch (h == "" && Mutant.Is(x))
		// only matters when that mutant is on: every change inside it is equivalent.
		if fd.mentionsMutant(n) {
			return false
		}
	}
	fd.stack = append(fd.stack, n)
	switch x := n.(type) {
	case *ast.FuncLit:
		fd.results = append(fd.results, x.Type.Results)
	case *ast.BinaryExpr:
		fd.binary(x)
	case *ast.UnaryExpr:
		if x.Op == token.NOT && !(fd.isErrCheck(x.X) && !fd.scope.ErrChecks) {
			fd.add(DropNot, x, Edit{fd.off(x.OpPos), fd.off(x.OpPos) + 1, ""})
		}
	case *ast.IfStmt:
		fd.ifStmt(x)
	case *ast.ReturnStmt:
		fd.returnStmt(x)
	case *ast.ExprStmt:
		fd.callStmt(x)
	}
	return true
}

var swaps = map[token.Token]struct {
	op Operator
	to token.Token
}{
	token.LSS: {Boundary, token.LEQ}, token.LEQ: {Boundary, token.LSS},
	token.GTR: {Boundary, token.GEQ}, token.GEQ: {Boundary, token.GTR},
	token.EQL: {Equality, token.NEQ}, token.NEQ: {Equality, token.EQL},
	token.LAND: {Logical, token.LOR}, token.LOR: {Logical, token.LAND},
}

func (fd *finder) binary(x *ast.BinaryExpr) {
	s, ok := swaps[x.Op]
	if !ok || fd.isErrCheck(x) && !fd.scope.ErrChecks {
		return
	}
	off := fd.off(x.OpPos)
	fd.add(s.op, x, Edit{off, off + len(x.Op.String()), s.to.String()})
}

func (fd *finder) ifStmt(x *ast.IfStmt) {
	c := ast.Unparen(x.Cond)
	if fd.mentionsMutant(c) || fd.isErrCheck(c) && !fd.scope.ErrChecks {
		return
	}
	// == / != and !c already have their negation (equality, drop-not).
	if b, ok := c.(*ast.BinaryExpr); ok && (b.Op == token.EQL || b.Op == token.NEQ) {
		return
	}
	if u, ok := c.(*ast.UnaryExpr); ok && u.Op == token.NOT {
		return
	}
	fd.add(NegateIf, x.Cond, Edit{fd.off(x.Cond.Pos()), fd.off(x.Cond.Pos()), "!("},
		Edit{fd.off(x.Cond.End()), fd.off(x.Cond.End()), ")"})
}

// returnStmt: in a function whose last result is an error, a return of a made error
// (a catalogued problem, a sentinel, errors.New) returns nil instead: the control that
// refused now admits. A propagated error (err, fmt.Errorf("%w", err)) is left alone:
// it reports a failure of storage or crypto the suite cannot provoke.
func (fd *finder) returnStmt(x *ast.ReturnStmt) {
	res := fd.results[len(fd.results)-1]
	if res == nil || len(res.List) == 0 || len(x.Results) == 0 {
		return
	}
	last := res.List[len(res.List)-1].Type
	if id, ok := last.(*ast.Ident); !ok || id.Name != "error" {
		return
	}
	n := 0
	for _, f := range res.List {
		n += max(1, len(f.Names))
	}
	if len(x.Results) != n {
		return // return f() with several results
	}
	e := x.Results[len(x.Results)-1]
	if id, ok := e.(*ast.Ident); ok && id.Name == "nil" || fd.propagates(e) || fd.mentionsMutant(e) {
		return
	}
	fd.add(ErrorToNil, e, Edit{fd.off(e.Pos()), fd.off(e.End()), "nil"})
}

func (fd *finder) callStmt(x *ast.ExprStmt) {
	call, ok := x.X.(*ast.CallExpr)
	if !ok || fd.mentionsMutant(call) {
		return
	}
	var name, recv string
	switch f := ast.Unparen(call.Fun).(type) {
	case *ast.Ident:
		name = f.Name
	case *ast.SelectorExpr:
		name = f.Sel.Name
		if id, ok := f.X.(*ast.Ident); ok {
			recv = id.Name + "." + name
		}
	}
	if matchAny(fd.scope.SkipCalls, name) || recv != "" && matchAny(fd.scope.SkipCalls, recv) {
		return
	}
	fd.add(RemoveCall, x, Edit{fd.off(x.Pos()), fd.off(x.End()), ""})
}

// isErrCheck: `err != nil` or `err == nil` (err, perr, verr, ...).
func (fd *finder) isErrCheck(e ast.Expr) bool {
	b, ok := ast.Unparen(e).(*ast.BinaryExpr)
	if !ok || b.Op != token.EQL && b.Op != token.NEQ {
		return false
	}
	return isNil(b.Y) && isErrName(b.X) || isNil(b.X) && isErrName(b.Y)
}

func isNil(e ast.Expr) bool { id, ok := e.(*ast.Ident); return ok && id.Name == "nil" }

func isErrName(e ast.Expr) bool {
	id, ok := e.(*ast.Ident)
	return ok && strings.HasSuffix(strings.ToLower(id.Name), "err")
}

// propagates: the expression is, or wraps, an error variable.
func (fd *finder) propagates(e ast.Expr) bool {
	found := false
	ast.Inspect(e, func(n ast.Node) bool {
		if id, ok := n.(*ast.Ident); ok && isErrName(id) {
			found = true
		}
		return !found
	})
	return found
}

// mentionsMutant: the hand-written mutant switches (package mutant, .Mutant fields)
// are not mutated: flipping one turns on a mutant the proofs already cover.
func (fd *finder) mentionsMutant(n ast.Node) bool {
	found := false
	ast.Inspect(n, func(n ast.Node) bool {
		switch x := n.(type) {
		case *ast.Ident:
			found = found || x.Name == "mutant"
		case *ast.SelectorExpr:
			found = found || x.Sel.Name == "Mutant"
		}
		return !found
	})
	return found
}

func (fd *finder) off(p token.Pos) int { return fd.fset.Position(p).Offset }

func (fd *finder) add(op Operator, n ast.Node, edits ...Edit) {
	pos := fd.fset.Position(n.Pos())
	if op == Boundary || op == Equality || op == Logical {
		pos = fd.fset.Position(n.(*ast.BinaryExpr).OpPos)
	}
	id := fmt.Sprintf("%s:%d:%d:%s", fd.file, pos.Line, pos.Column, op)
	if k := fd.seen[id]; k > 0 {
		id = fmt.Sprintf("%s#%d", id, k)
	}
	fd.seen[id]++
	m := Mutant{ID: id, Package: fd.pkg, File: fd.file, Func: fd.fn, Line: pos.Line, Col: pos.Column, Operator: op,
		LineText: lineText(fd.src, pos.Offset), Edits: edits}
	from, to := fd.off(n.Pos()), fd.off(n.End())
	m.Change = oneLine(string(fd.src[from:to])) + " → " + oneLine(applyWithin(fd.src, from, to, edits))
	if op == RemoveCall {
		m.Change = oneLine(string(fd.src[from:to])) + " → (removed)"
	}
	fd.out = append(fd.out, m)
}

// applyWithin applies edits (all inside [from, to)) to that slice of src.
func applyWithin(src []byte, from, to int, edits []Edit) string {
	s := string(src[from:to])
	sorted := append([]Edit(nil), edits...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Off > sorted[j].Off })
	for _, e := range sorted {
		s = s[:e.Off-from] + e.Text + s[e.End-from:]
	}
	return s
}

func lineText(src []byte, off int) string {
	start := bytes.LastIndexByte(src[:off], '\n') + 1
	end := bytes.IndexByte(src[off:], '\n')
	if end < 0 {
		end = len(src) - off
	}
	return strings.TrimSpace(string(src[start : off+end]))
}

// oneLine collapses whitespace and shortens long expressions for the report.
func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > 90 {
		s = string(r[:87]) + "..."
	}
	return s
}
