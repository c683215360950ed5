package main

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// progress draws one status line on a terminal: a label, the elapsed time
// and, when bytes are counted, a bar (with a known total) or the byte count
// and rate. It shows only what the CLI can observe from outside the SDK:
// the phase it is in and the bytes a streamed read has written.
type progress struct {
	w     io.Writer
	label atomic.Value // string
	done  atomic.Int64
	total int64 // 0 when unknown
	start time.Time
	stop  chan struct{}
	wg    sync.WaitGroup
}

// progressInterval is how often the line is redrawn.
const progressInterval = 200 * time.Millisecond

// newProgress starts a progress line on w, or returns nil (whose methods do
// nothing) when enabled is false.
func newProgress(w io.Writer, enabled bool, label string, total int64) *progress {
	if !enabled {
		return nil
	}
	p := &progress{w: w, total: total, start: time.Now(), stop: make(chan struct{})}
	p.label.Store(label)
	p.wg.Go(func() {
		t := time.NewTicker(progressInterval)
		defer t.Stop()
		for {
			p.draw()
			select {
			case <-p.stop:
				return
			case <-t.C:
			}
		}
	})
	return p
}

// phase changes the label.
func (p *progress) phase(label string) {
	if p != nil {
		p.label.Store(label)
	}
}

// add counts n more bytes.
func (p *progress) add(n int) {
	if p != nil {
		p.done.Add(int64(n))
	}
}

// finish stops the line and erases it.
func (p *progress) finish() {
	if p == nil {
		return
	}
	close(p.stop)
	p.wg.Wait()
	fmt.Fprint(p.w, "\r\033[K")
}

var spinner = []string{"|", "/", "-", "\\"}

func (p *progress) draw() {
	el := time.Since(p.start)
	label := p.label.Load().(string)
	done := p.done.Load()
	var b strings.Builder
	fmt.Fprintf(&b, "\r\033[K%s %s", spinner[int(el/progressInterval)%len(spinner)], label)
	switch {
	case p.total > 0:
		const width = 30
		filled := min(int(done*width/p.total), width)
		fmt.Fprintf(&b, " [%s%s] %s / %s", strings.Repeat("=", filled), strings.Repeat(" ", width-filled),
			formatBytes(uint64(done)), formatBytes(uint64(p.total)))
	case done > 0:
		fmt.Fprintf(&b, " %s", formatBytes(uint64(done)))
	}
	if s := el.Seconds(); done > 0 && s > 0 {
		fmt.Fprintf(&b, " (%s/s)", formatBytes(uint64(float64(done)/s)))
	}
	fmt.Fprintf(&b, " %.1fs", el.Seconds())
	io.WriteString(p.w, b.String())
}

// countingWriter passes writes through and counts them on a progress line.
type countingWriter struct {
	w io.Writer
	p *progress
}

func (c countingWriter) Write(b []byte) (int, error) {
	n, err := c.w.Write(b)
	c.p.add(n)
	return n, err
}
