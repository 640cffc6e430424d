// Package source reads program text up to a size limit, so that a file
// without end, such as /dev/zero, fails with an error instead of taking
// all the memory.
package source

import (
	"fmt"
	"io"
	"os"
)

// TooLargeError reports a source of more than Limit bytes. Size is the
// size of a regular file, and 0 when the reader stopped past the limit
// without knowing the whole size.
type TooLargeError struct {
	Size, Limit int64
}

// Error returns "file too large" with the size, when known, and the limit.
func (e *TooLargeError) Error() string {
	if e.Size > 0 {
		return fmt.Sprintf("file too large: %d bytes, the limit is %d", e.Size, e.Limit)
	}
	return fmt.Sprintf("file too large: more than %d bytes", e.Limit)
}

// Read reads r to its end, or fails with a *TooLargeError once more than
// limit bytes arrive. size, when above 0, is the expected size. It reads
// into chunks that double in size and joins them once at the end, where
// io.ReadAll grows one buffer by copying it (2.1 GB to reject 1 GiB of
// /dev/zero).
func Read(r io.Reader, size, limit int64) ([]byte, error) {
	n := int64(64 << 10)
	if size > 0 {
		// One chunk a byte larger than the file, so that its end shows
		// without a second read.
		n = min(size, limit) + 1
	}
	var chunks [][]byte
	var total int64
	for {
		buf := make([]byte, n)
		k, err := io.ReadFull(r, buf)
		total += int64(k)
		if total > limit {
			return nil, &TooLargeError{Limit: limit}
		}
		if k > 0 {
			chunks = append(chunks, buf[:k])
		}
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			break
		}
		if err != nil {
			return nil, err
		}
		n = min(2*n, 16<<20)
	}
	if len(chunks) == 1 {
		return chunks[0], nil
	}
	src := make([]byte, 0, total)
	for _, c := range chunks {
		src = append(src, c...)
	}
	return src, nil
}

// ReadFile reads the file called name as Read does. A regular file above
// the limit fails by its size, before any of it is read.
func ReadFile(name string, limit int64) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var size int64
	if info, err := f.Stat(); err == nil && info.Mode().IsRegular() {
		if info.Size() > limit {
			return nil, &TooLargeError{Size: info.Size(), Limit: limit}
		}
		size = info.Size()
	}
	return Read(f, size, limit)
}
