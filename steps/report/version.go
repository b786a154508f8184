package report

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"
)

// Unknown is what a version field says when the build did not record it.
const Unknown = "unknown"

// Version identifies the harness build that ran the suites: which features and steps
// judged the bank or partner. A report without it cannot be tied to a suite.
type Version struct {
	// Module is the harness's Go module path, e.g. "github.com/jr0185/harness".
	Module string `json:"module"`
	// Version is the module version the binary was built as ("(devel)" for a build
	// from a source tree), or "unknown".
	Version string `json:"version"`
	// Revision is the git commit the binary was built from, or "unknown".
	Revision string `json:"revision"`
	// Modified is "true" when the source tree had uncommitted changes, "false" when it
	// had none, "unknown" when the build did not record it.
	Modified string `json:"modified"`
	// Source says where Revision and Modified come from: "go build info" (the Go
	// toolchain's VCS stamp, vcs.revision and vcs.modified), "make build" (stamped by the
	// Makefile when the toolchain stamps nothing, e.g. in a git worktree or with
	// -buildvcs=false) or "none".
	Source string `json:"source"`
	// Go is the Go toolchain version.
	Go string `json:"go"`
}

// Set by `make build` through -ldflags -X (see the Makefile): the revision and the
// modified flag git reported at build time, for builds the Go toolchain does not stamp.
var (
	stampedRevision string
	stampedModified string
)

// HarnessVersion reads the running binary's build information
// (runtime/debug.ReadBuildInfo). What it does not record is "unknown" — under `go test`,
// for instance, there is no VCS stamp.
func HarnessVersion() Version {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		bi = &debug.BuildInfo{}
	}
	return versionOf(bi, stampedRevision, stampedModified)
}

// versionOf is HarnessVersion for a given build info and Makefile stamp.
func versionOf(bi *debug.BuildInfo, stampRev, stampMod string) Version {
	v := Version{Module: orUnknown(bi.Main.Path), Version: orUnknown(bi.Main.Version), Revision: Unknown,
		Modified: Unknown, Source: "none", Go: orUnknown(bi.GoVersion)}
	if bi.GoVersion == "" {
		v.Go = runtime.Version()
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			v.Revision, v.Source = orUnknown(s.Value), "go build info"
		case "vcs.modified":
			v.Modified = orUnknown(s.Value)
		}
	}
	if v.Source == "none" && stampRev != "" {
		v.Revision, v.Modified, v.Source = stampRev, orUnknown(stampMod), "make build"
	}
	return v
}

func orUnknown(s string) string {
	if strings.TrimSpace(s) == "" {
		return Unknown
	}
	return s
}

// String is a one-line rendering, e.g. "github.com/jr0185/harness (devel), revision
// 0123abcd… (modified: true, from go build info), go1.26".
func (v Version) String() string {
	if v == (Version{}) {
		return "not recorded"
	}
	rev := v.Revision
	if rev != Unknown {
		rev = "revision " + rev
	} else {
		rev = "revision unknown"
	}
	return fmt.Sprintf("%s %s, %s (modified: %s, from %s), %s", v.Module, v.Version, rev, v.Modified, v.Source, v.Go)
}
