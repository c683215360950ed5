package cluster

import "syscall"

// sysProcAttr puts a child in its own process group and has the kernel
// kill it if the test process dies without cleaning up (a test timeout's
// panic), so no node outlives its test.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
