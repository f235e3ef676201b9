package store

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

func readMaps(dirs []string) ([]mapping, error) {
	f, err := os.Open("/proc/self/maps")
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	defer f.Close()
	return parseMaps(f, dirs)
}

func rssFile() (int64, error) {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, fmt.Errorf("store: %w", err)
	}
	return parseRSSFile(b)
}

// madvisePageOut is madvise(start, length, MADV_PAGEOUT) on a range given by address: the
// range is not Go memory, and has no slice to hand to unix.Madvise.
func madvisePageOut(start, length uintptr) error {
	_, _, errno := unix.Syscall(unix.SYS_MADVISE, start, length, unix.MADV_PAGEOUT)
	switch {
	case errno == 0, errno == unix.ENOMEM:
		return nil // ENOMEM: unmapped since /proc/self/maps was read (badger removed a table)
	case errno == unix.EINVAL:
		return fmt.Errorf("%w: %w", ErrTrimUnsupported, errno)
	}
	return fmt.Errorf("store: madvise MADV_PAGEOUT: %w", errno)
}
