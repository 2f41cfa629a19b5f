package main

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestRun(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/healthz":
			_, _ = w.Write([]byte(`{"checks":{"consumer":"ok"},"ok":true}` + "\n"))
		case "/readyz":
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte(`{"checks":{"kafka":"kafka: dial tcp: connection refused"},"ok":false}` + "\n"))
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()

	tests := []struct {
		name    string
		args    []string
		wantErr string
		wantOut string
	}{
		{name: "healthy", args: []string{srv.URL + "/healthz"}, wantOut: `"ok":true`},
		{name: "unhealthy", args: []string{srv.URL + "/readyz"}, wantErr: "answered 503"},
		{name: "missing", args: []string{srv.URL + "/nope"}, wantErr: "answered 404"},
		{name: "refused", args: []string{"-timeout", "500ms", "http://127.0.0.1:1/healthz"}, wantErr: "connect"},
		{name: "https", args: []string{"https://127.0.0.1/healthz"}, wantErr: "only http://"},
		{name: "no url", args: nil, wantErr: "usage"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			err := run(tt.args, &out)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want it to contain %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(out.String(), tt.wantOut) {
				t.Fatalf("out = %q, want %q", out.String(), tt.wantOut)
			}
		})
	}
}

func TestTimeout(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select { // until the client gives up
		case <-r.Context().Done():
		case <-time.After(2 * time.Second):
		}
	}))
	defer srv.Close()
	start := time.Now()
	err := run([]string{"-timeout", "200ms", srv.URL + "/healthz"}, &bytes.Buffer{})
	if err == nil {
		t.Fatal("want a timeout error")
	}
	if d := time.Since(start); d > time.Second {
		t.Fatalf("took %s, want about 200ms", d)
	}
}
