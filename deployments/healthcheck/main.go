// Command healthcheck asks a newsflow service's /healthz or /readyz and
// exits 0 when it answers 2xx. It exists for container health checks in
// images that have no shell, curl or wget: it is built with the services
// into the same scratch-based images and speaks just enough HTTP/1.1 over
// a plain TCP connection to stay small (no net/http).
//
//	healthcheck [-timeout 3s] http://127.0.0.1:9102/healthz
package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintf(os.Stderr, "healthcheck: %v\n", err)
		os.Exit(1)
	}
}

func run(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("healthcheck", flag.ContinueOnError)
	timeout := fs.Duration("timeout", 3*time.Second, "give up after this long")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errors.New("usage: healthcheck [-timeout 3s] http://HOST:PORT/PATH")
	}
	status, body, err := get(fs.Arg(0), *timeout)
	if err != nil {
		return err
	}
	if status < 200 || status > 299 {
		return fmt.Errorf("%s answered %d: %s", fs.Arg(0), status, strings.TrimSpace(body))
	}
	_, _ = fmt.Fprintln(stdout, strings.TrimSpace(body))
	return nil
}

// get sends one GET and returns the status code and up to 4 KiB of body.
func get(rawURL string, timeout time.Duration) (int, string, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return 0, "", err
	}
	if u.Scheme != "http" {
		return 0, "", fmt.Errorf("%s: only http:// is supported", rawURL)
	}
	host := u.Host
	if u.Port() == "" {
		host = net.JoinHostPort(u.Hostname(), "80")
	}
	path := u.RequestURI()
	conn, err := net.DialTimeout("tcp", host, timeout)
	if err != nil {
		return 0, "", err
	}
	defer func() { _ = conn.Close() }()
	if err := conn.SetDeadline(time.Now().Add(timeout)); err != nil {
		return 0, "", err
	}
	req := "GET " + path + " HTTP/1.1\r\nHost: " + u.Host + "\r\nUser-Agent: newsflow-healthcheck\r\nConnection: close\r\n\r\n"
	if _, err := io.WriteString(conn, req); err != nil {
		return 0, "", err
	}
	r := bufio.NewReader(conn)
	line, err := r.ReadString('\n')
	if err != nil {
		return 0, "", fmt.Errorf("reading the status line: %w", err)
	}
	status, err := parseStatus(line)
	if err != nil {
		return 0, "", err
	}
	// Skip the headers; the body is only shown to the operator.
	for {
		h, err := r.ReadString('\n')
		if err != nil {
			return status, "", nil
		}
		if h == "\r\n" || h == "\n" {
			break
		}
	}
	body, _ := io.ReadAll(io.LimitReader(r, 4096))
	return status, string(body), nil
}

// parseStatus reads "HTTP/1.1 200 OK".
func parseStatus(line string) (int, error) {
	fields := strings.Fields(line)
	if len(fields) < 2 || !strings.HasPrefix(fields[0], "HTTP/") {
		return 0, fmt.Errorf("not an HTTP status line: %q", strings.TrimSpace(line))
	}
	code, err := strconv.Atoi(fields[1])
	if err != nil {
		return 0, fmt.Errorf("not an HTTP status line: %q", strings.TrimSpace(line))
	}
	return code, nil
}
