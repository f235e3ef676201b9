package webdriver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"time"
)

// Default paths of the Debian packages chromium and chromium-driver.
const (
	DefaultChromium     = "/usr/bin/chromium"
	DefaultChromedriver = "/usr/bin/chromedriver"
)

// Options configure a headless Chromium session.
type Options struct {
	Chromedriver string // default DefaultChromedriver
	Chromium     string // default DefaultChromium
	// DownloadDir receives downloads without asking (default: none set).
	DownloadDir string
	// UserDataDir is the browser profile (default: a temporary directory, removed by Quit).
	UserDataDir string
	Width       int      // window size, default 1280 × 1024
	Height      int      //
	Args        []string // further Chromium switches
	// Log receives chromedriver's output (default: discarded).
	Log io.Writer
	// StartTimeout bounds starting chromedriver and the browser (default 60 s).
	StartTimeout time.Duration
}

// Driver is a running chromedriver.
type Driver struct {
	Client
	cmd  *exec.Cmd
	done chan struct{}
	err  error // of Wait, once done is closed
}

// StartDriver starts chromedriver on a free loopback port and waits until it is ready.
func StartDriver(ctx context.Context, path string, log io.Writer, timeout time.Duration) (*Driver, error) {
	if path == "" {
		path = DefaultChromedriver
	}
	if timeout <= 0 {
		timeout = 60 * time.Second
	}
	if log == nil {
		log = io.Discard
	}
	var lastErr error
	for range 3 { // the free port may be taken between choosing it and chromedriver binding it
		port, err := freePort()
		if err != nil {
			return nil, err
		}
		d := &Driver{Client: Client{URL: "http://127.0.0.1:" + strconv.Itoa(port)}, done: make(chan struct{})}
		d.cmd = exec.Command(path, "--port="+strconv.Itoa(port), "--allowed-ips=127.0.0.1", "--allowed-origins=*")
		d.cmd.Stdout, d.cmd.Stderr = log, log
		ownGroup(d.cmd)
		if err := d.cmd.Start(); err != nil {
			return nil, fmt.Errorf("webdriver: start %s: %w", path, err)
		}
		go func() { d.err = d.cmd.Wait(); close(d.done) }()
		err = Wait(ctx, timeout, 50*time.Millisecond, func(ctx context.Context) (bool, error) {
			select {
			case <-d.done:
				return false, fmt.Errorf("chromedriver exited: %v", d.err)
			default:
			}
			rctx, cancel := context.WithTimeout(ctx, 2*time.Second)
			defer cancel()
			return d.Ready(rctx)
		})
		if err == nil {
			return d, nil
		}
		lastErr = err
		_ = d.Stop()
	}
	return nil, fmt.Errorf("webdriver: chromedriver not ready: %w", lastErr)
}

// Stop stops chromedriver (and what it started that is still running in its process group).
func (d *Driver) Stop() error {
	select {
	case <-d.done:
		return nil
	default:
	}
	interrupt(d.cmd)
	select {
	case <-d.done:
		kill(d.cmd) // a browser of a session that was not ended, left in the group
		return nil
	case <-time.After(5 * time.Second):
	}
	kill(d.cmd)
	select {
	case <-d.done:
		return nil
	case <-time.After(10 * time.Second):
		return errors.New("webdriver: chromedriver does not stop")
	}
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("webdriver: free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// Chrome starts chromedriver and opens a headless Chromium session; Quit ends both.
func Chrome(ctx context.Context, o Options) (*Session, error) {
	if o.Chromium == "" {
		o.Chromium = DefaultChromium
	}
	if o.Width <= 0 || o.Height <= 0 {
		o.Width, o.Height = 1280, 1024
	}
	if o.StartTimeout <= 0 {
		o.StartTimeout = 60 * time.Second
	}
	var cleanup []func() error
	undo := func() {
		for i := len(cleanup) - 1; i >= 0; i-- {
			_ = cleanup[i]()
		}
	}
	if o.UserDataDir == "" {
		dir, err := os.MkdirTemp("", "shep-chromium-")
		if err != nil {
			return nil, fmt.Errorf("webdriver: profile: %w", err)
		}
		o.UserDataDir = dir
		cleanup = append(cleanup, func() error { return os.RemoveAll(dir) })
	}
	d, err := StartDriver(ctx, o.Chromedriver, o.Log, o.StartTimeout)
	if err != nil {
		undo()
		return nil, err
	}
	cleanup = append(cleanup, d.Stop)
	args := append([]string{"--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic", "--no-first-run",
		"--no-default-browser-check", "--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--disable-features=Translate,MediaRouter,OptimizationHints", "--disable-crash-reporter", "--disable-breakpad", "--password-store=basic", "--lang=ru-RU",
		"--user-data-dir=" + o.UserDataDir, fmt.Sprintf("--window-size=%d,%d", o.Width, o.Height)}, o.Args...)
	chrome := map[string]any{"binary": o.Chromium, "args": args}
	prefs := map[string]any{"credentials_enable_service": false, "profile.password_manager_enabled": false,
		"profile.password_manager_leak_detection": false}
	if o.DownloadDir != "" {
		prefs["download.default_directory"] = o.DownloadDir
		prefs["download.prompt_for_download"] = false
		prefs["download.directory_upgrade"] = true
		prefs["safebrowsing.enabled"] = false
	}
	chrome["prefs"] = prefs
	caps := map[string]any{"browserName": "chrome", "goog:chromeOptions": chrome, "pageLoadStrategy": "normal",
		"timeouts": map[string]int{"implicit": 0, "pageLoad": 60000, "script": 30000}}
	sctx, cancel := context.WithTimeout(ctx, o.StartTimeout)
	defer cancel()
	s, err := d.NewSession(sctx, caps)
	if err != nil {
		undo()
		return nil, err
	}
	s.cleanup = cleanup
	if o.DownloadDir != "" {
		// Headless Chromium follows the download preferences; say it again through DevTools,
		// which every version honours.
		if err := s.ChromeCDP(sctx, "Browser.setDownloadBehavior", map[string]any{"behavior": "allow", "downloadPath": o.DownloadDir}, nil); err != nil {
			_ = s.Quit()
			return nil, fmt.Errorf("webdriver: allow downloads: %w", err)
		}
	}
	return s, nil
}
