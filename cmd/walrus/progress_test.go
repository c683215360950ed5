package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestProgress(t *testing.T) {
	// Disabled: nil, and every method is a no-op.
	var p *progress = newProgress(nil, false, "x", 10)
	p.phase("y")
	p.add(3)
	p.finish()

	var buf bytes.Buffer
	var sink bytes.Buffer
	p = newProgress(&buf, true, "reading blob", 4<<20)
	w := countingWriter{w: &sink, p: p}
	w.Write(make([]byte, 1<<20))
	w.Write(make([]byte, 1<<20))
	p.finish()
	if !strings.HasSuffix(buf.String(), "\r\033[K") || !strings.Contains(buf.String(), "reading blob [") {
		t.Fatalf("the line is not drawn then erased: %q", buf.String())
	}
	// The drawing goroutine has stopped: draw once more to see the counts.
	buf.Reset()
	p.draw()
	if out := buf.String(); sink.Len() != 2<<20 || !strings.Contains(out, "reading blob [===============               ] 2.0 MiB / 4.0 MiB") {
		t.Fatalf("progress output %q", out)
	}
	if shardRanges([]uint16{0, 1, 2, 5, 7, 8}) != "0-2, 5, 7-8" || shardRanges(nil) != "" {
		t.Fatal("shardRanges")
	}
	if formatWAL(1_500_000_000) != "1.5 WAL" || formatWAL(2_000_000_000) != "2 WAL" || formatWAL(10_000) != "0.00001 WAL" {
		t.Fatal("formatWAL")
	}
}
