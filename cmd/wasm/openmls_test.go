package main

import (
	"testing"

	"github.com/mlsidb/mlsidb/openmlsmem"
)

func TestSnapshotArgs(t *testing.T) {
	for name, want := range map[string]openmlsmem.Format{"binary": openmlsmem.Binary, "json": openmlsmem.JSON} {
		if f, ok := snapshotFormat(name); !ok || f != want {
			t.Errorf("snapshotFormat(%q) = %v, %v", name, f, ok)
		}
	}
	for _, name := range []string{"", "JSON", "bin", "Binary"} {
		if _, ok := snapshotFormat(name); ok {
			t.Errorf("snapshotFormat(%q) accepted", name)
		}
	}
	for s, want := range map[string]bool{`{"values":{}}`: true, " \n\t{": true, "": false, " ": false, "[]": false, "\x00\x00": false, "x{": false} {
		if got := isJSONText(s); got != want {
			t.Errorf("isJSONText(%q) = %v", s, got)
		}
	}
	if len(snapshotOptions(false)) != 0 || len(snapshotOptions(true)) != 1 {
		t.Error("snapshotOptions")
	}
}
