package mlsidb_test

import (
	"bytes"
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/mlsidb/mlsidb"
	"github.com/mlsidb/mlsidb/memstore"
)

// The interface has exactly the 56 methods of the catalogue, and Provider
// implements Store.
func TestCatalogueMatchesInterface(t *testing.T) {
	var _ mlsidb.Store = (*mlsidb.Provider)(nil)
	iface := reflect.TypeFor[mlsidb.StorageProvider]()
	want := map[string]bool{}
	openmls := map[string]bool{}
	stores := map[string]bool{}
	for _, g := range mlsidb.MethodGroups() {
		if stores[g.Store] {
			t.Errorf("store %q used twice", g.Store)
		}
		stores[g.Store] = true
		if g.Group.String() != g.Store {
			t.Errorf("%v.String() = %q, want %q", g.Group, g.Group.String(), g.Store)
		}
		for _, m := range g.Methods {
			if want[m.Go] || openmls[m.OpenMLS] {
				t.Errorf("method %s listed twice", m.Go)
			}
			want[m.Go] = true
			openmls[m.OpenMLS] = true
			if _, ok := iface.MethodByName(m.Go); !ok {
				t.Errorf("catalogue method %s is not in StorageProvider", m.Go)
			}
		}
	}
	if len(mlsidb.MethodGroups()) != 18 {
		t.Errorf("%d method groups, want 18", len(mlsidb.MethodGroups()))
	}
	if len(want) != 56 || iface.NumMethod() != 56 {
		t.Errorf("catalogue has %d methods, interface %d; want 56", len(want), iface.NumMethod())
	}
	for i := 0; i < iface.NumMethod(); i++ {
		m := iface.Method(i)
		if !want[m.Name] {
			t.Errorf("interface method %s is missing from the catalogue", m.Name)
		}
		if m.Type.NumIn() == 0 || m.Type.In(0) != reflect.TypeFor[context.Context]() {
			t.Errorf("%s does not take ctx first", m.Name)
		}
	}
}

func TestErrorNamesOpAndGroupNotBytes(t *testing.T) {
	ctx := context.Background()
	p, err := mlsidb.New(ctx, memstore.New(), mlsidb.Options{})
	if err != nil {
		t.Fatal(err)
	}
	secret := []byte("SECRET-KEY-BYTES")
	_, err = p.Tree(ctx, secret)
	var e *mlsidb.Error
	if !errors.As(err, &e) || e.Op != "Tree" || e.Group != mlsidb.MethodGroupTree || !errors.Is(err, mlsidb.ErrNotFound) {
		t.Fatalf("Tree on a missing group: %#v", err)
	}
	big := make([]byte, mlsidb.MaxKeyLen+1)
	copy(big, secret)
	for _, err := range []error{
		err,
		p.WriteTree(ctx, big, secret),
		p.WriteTree(ctx, nil, secret),
		p.QueueProposal(ctx, secret, nil, secret),
	} {
		if err == nil {
			t.Fatal("want an error")
		}
		if strings.Contains(err.Error(), string(secret)) {
			t.Errorf("error %q contains key bytes", err)
		}
		if !strings.HasPrefix(err.Error(), "mlsidb: ") {
			t.Errorf("error %q does not say where it comes from", err)
		}
	}
}

func TestNewRefusesNewerVersions(t *testing.T) {
	ctx := context.Background()
	_, err := mlsidb.New(ctx, memstore.New(), mlsidb.Options{Version: mlsidb.CurrentVersion + 1})
	if !errors.Is(err, mlsidb.ErrVersionMismatch) {
		t.Errorf("binding to a newer version: %v, want ErrVersionMismatch", err)
	}
	b := memstore.New()
	if err := b.Apply(ctx, []mlsidb.Op{{Kind: mlsidb.OpPut, Store: mlsidb.MetaStore, Key: mlsidb.MetaVersionKey, Value: mlsidb.VersionPrefix(mlsidb.CurrentVersion + 1)}}); err != nil {
		t.Fatal(err)
	}
	if _, err := mlsidb.New(ctx, b, mlsidb.Options{}); !errors.Is(err, mlsidb.ErrVersionMismatch) {
		t.Errorf("opening a store a newer version opened: %v, want ErrVersionMismatch", err)
	}
	if _, err := mlsidb.New(ctx, nil, mlsidb.Options{}); !errors.Is(err, mlsidb.ErrInvalidArgument) {
		t.Errorf("nil backend: %v, want ErrInvalidArgument", err)
	}
}

