// Package loopback picks listening ports that a restarted process can get
// back: outside the kernel's ephemeral range.
package loopback

import (
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"strconv"
)

// Listen listens on a loopback port outside the kernel's ephemeral
// range. The nodes' addresses are registered on chain, so a restarted
// network must get the same ports back; a port from the ephemeral range
// (what ":0" gives) is soon reused by some outgoing connection of this or
// another process, and the restart then fails with "address already in
// use". If no such port is free, it falls back to ":0".
func Listen() (net.Listener, error) { return ListenHost("127.0.0.1") }

// ListenHost is Listen on another host (a network's configured address).
func ListenHost(host string) (net.Listener, error) {
	lo, hi := nonEphemeralRange()
	for range 200 {
		port := lo + rand.IntN(hi-lo+1)
		if ln, err := net.Listen("tcp", net.JoinHostPort(host, strconv.Itoa(port))); err == nil {
			return ln, nil
		}
	}
	return net.Listen("tcp", net.JoinHostPort(host, "0"))
}

// nonEphemeralRange returns a port range that the kernel does not hand out
// to outgoing connections: below the ephemeral range (Linux's
// ip_local_port_range, 32768–60999 by default), or above it if the range
// starts too low.
func nonEphemeralRange() (lo, hi int) {
	elo, ehi := 32768, 60999
	if b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range"); err == nil {
		var a, z int
		if n, _ := fmt.Sscan(string(b), &a, &z); n == 2 && a > 0 && z >= a && z <= 65535 {
			elo, ehi = a, z
		}
	}
	if elo-1 >= 20000 {
		return 20000, elo - 1
	}
	if ehi+1 <= 64000 {
		return ehi + 1, 65535
	}
	return 1024, 65535 // the whole range is ephemeral: any port will do
}
