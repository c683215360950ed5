package cluster

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"time"
)

// Process is one child process of the cluster (a validator or a storage
// node), restartable with the same command line. Its standard output and
// error are appended to LogPath across restarts.
type Process struct {
	Name    string
	LogPath string
	bin     string
	args    []string

	mu     sync.Mutex
	cmd    *exec.Cmd
	done   chan struct{} // closed when cmd exits
	err    error         // cmd's exit status, valid after done
	paused bool
}

// Start starts the process; it fails if it is running.
func (p *Process) Start() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd != nil {
		return fmt.Errorf("cluster: %s is already running", p.Name)
	}
	log, err := os.OpenFile(p.LogPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	fmt.Fprintf(log, "==== %s: start %s %v\n", time.Now().Format(time.RFC3339Nano), p.bin, p.args)
	cmd := exec.Command(p.bin, p.args...)
	cmd.Stdout, cmd.Stderr = log, log
	// Its own process group: a Ctrl-C at the test's terminal reaches the
	// test, which stops the children itself.
	cmd.SysProcAttr = sysProcAttr()
	if err := cmd.Start(); err != nil {
		log.Close()
		return fmt.Errorf("cluster: starting %s: %w", p.Name, err)
	}
	done := make(chan struct{})
	p.cmd, p.done, p.paused = cmd, done, false
	go func() {
		err := cmd.Wait()
		fmt.Fprintf(log, "==== %s: exit %v\n", time.Now().Format(time.RFC3339Nano), err)
		log.Close()
		p.mu.Lock()
		p.err = err
		if p.cmd == cmd {
			p.cmd = nil
		}
		p.mu.Unlock()
		close(done)
	}()
	return nil
}

// Running reports whether the process has been started and has not exited.
func (p *Process) Running() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cmd != nil
}

// Pid returns the running process's ID (0 if it is not running).
func (p *Process) Pid() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil {
		return 0
	}
	return p.cmd.Process.Pid
}

// signal sends sig to the running process and returns the channel closed
// when it exits.
func (p *Process) signal(sig syscall.Signal) (chan struct{}, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil {
		return nil, fmt.Errorf("cluster: %s is not running", p.Name)
	}
	if err := p.cmd.Process.Signal(sig); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return nil, err
	}
	switch sig {
	case syscall.SIGSTOP:
		p.paused = true
	case syscall.SIGCONT:
		p.paused = false
	}
	return p.done, nil
}

// Kill sends SIGKILL and waits for the process to exit: no shutdown code
// runs, as in a crash or power loss of the process.
func (p *Process) Kill() error {
	done, err := p.signal(syscall.SIGKILL)
	if err != nil {
		return err
	}
	<-done
	return nil
}

// Stop sends SIGTERM (resuming a paused process first) and waits up to
// grace for a graceful exit, then kills it. It returns the exit error of
// a graceful exit (nil for status 0).
func (p *Process) Stop(grace time.Duration) error {
	p.mu.Lock()
	paused := p.paused
	p.mu.Unlock()
	if paused {
		if err := p.Resume(); err != nil {
			return err
		}
	}
	done, err := p.signal(syscall.SIGTERM)
	if err != nil {
		return err
	}
	select {
	case <-done:
		p.mu.Lock()
		defer p.mu.Unlock()
		return p.err
	case <-time.After(grace):
		_ = p.Kill()
		return fmt.Errorf("cluster: %s did not stop within %v after SIGTERM; killed", p.Name, grace)
	}
}

// Pause freezes the process (SIGSTOP): its sockets stay open but it
// answers nothing, as a hung machine.
func (p *Process) Pause() error {
	_, err := p.signal(syscall.SIGSTOP)
	return err
}

// Resume continues a paused process (SIGCONT).
func (p *Process) Resume() error {
	_, err := p.signal(syscall.SIGCONT)
	return err
}

// Restart kills the process if it runs and starts it again.
func (p *Process) Restart() error {
	if p.Running() {
		if err := p.Kill(); err != nil {
			return err
		}
	}
	return p.Start()
}

// Log returns the process's log so far (for test failure messages).
func (p *Process) Log() string {
	b, err := os.ReadFile(p.LogPath)
	if err != nil {
		return err.Error()
	}
	return string(b)
}
