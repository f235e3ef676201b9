package store

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

func readSmaps(dirs []string) ([]mapping, error) {
	f, err := os.Open("/proc/self/smaps")
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	defer f.Close()
	return parseSmaps(f, dirs)
}

// clearRefs clears the referenced bits of the process's file-backed pages (3: mapped files
// only), so that /proc/self/smaps's Referenced counts what was used since.
func clearRefs() error {
	if err := os.WriteFile("/proc/self/clear_refs", []byte("3"), 0); err != nil {
		return fmt.Errorf("store: clearing the referenced bits: %w", err)
	}
	return nil
}

func rssFile() (int64, error) {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, fmt.Errorf("store: %w", err)
	}
	return parseRSSFile(b)
}

// pageOutSupported pages out a page of its own mapping: EINVAL there means a kernel without
// MADV_PAGEOUT.
func pageOutSupported() error {
	b, err := unix.Mmap(-1, 0, os.Getpagesize(), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANON)
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	defer unix.Munmap(b)
	if err := unix.Madvise(b, unix.MADV_PAGEOUT); err != nil {
		return fmt.Errorf("%w: %w", ErrTrimUnsupported, err)
	}
	return nil
}

// madvisePageOut is madvise(start, length, MADV_PAGEOUT) on a range given by address: the
// range is not Go memory, and has no slice to hand to unix.Madvise.
func madvisePageOut(start, length uintptr) error {
	_, _, errno := unix.Syscall(unix.SYS_MADVISE, start, length, unix.MADV_PAGEOUT)
	switch errno {
	case 0,
		unix.ENOMEM, // unmapped since /proc/self/smaps was read (badger removed a table)
		unix.EINVAL: // the range was mapped again since, locked or of huge pages
		return nil
	}
	return fmt.Errorf("store: madvise MADV_PAGEOUT: %w", errno)
}
