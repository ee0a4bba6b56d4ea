package main

import "github.com/mlsidb/mlsidb/openmlsmem"

// The OpenMLS MemoryStorage calls of the JS API (importOpenMls,
// exportOpenMls, syncOpenMls): the argument rules, kept apart from
// syscall/js so that they are tested natively.

// snapshotFormat returns the snapshot encoding a JS format name stands
// for: "binary" or "json".
func snapshotFormat(name string) (openmlsmem.Format, bool) {
	switch name {
	case "binary":
		return openmlsmem.Binary, true
	case "json":
		return openmlsmem.JSON, true
	}
	return 0, false
}

// isJSONText reports whether a snapshot passed as a JS string is the JSON
// encoding: its first character after any JSON whitespace is '{'. A string
// is never taken for the binary encoding.
func isJSONText(s string) bool {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case ' ', '\t', '\n', '\r':
			continue
		case '{':
			return true
		}
		return false
	}
	return false
}

// snapshotOptions returns the openmlsmem options of a call.
func snapshotOptions(dropOrphanProposals bool) []openmlsmem.Option {
	if dropOrphanProposals {
		return []openmlsmem.Option{openmlsmem.DropOrphanProposals()}
	}
	return nil
}
