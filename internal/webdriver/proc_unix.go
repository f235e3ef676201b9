//go:build unix

package webdriver

import (
	"os/exec"
	"syscall"
)

// ownGroup starts cmd in a process group of its own, so that the browsers it starts can be
// stopped with it.
func ownGroup(cmd *exec.Cmd) { cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} }

// interrupt asks chromedriver to stop.
func interrupt(cmd *exec.Cmd) {
	if cmd.Process != nil {
		_ = cmd.Process.Signal(syscall.SIGTERM)
	}
}

// kill stops chromedriver's process group: chromedriver and the browsers it started.
func kill(cmd *exec.Cmd) {
	if cmd.Process != nil && cmd.Process.Pid > 0 {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
}
