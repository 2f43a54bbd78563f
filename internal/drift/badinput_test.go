package drift

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/customs-scanner/customs/internal/dockerengine"
)

// cutProxy is the Docker Engine behind an HTTP proxy that, once an
// export's answer has passed after bytes, calls at (which may remove the
// container) and then either cuts the stream or lets the engine finish.
type cutProxy struct {
	after int64
	at    func()
	cut   bool
	// id, when set, is the one container whose export is cut.
	id string
}

func (p *cutProxy) start(t *testing.T) string {
	t.Helper()
	c, err := dockerengine.New("")
	if err != nil {
		t.Fatal(err)
	}
	base, _ := url.Parse(c.Base)
	rp := httputil.NewSingleHostReverseProxy(base)
	rp.Transport = c.HTTP.Transport
	rp.FlushInterval = -1
	rp.ModifyResponse = func(resp *http.Response) error {
		if strings.HasSuffix(resp.Request.URL.Path, "/export") && resp.StatusCode == http.StatusOK && strings.Contains(resp.Request.URL.Path, p.id) {
			resp.Body = &cutBody{ReadCloser: resp.Body, p: p}
		}
		return nil
	}
	rp.ErrorLog = log.New(io.Discard, "", 0)
	srv := httptest.NewServer(rp)
	t.Cleanup(srv.Close)
	return "tcp://" + srv.Listener.Addr().(*net.TCPAddr).String()
}

type cutBody struct {
	io.ReadCloser
	p    *cutProxy
	n    int64
	once sync.Once
}

func (b *cutBody) Read(p []byte) (int, error) {
	if b.n >= b.p.after {
		b.once.Do(b.p.at)
		if b.p.cut {
			return 0, errors.New("test: export stream cut")
		}
	}
	if rest := b.p.after - b.n; rest > 0 && int64(len(p)) > rest {
		p = p[:rest]
	}
	n, err := b.ReadCloser.Read(p)
	b.n += int64(n)
	return n, err
}

// peakHeap samples the heap while f runs and returns its largest size.
func peakHeap(f func()) uint64 {
	var peak atomic.Uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		var m runtime.MemStats
		for {
			runtime.ReadMemStats(&m)
			if m.HeapInuse > peak.Load() {
				peak.Store(m.HeapInuse)
			}
			select {
			case <-done:
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	}()
	f()
	close(done)
	wg.Wait()
	return peak.Load()
}

// TestDriftBadInputDockerEngine: a container removed while its export is
// read, and an export stream cut short, are clear errors (for docker:all,
// one container's error beside the others' reports), with no panic and a
// heap far below the container's 256 MB file; a container whose image was
// deleted and a container that does not exist are clear errors too (see
// TestDriftDockerEngine).
func TestDriftBadInputDockerEngine(t *testing.T) {
	needDocker(t)
	img := importRoot(t)
	opts := testOptions(t, t.TempDir())
	const big = 256 << 20
	prepare := func(t *testing.T) string {
		name := run(t, img)
		docker(t, "exec", name, "sh", "-c", fmt.Sprintf("head -c %d /dev/zero > /srv/big && echo changed >> /etc/motd", big))
		return name
	}
	// The image's scan, once, so that the cases below read the export only.
	one(t, prepare(t), opts)

	t.Run("removed during export", func(t *testing.T) {
		name := prepare(t)
		p := &cutProxy{after: 64 << 20, at: func() { exec.Command("docker", "rm", "-f", name).Run() }}
		o := opts
		o.DockerHost = p.start(t)
		var err error
		var rs []*Report
		heap := peakHeap(func() { rs, _, err = Containers(t.Context(), name, o) })
		switch {
		case err == nil:
			// The engine may finish a stream it started: then the report
			// is whole.
			if len(rs) != 1 {
				t.Fatalf("no error and %d reports", len(rs))
			}
			if _, ok := file(rs[0], "/srv/big"); !ok {
				t.Errorf("the export finished but /srv/big is not in the report: %+v", rs[0].Files)
			}
		case !strings.Contains(err.Error(), "export") && !strings.Contains(err.Error(), "container"):
			t.Errorf("err = %v; want one that says the export or the container failed", err)
		}
		t.Logf("err = %v; peak heap %d MB", err, heap>>20)
		if heap > 192<<20 {
			t.Errorf("peak heap %d MB reading a container with a %d MB file", heap>>20, big>>20)
		}
	})

	t.Run("export cut short", func(t *testing.T) {
		name := prepare(t)
		p := &cutProxy{after: 64 << 20, at: func() {}, cut: true}
		o := opts
		o.DockerHost = p.start(t)
		var err error
		heap := peakHeap(func() { _, _, err = Containers(t.Context(), name, o) })
		if err == nil || !strings.Contains(err.Error(), "ended early") {
			t.Errorf("err = %v; want the export ended early", err)
		}
		t.Logf("err = %v; peak heap %d MB", err, heap>>20)
		if heap > 192<<20 {
			t.Errorf("peak heap %d MB reading a container with a %d MB file", heap>>20, big>>20)
		}
	})

	t.Run("docker:all with one cut short", func(t *testing.T) {
		// Every container of the engine is read; the test's own are
		// checked: the one cut short is an error, the other a report.
		good := run(t, img)
		bad := prepare(t)
		id := docker(t, "inspect", "--format", "{{.Id}}", bad)
		p := &cutProxy{after: 64 << 20, at: func() {}, cut: true, id: id}
		o := opts
		o.DockerHost = p.start(t)
		o.only = func(c Container) bool { return c.Name == good || c.Name == bad }
		rs, errs, err := Containers(t.Context(), "all", o)
		if err != nil {
			t.Fatal(err)
		}
		if len(rs) != 1 || rs[0].Target.Name != good || !rs[0].Clean() {
			t.Errorf("reports %+v, want the clean report of %s only", rs, good)
		}
		if len(errs) != 1 || !strings.Contains(errs[0].Error(), bad) || !strings.Contains(errs[0].Error(), "ended early") {
			t.Errorf("errors %v, want one for %s (%s) saying its export ended early", errs, bad, id[:12])
		}
	})

	t.Run("cancelled", func(t *testing.T) {
		name := prepare(t)
		ctx, cancel := context.WithCancel(t.Context())
		p := &cutProxy{after: 32 << 20, at: cancel}
		o := opts
		o.DockerHost = p.start(t)
		_, _, err := Containers(ctx, name, o)
		if !errors.Is(err, context.Canceled) {
			t.Errorf("err = %v, want context.Canceled", err)
		}
	})
}
