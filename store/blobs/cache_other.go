//go:build !linux

package blobs

import "os"

// dropCache is a no-op where posix_fadvise is not wired up.
func dropCache(*os.File, int64, int64) {}
