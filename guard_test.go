//go:build !js

package mlsidb_test

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// goListDeps returns the dependencies of pkg as the wasm build sees them,
// each with the packages it imports directly.
func goListDeps(t *testing.T, pkg string) map[string][]string {
	t.Helper()
	cmd := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}} {{join .Imports \" \"}}", pkg)
	cmd.Env = append(cmd.Environ(), "GOOS=js", "GOARCH=wasm")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps %s: %v\n%s", pkg, err, out)
	}
	deps := map[string][]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		deps[f[0]] = f[1:]
	}
	return deps
}

// The layering rules of DESIGN.md: only idbstore, jsbridge and cmd/wasm may
// use syscall/js, and dependencies point inward. (On wasm the standard
// library's time and syscall packages import syscall/js themselves, so the
// rule is about what this module's packages import.)
func TestLayering(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Fatalf("the go command is needed for this test: %v", err)
	}
	const mod = "github.com/mlsidb/mlsidb"
	tests := []struct {
		pkg     string
		allowed []string // packages of this module it may depend on
	}{
		{pkg: mod, allowed: nil},
		{pkg: mod + "/memstore", allowed: []string{mod}},
		{pkg: mod + "/conformance", allowed: []string{mod}},
		{pkg: mod + "/openmlsmem", allowed: []string{mod}},
	}
	for _, tt := range tests {
		t.Run(strings.TrimPrefix(tt.pkg, mod+"/"), func(t *testing.T) {
			for dep, imports := range goListDeps(t, tt.pkg) {
				inModule := dep == mod || strings.HasPrefix(dep, mod+"/")
				if inModule && slices.Contains(imports, "syscall/js") {
					t.Errorf("%s imports syscall/js (through %s)", dep, tt.pkg)
				}
				if dep != tt.pkg && inModule && !slices.Contains(tt.allowed, dep) {
					t.Errorf("%s depends on %s; it may depend only on %v", tt.pkg, dep, tt.allowed)
				}
				if strings.Contains(dep, "testify") {
					t.Errorf("%s depends on %s", tt.pkg, dep)
				}
			}
		})
	}
}

// mlsidb.wasm stays small (make bench checks it against 1,000,000 bytes
// gzip -9). Nothing it links may import the packages that would blow it up:
// fmt (with the reflection it makes the linker keep, about 90 KB gzip),
// encoding/json (reflection and fmt), os (files and poll, about 20 KB),
// crypto/* (the FIPS 140 module, about 50 KB).
func TestWasmLinksNoHeavyPackages(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Fatalf("the go command is needed for this test: %v", err)
	}
	for dep, imports := range goListDeps(t, "github.com/mlsidb/mlsidb/cmd/wasm") {
		for _, heavy := range []string{"fmt", "encoding/json", "encoding/hex", "os", "crypto/sha256"} {
			if slices.Contains(imports, heavy) {
				t.Errorf("%s imports %s, which the wasm build links", dep, heavy)
			}
		}
		if strings.HasPrefix(dep, "crypto") {
			t.Errorf("the wasm build links %s", dep)
		}
	}
}
