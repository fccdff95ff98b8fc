package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"runtime/pprof"
	"time"
)

// profile records CPU profiles while scenario measures, into -profile:
// the server's through its pprof address (-pprof, which scripts/bench.sh
// sets) and the benchmark's own, since both share the machine. It returns
// the function that ends them; without -profile it does nothing. Read
// them with `go tool pprof -top DIR/fanout-server.pprof`.
func (b *bench) profile(scenario string) (stop func()) {
	dir := b.cfg.profileDir
	if dir == "" {
		return func() {}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		logf("profile: %v", err)
		return func() {}
	}
	done := make(chan struct{})
	if b.cfg.pprofURL == "" {
		close(done)
	} else {
		go func() {
			defer close(done)
			secs := int(math.Ceil(b.cfg.duration.Seconds()))
			if err := fetchProfile(b.cfg.pprofURL, secs, filepath.Join(dir, scenario+"-server.pprof")); err != nil {
				logf("profile: the server's: %v", err)
			}
		}()
	}
	own, err := os.Create(filepath.Join(dir, scenario+"-bench.pprof"))
	if err == nil {
		if err = pprof.StartCPUProfile(own); err != nil {
			own.Close()
			own = nil
		}
	}
	if err != nil {
		logf("profile: the benchmark's: %v", err)
	}
	return func() {
		if own != nil {
			pprof.StopCPUProfile()
			own.Close()
		}
		<-done
	}
}

// fetchProfile saves the server's CPU profile over the next secs seconds.
func fetchProfile(base string, secs int, path string) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Duration(secs+30)*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf("%s/debug/pprof/profile?seconds=%d", base, secs), nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("HTTP %s", resp.Status)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
