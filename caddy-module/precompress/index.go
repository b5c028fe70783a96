package precompress

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"
)

// queueLen bounds the files waiting to be compressed; a file asked for
// while the queue is full is queued the next time it is asked for.
const queueLen = 1024

// version is the state of one source file that its copies were made from.
type version struct {
	mod  time.Time
	size int64
}

func versionOf(info fs.FileInfo) version { return version{info.ModTime(), info.Size()} }

// entry is what the cache holds for one source file.
type entry struct {
	from version
	have map[string]bool // suffixes with a copy
}

// index knows which copies are fresh and queues the files that need new
// ones.
type index struct {
	root, cache string
	log         *zap.Logger
	mu          sync.RWMutex
	files       map[string]entry // by path relative to root
	queued      map[string]bool
	queue       chan string
	kinds       []*kind // the kinds of copies made
}

func newIndex(root, cache string, log *zap.Logger) *index {
	return &index{root: root, cache: cache, log: log, files: map[string]entry{},
		queued: map[string]bool{}, queue: make(chan string, queueLen), kinds: kindsFor(runtime.GOMAXPROCS(0))}
}

// sidecar maps "<file><suffix>" to its copy in the cache, when file is in
// root, gets copies with that suffix and its copy is fresh and worth
// keeping. A stale or missing copy is queued and not found.
func (x *index) sidecar(name string) (string, bool) {
	src, suffix, k, ok := copyName(x.kinds, name)
	if !ok {
		return "", false
	}
	rel, err := filepath.Rel(x.root, src)
	if err != nil || !filepath.IsLocal(rel) || kindOf(x.kinds, rel) != k || hidden(rel) {
		return "", false
	}
	x.mu.RLock()
	e, known := x.files[rel]
	x.mu.RUnlock()
	info, err := os.Stat(src)
	if err != nil || !info.Mode().IsRegular() {
		return "", false
	}
	if !known || e.from != versionOf(info) {
		x.enqueue(context.Background(), rel, false)
		return "", false
	}
	if !e.have[suffix] {
		return "", false
	}
	return filepath.Join(x.cache, rel+suffix), true
}

// hidden reports whether rel is a dotfile or in a dot folder, which the
// walk skips and hoster serve never serves: a visitor's request does not
// queue it.
func hidden(rel string) bool {
	return strings.HasPrefix(rel, ".") || strings.Contains(rel, string(filepath.Separator)+".")
}

// enqueue queues rel unless it is queued already. wait says whether to
// wait for room (the walk at start) or to give up on a full queue (a
// request, which comes again).
func (x *index) enqueue(ctx context.Context, rel string, wait bool) {
	x.mu.Lock()
	if x.queued[rel] {
		x.mu.Unlock()
		return
	}
	x.queued[rel] = true // before the send: the worker clears it when done
	x.mu.Unlock()
	if wait {
		select {
		case x.queue <- rel:
			return
		case <-ctx.Done():
		}
	} else {
		select {
		case x.queue <- rel:
			return
		default:
		}
	}
	x.mu.Lock()
	delete(x.queued, rel)
	x.mu.Unlock()
}

// run walks root once, taking the copies a previous run left that are
// still fresh and queueing the rest, then makes the copies of what is
// queued until ctx ends: one file at a time, resting after each as long as
// it used the CPU (so it takes at most half of one core, however many
// files change), on a thread of its own at a low CPU priority (the thread is
// never unlocked, so it ends with run and its priority never passes to
// other goroutines).
func (x *index) run(ctx context.Context) {
	runtime.LockOSThread()
	lowerPriority()
	var walking sync.WaitGroup
	walking.Add(1)
	go func() {
		defer walking.Done()
		x.walk(ctx)
	}()
	defer walking.Wait()
	for {
		select {
		case <-ctx.Done():
			return
		case rel := <-x.queue:
			k := kindOf(x.kinds, rel)
			began := threadCPU()
			e, err := makeCopies(ctx, x.root, x.cache, rel, k)
			x.mu.Lock()
			delete(x.queued, rel)
			if err == nil || errors.Is(err, ErrKeptAsIs) {
				x.files[rel] = e
			} else {
				delete(x.files, rel)
			}
			x.mu.Unlock()
			if err != nil {
				x.log.Debug("making copies", zap.String("file", rel), zap.Error(err))
			}
			select { // rest as long as the file took of the CPU
			case <-time.After(threadCPU() - began):
			case <-ctx.Done():
				return
			}
		}
	}
}

// walk looks at every regular file under root that gets copies (symbolic
// links are not followed; such files go out as they are), and queues
// those without fresh copies in the order of kinds: all text before any
// image, since a text file's copies take milliseconds and an image's a
// good part of a second.
func (x *index) walk(ctx context.Context) {
	later := map[*kind][]string{}
	filepath.WalkDir(x.root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || ctx.Err() != nil {
			return ctx.Err()
		}
		if path != x.root && strings.HasPrefix(d.Name(), ".") { // dotfiles are not served
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		rel, err := filepath.Rel(x.root, path)
		if err != nil || !d.Type().IsRegular() {
			return nil
		}
		k := kindOf(x.kinds, rel)
		if k == nil {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return nil
		}
		if e, ok := existingCopies(x.cache, rel, k, versionOf(info)); ok {
			x.mu.Lock()
			x.files[rel] = e
			x.mu.Unlock()
			return nil
		}
		if k == x.kinds[0] {
			x.enqueue(ctx, rel, true)
		} else {
			later[k] = append(later[k], rel)
		}
		return nil
	})
	for _, k := range x.kinds[1:] {
		for _, rel := range later[k] {
			x.enqueue(ctx, rel, true)
		}
	}
}
