package mlsidb_test

import (
	"os"
	"runtime"
	"strings"
	"testing"
)

// web/mlsidb.js carries idbstore/exec.js (the executor it passes to the
// wasm) between two marker lines, with the same text.
func TestJSModuleCarriesTheExecutor(t *testing.T) {
	if runtime.GOOS == "js" {
		t.Skip("reads files of the repository: runs natively")
	}
	src, err := os.ReadFile("idbstore/exec.js")
	if err != nil {
		t.Fatal(err)
	}
	mod, err := os.ReadFile("web/mlsidb.js")
	if err != nil {
		t.Fatal(err)
	}
	const begin, end = "// BEGIN idbstore/exec.js (the same text; make test checks)\n", "// END idbstore/exec.js\n"
	text := string(mod)
	i, j := strings.Index(text, begin), strings.Index(text, end)
	if i < 0 || j < i {
		t.Fatal("web/mlsidb.js has no executor block between the marker lines")
	}
	if got := text[i+len(begin) : j]; got != string(src) {
		t.Fatal("the executor block of web/mlsidb.js differs from idbstore/exec.js: run scripts/sync-exec.sh")
	}
}
