package interop

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// proc is a started program: in its own process group, with its output in
// dir/log.txt, or, for a program that talks over pipes (the Python
// scripts here), with a pipe to its standard input and its standard output
// as lines on a channel. Nothing here but [start] needs a
// test: [StartLibtorrentSeeder] runs in 'leakhunt validate'.
type proc struct {
	cmd     *exec.Cmd
	stdin   io.WriteCloser // nil unless it talks over pipes
	lines   chan string    // standard output, when it talks over pipes; closed at its end
	exited  chan struct{}
	logPath string
}

// launch starts program with args in dir (which also becomes its HOME);
// pipes says whether it talks over standard input and output.
func launch(dir string, pipes bool, program string, args ...string) (*proc, error) {
	logPath := filepath.Join(dir, "log.txt")
	f, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(program, args...)
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = f, f
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Env = append(os.Environ(), "HOME="+dir, "XDG_CONFIG_HOME="+filepath.Join(dir, "config"), "XDG_DATA_HOME="+filepath.Join(dir, "share"))
	p := &proc{cmd: cmd, exited: make(chan struct{}), logPath: logPath}
	var pr *io.PipeReader
	var pw *io.PipeWriter
	if pipes {
		// An io.Pipe, not StdoutPipe: Wait then returns only once all the
		// output was read, so no line is lost.
		pr, pw = io.Pipe()
		cmd.Stdout = pw
		if p.stdin, err = cmd.StdinPipe(); err != nil {
			f.Close()
			return nil, err
		}
	}
	if err := cmd.Start(); err != nil {
		f.Close()
		return nil, fmt.Errorf("start %s: %w", program, err)
	}
	if pipes {
		// The only sender closes the channel, at the end of the output;
		// stop drains what nobody read.
		p.lines = make(chan string, 16)
		go func() {
			defer close(p.lines)
			sc := bufio.NewScanner(pr)
			for sc.Scan() {
				p.lines <- sc.Text()
			}
		}()
	}
	go func() {
		_ = cmd.Wait()
		if pw != nil {
			pw.Close()
		}
		f.Close()
		close(p.exited)
	}()
	return p, nil
}

// stop closes the program's standard input (the scripts here exit then),
// sends its process group SIGTERM and, 5 s later, SIGKILL; it returns once
// the program has exited.
func (p *proc) stop() {
	if p.stdin != nil {
		p.stdin.Close()
		go func() {
			for range p.lines {
			}
		}()
	}
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(5 * time.Second):
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		<-p.exited
	}
}

// errExited is the error of a program that ended before it said what was
// waited for.
var errExited = errors.New("the process exited")

// line returns the program's next line of standard output, waiting at
// most until ctx ends.
func (p *proc) line(ctx context.Context) (string, error) {
	select {
	case l, ok := <-p.lines:
		if !ok {
			return "", fmt.Errorf("%w; log:\n%s", errExited, p.log())
		}
		return l, nil
	case <-ctx.Done():
		return "", fmt.Errorf("%w; log:\n%s", ctx.Err(), p.log())
	}
}

// log returns the end of the program's output, for failure messages.
func (p *proc) log() string {
	b, _ := os.ReadFile(p.logPath)
	if len(b) > 4096 {
		b = b[len(b)-4096:]
	}
	return string(b)
}

// start is [launch] for a test: it fails t when the program cannot start
// and stops it when the test ends.
func start(t testing.TB, dir string, pipes bool, program string, args ...string) *proc {
	t.Helper()
	p, err := launch(dir, pipes, program, args...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.stop)
	return p
}

// waitFor asks cond every 50 ms (the clients offer no event to wait on)
// until it is true, the process exits or StartTimeout passes.
func (p *proc) waitFor(t testing.TB, what string, cond func() (bool, error)) {
	t.Helper()
	deadline := time.NewTimer(StartTimeout)
	defer deadline.Stop()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	var last error
	for {
		ok, err := cond()
		if ok {
			return
		}
		last = err
		select {
		case <-p.exited:
			t.Fatalf("%s: the process exited; log:\n%s", what, p.log())
		case <-deadline.C:
			t.Fatalf("%s: not ready after %v (last error: %v); log:\n%s", what, StartTimeout, last, p.log())
		case <-tick.C:
		}
	}
}
