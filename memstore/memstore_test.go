package memstore_test

import (
	"testing"

	"github.com/mlsidb/mlsidb"
	"github.com/mlsidb/mlsidb/conformance"
	"github.com/mlsidb/mlsidb/memstore"
)

// TestConformance runs the conformance suite against memstore. memstore
// does not persist, so the persistence rule is skipped; Share opens the
// second connection of the two-connection rules.
func TestConformance(t *testing.T) {
	conformance.Run(t, conformance.Options{
		New:   func(t *testing.T) mlsidb.Backend { return memstore.New() },
		Share: func(t *testing.T, b mlsidb.Backend) mlsidb.Backend { return b.(*memstore.Backend).Share() },
	})
}
