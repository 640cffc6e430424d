package source

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// TestReadChunks reads sources around the sizes of Read's chunks, with
// no expected size, the right one and wrong ones, and checks that every
// byte comes back in order.
func TestReadChunks(t *testing.T) {
	for _, n := range []int{0, 1, 64<<10 - 1, 64 << 10, 64<<10 + 1, 5<<18 + 7} {
		want := make([]byte, n)
		for i := range want {
			want[i] = byte(i * 7)
		}
		for _, size := range []int64{0, int64(n), int64(n / 2), int64(2*n + 1)} {
			got, err := Read(bytes.NewReader(want), size, 1<<30)
			if err != nil {
				t.Fatalf("%d bytes, size %d: %v", n, size, err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%d bytes, size %d: read %d bytes that differ", n, size, len(got))
			}
		}
	}
}

// TestReadLimit reads a source one byte over the limit and one at it.
func TestReadLimit(t *testing.T) {
	const limit = 100_000
	src := make([]byte, limit+1)
	_, err := Read(bytes.NewReader(src), 0, limit)
	var tl *TooLargeError
	if !errors.As(err, &tl) || tl.Limit != limit || tl.Size != 0 {
		t.Errorf("Read of %d bytes = %v, want a TooLargeError with limit %d", limit+1, err, limit)
	}
	if want := "file too large: more than 100000 bytes"; err == nil || err.Error() != want {
		t.Errorf("error = %v, want %q", err, want)
	}
	got, err := Read(bytes.NewReader(src[:limit]), 0, limit)
	if err != nil || len(got) != limit {
		t.Errorf("Read of %d bytes = %d bytes, %v; want all of them", limit, len(got), err)
	}
}

// TestReadFileBySize gives a sparse file one byte over the limit: it is
// rejected by its size, before any of it is read.
func TestReadFileBySize(t *testing.T) {
	name := filepath.Join(t.TempDir(), "big.in")
	f, err := os.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(1<<30 + 1); err != nil {
		f.Close()
		t.Skipf("no sparse file here: %v", err)
	}
	f.Close()
	_, err = ReadFile(name, 1<<30)
	if want := "file too large: 1073741825 bytes, the limit is 1073741824"; err == nil || err.Error() != want {
		t.Errorf("ReadFile = %v, want %q", err, want)
	}
}
