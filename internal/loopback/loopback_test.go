package loopback

import (
	"net"
	"strconv"
	"testing"
)

func TestListenStableAvoidsEphemeralPorts(t *testing.T) {
	lo, hi := nonEphemeralRange()
	if lo < 1024 || hi > 65535 || lo > hi {
		t.Fatalf("range %d-%d", lo, hi)
	}
	for range 5 {
		ln, err := Listen()
		if err != nil {
			t.Fatal(err)
		}
		_, ps, _ := net.SplitHostPort(ln.Addr().String())
		p, _ := strconv.Atoi(ps)
		ln.Close()
		if p < lo || p > hi {
			t.Errorf("port %d outside %d-%d", p, lo, hi)
		}
	}
}
