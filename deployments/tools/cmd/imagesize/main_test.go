package main

import (
	"archive/tar"
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestBuild(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"sink", "healthcheck"} {
		if err := os.WriteFile(filepath.Join(dir, f), bytes.Repeat([]byte(f), 1000), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	rootfs, err := RootFS([]byte("-----BEGIN CERTIFICATE-----\n"))
	if err != nil {
		t.Fatal(err)
	}
	img, err := Build(Image{Name: "sink", Binary: "sink", Healthcheck: true, Ports: []string{"9103/tcp"}}, rootfs, dir)
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if cf.Config.User != "65532:65532" || cf.Config.WorkingDir != "/data" || cf.Config.Entrypoint[0] != "/usr/local/bin/sink" {
		t.Errorf("config = %+v", cf.Config)
	}
	layers, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	if len(layers) != 3 {
		t.Fatalf("%d layers, want rootfs, healthcheck, binary", len(layers))
	}
	// The runtime layer: the user, the CA bundle, /tmp and /data as the
	// Dockerfile's rootfs stage makes them.
	rc, err := layers[0].Uncompressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	got := map[string]*tar.Header{}
	var passwd string
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got[h.Name] = h
		if h.Name == "etc/passwd" {
			b, _ := io.ReadAll(tr)
			passwd = string(b)
		}
	}
	if !strings.Contains(passwd, "nonroot:x:65532:65532:") {
		t.Errorf("/etc/passwd = %q", passwd)
	}
	if h := got["tmp/"]; h == nil || h.Mode&0o1777 != 0o1777 {
		t.Errorf("/tmp = %+v, want mode 1777", h)
	}
	if h := got["data/"]; h == nil || h.Uid != 65532 || h.Gid != 65532 {
		t.Errorf("/data = %+v, want owned by 65532", h)
	}
	if got["etc/ssl/certs/ca-certificates.crt"] == nil {
		t.Error("no CA bundle")
	}
	s, err := Measure(img)
	if err != nil {
		t.Fatal(err)
	}
	if s.Uncompressed < 2000 || s.Compressed <= 0 || len(s.Layers) != 3 {
		t.Errorf("sizes = %+v", s)
	}
}
