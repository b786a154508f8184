package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"
)

func TestLoadLayersOverrideInOrder(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	file := filepath.Join(dir, "c.yaml")
	if err := os.WriteFile(file, []byte("addr: 127.0.0.1:9000\nseed: 7\nrate_rps: 5\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"SANDBOX_SEED": "8", "SANDBOX_DURABLE": "false", "SANDBOX_HOSTS": "a.example, 10.0.0.1", "SANDBOX_TIMESTAMP_WINDOW": "90s"}
	fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
	RegisterFlags(fs)
	if err := fs.Parse([]string{"--seed=9"}); err != nil {
		t.Fatal(err)
	}
	c, err := Load(file, func(k string) string { return env[k] }, fs)
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != "127.0.0.1:9000" || c.RateRPS != 5 {
		t.Errorf("file layer lost: %+v", c)
	}
	if c.Seed != 9 {
		t.Errorf("flag should win over env and file: seed=%d", c.Seed)
	}
	if len(c.Hosts) != 2 || c.Hosts[1] != "10.0.0.1" || c.TimestampWindow != 90*time.Second {
		t.Errorf("env layer lost: %+v", c)
	}
	if c.Durable {
		t.Errorf("SANDBOX_DURABLE=false lost: durable=%v", c.Durable)
	}
	if c.MaxConcurrent != Defaults().MaxConcurrent {
		t.Errorf("default lost: %d", c.MaxConcurrent)
	}
}

func TestBoolFlagAloneMeansTrue(t *testing.T) {
	t.Parallel()
	fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
	RegisterFlags(fs)
	if err := fs.Parse([]string{"--durable"}); err != nil {
		t.Fatal(err)
	}
	c, err := Load("", func(k string) string { return map[string]string{"SANDBOX_DURABLE": "0"}[k] }, fs)
	if err != nil {
		t.Fatal(err)
	}
	if !c.Durable || !Defaults().Durable {
		t.Errorf("--durable should win over SANDBOX_DURABLE=0, and durable is the default: %v %v", c.Durable, Defaults().Durable)
	}
}

func TestLoadRejects(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	unknown := filepath.Join(dir, "u.yaml")
	_ = os.WriteFile(unknown, []byte("adr: x\n"), 0o600)
	tests := []struct {
		name string
		file string
		env  map[string]string
		want string
	}{
		{"error/unknown key in file", unknown, nil, "adr"},
		{"error/bad duration in env", "", map[string]string{"SANDBOX_AUTH_LOCK_FOR": "soon"}, "SANDBOX_AUTH_LOCK_FOR"},
		{"error/bad mode", "", map[string]string{"SANDBOX_MODE": "prod"}, "mode"},
		{"error/bad institution code", "", map[string]string{"SANDBOX_INSTITUTION_CODE": "c1"}, "institution_code"},
		{"error/bad bool in env", "", map[string]string{"SANDBOX_DURABLE": "maybe"}, "SANDBOX_DURABLE"},
		{"error/bad addr", "", map[string]string{"SANDBOX_ADDR": "8443"}, "addr"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := Load(tc.file, func(k string) string { return tc.env[k] }, nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want mention of %q", err, tc.want)
			}
		})
	}
}

// TestReadmeListsEverySetting keeps the README's configuration table true.
func TestReadmeListsEverySetting(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("../../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range Settings() {
		row := "| `" + s.Env + "` | `--" + s.Flag + "` | `" + s.Default + "` |"
		if !strings.Contains(string(b), row) {
			t.Errorf("README.md configuration table lacks the row starting %q", row)
		}
	}
}
