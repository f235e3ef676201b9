package blobs

import (
	"os"

	"golang.org/x/sys/unix"
)

// dropCache asks the kernel to drop the cached pages of f in [off, off+n) (n = 0: to the end of
// the file): the clean ones go at once, dirty ones are queued for writeback. Advice only: a
// failure costs memory, nothing else.
func dropCache(f *os.File, off, n int64) {
	_ = unix.Fadvise(int(f.Fd()), off, n, unix.FADV_DONTNEED)
}
