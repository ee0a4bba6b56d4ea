package mlsidb

import (
	"encoding/binary"
	"math/rand/v2"
	"strconv"
)

// Record layout. Every key starts with the 2-byte big-endian provider
// version, so data of different versions never meets. Group-scoped keys
// continue with the group id, length-prefixed (4 bytes big-endian), so that
// no group id is a prefix of another group's keys and everything of one
// group is the single key range [GroupPrefix]:
//
//	value method groups:   version | len(group id) | group id
//	own leaf nodes:        version | len(group id) | group id | sequence (8 bytes)
//	proposal queue:        version | len(group id) | group id | proposal ref
//	epoch key pairs:       version | len(group id) | group id | len(epoch) | epoch | leaf index (4 bytes)
//	global method groups:  version | key
//
// Every value starts with the same 2-byte version tag, then the payload:
// the entity bytes; for a queued proposal its 8-byte queue position, then
// the proposal; for epoch key pairs a 4-byte count, then each key pair as a
// 4-byte length and its bytes. The meta store holds two records:
// [MetaVersionKey], whose value is the highest provider version that opened
// the store (2 bytes), and [MetaIDKey], the store's ID ([StoreIDLen] random
// bytes, see [Provider.ID]).

// MaxKeyLen is the longest key (group id, proposal ref, epoch, public key,
// hash reference, PSK id) the provider accepts, in bytes.
const MaxKeyLen = 64 << 10

// MetaVersionKey is the key, in [MetaStore], of the highest provider version
// that has opened the store.
var MetaVersionKey = []byte("version")

// MetaIDKey is the key, in [MetaStore], of the store's ID ([Provider.ID]).
var MetaIDKey = []byte("id")

// StoreIDLen is the length of a store's ID, in bytes.
const StoreIDLen = 16

// newStoreID returns StoreIDLen bytes from the runtime's random source
// (seeded from the system's, crypto.getRandomValues in a browser): unique
// in practice, and not a secret, so no crypto package is needed.
func newStoreID() []byte {
	id := make([]byte, 0, StoreIDLen)
	id = binary.BigEndian.AppendUint64(id, rand.Uint64())
	return binary.BigEndian.AppendUint64(id, rand.Uint64())
}

// VersionPrefix returns the 2-byte prefix of every key written by a provider
// bound to version v.
func VersionPrefix(v uint16) []byte {
	return binary.BigEndian.AppendUint16(nil, v)
}

// GroupPrefix returns the key prefix shared by every record of the group in
// a group-scoped method group, for provider version v. For value method
// groups it is the whole key.
func GroupPrefix(v uint16, groupID []byte) []byte {
	k := make([]byte, 0, 6+len(groupID))
	k = binary.BigEndian.AppendUint16(k, v)
	k = binary.BigEndian.AppendUint32(k, uint32(len(groupID)))
	return append(k, groupID...)
}

func (p *Provider) globalKey(k []byte) []byte {
	out := make([]byte, 0, 2+len(k))
	out = binary.BigEndian.AppendUint16(out, p.version)
	return append(out, k...)
}

func leafNodeKey(prefix []byte, seq uint64) []byte {
	return binary.BigEndian.AppendUint64(append(make([]byte, 0, len(prefix)+8), prefix...), seq)
}

func proposalKey(prefix, ref []byte) []byte {
	return append(append(make([]byte, 0, len(prefix)+len(ref)), prefix...), ref...)
}

func epochKey(prefix, epoch []byte, leaf uint32) []byte {
	k := make([]byte, 0, len(prefix)+8+len(epoch))
	k = append(k, prefix...)
	k = binary.BigEndian.AppendUint32(k, uint32(len(epoch)))
	k = append(k, epoch...)
	return binary.BigEndian.AppendUint32(k, leaf)
}

// encode returns the version tag followed by the parts, in one fresh slice.
func (p *Provider) encode(parts ...[]byte) []byte {
	n := 2
	for _, b := range parts {
		n += len(b)
	}
	out := make([]byte, 0, n)
	out = binary.BigEndian.AppendUint16(out, p.version)
	for _, b := range parts {
		out = append(out, b...)
	}
	return out
}

// decode checks the version tag of a stored value and returns its payload.
func (p *Provider) decode(v []byte) ([]byte, error) {
	if len(v) < 2 {
		return nil, versionMismatch("stored record has no version tag")
	}
	tag := binary.BigEndian.Uint16(v)
	switch {
	case tag == p.version:
		return v[2:], nil
	case tag > CurrentVersion:
		return nil, versionMismatch("record written by provider version " + strconv.Itoa(int(tag)) +
			", newer than the newest this code knows (" + strconv.Itoa(int(CurrentVersion)) + ")")
	default:
		return nil, versionMismatch("record written by provider version " + strconv.Itoa(int(tag)) +
			", provider is bound to version " + strconv.Itoa(int(p.version)))
	}
}

func encodeList(items [][]byte) []byte {
	n := 4
	for _, it := range items {
		n += 4 + len(it)
	}
	out := make([]byte, 0, n)
	out = binary.BigEndian.AppendUint32(out, uint32(len(items)))
	for _, it := range items {
		out = binary.BigEndian.AppendUint32(out, uint32(len(it)))
		out = append(out, it...)
	}
	return out
}

func decodeList(b []byte) ([][]byte, error) {
	if len(b) < 4 {
		return nil, errCorrupt
	}
	n := binary.BigEndian.Uint32(b)
	b = b[4:]
	if uint64(n)*4 > uint64(len(b)) {
		return nil, errCorrupt
	}
	out := make([][]byte, 0, n)
	for i := uint32(0); i < n; i++ {
		if len(b) < 4 {
			return nil, errCorrupt
		}
		l := binary.BigEndian.Uint32(b)
		b = b[4:]
		if uint64(l) > uint64(len(b)) {
			return nil, errCorrupt
		}
		out = append(out, b[:l:l])
		b = b[l:]
	}
	if len(b) != 0 {
		return nil, errCorrupt
	}
	return out, nil
}

// errCorrupt reports a stored record that does not decode. It wraps
// ErrVersionMismatch: a record this code cannot read was not written by
// this version of the code.
var errCorrupt = versionMismatch("stored record does not decode")
