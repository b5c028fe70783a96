package onionservice

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/cretz/bine/control"
	"github.com/cretz/bine/process"
	"github.com/cretz/bine/tor"
	"go.uber.org/zap"

	"github.com/torplus/torplus/caddy-module/identity"
)

// Restart back-off bounds: tor that dies is started again after minBackoff,
// doubling up to maxBackoff while it keeps failing.
const (
	minBackoff  = 500 * time.Millisecond
	maxBackoff  = 30 * time.Second
	stopTimeout = 10 * time.Second
)

// supervisor runs one tor child process and restarts it if it dies. It is
// the value kept in the tors usage pool.
type supervisor struct {
	conf   torConfig
	logger *zap.Logger

	ctx    context.Context // cancelled by Destruct
	cancel context.CancelFunc
	done   chan struct{} // closed when the run loop has returned

	lastProgress string // last bootstrap percentage logged (run loop only)

	mu  sync.Mutex
	cmd *exec.Cmd // the running tor, nil between restarts
}

// startSupervisor starts tor once, synchronously, so that a tor that cannot
// start at all is a clear error at config load; afterwards a background loop
// watches it and restarts it when it exits.
func startSupervisor(conf torConfig, logger *zap.Logger) (*supervisor, error) {
	ctx, cancel := context.WithCancel(context.Background())
	s := &supervisor{conf: conf, logger: logger, ctx: ctx, cancel: cancel, done: make(chan struct{})}
	t, err := s.startTor()
	if err != nil {
		cancel()
		return nil, err
	}
	go s.run(t)
	return s, nil
}

// Destruct stops tor and waits for it to exit (killing it after stopTimeout).
func (s *supervisor) Destruct() error {
	s.cancel()
	s.mu.Lock()
	cmd := s.cmd
	s.mu.Unlock()
	if cmd != nil && cmd.Process != nil {
		_ = cmd.Process.Signal(syscall.SIGTERM) // tor exits at once on SIGTERM
	}
	select {
	case <-s.done:
		return nil
	case <-time.After(stopTimeout):
		if cmd != nil && cmd.Process != nil {
			_ = cmd.Process.Kill()
		}
		<-s.done
		return errors.New("onion: tor did not stop in time and was killed")
	}
}

// run watches the running tor and restarts it until Destruct is called.
func (s *supervisor) run(t *tor.Tor) {
	defer close(s.done)
	backoff := minBackoff
	for {
		started := time.Now()
		err := s.watch(t)
		if s.ctx.Err() != nil {
			s.logger.Info("tor stopped")
			return
		}
		s.logger.Error("tor exited unexpectedly; restarting it with the same key", zap.Error(err), zap.Duration("after", backoff))
		if time.Since(started) > time.Minute {
			backoff = minBackoff // it ran fine for a while: this is a fresh failure
		}
		for t = nil; t == nil; {
			select {
			case <-s.ctx.Done():
				return
			case <-time.After(backoff):
			}
			backoff = min(2*backoff, maxBackoff)
			if t, err = s.startTor(); err != nil {
				s.logger.Error("restarting tor failed", zap.Error(err), zap.Duration("next_try_in", backoff))
			}
		}
	}
}

// startTor starts the tor process through bine and connects its controller.
func (s *supervisor) startTor() (*tor.Tor, error) {
	if _, err := exec.LookPath(s.conf.exe); err != nil {
		return nil, fmt.Errorf("%w (%s)", ErrTorMissing, s.conf.exe)
	}
	torDir := filepath.Join(s.conf.dataDir, "tor")
	if err := os.MkdirAll(torDir, 0o700); err != nil {
		return nil, fmt.Errorf("onion: %w", err)
	}
	torrc := filepath.Join(s.conf.dataDir, "torrc")
	if err := os.WriteFile(torrc, []byte(s.conf.torrc), 0o600); err != nil {
		return nil, fmt.Errorf("onion: %w", err)
	}
	// The socket is recreated by Caddy's listener; a stale one from a crash
	// is harmless to tor, which connects per visitor.
	// This tor numbers its circuits from 1 again: connections it opens from
	// now on carry a new epoch, so its circuit n is nobody the old one knew.
	identity.NewEpoch(SocketPath(s.conf.dataDir))
	out := &lineLogger{logger: s.logger.Named("tor")}
	creator := process.CmdCreatorFunc(func(ctx context.Context, args ...string) (*exec.Cmd, error) {
		cmd := exec.CommandContext(ctx, s.conf.exe, args...)
		cmd.Stdout, cmd.Stderr = out, out
		s.mu.Lock()
		s.cmd = cmd
		s.mu.Unlock()
		return cmd, nil
	})
	// The process is not bound to s.ctx: Destruct stops it with a signal
	// rather than the SIGKILL a cancelled exec.CommandContext sends.
	t, err := tor.Start(context.Background(), &tor.StartConf{
		ProcessCreator:  creator,
		DataDir:         torDir,
		TorrcFile:       torrc,
		NoAutoSocksPort: true,
		EnableNetwork:   true,
		// tor exits by itself when this process goes away, even on SIGKILL.
		ExtraArgs: []string{"__OwningControllerProcess", strconv.Itoa(os.Getpid())},
	})
	if err != nil {
		s.killCurrent()
		return nil, fmt.Errorf("onion: tor failed to start: %s (%w)", out.last(), err)
	}
	s.logger.Info("tor started", zap.Int("pid", s.pid()), zap.String("data_dir", torDir))
	return t, nil
}

