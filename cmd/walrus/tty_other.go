//go:build !(linux || darwin || freebsd || netbsd || openbsd)

package main

// fdIsTerminal: no progress output where terminals cannot be detected.
func fdIsTerminal(uintptr) bool { return false }