// metaRecords is how many records a store holds once a provider opened it:
// the version and the store ID.
const metaRecords = 2

// TestStoreID: a store gets an ID when a provider first opens it, keeps it
// across providers (and a store made by older code, with a version record
// but no ID, gets one once), and another store, or the same one deleted
// and made again, has another.
func TestStoreID(t *testing.T) {
	ctx := context.Background()
	open := func(t *testing.T, b mlsidb.Backend) []byte {
		t.Helper()
		p, err := mlsidb.New(ctx, b, mlsidb.Options{})
		if err != nil {
			t.Fatal(err)
		}
		return p.ID()
	}
	b := memstore.New()
	first := open(t, b)
	old := memstore.New()
	if err := old.Apply(ctx, []mlsidb.Op{{Kind: mlsidb.OpPut, Store: mlsidb.MetaStore, Key: mlsidb.MetaVersionKey, Value: mlsidb.VersionPrefix(mlsidb.CurrentVersion)}}); err != nil {
		t.Fatal(err)
	}
	oldID := open(t, old)
	for _, c := range []struct {
		name string
		got  func(t *testing.T) []byte
		same []byte // want this ID, or (when nil) one that differs from first
	}{
		{"reopened", func(t *testing.T) []byte { return open(t, b) }, first},
		{"another store", func(t *testing.T) []byte { return open(t, memstore.New()) }, nil},
		{"a store made by older code, reopened", func(t *testing.T) []byte { return open(t, old) }, oldID},
		{"deleted and made again", func(t *testing.T) []byte {
			if err := b.Apply(ctx, []mlsidb.Op{{Kind: mlsidb.OpDeleteRange, Store: mlsidb.MetaStore}}); err != nil {
				t.Fatal(err)
			}
			return open(t, b)
		}, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			id := c.got(t)
			if len(id) != mlsidb.StoreIDLen || bytes.Equal(id, make([]byte, mlsidb.StoreIDLen)) {
				t.Fatalf("ID %x: want %d random bytes", id, mlsidb.StoreIDLen)
			}
			if c.same != nil && !bytes.Equal(id, c.same) {
				t.Errorf("ID %x, want %x", id, c.same)
			}
			if c.same == nil && bytes.Equal(id, first) {
				t.Errorf("ID %x is the first store's", id)
			}
		})
	}
	// A meta ID that does not decode is refused like other bad metadata.
	bad := memstore.New()
	if err := bad.Apply(ctx, []mlsidb.Op{{Kind: mlsidb.OpPut, Store: mlsidb.MetaStore, Key: mlsidb.MetaIDKey, Value: []byte{1}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := mlsidb.New(ctx, bad, mlsidb.Options{}); !errors.Is(err, mlsidb.ErrVersionMismatch) {
		t.Errorf("a store whose ID does not decode: %v, want ErrVersionMismatch", err)
	}
	if n := b.Len(); n != metaRecords {
		t.Errorf("a store opened and never written holds %d records, want %d", n, metaRecords)
	}
}

func TestPrefixRange(t *testing.T) {
	tests := []struct {
		prefix, in, out []byte
	}{
		{[]byte{1, 2}, []byte{1, 2}, []byte{1, 3}},
		{[]byte{1, 0xFF}, []byte{1, 0xFF, 0xFF, 7}, []byte{2}},
		{[]byte{0xFF, 0xFF}, []byte{0xFF, 0xFF, 0}, []byte{0xFF, 0xFE}},
	}
	for _, tt := range tests {
		r := mlsidb.PrefixRange(tt.prefix)
		if !r.Contains(tt.in) || r.Contains(tt.out) {
			t.Errorf("PrefixRange(%x): contains %x = %v, %x = %v", tt.prefix, tt.in, r.Contains(tt.in), tt.out, r.Contains(tt.out))
		}
	}
}