// watch logs tor's bootstrap progress and the publication of the service,
// and returns when the tor process exits.
func (s *supervisor) watch(t *tor.Tor) error {
	events := make(chan control.Event, 32)
	evCtx, stopEvents := context.WithCancel(s.ctx)
	defer stopEvents()
	if info, err := t.Control.GetInfo("status/bootstrap-phase"); err == nil && len(info) == 1 {
		s.logBootstrap(parseBootstrap(info[0].Val))
	}
	if err := t.Control.AddEventListener(events, control.EventCodeStatusClient, control.EventCodeHSDesc); err != nil {
		s.logger.Warn("cannot follow tor's progress", zap.Error(err))
	} else {
		go func() { _ = t.Control.HandleEvents(evCtx) }()
	}
	exited := make(chan error, 1)
	go func() { exited <- t.Process.Wait() }()
	published := false
	for {
		select {
		case err := <-exited:
			t.Control.Close()
			s.mu.Lock()
			s.cmd = nil
			s.mu.Unlock()
			if err == nil {
				err = errors.New("tor exited")
			}
			return err
		case ev := <-events:
			switch ev := ev.(type) {
			case *control.StatusEvent:
				if ev.Action == "BOOTSTRAP" {
					s.logBootstrap(parseBootstrap(ev.Raw)) // bine splits quoted values
				}
			case *control.HSDescEvent:
				if ev.Action == "UPLOADED" && !published {
					published = true
					s.logger.Info("onion service published: visitors can reach it now",
						zap.String("address", ev.Address+".onion"))
				}
			}
		}
	}
}

func (s *supervisor) logBootstrap(args map[string]string) {
	if args["PROGRESS"] == "" || args["PROGRESS"] == s.lastProgress {
		return
	}
	s.lastProgress = args["PROGRESS"]
	s.logger.Info("tor bootstrap", zap.String("progress", args["PROGRESS"]+"%"), zap.String("summary", args["SUMMARY"]))
}

// parseBootstrap reads the key=value arguments of a status/bootstrap-phase reply.
func parseBootstrap(v string) map[string]string {
	args := map[string]string{}
	for _, f := range strings.Fields(v) {
		if k, val, ok := strings.Cut(f, "="); ok {
			args[k] = strings.ReplaceAll(val, `"`, "") // display text only
		}
	}
	if _, summary, ok := strings.Cut(v, `SUMMARY="`); ok {
		args["SUMMARY"], _, _ = strings.Cut(summary, `"`)
	}
	return args
}

func (s *supervisor) pid() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil || s.cmd.Process == nil {
		return 0
	}
	return s.cmd.Process.Pid
}

func (s *supervisor) killCurrent() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd != nil && s.cmd.Process != nil {
		_ = s.cmd.Process.Kill()
		_ = s.cmd.Wait()
	}
	s.cmd = nil
}

// lineLogger turns tor's stdout/stderr (warnings and errors: tor runs with
// --hush) into log entries, and keeps the last lines for error messages.
type lineLogger struct {
	logger *zap.Logger
	mu     sync.Mutex
	buf    []byte
	recent []string // the last few lines, oldest first
}

// torTimestamp is the "Nov 22 03:19:02.163 " prefix of tor's log lines;
// our logger stamps entries itself.
var torTimestamp = regexp.MustCompile(`^[A-Z][a-z]{2} [ 0-9]\d \d\d:\d\d:\d\d(\.\d+)? `)

var _ io.Writer = (*lineLogger)(nil)

func (l *lineLogger) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf = append(l.buf, p...)
	for {
		i := strings.IndexByte(string(l.buf), '\n')
		if i < 0 {
			break
		}
		line := torTimestamp.ReplaceAllString(strings.TrimSpace(string(l.buf[:i])), "")
		l.buf = l.buf[i+1:]
		if line != "" {
			l.recent = append(l.recent, line)
			if len(l.recent) > 3 {
				l.recent = l.recent[1:]
			}
			l.logger.Warn(line)
		}
	}
	return len(p), nil
}

func (l *lineLogger) last() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.recent) == 0 {
		return "tor printed nothing"
	}
	return strings.Join(l.recent, " / ")
}
