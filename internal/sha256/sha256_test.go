package sha256

import (
	std "crypto/sha256"
	"math/rand/v2"
	"testing"
)

func TestMatchesCryptoSHA256(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for n := 0; n < 300; n++ {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(r.Uint32())
		}
		if Sum256(b) != std.Sum256(b) {
			t.Fatalf("length %d: digests differ", n)
		}
	}
	big := make([]byte, 1<<16+3)
	if Sum256(big) != std.Sum256(big) {
		t.Fatal("64 KiB: digests differ")
	}
}

func FuzzMatchesCryptoSHA256(f *testing.F) {
	f.Add([]byte("abc"))
	f.Fuzz(func(t *testing.T, b []byte) {
		if Sum256(b) != std.Sum256(b) {
			t.Fatalf("%x: digests differ", b)
		}
	})
}
