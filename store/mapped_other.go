//go:build !linux

package store

func pageOutSupported() error { return ErrTrimUnsupported }

func readSmaps([]string) ([]mapping, error) { return nil, ErrTrimUnsupported }

func clearRefs() error { return ErrTrimUnsupported }

func rssFile() (int64, error) { return 0, ErrTrimUnsupported }

func madvisePageOut(uintptr, uintptr) error { return ErrTrimUnsupported }
